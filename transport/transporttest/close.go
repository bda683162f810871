package transporttest

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testCloseUnblocksRead: Close from another function returns a ReadFrom blocked with no
// deadline, with net.ErrClosed. The backstop deadline turns a read that Close does not
// unblock into a wrong error instead of a hang.
func testCloseUnblocksRead(t *testing.T, h Harness) {
	const closeAfter = 20 * time.Millisecond
	a, _ := h.Pair(t)
	var setErr, readErr, closeErr error
	var start, returned time.Time
	h.Go(func() {
		start = h.Clock().Now()
		if setErr = a.SetReadDeadline(start.Add(backstop)); setErr != nil {
			return
		}
		_, _, readErr = a.ReadFrom(make([]byte, bufSize))
		returned = h.Clock().Now()
	})
	h.Go(func() {
		h.Clock().Sleep(closeAfter)
		closeErr = a.Close()
	})
	h.Wait(t)

	require.NoError(t, setErr, "SetReadDeadline")
	require.NoError(t, closeErr, "Close")
	require.Error(t, readErr, "ReadFrom blocked during Close must fail")
	assert.ErrorIs(t, readErr, net.ErrClosed, "ReadFrom unblocked by Close must fail with net.ErrClosed")
	assert.False(t, returned.Before(start.Add(closeAfter)),
		"ReadFrom returned %v after it started, before Close was called at %v", returned.Sub(start), closeAfter)
}

// testUseAfterClose: after Close, WriteTo and ReadFrom fail at once with net.ErrClosed.
func testUseAfterClose(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	var closeErr, writeErr, readErr error
	h.Go(func() {
		if closeErr = a.Close(); closeErr != nil {
			return
		}
		_, writeErr = a.WriteTo([]byte("x"), b.LocalAddr())
		_, _, readErr = a.ReadFrom(make([]byte, bufSize))
	})
	h.Wait(t)

	require.NoError(t, closeErr, "Close")
	require.Error(t, writeErr, "WriteTo after Close")
	assert.ErrorIs(t, writeErr, net.ErrClosed, "WriteTo after Close")
	require.Error(t, readErr, "ReadFrom after Close")
	assert.ErrorIs(t, readErr, net.ErrClosed, "ReadFrom after Close")
}
