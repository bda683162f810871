package transporttest

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testPingPong sends a->b and a reply b->a to the address b's ReadFrom reported, so the
// returned net.Addr must be usable with WriteTo.
func testPingPong(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	aAddr, bAddr := a.LocalAddr().String(), b.LocalAddr().String()
	var ping, pong received
	var replyErr, sendErr error
	h.Go(func() {
		if _, sendErr = a.WriteTo([]byte("ping"), b.LocalAddr()); sendErr != nil {
			return
		}
		pong = readOne(h, a, bufSize)
	})
	h.Go(func() {
		if err := b.SetReadDeadline(h.Clock().Now().Add(backstop)); err != nil {
			ping.err = err
			return
		}
		buf := make([]byte, bufSize)
		n, from, err := b.ReadFrom(buf)
		ping = received{data: buf[:n], err: err}
		if err != nil {
			return
		}
		ping.from = from.String()
		if ping.from != aAddr {
			// Already a failure; answer a directly so its read does not wait out the
			// backstop.
			from = a.LocalAddr()
		}
		_, replyErr = b.WriteTo([]byte("pong"), from)
	})
	h.Wait(t)

	require.NoError(t, sendErr, "a.WriteTo(ping, b.LocalAddr())")
	require.NoError(t, ping.err, "b.ReadFrom of ping")
	assert.Equal(t, "ping", string(ping.data))
	assert.Equal(t, aAddr, ping.from, "b.ReadFrom must report a's LocalAddr as the source")
	require.NoError(t, replyErr, "b.WriteTo(pong, address ReadFrom returned)")
	require.NoError(t, pong.err, "a.ReadFrom of pong")
	assert.Equal(t, "pong", string(pong.data))
	assert.Equal(t, bAddr, pong.from, "a.ReadFrom must report b's LocalAddr as the source")
}

// payload returns size bytes that identify datagram i, so a merged, split or reordered
// datagram cannot compare equal to the one expected.
func payload(i, size int) []byte {
	p := make([]byte, size)
	for j := range p {
		p[j] = byte(i*31 + j)
	}
	return p
}

// testMessageBoundaries sends datagrams of different sizes back to back; each read with a
// large buffer must return exactly one of them, whole.
func testMessageBoundaries(t *testing.T, h Harness) {
	sizes := []int{1, 7, 64, 512, 1200, 3, 2}
	a, b := h.Pair(t)
	bAddr := b.LocalAddr().String()
	sendErrs := make([]error, len(sizes))
	got := make([]received, len(sizes))
	h.Go(func() {
		for i, size := range sizes {
			_, sendErrs[i] = b.WriteTo(payload(i, size), a.LocalAddr())
		}
	})
	h.Go(func() {
		for i, size := range sizes {
			if got[i] = readOne(h, a, bufSize); got[i].err != nil || len(got[i].data) != size {
				return // already a failure; more reads might only wait out the backstop
			}
		}
	})
	h.Wait(t)

	for i, size := range sizes {
		require.NoError(t, sendErrs[i], "WriteTo of datagram %d (%d bytes)", i, size)
	}
	for i, size := range sizes {
		require.NoError(t, got[i].err, "ReadFrom of datagram %d (%d bytes)", i, size)
		require.Len(t, got[i].data, size, "read %d must return exactly datagram %d", i, i)
		assert.True(t, bytes.Equal(payload(i, size), got[i].data), "read %d returned other bytes than datagram %d", i, i)
		assert.Equal(t, bAddr, got[i].from, "source of datagram %d", i)
	}
}

// testTruncation reads a datagram into a short buffer: the read returns the first
// len(p) bytes, the rest is discarded, and the next read returns the next datagram.
func testTruncation(t *testing.T, h Harness) {
	const short = 40
	long, next := payload(1, 300), payload(2, 10)
	a, b := h.Pair(t)
	var sendErr error
	var first, second received
	h.Go(func() {
		if _, sendErr = b.WriteTo(long, a.LocalAddr()); sendErr != nil {
			return
		}
		_, sendErr = b.WriteTo(next, a.LocalAddr())
	})
	h.Go(func() {
		if first = readOne(h, a, short); first.err != nil {
			return
		}
		second = readOne(h, a, bufSize)
	})
	h.Wait(t)

	require.NoError(t, sendErr, "WriteTo")
	require.NoError(t, first.err, "ReadFrom into a %d-byte buffer of a %d-byte datagram", short, len(long))
	assert.Len(t, first.data, short, "n must be len(p) when the datagram is longer")
	assert.True(t, bytes.Equal(long[:short], first.data), "truncated read must hold the datagram's first len(p) bytes")
	require.NoError(t, second.err, "ReadFrom after a truncated read")
	assert.True(t, bytes.Equal(next, second.data),
		"the read after a truncated one must return the next datagram, not the discarded rest; got %d bytes", len(second.data))
}

// testZeroLength sends an empty datagram followed by a non-empty one; the empty one must
// arrive as a read of n == 0 from the right address, not vanish or merge.
func testZeroLength(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	bAddr := b.LocalAddr().String()
	var sendErr error
	var sentN int
	var empty, after received
	h.Go(func() {
		if sentN, sendErr = b.WriteTo([]byte{}, a.LocalAddr()); sendErr != nil {
			return
		}
		_, sendErr = b.WriteTo([]byte("after"), a.LocalAddr())
	})
	h.Go(func() {
		if empty = readOne(h, a, bufSize); empty.err != nil || len(empty.data) != 0 {
			return // already a failure; a second read would only wait out the backstop
		}
		after = readOne(h, a, bufSize)
	})
	h.Wait(t)

	require.NoError(t, sendErr, "WriteTo of a zero-length datagram")
	assert.Zero(t, sentN, "WriteTo of a zero-length datagram must report n == 0")
	require.NoError(t, empty.err, "ReadFrom of a zero-length datagram")
	assert.Empty(t, empty.data, "a zero-length datagram must be read with n == 0")
	assert.Equal(t, bAddr, empty.from, "source of the zero-length datagram")
	require.NoError(t, after.err, "ReadFrom of the datagram after the zero-length one")
	assert.Equal(t, "after", string(after.data))
}

// testLocalAddr checks LocalAddr is usable as an address: non-nil, "host:port" with a
// non-zero port, and distinct for the two conns.
func testLocalAddr(t *testing.T, h Harness) {
	a, b := h.Pair(t)
	var addrs [2]net.Addr
	h.Go(func() { addrs = [2]net.Addr{a.LocalAddr(), b.LocalAddr()} })
	h.Wait(t)

	for i, addr := range addrs {
		name := fmt.Sprintf("conn %c", 'a'+i)
		require.NotNil(t, addr, "%s: LocalAddr", name)
		assert.NotEmpty(t, addr.Network(), "%s: LocalAddr().Network()", name)
		_, port, err := net.SplitHostPort(addr.String())
		require.NoError(t, err, "%s: LocalAddr().String() = %q must be host:port", name, addr.String())
		p, err := strconv.ParseUint(port, 10, 16)
		require.NoError(t, err, "%s: port %q of LocalAddr must be a number in 0..65535", name, port)
		assert.NotZero(t, p, "%s: LocalAddr %q must have a non-zero port", name, addr.String())
	}
	assert.NotEqual(t, addrs[0].String(), addrs[1].String(), "the two conns of a Pair must have distinct addresses")
}
