package app

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"
)

// Throughput over the kernel's loopback UDP, one datagram per syscall. The host is
// usually shared, so compare sub-benchmarks of one run (go test -bench Loopback -count 5)
// rather than figures from different runs: "raw-WriteTo" is the minimal Go loop, the
// ceiling Sender is measured against.

// udpSink is a loopback socket that nobody reads: the kernel drops what overflows its
// buffer, so a sender writing to it is never slowed by a receiver.
func udpSink(b *testing.B) (*net.UDPConn, *net.UDPConn) {
	b.Helper()
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sink.Close() })
	tx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(b, err)
	b.Cleanup(func() { _ = tx.Close() })
	return sink, tx
}

func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "datagrams/s")
}

func BenchmarkLoopbackSend(b *testing.B) {
	b.Run("raw-WriteTo", func(b *testing.B) {
		sink, tx := udpSink(b)
		dst := sink.LocalAddr()
		p := AppendNumber(nil, 123456)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tx.WriteTo(p, dst); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, b.N)
	})
	b.Run("Sender", func(b *testing.B) {
		sink, tx := udpSink(b)
		s := &Sender{Conn: tx, Clock: clock.New(), Dst: sink.LocalAddr(), Count: int64(b.N), Start: 123456}
		b.ReportAllocs()
		b.ResetTimer()
		sent, err := s.Run(context.Background())
		require.NoError(b, err)
		require.Equal(b, int64(b.N), sent)
		reportRate(b, b.N)
	})
}

// BenchmarkLoopbackReceive measures how fast Receiver drains datagrams already queued in
// its socket: its read capacity apart from any sender. Each round queues a batch with the
// timer stopped, then runs the receiver until it has read the batch (drainConn ends the
// run there). The batch must fit the receive buffer: 4 MiB asked, about 768 bytes of
// buffer per small datagram.
func BenchmarkLoopbackReceive(b *testing.B) {
	const batch = 5000
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		sink, tx := udpSink(b)
		require.NoError(b, sink.SetReadBuffer(4<<20))
		for i := range batch {
			buf = AppendNumber(buf[:0], int64(i))
			_, err := tx.WriteTo(buf, sink.LocalAddr())
			require.NoError(b, err)
		}
		c := &drainConn{UDPConn: sink, left: batch}
		r := &Receiver{Conn: c, Clock: clock.New(), Interval: time.Hour}
		b.StartTimer()
		require.NoError(b, r.Run(context.Background()))
		b.StopTimer()
		tot := r.Totals()
		require.Equal(b, Counts{Received: batch, Expected: batch, Unique: batch, Max: batch - 1}, tot)
		b.StartTimer()
	}
	reportRate(b, b.N*batch)
}

// drainConn ends a Receiver's run (with net.ErrClosed) once left datagrams are read. Its
// own read deadline replaces the receiver's, so a batch the kernel dropped part of fails
// the benchmark instead of hanging it. It keeps the receiver's allocation-free read path.
type drainConn struct {
	*net.UDPConn
	left int
}

var errDrainTimeout = errors.New("queued datagrams missing: the receive buffer was too small for the batch")

func (c *drainConn) SetReadDeadline(time.Time) error {
	return c.UDPConn.SetReadDeadline(time.Now().Add(5 * time.Second))
}

func (c *drainConn) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	if c.left == 0 {
		return 0, netip.AddrPort{}, net.ErrClosed
	}
	c.left--
	n, from, err := c.UDPConn.ReadFromUDPAddrPort(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, from, errDrainTimeout
	}
	return n, from, err
}
