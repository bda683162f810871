package proxy

import (
	"net"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet/netem"
)

// watchRoute is a route that writes nowhere and records the direction's counters at the
// moment each packet is handed to it: the moment the datagram could first be seen.
type watchRoute struct {
	d    *direction // set once, before the loop starts
	seen chan DirectionStats
}

// oneConn is a distinct batchConn per packet, so the writer never batches two packets
// and every one goes through writeOne. Never called.
type oneConn struct {
	batchConn
	p *netem.Packet[*session]
}

func (r *watchRoute) via(p *netem.Packet[*session]) (batchConn, net.Addr) {
	return oneConn{p: p}, nil
}

func (r *watchRoute) segmentable(*netem.Packet[*session]) bool { return false }

func (r *watchRoute) writeOne(p *netem.Packet[*session]) error {
	r.seen <- r.d.stats()
	return nil
}

// Whoever sees a datagram arrive (or sees the reply to it) must find it counted: the
// counters account for a write no later than the write itself.
func TestDeliveredIsCountedWhenTheDatagramCanBeSeen(t *testing.T) {
	clk := clock.New()
	start := clk.Now()
	done := make(chan struct{})
	out := &watchRoute{seen: make(chan DirectionStats, 1)}
	now := func() time.Duration { return clk.Since(start) }
	d := newDirection(Forward, netem.Profile{}, 1, netem.CorrelationStated, DefaultQueueBytes, now,
		newClockWaiter(clk, now), newBufPool(), done, out)
	out.d = d
	stopped := make(chan struct{})
	go func() { defer close(stopped); d.loop(d.w) }()
	t.Cleanup(func() { close(done); d.w.kick(); <-stopped })

	s := &session{}
	const n = 20
	for i := range n {
		d.enqueue([]inbound{{s: s, data: make([]byte, 10), overhead: 28}}, 0, nil)
		var at DirectionStats
		select {
		case at = <-out.seen:
		case <-time.After(5 * time.Second):
			require.FailNow(t, "timed out", "packet %d was never written", i)
		}
		require.Equal(t, uint64(i+1), at.Delivered, "packet %d is on its way out but not counted delivered", i)
		require.Zero(t, at.InFlight, "packet %d is being written yet counted in flight", i)
		require.Equal(t, uint64(10*(i+1)), at.BytesOut, "bytes of packet %d", i)
	}
	waitFor(t, 5*time.Second, func() bool { return s.inflight.Load() == 0 }, "the session still holds packets")
}

// sessionOf returns c's session, or nil if it has none.
func sessionOf(p *Proxy, c *net.UDPConn) *session {
	port := c.LocalAddr().(*net.UDPAddr).Port
	p.sessMu.Lock()
	defer p.sessMu.Unlock()
	for k, s := range p.sessions {
		if int(k.Port()) == port {
			return s
		}
	}
	return nil
}

// sweepNow returns once the proxy has swept its sessions at the clock's current time, as
// long as the mock clock moved by at least the sweep period since the last sweep: the
// listen reader sweeps, when one is due, before it counts the next datagram it reads (a
// new client's, which opens one more session). It waits for that datagram's fate
// (given to the link or rejected), which comes after its session was opened.
func sweepNow(t *testing.T, p *Proxy) {
	t.Helper()
	relayed := func() uint64 { c := p.Counters().Forward; return c.Sent + c.Rejected }
	before := relayed()
	_, err := dialer(t, p).Write(makeDatagram(99, 32))
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return relayed() > before }, "the proxy relayed nothing")
}

// A packet delayed past IdleTimeout keeps its session: the session is kept while the
// packet waits in the link, and writing it counts as activity, so the upstream's answer,
// which can only come after the write, finds the session still open. Driven by a mock
// clock, so every step happens at a known time.
func TestDelayedPacketKeepsItsSessionForTheReply(t *testing.T) {
	const idle = 40 * time.Millisecond // the sweep period is then 10ms: every step below is longer
	mock := clock.NewMock()
	up, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { up.Close() })
	p := startProxy(t, up.LocalAddr().String(), "delay 1s", "", 1, func(c *Config) {
		c.Clock, c.IdleTimeout = mock, idle
	})
	client := dialer(t, p)
	_, err = client.Write(makeDatagram(1, 32))
	require.NoError(t, err)
	waitFor(t, 5*time.Second, func() bool { return p.Counters().Forward.Sent == 1 }, "the request never reached the link")
	s := sessionOf(p, client)
	require.NotNil(t, s)

	// 0.5s: idle for far longer than IdleTimeout, but its packet is queued.
	mock.Add(500 * time.Millisecond)
	sweepNow(t, p)
	require.Zero(t, p.Counters().Sessions.Expired, "a session was expired with its packet queued")

	// 1s: due. The upstream gets the request and holds its answer.
	mock.Add(500 * time.Millisecond)
	var from *net.UDPAddr
	buf := make([]byte, 64)
	require.NoError(t, up.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, from, err = up.ReadFromUDP(buf)
	require.NoError(t, err, "the delayed request never reached the upstream")
	waitFor(t, 5*time.Second, func() bool { return s.inflight.Load() == 0 }, "the loop never finished the write")

	// 1.02s: 20ms after the write, within IdleTimeout of it, so the session stays.
	mock.Add(idle / 2)
	sweepNow(t, p)
	require.Zero(t, p.Counters().Sessions.Expired, "the session was expired just after its packet left")
	require.Same(t, s, sessionOf(p, client))

	_, err = up.WriteToUDP([]byte("reply"), from)
	require.NoError(t, err)
	require.NoError(t, client.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, err := client.Read(buf)
	require.NoError(t, err, "the reply was lost")
	assert.Equal(t, "reply", string(buf[:n]))
	waitFor(t, 5*time.Second, func() bool { return s.inflight.Load() == 0 }, "the reply was never released")

	// 1.12s: now idle for longer than IdleTimeout since the reply went out, it expires;
	// the two other clients' sessions still have their packets queued and stay.
	mock.Add(100 * time.Millisecond)
	sweepNow(t, p)
	k := p.Counters()
	assert.Equal(t, SessionStats{Active: 3, Opened: 4, Expired: 1}, k.Sessions)
	assert.Nil(t, sessionOf(p, client), "the idle session was kept")
	assert.Equal(t, uint64(1), k.Reverse.Delivered)
}

// stuckWaiter is a loop's waiter whose thread the machine has stopped: sleep returns
// only once released.
type stuckWaiter struct{ release chan struct{} }

func (w *stuckWaiter) sleep(time.Duration) { <-w.release }
func (w *stuckWaiter) kick()               {}
func (w *stuckWaiter) close()              {}

// A direction's backup loop writes the packets when its main loop is stopped (a virtual
// CPU descheduled by its host): every packet still leaves, in order, counted. Without the
// backup nothing would be written until the main loop ran again.
func TestBackupLoopStandsIn(t *testing.T) {
	clk := clock.New()
	start := clk.Now()
	done := make(chan struct{})
	out := &watchRoute{seen: make(chan DirectionStats, 1)}
	now := func() time.Duration { return clk.Since(start) }
	prof, err := netem.Parse("delay 2ms")
	require.NoError(t, err)
	stuck := &stuckWaiter{release: make(chan struct{})}
	d := newDirection(Forward, prof, 1, netem.CorrelationStated, DefaultQueueBytes, now, stuck, newBufPool(), done, out)
	d.backup = newClockWaiter(clk, now)
	out.d = d
	stopped := make(chan struct{}, 2)
	go func() { d.loop(d.w); stopped <- struct{}{} }()
	go func() { d.loop(d.backup); stopped <- struct{}{} }()
	t.Cleanup(func() { close(done); close(stuck.release); d.backup.kick(); <-stopped; <-stopped })

	s := &session{}
	const n = 20
	for i := range n {
		d.enqueue([]inbound{{s: s, data: make([]byte, 10), overhead: 28}}, 0, nil)
		select {
		case at := <-out.seen:
			require.Equal(t, uint64(i+1), at.Delivered, "packet %d", i)
		case <-time.After(5 * time.Second):
			require.FailNow(t, "timed out", "packet %d was never written: the backup did not stand in", i)
		}
	}
}
