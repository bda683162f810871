package app

import (
	"errors"
	"net"
	"os"
	"sort"
	"time"

	"github.com/dist-example/dist-example/transport"
)

// pingFakeClock is a manual clock: only the fake network and Sleep move it.
type pingFakeClock struct{ t time.Time }

func (c *pingFakeClock) Now() time.Time { return c.t }

func (c *pingFakeClock) Sleep(d time.Duration) {
	if d > 0 {
		c.t = c.t.Add(d)
	}
}

var _ transport.Clock = (*pingFakeClock)(nil)

// pingFakeReply is one datagram the fake network delivers back to the pinger.
type pingFakeReply struct {
	delay time.Duration // after the probe's WriteTo
	data  []byte        // nil means an exact copy of the probe
	from  net.Addr      // nil means the probe's destination
}

type pingFakeDatagram struct {
	at    time.Time
	order int // FIFO among equal times
	data  []byte
	from  net.Addr
}

// pingFakeConn is the pinger's end of a one-goroutine fake network. WriteTo asks reflect
// which replies a probe produces and queues them; ReadFrom moves the clock to the next
// reply or to the read deadline, whichever comes first. So a whole run happens inside
// the pinger's own calls, deterministically, with no goroutines or sleeps.
type pingFakeConn struct {
	clock   *pingFakeClock
	local   net.Addr
	reflect func(probe []byte, to net.Addr) []pingFakeReply

	queue    []pingFakeDatagram
	order    int
	deadline time.Time
	closed   bool
	writes   int
}

var _ transport.PacketConn = (*pingFakeConn)(nil)

var (
	pingTestDest  = &net.UDPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 2346}
	pingTestLocal = &net.UDPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 40000}
	pingTestOther = &net.UDPAddr{IP: net.IPv4(192, 0, 2, 9), Port: 2346}
)

func newPingFakeConn(reflect func(probe []byte, to net.Addr) []pingFakeReply) *pingFakeConn {
	return &pingFakeConn{
		clock:   &pingFakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		local:   pingTestLocal,
		reflect: reflect,
	}
}

func (c *pingFakeConn) closedErr(op string) error {
	return &net.OpError{Op: op, Net: "udp", Addr: c.local, Err: net.ErrClosed}
}

func (c *pingFakeConn) WriteTo(p []byte, to net.Addr) (int, error) {
	if c.closed {
		return 0, c.closedErr("write")
	}
	c.writes++
	for _, r := range c.reflect(append([]byte(nil), p...), to) {
		d := pingFakeDatagram{at: c.clock.t.Add(r.delay), order: c.order, data: r.data, from: r.from}
		c.order++
		if d.data == nil {
			d.data = append([]byte(nil), p...)
		}
		if d.from == nil {
			d.from = to
		}
		c.queue = append(c.queue, d)
	}
	sort.SliceStable(c.queue, func(i, j int) bool {
		if !c.queue[i].at.Equal(c.queue[j].at) {
			return c.queue[i].at.Before(c.queue[j].at)
		}
		return c.queue[i].order < c.queue[j].order
	})
	return len(p), nil
}

func (c *pingFakeConn) ReadFrom(p []byte) (int, net.Addr, error) {
	if c.closed {
		return 0, nil, c.closedErr("read")
	}
	if len(c.queue) > 0 && (c.deadline.IsZero() || !c.queue[0].at.After(c.deadline)) {
		d := c.queue[0]
		c.queue = c.queue[1:]
		if d.at.After(c.clock.t) {
			c.clock.t = d.at
		}
		return copy(p, d.data), d.from, nil
	}
	if c.deadline.IsZero() {
		return 0, nil, errors.New("pingFakeConn: ReadFrom would block forever (no deadline, nothing queued)")
	}
	if c.deadline.After(c.clock.t) {
		c.clock.t = c.deadline
	}
	return 0, nil, &net.OpError{Op: "read", Net: "udp", Addr: c.local, Err: os.ErrDeadlineExceeded}
}

func (c *pingFakeConn) SetReadDeadline(t time.Time) error {
	if c.closed {
		return c.closedErr("set")
	}
	c.deadline = t
	return nil
}

func (c *pingFakeConn) LocalAddr() net.Addr { return c.local }

func (c *pingFakeConn) Close() error {
	c.closed = true
	return nil
}

// pingTestSeq decodes a probe's sequence number for reflect functions.
func pingTestSeq(probe []byte) uint64 {
	pr, err := ParsePingProbe(probe)
	if err != nil {
		panic(err) // the pinger wrote it: a bug in the codec
	}
	return pr.Seq
}
