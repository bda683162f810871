package transporttest

import (
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/transport"
)

// The checks in this file go beyond transport.PacketConn to what libraries written
// against net.PacketConn and *net.UDPConn rely on (miekg/dns, quic-go): both deadlines,
// a deadline moved while a read is blocked, the largest datagram, *net.UDPAddr
// addresses, deadlines kept on time. A conn that lacks SetDeadline and SetWriteDeadline
// fails them.

// deadliner is the rest of net.PacketConn's deadline methods.
type deadliner interface {
	SetDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

func requireDeadliner(t *testing.T, c transport.PacketConn) deadliner {
	t.Helper()
	d, ok := c.(deadliner)
	require.True(t, ok, "%T has no SetDeadline and SetWriteDeadline (net.PacketConn has them)", c)
	return d
}

// maxLateness bounds how long after its deadline a read may return, or after its
// deadline was moved into the past. It is generous for real clocks on a loaded,
// race-instrumented run; a simulator's is zero.
const maxLateness = 500 * time.Millisecond

// testWriteDeadline: a passed write deadline makes WriteTo fail with a timeout, the zero
// time clears it; SetDeadline sets both deadlines and its zero time clears both.
func testWriteDeadline(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	da := requireDeadliner(t, a)
	var pastErr, clearErr, bothSetErr, bothClearErr error
	var afterClear, sent received
	var bothWrite, bothRead error
	h.Go(func() {
		past := h.Clock().Now().Add(-time.Second)
		if pastErr = da.SetWriteDeadline(past); pastErr != nil {
			return
		}
		_, pastErr = a.WriteTo([]byte("late"), b.LocalAddr())
		if clearErr = da.SetWriteDeadline(time.Time{}); clearErr != nil {
			return
		}
		if _, afterClear.err = a.WriteTo([]byte("ok"), b.LocalAddr()); afterClear.err != nil {
			return
		}
		sent = readOne(h, b, bufSize)
		if bothSetErr = da.SetDeadline(past); bothSetErr != nil {
			return
		}
		_, bothWrite = a.WriteTo([]byte("late"), b.LocalAddr())
		_, _, bothRead = a.ReadFrom(make([]byte, bufSize))
		bothClearErr = da.SetDeadline(time.Time{})
	})
	h.Wait(t)

	require.Error(t, pastErr, "WriteTo past the write deadline must fail")
	assert.ErrorIs(t, pastErr, os.ErrDeadlineExceeded, "write deadline error")
	assert.True(t, isTimeout(pastErr), "write deadline error %v must be a net.Error with Timeout() true", pastErr)
	require.NoError(t, clearErr, "SetWriteDeadline(time.Time{})")
	require.NoError(t, afterClear.err, "WriteTo after the write deadline was cleared")
	require.NoError(t, sent.err, "ReadFrom of the datagram sent after clearing")
	assert.Equal(t, "ok", string(sent.data), "only the datagram sent after clearing arrives")
	require.NoError(t, bothSetErr, "SetDeadline(past)")
	assert.ErrorIs(t, bothWrite, os.ErrDeadlineExceeded, "WriteTo after SetDeadline(past)")
	assertDeadlineErr(t, bothRead)
	require.NoError(t, bothClearErr, "SetDeadline(time.Time{})")
}

// testDeadlineMovedWhileBlocked: a read blocked with a far deadline returns with a
// timeout as soon as another function moves its deadline into the past (miekg/dns's
// Shutdown and quic-go rely on this), not when the old deadline comes.
func testDeadlineMovedWhileBlocked(t *testing.T, h Harness) {
	a, _ := h.Pair(t)
	var done, fired atomic.Bool
	var setErr, moveErr, readErr error
	var moved, returned time.Time
	h.Go(func() {
		defer done.Store(true)
		if setErr = a.SetReadDeadline(h.Clock().Now().Add(time.Hour)); setErr != nil {
			return
		}
		_, _, readErr = a.ReadFrom(make([]byte, bufSize))
		returned = h.Clock().Now()
	})
	h.Go(func() {
		h.Clock().Sleep(20 * time.Millisecond)
		moved = h.Clock().Now()
		moveErr = a.SetReadDeadline(moved.Add(-time.Second))
	})
	h.Go(watchdog(h, a, &done, &fired))
	h.Wait(t)

	require.NoError(t, setErr, "SetReadDeadline(an hour ahead)")
	require.NoError(t, moveErr, "SetReadDeadline(past) while a read is blocked")
	require.False(t, fired.Load(), "the blocked read did not see its deadline moved into the past (the watchdog closed the conn)")
	assertDeadlineErr(t, readErr)
	assert.LessOrEqual(t, returned.Sub(moved), maxLateness, "the read returned this long after its deadline was moved")
}

// maxUDP is the largest UDP payload for the family of addr: 65,507 bytes over IPv4,
// 65,527 over IPv6.
func maxUDP(addr net.Addr) int {
	if u, ok := addr.(*net.UDPAddr); ok && u.IP.To4() == nil {
		return 65535 - 8
	}
	return 65535 - 20 - 8
}

// testMaxDatagram: the largest UDP payload arrives whole; one byte more is refused.
func testMaxDatagram(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	size := maxUDP(a.LocalAddr())
	big := make([]byte, size+1)
	for i := range big {
		big[i] = byte(i)
	}
	var writeErr, tooBigErr error
	var wrote, tooBigN int
	var got received
	h.Go(func() {
		if wrote, writeErr = b.WriteTo(big[:size], a.LocalAddr()); writeErr != nil {
			return
		}
		tooBigN, tooBigErr = b.WriteTo(big, a.LocalAddr())
		got = readOne(h, a, size+100)
	})
	h.Wait(t)

	require.NoError(t, writeErr, "WriteTo of %d bytes (the largest UDP payload)", size)
	assert.Equal(t, size, wrote)
	require.NoError(t, got.err, "ReadFrom of the largest datagram")
	assert.Equal(t, size, len(got.data), "the largest datagram arrives whole")
	assert.Equal(t, big[:size], got.data)
	assert.Error(t, tooBigErr, "WriteTo of %d bytes (over the largest UDP payload) must fail", size+1)
	assert.Zero(t, tooBigN, "bytes reported sent for a refused datagram")
}

// testAddrType: LocalAddr and ReadFrom's source are *net.UDPAddr, which libraries
// type-assert (quic-go, miekg/dns).
func testAddrType(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	var got received
	var from net.Addr
	var sendErr error
	h.Go(func() {
		if _, sendErr = b.WriteTo([]byte("x"), a.LocalAddr()); sendErr != nil {
			return
		}
		if got.err = a.SetReadDeadline(h.Clock().Now().Add(backstop)); got.err != nil {
			return
		}
		_, from, got.err = a.ReadFrom(make([]byte, bufSize))
	})
	h.Wait(t)

	require.NoError(t, sendErr, "WriteTo")
	require.NoError(t, got.err, "ReadFrom")
	_, ok := a.LocalAddr().(*net.UDPAddr)
	assert.True(t, ok, "LocalAddr is %T, want *net.UDPAddr", a.LocalAddr())
	_, ok = from.(*net.UDPAddr)
	assert.True(t, ok, "ReadFrom's source is %T, want *net.UDPAddr", from)
}
