package transporttest

import (
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertDeadlineErr checks err is what a read past its deadline must return.
func assertDeadlineErr(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err, "ReadFrom past the read deadline must fail")
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "deadline error must wrap os.ErrDeadlineExceeded")
	assert.True(t, isTimeout(err), "deadline error %v (%T) must be a net.Error with Timeout() true", err, err)
}

// testReadDeadline: a read with nothing to read and a deadline 50ms ahead fails with a
// timeout, not before the harness clock reaches the deadline and at most maxLateness
// after.
func testReadDeadline(t *testing.T, h Harness) {
	const ahead = 50 * time.Millisecond
	a, _ := h.Pair(t)
	var done, fired atomic.Bool
	var deadline, returned time.Time
	var setErr, readErr error
	h.Go(func() {
		defer done.Store(true)
		deadline = h.Clock().Now().Add(ahead)
		if setErr = a.SetReadDeadline(deadline); setErr != nil {
			return
		}
		_, _, readErr = a.ReadFrom(make([]byte, bufSize))
		returned = h.Clock().Now()
	})
	h.Go(watchdog(h, a, &done, &fired))
	h.Wait(t)

	require.NoError(t, setErr, "SetReadDeadline")
	require.False(t, fired.Load(), "ReadFrom was still blocked long after its deadline (the watchdog closed the conn)")
	assertDeadlineErr(t, readErr)
	assert.False(t, returned.Before(deadline),
		"ReadFrom returned at %v, %v before its deadline", returned, deadline.Sub(returned))
	assert.LessOrEqual(t, returned.Sub(deadline), maxLateness, "ReadFrom returned this long after its deadline")
}

// testDeadlinePast: a deadline already in the past makes ReadFrom fail at once, even with
// no time passing on the harness clock (the watchdog catches a read that blocks).
func testDeadlinePast(t *testing.T, h Harness) {
	a, _ := h.Pair(t)
	var done, fired atomic.Bool
	var setErr, readErr error
	h.Go(func() {
		defer done.Store(true)
		if setErr = a.SetReadDeadline(h.Clock().Now().Add(-time.Second)); setErr != nil {
			return
		}
		_, _, readErr = a.ReadFrom(make([]byte, bufSize))
	})
	h.Go(watchdog(h, a, &done, &fired))
	h.Wait(t)

	require.NoError(t, setErr, "SetReadDeadline")
	require.False(t, fired.Load(), "ReadFrom with a past deadline blocked (the watchdog closed the conn)")
	assertDeadlineErr(t, readErr)
}

// testClearDeadline: after a past deadline, the zero time clears it, so a read blocks
// until a datagram sent 20ms later arrives.
func testClearDeadline(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	var done, fired atomic.Bool
	var pastErr, clearErr, sendErr error
	var got received
	h.Go(func() {
		defer done.Store(true)
		if pastErr = a.SetReadDeadline(h.Clock().Now().Add(-time.Second)); pastErr != nil {
			return
		}
		if clearErr = a.SetReadDeadline(time.Time{}); clearErr != nil {
			return
		}
		buf := make([]byte, bufSize)
		n, from, err := a.ReadFrom(buf)
		got = received{data: buf[:n], err: err}
		if from != nil {
			got.from = from.String()
		}
	})
	h.Go(func() {
		h.Clock().Sleep(20 * time.Millisecond)
		_, sendErr = b.WriteTo([]byte("late"), a.LocalAddr())
	})
	h.Go(watchdog(h, a, &done, &fired))
	h.Wait(t)

	require.NoError(t, pastErr, "SetReadDeadline(past)")
	require.NoError(t, clearErr, "SetReadDeadline(time.Time{})")
	require.NoError(t, sendErr, "WriteTo")
	require.False(t, fired.Load(), "ReadFrom never returned the datagram (the watchdog closed the conn)")
	require.NoError(t, got.err, "ReadFrom after the deadline was cleared")
	assert.Equal(t, "late", string(got.data))
	assert.Equal(t, b.LocalAddr().String(), got.from)
}

// testReadAfterTimeout: a timed-out read neither closes the conn nor loses a datagram
// that arrives afterwards.
func testReadAfterTimeout(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	var done, fired atomic.Bool
	var timeoutErr, sendErr error
	var got received
	h.Go(func() {
		defer done.Store(true)
		if timeoutErr = a.SetReadDeadline(h.Clock().Now().Add(10 * time.Millisecond)); timeoutErr != nil {
			return
		}
		if _, _, timeoutErr = a.ReadFrom(make([]byte, bufSize)); timeoutErr == nil {
			return
		}
		// Sent only now, so the datagram cannot have been consumed by the timed-out read.
		if _, sendErr = b.WriteTo([]byte("again"), a.LocalAddr()); sendErr != nil {
			return
		}
		got = readOne(h, a, bufSize)
	})
	h.Go(watchdog(h, a, &done, &fired))
	h.Wait(t)

	require.False(t, fired.Load(), "the watchdog closed the conn: a read blocked")
	assertDeadlineErr(t, timeoutErr)
	require.NoError(t, sendErr, "WriteTo after the peer's read timed out")
	require.NoError(t, got.err, "ReadFrom after a timed-out ReadFrom")
	assert.Equal(t, "again", string(got.data))
	if errors.Is(got.err, os.ErrDeadlineExceeded) {
		t.Log("hint: a deadline that expired once must not stay expired once a new one is set")
	}
}
