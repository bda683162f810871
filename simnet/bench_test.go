package simnet_test

import (
	"context"
	"fmt"
	"iter"
	"math"
	"testing"
	"time"

	"github.com/dist-example/dist-example/internal/cputime"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet"
)

// stream runs a sender and a receiver (simulated goroutines with write+read loops, as the
// app's are) over a perfect link: count datagrams of size bytes, one every gap.
func stream(tb testing.TB, count, size int, gap time.Duration) *simnet.Network {
	n := newNet(tb, simnet.Config{Seed: 1}, "host1", "host2")
	src, dst := listen(tb, n, "host1:0"), listen(tb, n, "host2:9000")
	to, clk := dst.LocalAddr(), n.Clock()
	n.Go("sender", func() {
		p := make([]byte, size)
		for i := 0; i < count; i++ {
			p[0] = byte(i)
			if _, err := src.WriteTo(p, to); err != nil {
				panic(err)
			}
			clk.Sleep(gap)
		}
	})
	n.Go("receiver", func() {
		buf := make([]byte, 2048)
		for i := 0; i < count; i++ {
			if _, _, err := dst.ReadFrom(buf); err != nil {
				panic(err)
			}
		}
	})
	return n
}

// BenchmarkStream is the end-to-end goal: >= 1M datagrams per wall second, 0 allocs per
// datagram, for a 100 datagram/s stream; coro-round-trips/datagram is its cost in
// coroutine round trips measured in the same run (goal <= 8). Run it at GOMAXPROCS=1,
// as sim runs: go test -run X -bench Stream -cpu 1 ./simnet.
func BenchmarkStream(b *testing.B) {
	n := stream(b, b.N, 100, 10*time.Millisecond)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	require.NoError(b, n.Run())
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "datagrams/s")
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/datagram")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/coroRoundTrip(), "coro-round-trips/datagram")
	require.Equal(b, uint64(b.N), n.Stats().Delivered)
}

// coroRoundTrip measures the reference the scheduler's cost is compared with, in the
// same run: nanoseconds of one round trip through a Go coroutine (iter.Pull's next and
// the yield back), the best of 5 rounds.
func coroRoundTrip() float64 {
	next, stop := iter.Pull(func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	})
	defer stop()
	const rounds = 200_000
	best := time.Duration(math.MaxInt64)
	for range 5 {
		t := time.Now()
		for range rounds {
			next()
		}
		best = min(best, time.Since(t))
	}
	return float64(best.Nanoseconds()) / rounds
}

// BenchmarkHosts shows how the cost per datagram grows with the number of hosts: each
// host sends to the next in a ring, 100 datagrams/s, staggered, and reads what it gets.
// The first round (which starts the goroutines and creates the links) is not timed.
func BenchmarkHosts(b *testing.B) {
	for _, hosts := range []int{2, 10, 100, 1000} {
		b.Run(fmt.Sprintf("hosts=%d", hosts), func(b *testing.B) {
			n := newNet(b, simnet.Config{Seed: 1})
			conns := make([]*simnet.Conn, hosts)
			for i := range hosts {
				name := fmt.Sprintf("host%d", i+1)
				_, err := n.AddHost(name)
				require.NoError(b, err)
				conns[i] = listen(b, n, name+":9000")
			}
			per := (b.N + hosts - 1) / hosts
			const gap = 10 * time.Millisecond
			clk := n.Clock()
			for i := range hosts {
				src, to := conns[i], conns[(i+1)%hosts].LocalAddr()
				offset := gap * time.Duration(i) / time.Duration(hosts)
				n.Go("sender", func() {
					clk.Sleep(offset)
					p := make([]byte, 100)
					for range per + 1 {
						if _, err := src.WriteTo(p, to); err != nil {
							panic(err)
						}
						clk.Sleep(gap)
					}
				})
				n.Go("receiver", func() {
					buf := make([]byte, 2048)
					for range per + 1 {
						if _, _, err := src.ReadFrom(buf); err != nil {
							panic(err)
						}
					}
				})
			}
			require.NoError(b, n.RunFor(gap-1)) // the untimed first round
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cputime.Process()
			require.NoError(b, n.Run())
			b.StopTimer()
			total := per * hosts
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/datagram")
			b.ReportMetric(float64(cputime.Process()-cpu)/float64(total), "cpu-ns/datagram")
			require.Equal(b, uint64(total+hosts), n.Stats().Delivered)
		})
	}
}

// BenchmarkAppHour runs the application's sender and receiver for one virtual hour of a
// 100 datagram/s stream (360,000 datagrams) per iteration.
func BenchmarkAppHour(b *testing.B) {
	const count = 360_000
	b.ReportAllocs()
	for b.Loop() {
		n := newNet(b, simnet.Config{Seed: 1}, "sender", "receiver")
		src, dst := listen(b, n, "sender:0"), listen(b, n, "receiver:9000")
		clk := n.Clock()
		s := &app.Sender{Conn: src, Clock: clk, Dst: dst.LocalAddr(), Interval: 10 * time.Millisecond, Count: count}
		r := &app.Receiver{Conn: dst, Clock: clk, Interval: time.Second}
		n.Go("sender", func() {
			_, _ = s.Run(context.Background())
			clk.Sleep(time.Second)
			_ = dst.Close()
		})
		n.Go("receiver", func() { _ = r.Run(context.Background()) })
		require.NoError(b, n.Run())
		require.Equal(b, int64(count), r.Totals().Unique)
	}
	b.ReportMetric(float64(count*b.N)/b.Elapsed().Seconds(), "datagrams/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(count*b.N)/coroRoundTrip(), "coro-round-trips/datagram")
}
