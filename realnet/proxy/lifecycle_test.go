package proxy

import (
	"net"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// A profile swap applies to the very next datagram, keeps the packets already queued
// (with their due times) and keeps the counters.
func TestSetProfileTakesEffectAtOnceKeepingQueueAndCounters(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "delay 300ms", "", 1)
	c := dialer(t, p)

	sendWindowed(t, p, c, 0, 50, 64, 64, 0)
	require.Equal(t, uint64(50), p.Counters().Forward.InFlight, "the delayed packets are queued")
	p.SetProfile(Forward, mustParse(t, "loss 100%"))
	sendWindowed(t, p, c, 50, 50, 64, 64, 0)
	k := p.Counters()
	assert.Equal(t, uint64(50), k.Forward.Lost, "every packet after the swap is lost")
	assert.Equal(t, uint64(100), k.Forward.Sent, "counters go on across the swap")
	assert.Zero(t, s.count(), "the queued packets still wait for their 300ms")

	k = settle(t, p, s, 5*time.Second)
	assert.Equal(t, uint64(50), k.Forward.Delivered)
	for _, a := range s.arrivals() {
		assert.Less(t, a.seq, uint64(50))
		assert.GreaterOrEqual(t, a.delay, 300*time.Millisecond, "seq %d kept its due time", a.seq)
	}

	p.SetProfile(Forward, mustParse(t, ""))
	sendWindowed(t, p, c, 100, 50, 64, 64, 64)
	k = settle(t, p, s, 5*time.Second)
	assert.Equal(t, uint64(100), k.Forward.Delivered)
	assert.Equal(t, canon(t, ""), p.Profile(Forward).String())
}

// Under a flood faster than the profile's rate, the link never holds more than its
// limit, the excess is dropped and counted, and memory stays bounded.
func TestFloodIsDroppedAtTheLimit(t *testing.T) {
	const (
		n     = 20000
		size  = 1000
		limit = 50
	)
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "rate 8mbit limit "+strconv.Itoa(limit), "", 1)
	c := dialer(t, p)

	var peak atomic.Uint64 // most packets the link held
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			default:
			}
			d := p.dirs[Forward]
			d.mu.Lock()
			held := uint64(d.link.Len())
			d.mu.Unlock()
			if held > peak.Load() {
				peak.Store(held)
			}
			runtime.Gosched()
		}
	}()

	runtime.GC()
	var before, during runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range n {
		_, err := c.Write(makeDatagram(uint64(i), size))
		require.NoError(t, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&during)
	close(stop)
	<-watched

	k := settle(t, p, s, 10*time.Second)
	t.Logf("forward %+v, peak in flight %d, heap %d -> %d KiB", k.Forward, peak.Load(), before.HeapAlloc>>10, during.HeapAlloc>>10)
	assert.LessOrEqual(t, peak.Load(), uint64(limit), "the link held more than its limit")
	assert.Positive(t, k.Forward.LimitDrops, "the flood was not dropped at the limit")
	assert.Equal(t, k.Forward.Sent, k.Forward.Delivered+k.Forward.LimitDrops, "every datagram accounted for")
	assert.Equal(t, uint64(s.count()), k.Forward.Delivered)
	// n*size = 20 MB went through; the proxy may hold the limit's worth of packets, its
	// buffer pool (a few MiB) and its read buffers, nothing proportional to the flood.
	assert.Less(t, int64(during.HeapAlloc)-int64(before.HeapAlloc), int64(12<<20), "heap grew with the flood")
}

func TestSessionTableIsBounded(t *testing.T) {
	up := newEcho(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, up.LocalAddr().String(), "", "", 1, func(c *Config) { c.MaxSessions = 2 })
	a, b, extra := dialer(t, p), dialer(t, p), dialer(t, p)
	buf := make([]byte, 64)
	for _, c := range []*net.UDPConn{a, b} {
		_, err := c.Write(makeDatagram(1, 32))
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = c.Read(buf)
		require.NoError(t, err)
	}
	for range 3 {
		_, err := extra.Write(makeDatagram(2, 32))
		require.NoError(t, err)
	}
	var k Counters
	waitFor(t, 5*time.Second, func() bool {
		k = p.Counters()
		return k.Forward.Sent+k.Forward.Rejected == 5
	}, "proxy did not relay or reject the extra client's datagrams")
	assert.Equal(t, SessionStats{Active: 2, Opened: 2, Rejected: 3}, k.Sessions)
	assert.Equal(t, uint64(3), k.Forward.Rejected)
	assert.Equal(t, uint64(2), k.Forward.Sent)
	require.NoError(t, extra.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
	_, err := extra.Read(buf)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "a rejected client got a reply")
}

func TestIdleSessionsExpireAndComeBack(t *testing.T) {
	up := newEcho(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, up.LocalAddr().String(), "", "", 1, func(c *Config) { c.IdleTimeout = 40 * time.Millisecond })
	c := dialer(t, p)
	buf := make([]byte, 64)
	roundTrip := func() {
		t.Helper()
		_, err := c.Write(makeDatagram(1, 32))
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err = c.Read(buf)
		require.NoError(t, err)
	}
	roundTrip()
	waitFor(t, 5*time.Second, func() bool { return p.Counters().Sessions.Expired == 1 }, "idle session never expired")
	assert.Equal(t, 0, p.Counters().Sessions.Active)
	roundTrip()
	assert.Equal(t, SessionStats{Active: 1, Opened: 2, Expired: 1}, p.Counters().Sessions)
	// The final counters, read after Close, still add up: the session open at the close
	// stays counted active.
	require.NoError(t, p.Close())
	k := p.Counters().Sessions
	assert.Equal(t, k.Opened, uint64(k.Active)+k.Expired, "after Close: opened = active + expired (%+v)", k)
	assert.Equal(t, uint64(2), k.Opened)
}

// A burst relayed at once (read, released and written in runs of one session) leaves its
// session with nothing counted in flight, so it expires once idle: a run written counts
// each of its datagrams out, as it counted each in.
func TestSessionExpiresAfterABurst(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "duplicate 30%", "", 1, func(c *Config) { c.IdleTimeout = 40 * time.Millisecond })
	c := dialer(t, p)
	const n = 300
	for i := range n {
		_, err := c.Write(makeDatagram(uint64(i), 64))
		require.NoError(t, err)
	}
	waitFor(t, 10*time.Second, func() bool { return p.Counters().Forward.Received == n }, "the proxy never read the burst")
	k := settle(t, p, s, 10*time.Second)
	require.Equal(t, k.Forward.Delivered, uint64(s.count()), "every copy written arrived")
	// A loaded machine may pause the writes above past the idle timeout, and the client
	// then gets a second session: whichever sessions it had must all expire.
	waitFor(t, 10*time.Second, func() bool {
		k := p.Counters().Sessions
		return k.Active == 0 && k.Expired == k.Opened
	}, "a session never expired after its burst (copies still counted in flight)")
}

// A session with packets still queued is not expired under them.
func TestSessionWithQueuedPacketsIsKept(t *testing.T) {
	up := newEcho(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, up.LocalAddr().String(), "delay 200ms", "", 1, func(c *Config) { c.IdleTimeout = 20 * time.Millisecond })
	c := dialer(t, p)
	_, err := c.Write(makeDatagram(1, 32))
	require.NoError(t, err)
	// A patient deadline: a loaded machine may be slow, while a session expired under its
	// queued packet never answers (the reply would go to no session).
	require.NoError(t, c.SetReadDeadline(time.Now().Add(60*time.Second)))
	buf := make([]byte, 64)
	_, err = c.Read(buf)
	require.NoError(t, err, "the reply came back through the session")
	assert.Zero(t, p.Counters().Forward.WriteErrors)
}

func TestCloseReleasesSocketsAndGoroutines(t *testing.T) {
	up := newEcho(t, "udp4", "127.0.0.1:0")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fds := openFDs(t)
	p, err := New(Config{Listen: "127.0.0.1:0", Upstream: up.LocalAddr().String(), Forward: mustParse(t, "delay 1s")})
	require.NoError(t, err)
	defer p.Close() // before goleak looks, also when a check below fails
	for range 20 {
		c, err := net.DialUDP("udp", nil, p.Addr())
		require.NoError(t, err)
		_, err = c.Write([]byte("x"))
		require.NoError(t, err)
		require.NoError(t, c.Close())
	}
	waitFor(t, 5*time.Second, func() bool { return p.Counters().Sessions.Active == 20 }, "sessions not opened")
	addr := p.Addr()
	require.NoError(t, p.Close())
	require.NoError(t, p.Close(), "Close is idempotent")

	assert.Equal(t, uint64(20), p.Counters().Forward.InFlight, "abandoned packets stay counted")
	assert.Equal(t, SessionStats{Active: 20, Opened: 20}, p.Counters().Sessions,
		"the sessions open at the close stay counted: opened = active + expired")
	c, err := net.ListenUDP("udp", addr)
	require.NoError(t, err, "the listen port was not released")
	require.NoError(t, c.Close())
	if fds >= 0 {
		assert.Equal(t, fds, openFDs(t), "descriptors left open")
	}
}

// openFDs counts this process's open descriptors, or -1 where /proc is missing.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// The same seed gives the same fate to the same sequence of datagrams.
func TestSeedReplays(t *testing.T) {
	run := func(seed uint64) map[uint64]bool {
		s := newSink(t, "udp4", "127.0.0.1:0")
		p := startProxy(t, s.addr(), "loss 30%", "", seed)
		sendWindowed(t, p, dialer(t, p), 0, 1000, 32, 32, 64)
		settle(t, p, s, 5*time.Second)
		return uniq(s.arrivals())
	}
	a, b, other := run(7), run(7), run(8)
	assert.Equal(t, a, b, "seed 7 twice")
	assert.NotEqual(t, a, other, "seeds 7 and 8")
}

// The queue's memory is bounded in bytes: past QueueBytes datagrams are dropped before
// the link and counted, and the counts still add up.
func TestQueueBytesBoundsMemory(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	const n = 100
	p := startProxy(t, s.addr(), "delay 1000s limit 100000", "", 1, func(c *Config) { c.QueueBytes = 1000 })
	sendWindowed(t, p, dialer(t, p), 0, n, 100, 64, 0) // 100-byte datagrams take 128-byte buffers
	k := p.Counters().Forward
	assert.Equal(t, uint64(1000/128), k.InFlight, "datagrams queued")
	assert.Equal(t, uint64(n-1000/128), k.ByteLimitDrops)
	assert.LessOrEqual(t, k.QueuedBytes, uint64(1000))
	assert.Equal(t, k.Received, k.Sent+k.Rejected+k.ByteLimitDrops, "received = sent + rejected + byte limit drops")
	assert.Zero(t, k.LimitDrops)
}
