package app

import (
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// The cost of the sender's and receiver's own loops per datagram, over a conn and a
// clock that cost next to nothing (as the simulator's do, relatively): each is measured
// against a bare loop doing the same conn and clock calls in the same run ("raw").

// benchClock is a virtual clock without a monotonic reading, as the simulator's is;
// sleeping advances it at once, as the simulator's does (a transport.ContextSleeper).
type benchClock struct{ pingFakeClock }

func (c *benchClock) SleepContext(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.Sleep(d)
	return nil
}

// benchConn counts writes, and reads out numbered datagrams one interval of clk apart
// until left runs out, then reports itself closed.
type benchConn struct {
	clk      *benchClock
	gap      time.Duration
	left     int
	next     int64
	deadline time.Time
	writes   int
	buf      []byte
}

func (c *benchConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	c.writes++
	return len(p), nil
}

func (c *benchConn) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	if c.left == 0 {
		return 0, netip.AddrPort{}, net.ErrClosed
	}
	t := c.clk.t.Add(c.gap)
	if !t.Before(c.deadline) {
		c.clk.t = c.deadline
		return 0, netip.AddrPort{}, os.ErrDeadlineExceeded
	}
	c.clk.t = t
	c.left--
	c.buf = AppendNumber(c.buf[:0], c.next)
	c.next++
	return copy(p, c.buf), srcA, nil
}

func (c *benchConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, ap, err := c.ReadFromUDPAddrPort(p)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(ap), nil
}

func (c *benchConn) SetReadDeadline(t time.Time) error { c.deadline = t; return nil }
func (c *benchConn) LocalAddr() net.Addr               { return net.UDPAddrFromAddrPort(srcB) }
func (c *benchConn) Close() error                      { return nil }

func BenchmarkSenderLoop(b *testing.B) {
	const gap = 10 * time.Millisecond
	dst := net.UDPAddrFromAddrPort(srcB)
	b.Run("raw", func(b *testing.B) {
		clk := &benchClock{pingFakeClock{t: epoch}}
		c := &benchConn{clk: clk}
		buf := make([]byte, 0, maxNumberLen)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			buf = AppendNumber(buf[:0], int64(i))
			if _, err := c.WriteTo(buf, dst); err != nil {
				b.Fatal(err)
			}
			clk.Sleep(gap)
		}
	})
	b.Run("Sender", func(b *testing.B) {
		clk := &benchClock{pingFakeClock{t: epoch}}
		c := &benchConn{clk: clk}
		s := &Sender{Conn: c, Clock: clk, Dst: dst, Interval: gap, Count: int64(b.N)}
		b.ReportAllocs()
		b.ResetTimer()
		if _, err := s.Run(context.Background()); err != nil || c.writes != b.N {
			b.Fatal(err, c.writes)
		}
	})
}

func BenchmarkReceiverLoop(b *testing.B) {
	const gap = 10 * time.Millisecond
	b.Run("raw", func(b *testing.B) {
		clk := &benchClock{pingFakeClock{t: epoch}}
		c := &benchConn{clk: clk, gap: gap, left: b.N, deadline: epoch.Add(time.Duration(1 << 62))}
		buf := make([]byte, readBufSize)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Receiver", func(b *testing.B) {
		clk := &benchClock{pingFakeClock{t: epoch}}
		c := &benchConn{clk: clk, gap: gap, left: b.N}
		var final Summary
		r := &Receiver{Conn: c, Clock: clk, Interval: time.Second, OnSummary: func(s Summary) { final = s }}
		b.ReportAllocs()
		b.ResetTimer()
		if err := r.Run(context.Background()); err != nil || final.Totals.Unique != int64(b.N) {
			b.Fatal(err, final.Totals)
		}
	})
}
