package app

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/dist-example/dist-example/transport"
)

// stepClock is a manual clock: Sleep advances it at once, so loops run on virtual time.
type stepClock struct {
	now    time.Time
	sleeps []time.Duration
	onWake func() // called after each Sleep, e.g. to cancel a context
}

var _ transport.Clock = (*stepClock)(nil)

var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func (c *stepClock) Now() time.Time { return c.now }

func (c *stepClock) Sleep(d time.Duration) {
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	if c.onWake != nil {
		c.onWake()
	}
}

// scriptDatagram arrives at epoch+at.
type scriptDatagram struct {
	at      time.Duration
	from    net.Addr
	payload string
}

type sentDatagram struct {
	at      time.Duration
	to      net.Addr
	payload string
}

// scriptConn delivers scripted datagrams on the stepClock's time, honours the read
// deadline by jumping the clock to it, and closes itself at closeAt (a stand-in for the
// CLI closing it on SIGINT). Reads and writes happen on the caller's goroutine.
type scriptConn struct {
	clk       *stepClock
	in        []scriptDatagram
	closeAt   time.Duration // 0: never
	readErr   error         // returned once the script is exhausted, if set
	deadline  time.Time
	deadlines []time.Duration
	sent      []sentDatagram
	writeCost func(i int) time.Duration // clock advance of the i-th write
	writeErr  func(i int) error
	closed    bool
}

var _ transport.PacketConn = (*scriptConn)(nil)

func (c *scriptConn) since() time.Duration { return c.clk.now.Sub(epoch) }

func (c *scriptConn) ReadFrom(p []byte) (int, net.Addr, error) {
	if c.closed {
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}
	}
	if len(c.in) > 0 && (c.deadline.IsZero() || epoch.Add(c.in[0].at).Before(c.deadline)) &&
		(c.closeAt == 0 || c.in[0].at <= c.closeAt) {
		d := c.in[0]
		c.in = c.in[1:]
		if t := epoch.Add(d.at); t.After(c.clk.now) {
			c.clk.now = t
		}
		return copy(p, d.payload), d.from, nil
	}
	if len(c.in) == 0 && c.readErr != nil {
		return 0, nil, c.readErr
	}
	if !c.deadline.IsZero() && (c.closeAt == 0 || !c.deadline.After(epoch.Add(c.closeAt))) {
		if c.deadline.After(c.clk.now) {
			c.clk.now = c.deadline
		}
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: os.ErrDeadlineExceeded}
	}
	if c.closeAt == 0 {
		panic("scriptConn: read would block forever (no deadline, no closeAt)")
	}
	c.clk.now = epoch.Add(c.closeAt)
	c.closed = true
	return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}
}

func (c *scriptConn) WriteTo(p []byte, to net.Addr) (int, error) {
	if c.closed {
		return 0, &net.OpError{Op: "write", Net: "udp", Err: net.ErrClosed}
	}
	i := len(c.sent)
	if c.writeErr != nil {
		if err := c.writeErr(i); err != nil {
			return 0, err
		}
	}
	c.sent = append(c.sent, sentDatagram{at: c.since(), to: to, payload: string(p)})
	if c.writeCost != nil {
		c.clk.now = c.clk.now.Add(c.writeCost(i))
	}
	return len(p), nil
}

func (c *scriptConn) SetReadDeadline(t time.Time) error {
	c.deadline = t
	c.deadlines = append(c.deadlines, t.Sub(epoch))
	return nil
}

func (c *scriptConn) LocalAddr() net.Addr {
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2345}
}

func (c *scriptConn) Close() error {
	if c.closed {
		return errors.New("scriptConn: closed twice")
	}
	c.closed = true
	return nil
}

func udpAddr(s string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		panic(fmt.Sprint("bad test address ", s, ": ", err))
	}
	return a
}
