package app

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dist-example/dist-example/transport"
)

// echoScriptConn feeds Echo a scripted sequence of reads and records its writes.
type echoScriptConn struct {
	reads  []echoRead
	writes []echoRead
	failTo net.Addr // WriteTo to this address fails
	closed bool
}

type echoRead struct {
	data []byte
	addr net.Addr
	err  error
}

var _ transport.PacketConn = (*echoScriptConn)(nil)

func (c *echoScriptConn) ReadFrom(p []byte) (int, net.Addr, error) {
	if c.closed || len(c.reads) == 0 {
		return 0, nil, &net.OpError{Op: "read", Net: "udp", Err: net.ErrClosed}
	}
	r := c.reads[0]
	c.reads = c.reads[1:]
	if r.err != nil {
		return 0, nil, r.err
	}
	return copy(p, r.data), r.addr, nil
}

func (c *echoScriptConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if c.closed {
		return 0, &net.OpError{Op: "write", Net: "udp", Err: net.ErrClosed}
	}
	if c.failTo != nil && addr.String() == c.failTo.String() {
		return 0, &net.OpError{Op: "write", Net: "udp", Err: errors.New("network is unreachable")}
	}
	c.writes = append(c.writes, echoRead{data: append([]byte{}, p...), addr: addr})
	return len(p), nil
}

func (c *echoScriptConn) SetReadDeadline(time.Time) error { return nil }
func (c *echoScriptConn) LocalAddr() net.Addr             { return pingTestDest }
func (c *echoScriptConn) Close() error                    { c.closed = true; return nil }

func TestEchoReflects(t *testing.T) {
	a, b := pingTestLocal, pingTestOther
	big := make([]byte, PingMaxSize)
	big[PingMaxSize-1] = 9
	conn := &echoScriptConn{
		failTo: b,
		reads: []echoRead{
			{data: []byte("hello"), addr: a},
			{err: &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}},
			{data: []byte{}, addr: a},
			{data: []byte("to the unreachable"), addr: b},
			{data: big, addr: a},
		},
	}
	var calls int
	s, err := Echo(conn, func(n int, from net.Addr, s EchoStats) {
		calls++
		assert.Equal(t, uint64(calls), s.Datagrams)
	})
	require.NoError(t, err, "a closed conn is the normal end")
	assert.Equal(t, EchoStats{Datagrams: 4, Bytes: 5 + 18 + PingMaxSize, WriteErrors: 1}, s)
	assert.Equal(t, 4, calls)
	require.Len(t, conn.writes, 3)
	assert.Equal(t, echoRead{data: []byte("hello"), addr: a}, conn.writes[0])
	assert.Equal(t, echoRead{data: []byte{}, addr: a}, conn.writes[1])
	assert.Equal(t, big, conn.writes[2].data, "the largest datagram comes back whole")
}

func TestEchoReadError(t *testing.T) {
	boom := errors.New("boom")
	conn := &echoScriptConn{reads: []echoRead{{data: []byte("x"), addr: pingTestLocal}, {err: boom}}}
	s, err := Echo(conn, nil)
	require.ErrorIs(t, err, boom)
	assert.Equal(t, uint64(1), s.Datagrams)

	_, err = Echo(nil, nil)
	require.ErrorContains(t, err, "no conn")
}

// TestPingEchoLoopback runs both over the kernel's UDP on 127.0.0.1 with the real clock.
func TestPingEchoLoopback(t *testing.T) {
	defer goleak.VerifyNone(t)
	server, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	type result struct {
		s   EchoStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Echo(server, nil)
		done <- result{s, err}
	}()

	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer client.Close()
	const count = 20
	stats, err := Ping(context.Background(), PingConfig{
		Conn: client, Clock: clock.New(), Dest: server.LocalAddr(),
		Interval: time.Millisecond, Count: count, Size: 200, Timeout: 5 * time.Second,
	})
	require.NoError(t, err)
	require.NoError(t, server.Close())
	r := <-done
	require.NoError(t, r.err)

	s := stats.Summary()
	assert.Equal(t, uint64(count), s.Transmitted)
	// Loopback does not lose datagrams at this rate; the echo saw what the pinger sent.
	assert.Equal(t, uint64(count), s.Received)
	assert.Equal(t, uint64(count), r.s.Datagrams)
	assert.Equal(t, uint64(count*200), r.s.Bytes)
	assert.Equal(t, uint64(0), s.Duplicates+s.Malformed+s.Foreign+s.Unknown)
	assert.Positive(t, s.Min)
	assert.LessOrEqual(t, s.P99, s.Max)
}

// TestPingStopsOnClose checks that closing the conn ends an endless ping (Count 0)
// blocked in ReadFrom, as the command does on SIGINT.
func TestPingStopsOnClose(t *testing.T) {
	defer goleak.VerifyNone(t)
	client, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	nobody := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} // discard port: no replies
	sent := make(chan struct{})
	type result struct {
		s   PingStats
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Ping(context.Background(), PingConfig{
			Conn: client, Clock: clock.New(), Dest: nobody,
			Interval: time.Hour, Size: PingHeaderLen, Timeout: time.Second,
			OnProbe: func(uint64, time.Duration, error) { close(sent) },
		})
		done <- result{s, err}
	}()
	<-sent
	require.NoError(t, client.Close())
	r := <-done
	require.NoError(t, r.err)
	assert.Equal(t, uint64(1), r.s.Transmitted)
	assert.Equal(t, uint64(1), r.s.Lost())
}
