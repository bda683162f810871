package proxy

import (
	"encoding/binary"
	"math"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet/netem"
)

// Test datagrams carry a header (sequence number, send time) and a fill derived from the
// sequence number, so the receiver can check each one arrived whole and unaltered.
const hdrLen = 16

// epoch is the tests' time base for one-way delays; sender and receiver share a process.
var epoch = time.Now()

func sinceEpoch() time.Duration { return time.Since(epoch) }

func makeDatagram(seq uint64, size int) []byte {
	b := make([]byte, max(size, hdrLen))
	binary.BigEndian.PutUint64(b, seq)
	binary.BigEndian.PutUint64(b[8:], uint64(sinceEpoch()))
	for i := hdrLen; i < len(b); i++ {
		b[i] = byte(seq*31 + uint64(i))
	}
	return b[:max(size, hdrLen)]
}

func intact(b []byte) bool {
	if len(b) < hdrLen {
		return false
	}
	seq := binary.BigEndian.Uint64(b)
	for i := hdrLen; i < len(b); i++ {
		if b[i] != byte(seq*31+uint64(i)) {
			return false
		}
	}
	return true
}

// arrival is one datagram as the sink saw it.
type arrival struct {
	seq   uint64
	delay time.Duration // one-way: send time to read time
	size  int
	ok    bool // intact
}

// sink is a plain UDP receiver recording every datagram.
type sink struct {
	conn *net.UDPConn
	mu   sync.Mutex
	got  []arrival // requires mu
	done chan struct{}
}

func newSink(t testing.TB, network, addr string) *sink {
	t.Helper()
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	require.NoError(t, err)
	require.NoError(t, c.SetReadBuffer(4<<20))
	s := &sink{conn: c, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, maxDatagram)
		for {
			n, _, err := c.ReadFromUDPAddrPort(buf)
			now := sinceEpoch()
			if err != nil {
				return
			}
			a := arrival{size: n, ok: intact(buf[:n])}
			if n >= hdrLen {
				a.seq = binary.BigEndian.Uint64(buf)
				a.delay = now - time.Duration(binary.BigEndian.Uint64(buf[8:]))
			}
			s.mu.Lock()
			s.got = append(s.got, a)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.Close(); <-s.done })
	return s
}

func (s *sink) addr() string { return s.conn.LocalAddr().String() }

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}

func (s *sink) arrivals() []arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]arrival(nil), s.got...)
}

// echo is an upstream that sends every datagram back to where it came from.
func newEcho(t testing.TB, network, addr string) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	require.NoError(t, err)
	require.NoError(t, c.SetReadBuffer(4<<20))
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, maxDatagram)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = c.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c
}

func mustParse(t testing.TB, text string) netem.Profile {
	t.Helper()
	p, err := netem.Parse(text)
	require.NoError(t, err, "profile %q", text)
	return p
}

// startProxy starts a proxy on a free loopback port toward upstream; closed at cleanup.
func startProxy(t testing.TB, upstream string, fwd, rev string, seed uint64, tweak ...func(*Config)) *Proxy {
	t.Helper()
	host := "127.0.0.1:0"
	if ap, err := netip.ParseAddrPort(upstream); err == nil && ap.Addr().Is6() {
		host = "[::1]:0"
	}
	cfg := Config{Listen: host, Upstream: upstream, Forward: mustParse(t, fwd), Reverse: mustParse(t, rev), Seed: seed}
	for _, f := range tweak {
		f(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	t.Logf("proxy %s -> %s seed %d forward %q reverse %q", p.Addr(), upstream, seed, fwd, rev)
	return p
}

// dialer returns a client socket aimed at the proxy.
func dialer(t testing.TB, p *Proxy) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp", nil, p.Addr())
	require.NoError(t, err)
	require.NoError(t, c.SetReadBuffer(4<<20))
	t.Cleanup(func() { c.Close() })
	return c
}

// waitFor polls cond until it holds or the deadline passes (then the test fails with msg).
// patience is the least any wait here allows. The waits exist because real sockets and
// goroutines are involved, not to bound how fast the machine runs them: under -race on a
// loaded machine, what takes a millisecond idle can take seconds.
const patience = 60 * time.Second

func waitFor(t testing.TB, within time.Duration, cond func() bool, msg string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(max(within, patience))
	for !cond() {
		if time.Now().After(deadline) {
			require.Failf(t, "timed out", msg, args...)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// sendWindowed sends n datagrams of size bytes numbered from first, keeping at most
// window of them unread by the proxy and at most queued in flight inside it, so no
// datagram is lost in a socket buffer or at the link's limit: every loss the test sees
// is the profile's.
func sendWindowed(t testing.TB, p *Proxy, c *net.UDPConn, first uint64, n, size, window, queued int) {
	t.Helper()
	fwd := p.dirs[Forward]
	base := fwd.received.Load()
	k := p.Counters().Forward
	baseRelayed := k.Sent + k.Rejected + k.ByteLimitDrops
	read := func() int { return int(fwd.received.Load() - base) }
	for i := 0; i < n; i++ {
		if i >= window && read() < i-window || queued > 0 && int(p.Counters().Forward.InFlight) >= queued {
			waitFor(t, 10*time.Second, func() bool {
				return read() >= i-window && (queued == 0 || int(p.Counters().Forward.InFlight) < queued)
			}, "proxy read %d of %d datagrams, holds %d", read(), i, p.Counters().Forward.InFlight)
		}
		_, err := c.Write(makeDatagram(first+uint64(i), size))
		require.NoError(t, err)
	}
	// Received is counted as a datagram is read, before it meets its fate: wait for that
	// too (given to the link or rejected), so callers may read the link's counters at once.
	relayed := func() int {
		c := p.Counters().Forward
		return int(c.Sent + c.Rejected + c.ByteLimitDrops - baseRelayed)
	}
	waitFor(t, 10*time.Second, func() bool { return read() == n && relayed() == n },
		"proxy read %d of %d datagrams, relayed %d", read(), n, relayed())
}

// settle waits until the forward link holds nothing and the sink has read all it delivered.
func settle(t testing.TB, p *Proxy, s *sink, within time.Duration) Counters {
	t.Helper()
	var c Counters
	waitFor(t, within, func() bool {
		c = p.Counters()
		return c.Forward.InFlight == 0 && c.Forward.QueuedBytes == 0 && uint64(s.count()) >= c.Forward.Delivered-c.Forward.WriteErrors
	}, "forward link still holds packets or the sink is behind")
	return c
}

// within5Sigma asserts a binomial count is within 5 standard deviations of n*prob.
func within5Sigma(t testing.TB, what string, count, n int, prob float64) {
	t.Helper()
	mean := float64(n) * prob
	sd := math.Sqrt(float64(n) * prob * (1 - prob))
	require.InDeltaf(t, mean, float64(count), 5*sd+1e-9,
		"%s: %d of %d, expected %.1f +- %.1f (5 sigma, p=%g)", what, count, n, mean, 5*sd, prob)
}
