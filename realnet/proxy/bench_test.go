package proxy

import (
	"encoding/binary"
	"net"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/internal/cputime"
)

// counter is a receiver that only counts, so the benchmark measures the path, not
// the bookkeeping.
type counter struct {
	n    atomic.Int64
	last atomic.Int64 // sinceEpoch of the latest arrival
	lat  chan time.Duration
}

func newCounter(b *testing.B) (*counter, string) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	require.NoError(b, c.SetReadBuffer(4<<20))
	k := &counter{lat: make(chan time.Duration, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, err := c.Read(buf)
			now := sinceEpoch()
			if err != nil {
				return
			}
			k.n.Add(1)
			k.last.Store(int64(now))
			if n >= hdrLen && buf[15]&1 == 1 { // a latency probe: report its one-way delay
				k.lat <- now - time.Duration(binary.BigEndian.Uint64(buf[8:])&^1)
			}
		}
	}()
	b.Cleanup(func() { c.Close(); <-done })
	return k, c.LocalAddr().String()
}

// target returns where to send: the counter directly, or a proxy in front of it.
func target(b *testing.B, viaProxy bool, addr string) (*net.UDPConn, *Proxy) {
	var p *Proxy
	if viaProxy {
		p = startProxy(b, addr, "", "", 1)
		addr = p.Addr().String()
	}
	raddr, err := net.ResolveUDPAddr("udp4", addr)
	require.NoError(b, err)
	c, err := net.DialUDP("udp4", nil, raddr)
	require.NoError(b, err)
	require.NoError(b, c.SetWriteBuffer(4<<20))
	b.Cleanup(func() { c.Close() })
	return c, p
}

// BenchmarkThroughput sends b.N 64-byte datagrams as fast as one goroutine can and
// reports what arrived per second (the sender outruns the receiver, so this is the
// path's capacity), the share lost in socket buffers, and the process's CPU time per
// datagram that arrived: direct is the sender's and the receiver's cost, the reference;
// proxy adds the proxy's (empty profile), whose own cost is the difference. Compare the
// two in one run (-count 4 or more: the machine's other load moves both).
func BenchmarkThroughput(b *testing.B) {
	for _, via := range []struct {
		name  string
		proxy bool
	}{{"direct", false}, {"proxy", true}} {
		b.Run(via.name, func(b *testing.B) {
			k, addr := newCounter(b)
			c, p := target(b, via.proxy, addr)
			msg := make([]byte, 64)
			b.ResetTimer()
			start := sinceEpoch()
			cpu0 := cputime.Process()
			for i := range b.N {
				binary.BigEndian.PutUint64(msg, uint64(i))
				_, _ = c.Write(msg)
			}
			// Quiescent: nothing new for 100 ms.
			for prev := int64(-1); k.n.Load() != prev; {
				prev = k.n.Load()
				time.Sleep(100 * time.Millisecond)
			}
			b.StopTimer()
			cpu := cputime.Process() - cpu0 // the last 100 ms were idle
			got := k.n.Load()
			elapsed := time.Duration(k.last.Load()) - start
			b.ReportMetric(float64(got)/elapsed.Seconds(), "delivered/s")
			b.ReportMetric(100*(1-float64(got)/float64(b.N)), "%lost")
			if got > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(got), "cpu-ns/delivered")
			}
			if p != nil {
				f := p.Counters().Forward
				b.Logf("N=%d forward: read %d, limit drops %d, delivered %d", b.N, f.Received, f.LimitDrops, f.Delivered)
			}
		})
	}
}

// BenchmarkLatency sends one probe at a time and waits for it, reporting the one-way
// delay's median and 99th percentile; the proxy's added latency is the difference
// between the two sub-benchmarks.
func BenchmarkLatency(b *testing.B) {
	for _, via := range []struct {
		name  string
		proxy bool
	}{{"direct", false}, {"proxy", true}} {
		b.Run(via.name, func(b *testing.B) {
			k, addr := newCounter(b)
			c, _ := target(b, via.proxy, addr)
			msg := make([]byte, 64)
			d := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				binary.BigEndian.PutUint64(msg, uint64(i))
				binary.BigEndian.PutUint64(msg[8:], uint64(sinceEpoch())|1)
				_, err := c.Write(msg)
				require.NoError(b, err)
				select {
				case l := <-k.lat:
					d = append(d, l)
				case <-time.After(time.Second):
					b.Fatalf("probe %d lost", i)
				}
			}
			b.StopTimer()
			sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
			b.ReportMetric(float64(d[len(d)/2])/1e3, "p50-µs")
			b.ReportMetric(float64(d[len(d)*99/100])/1e3, "p99-µs")
		})
	}
}
