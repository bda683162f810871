package scenario

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet/netem"
)

// BenchmarkSimHour is the CLI's performance goal: one virtual hour of the default
// profile at 100 datagrams/s (360,000 datagrams), traced and fingerprinted, in under a
// second of wall time.
func BenchmarkSimHour(b *testing.B) {
	p, err := netem.Parse("delay 50ms 10ms loss 5% duplicate 1% reorder 10%")
	require.NoError(b, err)
	cfg := Config{Seed: 42, Profile: p, Duration: time.Hour, SendInterval: 10 * time.Millisecond, Interval: 5 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(cfg)
		require.NoError(b, err)
		require.Equal(b, uint64(360_000), res.Truth.Sent)
	}
	b.ReportMetric(float64(360_000*b.N)/b.Elapsed().Seconds(), "datagrams/s")
}
