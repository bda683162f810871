package transporttest_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/transport"
	"github.com/dist-example/dist-example/transport/transporttest"
)

// udpHarness runs the suite over loopback UDP, optionally through a mutant that breaks
// one rule of transport.PacketConn.
type udpHarness struct {
	transporttest.Goroutines
	mutant string
}

func (h *udpHarness) Clock() transport.Clock { return clock.New() }

func (h *udpHarness) Pair(t *testing.T) (a, b transport.PacketConn) {
	t.Helper()
	return h.listen(t), h.listen(t)
}

func (h *udpHarness) listen(t *testing.T) transport.PacketConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	// A 400-datagram burst must not overflow the default receive buffer on a slow run.
	require.NoError(t, c.SetReadBuffer(1<<20))
	if h.mutant == "" {
		return c
	}
	return &mutantConn{UDPConn: c, mutant: h.mutant, clock: h.Clock()}
}

// TestSuiteOnUDP is the control for TestSuiteCatchesMutants: unmutated UDP passes.
func TestSuiteOnUDP(t *testing.T) {
	transporttest.Run(t, func(*testing.T) transporttest.Harness { return &udpHarness{} })
}

const mutantEnv = "TRANSPORTTEST_MUTANT"

// TestMutant runs the suite on a mutant named by $TRANSPORTTEST_MUTANT. It exists to be
// run as a subprocess by TestSuiteCatchesMutants, where it is expected to fail.
func TestMutant(t *testing.T) {
	m := os.Getenv(mutantEnv)
	if m == "" {
		t.Skip("run only as a subprocess of TestSuiteCatchesMutants")
	}
	transporttest.Run(t, func(*testing.T) transporttest.Harness { return &udpHarness{mutant: m} })
}

// TestSuiteCatchesMutants shows the suite can fail: each mutant breaks one rule, and the
// subtest for that rule must fail on it. Subprocesses, because a failing suite would fail
// this test's own *testing.T.
func TestSuiteCatchesMutants(t *testing.T) {
	if os.Getenv(mutantEnv) != "" {
		t.Skip("already in a mutant subprocess")
	}
	for _, tc := range []struct{ mutant, subtest, why string }{
		{"wrong-source", "ping-pong", "ReadFrom reports the reader's own address as the source"},
		{"stream-reads", "truncation", "the rest of a truncated datagram is kept for the next read"},
		{"coalesce", "message-boundaries", "a read returns two datagrams when both fit"},
		{"drop-empty", "zero-length", "zero-length datagrams are not sent"},
		{"plain-timeout", "read-deadline", "deadline errors do not wrap os.ErrDeadlineExceeded"},
		{"plain-closed", "use-after-close", "errors after Close do not wrap net.ErrClosed"},
		{"plain-closed", "close-unblocks-read", "errors after Close do not wrap net.ErrClosed"},
		{"early-deadline", "read-deadline", "reads time out halfway to the deadline"},
		{"ignore-past-deadline", "deadline-already-past", "a deadline in the past is ignored"},
		{"ignore-zero-deadline", "clear-deadline", "the zero time does not clear the deadline"},
		{"duplicate", "concurrent-writes", "every datagram is sent twice"},
		{"lossy", "concurrent-writes", "one datagram in 97 is lost"},
		{"ignore-write-deadline", "write-deadline", "SetWriteDeadline does nothing and SetDeadline sets only the read deadline"},
		{"stuck-deadline", "deadline-moved-while-blocked", "a blocked read keeps the deadline it started with"},
		{"late-deadline", "read-deadline", "a read returns a second after its deadline"},
		{"small-max", "max-datagram", "datagrams over 1472 bytes are refused"},
		{"wrong-addr-type", "addr-type", "ReadFrom's source is not a *net.UDPAddr"},
	} {
		t.Run(tc.mutant+"/"+tc.subtest, func(t *testing.T) {
			t.Parallel() // some mutants fail only when a backstop deadline expires
			cmd := exec.Command(os.Args[0], "-test.run=^TestMutant$/^"+tc.subtest+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), mutantEnv+"="+tc.mutant)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit),
				"suite passed a conn where %s; err %v, output:\n%s", tc.why, err, out)
			assert.Contains(t, string(out), "--- FAIL: TestMutant/"+tc.subtest,
				"subtest %s did not fail; output:\n%s", tc.subtest, out)
		})
	}
}

// mutantConn is a UDP conn with one rule of transport.PacketConn broken.
type mutantConn struct {
	*net.UDPConn
	mutant string
	clock  transport.Clock // read-only

	mu       sync.Mutex
	pending  []byte // stream-reads: bytes left from a truncated datagram; requires mu
	from     net.Addr
	writes   int       // lossy: requires mu
	deadline time.Time // coalesce: the caller's read deadline; requires mu
}

func (c *mutantConn) ReadFrom(p []byte) (int, net.Addr, error) {
	switch c.mutant {
	case "stuck-deadline":
		c.mu.Lock()
		_ = c.UDPConn.SetReadDeadline(c.deadline)
		c.mu.Unlock()
	case "late-deadline":
		n, from, err := c.UDPConn.ReadFrom(p)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.clock.Sleep(time.Second)
		}
		return n, from, err
	case "wrong-addr-type":
		n, from, err := c.UDPConn.ReadFrom(p)
		if from != nil {
			from = otherAddr{from.String()}
		}
		return n, from, err
	case "wrong-source":
		n, _, err := c.UDPConn.ReadFrom(p)
		return n, c.LocalAddr(), err
	case "stream-reads":
		c.mu.Lock()
		if len(c.pending) > 0 {
			n := copy(p, c.pending)
			c.pending = c.pending[n:]
			from := c.from
			c.mu.Unlock()
			return n, from, nil
		}
		c.mu.Unlock()
		buf := make([]byte, 64<<10)
		n, from, err := c.UDPConn.ReadFrom(buf)
		m := copy(p, buf[:n])
		c.mu.Lock()
		c.pending, c.from = buf[m:n], from
		c.mu.Unlock()
		return m, from, err
	case "coalesce":
		n, from, err := c.UDPConn.ReadFrom(p)
		if err != nil || n == len(p) {
			return n, from, err
		}
		// Append whatever else arrives within a millisecond, like a stream would.
		c.mu.Lock()
		deadline := c.deadline
		c.mu.Unlock()
		_ = c.UDPConn.SetReadDeadline(c.clock.Now().Add(time.Millisecond))
		m, _, err2 := c.UDPConn.ReadFrom(p[n:])
		_ = c.UDPConn.SetReadDeadline(deadline)
		if err2 == nil {
			n += m
		}
		return n, from, nil
	case "plain-timeout":
		n, from, err := c.UDPConn.ReadFrom(p)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = errors.New("read timed out")
		}
		return n, from, err
	case "plain-closed":
		n, from, err := c.UDPConn.ReadFrom(p)
		if errors.Is(err, net.ErrClosed) {
			err = errors.New("conn is closed")
		}
		return n, from, err
	}
	return c.UDPConn.ReadFrom(p)
}

func (c *mutantConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	switch c.mutant {
	case "small-max":
		if len(p) > 1472 {
			return 0, errors.New("message too long")
		}
	case "drop-empty":
		if len(p) == 0 {
			return 0, nil
		}
	case "duplicate":
		if _, err := c.UDPConn.WriteTo(p, addr); err != nil {
			return 0, err
		}
	case "plain-closed":
		n, err := c.UDPConn.WriteTo(p, addr)
		if errors.Is(err, net.ErrClosed) {
			err = fmt.Errorf("write: conn is closed")
		}
		return n, err
	case "lossy":
		c.mu.Lock()
		c.writes++
		drop := c.writes%97 == 0
		c.mu.Unlock()
		if drop {
			return len(p), nil
		}
	}
	return c.UDPConn.WriteTo(p, addr)
}

func (c *mutantConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	now := c.clock.Now()
	switch {
	case c.mutant == "early-deadline" && t.After(now):
		t = now.Add(t.Sub(now) / 2)
	case c.mutant == "ignore-past-deadline" && !t.IsZero() && t.Before(now):
		return nil
	case c.mutant == "ignore-zero-deadline" && t.IsZero():
		return nil
	case c.mutant == "stuck-deadline":
		return nil // applied only when the next ReadFrom starts
	}
	return c.UDPConn.SetReadDeadline(t)
}

func (c *mutantConn) SetWriteDeadline(t time.Time) error {
	if c.mutant == "ignore-write-deadline" {
		return nil
	}
	return c.UDPConn.SetWriteDeadline(t)
}

func (c *mutantConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// otherAddr is a net.Addr that prints like a *net.UDPAddr but is not one.
type otherAddr struct{ s string }

func (a otherAddr) Network() string { return "udp" }
func (a otherAddr) String() string  { return a.s }

var _ transport.PacketConn = (*mutantConn)(nil)
