package scenario

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/internal/cputime"
	"github.com/dist-example/dist-example/simnet/netem"
)

func benchSimHour(b *testing.B, trace io.Writer) {
	p, err := netem.Parse("delay 50ms 10ms loss 5% duplicate 1% reorder 10%")
	require.NoError(b, err)
	cfg := Config{Seed: 42, Profile: p, Duration: time.Hour, SendInterval: 10 * time.Millisecond, Interval: 5 * time.Second,
		Trace: trace}
	b.ReportAllocs()
	cpu := cputime.Process()
	for b.Loop() {
		res, err := Run(cfg)
		require.NoError(b, err)
		require.Equal(b, uint64(360_000), res.Truth.Sent)
	}
	b.ReportMetric(float64(360_000*b.N)/b.Elapsed().Seconds(), "datagrams/s")
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(360_000*b.N), "cpu-ns/datagram")
}

// BenchmarkSimHour is the CLI's performance goal: one virtual hour of the default
// profile at 100 datagrams/s (360,000 datagrams), with its ground truth and fingerprint
// from the simulator's structured events, in under a second of wall time.
func BenchmarkSimHour(b *testing.B) { benchSimHour(b, nil) }

// BenchmarkSimHourTextTrace is the same run with the text trace formatted (-trace),
// to a writer that discards it: what formatting every event costs.
func BenchmarkSimHourTextTrace(b *testing.B) { benchSimHour(b, io.Discard) }
