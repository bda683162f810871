package transporttest

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dist-example/dist-example/transport"
)

// Harness is one network under test. A fresh Harness is made for every subtest.
//
// The network must be clean between the two conns of a Pair: no loss, no duplication and
// datagrams from one sender arrive in the order sent. Loopback UDP is clean at the small
// volumes the suite sends (tens of datagrams at a time, 400 at most, each under 1300
// bytes), given a receive buffer of a few hundred kilobytes.
//
// The harness owns the conns it hands out and should close them in a t.Cleanup; the
// suite closes some of them itself, so a second Close must not break the cleanup.
type Harness interface {
	// Pair returns two conns on this network that can reach each other:
	// a datagram b.WriteTo(x, a.LocalAddr()) arrives at a, and vice versa.
	// Their LocalAddr().String() must be distinct and of the form "host:port".
	Pair(t *testing.T) (a, b transport.PacketConn)
	// Clock is the clock deadlines are measured on (real for realnet, virtual for simnet).
	Clock() transport.Clock
	// Go runs fn concurrently: a goroutine on real networks, a simulated goroutine on simnet.
	Go(fn func())
	// Wait returns when every fn started with Go has returned (simnet runs its network
	// until idle).
	Wait(t *testing.T)
}

// Run runs the conformance suite, one named subtest per property, each on a fresh
// Harness from newHarness.
//
// Every conn call the suite makes happens inside a function passed to h.Go, and those
// functions wait only by sleeping on h.Clock() or blocking in ReadFrom: never on channels,
// WaitGroups or real sleeps, which a simulator that runs one simulated goroutine at a time
// cannot see. Results are recorded in variables and asserted after h.Wait.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	RunIn(t, nil, newHarness)
}

// RunIn is Run with each subtest's body, the harness's creation included, run by wrap:
// synctest.Test for a network that lives in a testing/synctest bubble. A nil wrap calls
// the body directly.
func RunIn(t *testing.T, wrap func(t *testing.T, body func(t *testing.T)), newHarness func(t *testing.T) Harness) {
	t.Helper()
	if wrap == nil {
		wrap = func(t *testing.T, body func(t *testing.T)) { body(t) }
	}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"ping-pong", testPingPong},
		{"message-boundaries", testMessageBoundaries},
		{"truncation", testTruncation},
		{"zero-length", testZeroLength},
		{"local-addr", testLocalAddr},
		{"read-deadline", testReadDeadline},
		{"deadline-already-past", testDeadlinePast},
		{"clear-deadline", testClearDeadline},
		{"read-after-timeout", testReadAfterTimeout},
		{"close-unblocks-read", testCloseUnblocksRead},
		{"use-after-close", testUseAfterClose},
		{"concurrent-writes", testConcurrentWrites},
		{"write-deadline", testWriteDeadline},
		{"deadline-moved-while-blocked", testDeadlineMovedWhileBlocked},
		{"max-datagram", testMaxDatagram},
		{"addr-type", testAddrType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wrap(t, func(t *testing.T) { tc.fn(t, newHarness(t)) })
		})
	}
}

// Goroutines implements Harness.Go and Harness.Wait with real goroutines, for harnesses
// over real networks. Embed it; the zero value is ready to use.
type Goroutines struct {
	wg sync.WaitGroup
}

// Go runs fn on a new goroutine.
func (g *Goroutines) Go(fn func()) { g.wg.Go(fn) }

// Wait returns when every fn started with Go has returned.
func (g *Goroutines) Wait(t *testing.T) {
	t.Helper()
	g.wg.Wait()
}

// backstop bounds every read the suite expects to succeed, on the harness clock, so a
// network that loses a datagram fails the test instead of hanging it. It is generous
// because on a real network it is wall time under a loaded, race-instrumented test run.
const backstop = 5 * time.Second

// bufSize is larger than any datagram the suite sends, so reads that should not truncate
// cannot.
const bufSize = 2048

// received is what one ReadFrom returned.
type received struct {
	data []byte
	from string
	err  error
}

// readOne reads one datagram with a fresh backstop deadline.
func readOne(h Harness, c transport.PacketConn, size int) received {
	if err := c.SetReadDeadline(h.Clock().Now().Add(backstop)); err != nil {
		return received{err: err}
	}
	buf := make([]byte, size)
	n, addr, err := c.ReadFrom(buf)
	r := received{data: buf[:n], err: err}
	if addr != nil {
		r.from = addr.String()
	}
	return r
}

// watchdog is Go'd next to a test whose subject is a read that should unblock (a deadline,
// a Close). It polls done on the harness clock and, if done is still unset after limit,
// closes c and sets fired, so a conn that never unblocks fails the test instead of hanging
// it. Polling keeps a conforming run as short as the behaviour under test.
func watchdog(h Harness, c transport.PacketConn, done, fired *atomic.Bool) func() {
	const (
		limit = 2 * time.Second
		step  = 10 * time.Millisecond
	)
	return func() {
		for waited := time.Duration(0); waited < limit; waited += step {
			if done.Load() {
				return
			}
			h.Clock().Sleep(step)
		}
		if !done.Load() {
			fired.Store(true)
			_ = c.Close()
		}
	}
}

// isTimeout reports whether err is a net.Error with Timeout() true, as net's deadline
// errors are.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
