package thirdparty

import (
	"flag"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
)

// synctest.Test needs a *testing.T, which a benchmark does not have, so the synctest-mode
// figures are measured by TestBenchmarks with testing.Benchmark, next to the cooperative
// mode on the same stream in the same run. It runs only with -bench:
//
//	go test -run TestBenchmarks -bench . ./simnet/thirdparty/

// stream sends count 100-byte datagrams, one every 10ms, from host1 to host2 over a
// perfect link, with a sender and a receiver started by Network.Go: simulated goroutines
// in cooperative mode, plain ones in synctest mode. It returns when all have arrived.
func stream(tb testing.TB, n *simnet.Network, count int) {
	src, err := n.Listen("host1:0")
	require.NoError(tb, err)
	dst, err := n.Listen("host2:9000")
	require.NoError(tb, err)
	to, clk := dst.LocalAddr(), n.Clock()
	n.Go("sender", func() {
		p := make([]byte, 100)
		for range count {
			if _, err := src.WriteTo(p, to); err != nil {
				panic(err)
			}
			clk.Sleep(10 * time.Millisecond)
		}
	})
	n.Go("receiver", func() {
		buf := make([]byte, 2048)
		for range count {
			if _, _, err := dst.ReadFrom(buf); err != nil {
				panic(err)
			}
		}
	})
	require.NoError(tb, n.Run())
}

func streamNet(tb testing.TB, synctest bool) *simnet.Network {
	n, err := simnet.New(simnet.Config{Seed: 1, Synctest: synctest})
	require.NoError(tb, err)
	for _, h := range []string{"host1", "host2"} {
		_, err := n.AddHost(h)
		require.NoError(tb, err)
	}
	return n
}

func TestBenchmarks(t *testing.T) {
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		t.Skip("a measurement: run with -bench")
	}
	per := func(r testing.BenchmarkResult, unit float64) float64 { return float64(r.N) * unit / r.T.Seconds() }
	coop := testing.Benchmark(func(b *testing.B) {
		n := streamNet(b, false)
		b.ReportAllocs()
		b.ResetTimer()
		stream(b, n, b.N)
		b.StopTimer()
		_ = n.Close()
	})
	st := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer() // outside the bubble: inside, b's timer would read the bubble's clock
		synctest.Test(t, func(t *testing.T) {
			n := streamNet(t, true)
			defer n.Close()
			stream(t, n, b.N)
		})
		b.StopTimer()
	})
	t.Logf("stream, cooperative: %.0f datagrams/s, %d allocs/datagram", per(coop, 1), coop.AllocsPerOp())
	t.Logf("stream, synctest:    %.0f datagrams/s, %d allocs/datagram (%.2fx the cooperative rate)",
		per(st, 1), st.AllocsPerOp(), per(st, 1)/per(coop, 1))

	const queries = 200
	dns := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			synctest.Test(t, func(t *testing.T) { runDNS(t, 1, queries) })
		}
	})
	t.Logf("miekg/dns through %q: %.0f queries answered per second of real time", dnsProfile, per(dns, queries))

	const size = 1 << 20
	q := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			synctest.Test(t, func(t *testing.T) { runQUIC(t, 1, "delay 10ms", size) })
		}
	})
	t.Logf("quic-go through \"delay 10ms\": %.1f MB per second of real time", per(q, 1))
}
