package simnet_test

import (
	"math"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

func TestListen(t *testing.T) {
	n := newNet(t, simnet.Config{}, "host1", "host2")
	h2 := n.Host("host2")
	require.NotNil(t, h2)
	assert.Equal(t, "10.0.0.2", h2.Addr().String())

	t.Run("port-0-is-deterministic", func(t *testing.T) {
		a := listen(t, n, "host1:0")
		b := listen(t, n, "10.0.0.1:0")
		assert.Equal(t, "10.0.0.1:49152", a.LocalAddr().String())
		assert.Equal(t, "10.0.0.1:49153", b.LocalAddr().String())
		require.NoError(t, a.Close())
		c := listen(t, n, "host1:0")
		assert.Equal(t, "10.0.0.1:49154", c.LocalAddr().String(), "ports are handed out in order, not reused at once")
	})
	t.Run("address-in-use", func(t *testing.T) {
		c := listen(t, n, "host2:53")
		_, err := n.Listen("host2:53")
		require.ErrorIs(t, err, simnet.ErrAddrInUse)
		var oe *net.OpError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, "listen", oe.Op)
		require.NoError(t, c.Close())
		c2, err := h2.Listen(53)
		require.NoError(t, err, "a closed conn frees its port")
		assert.Equal(t, "10.0.0.2:53", c2.LocalAddr().String())
	})
	for _, tc := range []struct{ name, addr, want string }{
		{"unknown-host", "host9:1", "unknown host"},
		{"no-port", "host1", "want host:port"},
		{"bad-port", "host1:x", "not a number"},
		{"port-range", "host1:70000", "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.Listen(tc.addr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	t.Run("listen-packet-network", func(t *testing.T) {
		_, err := n.ListenPacket("tcp", "host1:0")
		require.ErrorContains(t, err, "only \"udp\"")
		c, err := n.ListenPacket("udp4", "host1:7")
		require.NoError(t, err)
		var _ net.PacketConn = c
	})
}

func TestAddHost(t *testing.T) {
	n := newNet(t, simnet.Config{}, "a")
	_, err := n.AddHost("a")
	assert.ErrorContains(t, err, "already in use")
	_, err = n.AddHost("")
	assert.ErrorContains(t, err, "non-empty")
	_, err = n.AddHost("10.0.0.5")
	assert.ErrorContains(t, err, "must not be an IP address")
	h, err := n.AddHostAddr("b", mustAddr(t, "192.168.1.1"))
	require.NoError(t, err)
	assert.Equal(t, "192.168.1.1", h.Addr().String())
	_, err = n.AddHostAddr("c", mustAddr(t, "192.168.1.1"))
	assert.ErrorContains(t, err, `already belongs to "b"`)
	_, err = n.AddHostAddr("d", mustAddr(t, "::1"))
	assert.ErrorContains(t, err, "IPv4")
	// automatic addresses skip taken ones
	_, err = n.AddHostAddr("e", mustAddr(t, "10.0.0.2"))
	require.NoError(t, err)
	f, err := n.AddHost("f")
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.3", f.Addr().String())
}

// TestDatagrams checks UDP semantics that the conformance suite does not: sizes, bad
// addresses, drops at a port nobody listens on, and calls from test code.
func TestDatagrams(t *testing.T) {
	n := newNet(t, simnet.Config{}, "host1", "host2")
	a, b := listen(t, n, "host1:1000"), listen(t, n, "host2:2000")

	t.Run("too-large", func(t *testing.T) {
		_, err := a.WriteTo(make([]byte, simnet.MaxPayload+1), b.LocalAddr())
		require.ErrorIs(t, err, simnet.ErrTooLarge)
		k, err := a.WriteTo(make([]byte, simnet.MaxPayload), b.LocalAddr())
		require.NoError(t, err)
		assert.Equal(t, simnet.MaxPayload, k)
		require.NoError(t, n.Run())
		buf := make([]byte, 70000)
		k, _, err = b.ReadFrom(buf)
		require.NoError(t, err, "a datagram already queued is readable from test code")
		assert.Equal(t, simnet.MaxPayload, k)
	})
	t.Run("bad-addresses", func(t *testing.T) {
		for _, addr := range []net.Addr{nil, &net.UDPAddr{IP: net.ParseIP("::1"), Port: 1}, &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2)}, strAddr("nonsense")} {
			_, err := a.WriteTo([]byte("x"), addr)
			assert.ErrorIs(t, err, simnet.ErrBadAddr, "%v", addr)
		}
	})
	t.Run("string-addresses", func(t *testing.T) {
		for _, s := range []string{"10.0.0.2:2000", "host2:2000"} {
			_, err := a.WriteTo([]byte(s), strAddr(s))
			require.NoError(t, err)
		}
		require.NoError(t, n.Run())
		for _, want := range []string{"10.0.0.2:2000", "host2:2000"} {
			buf := make([]byte, 100)
			k, from, err := b.ReadFrom(buf)
			require.NoError(t, err)
			assert.Equal(t, want, string(buf[:k]))
			assert.Equal(t, "10.0.0.1:1000", from.String())
		}
	})
	t.Run("no-listener-and-no-route", func(t *testing.T) {
		before := n.Stats()
		_, err := a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 9})
		require.NoError(t, err, "UDP does not report a port nobody listens on")
		_, err = a.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(10, 9, 9, 9), Port: 9})
		require.NoError(t, err, "nor an address nobody has")
		require.NoError(t, n.Run())
		after := n.Stats()
		assert.Equal(t, before.NoListener+1, after.NoListener)
		assert.Equal(t, before.NoRoute+1, after.NoRoute)
		assert.Equal(t, before.Sent+2, after.Sent)
	})
	t.Run("blocking-read-outside-simulation", func(t *testing.T) {
		_, _, err := b.ReadFrom(make([]byte, 10))
		require.ErrorIs(t, err, simnet.ErrNotSimulated)
	})
	t.Run("write-deadline", func(t *testing.T) {
		require.NoError(t, a.SetWriteDeadline(n.Clock().Now()))
		_, err := a.WriteTo([]byte("x"), b.LocalAddr())
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		require.NoError(t, a.SetWriteDeadline(time.Time{}))
		_, err = a.WriteTo([]byte("x"), b.LocalAddr())
		require.NoError(t, err)
		require.NoError(t, n.Run())
	})
	t.Run("double-close", func(t *testing.T) {
		c := listen(t, n, "host1:0")
		require.NoError(t, c.Close())
		require.ErrorIs(t, c.Close(), net.ErrClosed)
		require.ErrorIs(t, c.SetReadDeadline(time.Time{}), net.ErrClosed)
	})
}

// TestRecvBuffer fills a receive buffer that nobody reads: the overflow is dropped and
// counted, like a full socket buffer.
func TestRecvBuffer(t *testing.T) {
	const size, buffer = 1000, 10 * (1000 + simnet.DatagramOverhead)
	n := newNet(t, simnet.Config{RecvBuffer: buffer}, "host1", "host2")
	a, b := listen(t, n, "host1:0"), listen(t, n, "host2:0")
	for range 15 {
		_, err := a.WriteTo(make([]byte, size), b.LocalAddr())
		require.NoError(t, err)
	}
	require.NoError(t, n.Run())
	s := n.Stats()
	assert.Equal(t, uint64(10), s.Delivered)
	assert.Equal(t, uint64(5), s.RecvBuffer)

	_, err := simnet.New(simnet.Config{RecvBuffer: -1})
	assert.ErrorContains(t, err, "RecvBuffer")
}

// TestReadersWakeInOrder has several goroutines blocked on one conn; each datagram wakes
// exactly one, first come first served, and a reader whose deadline passes while a
// datagram waits for it passes the datagram on.
func TestReadersWakeInOrder(t *testing.T) {
	n := newNet(t, simnet.Config{}, "host1", "host2")
	a, b := listen(t, n, "host1:0"), listen(t, n, "host2:0")
	var order []string
	for _, name := range []string{"r1", "r2", "r3"} {
		n.Go(name, func() {
			buf := make([]byte, 10)
			k, _, err := b.ReadFrom(buf)
			if err != nil {
				order = append(order, name+":"+err.Error())
				return
			}
			order = append(order, name+":"+string(buf[:k]))
		})
	}
	n.Go("writer", func() {
		n.Clock().Sleep(time.Second)
		for _, s := range []string{"x", "y", "z"} {
			_, _ = a.WriteTo([]byte(s), b.LocalAddr())
		}
	})
	require.NoError(t, n.Run())
	assert.Equal(t, []string{"r1:x", "r2:y", "r3:z"}, order)
}

func mustAddr(t *testing.T, s string) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(s)
	require.NoError(t, err)
	return a
}

type strAddr string

func (s strAddr) Network() string { return "udp" }
func (s strAddr) String() string  { return string(s) }

// Config.Correlation reaches every link: with the kernel's get_crandom, "loss 10% 25%"
// loses far less than the stated 10% (about 1.75%), as a real qdisc does; the default
// keeps the stated rate.
func TestConfigCorrelation(t *testing.T) {
	const count = 20000
	lost := func(c netem.Correlation) uint64 {
		prof, err := netem.Parse("loss 10% 25%")
		require.NoError(t, err)
		n := newNet(t, simnet.Config{Seed: 4, Default: prof, Correlation: c, RecvBuffer: 1 << 30}, "host1", "host2")
		a, b := listen(t, n, "host1:0"), listen(t, n, "host2:0")
		for range count {
			_, err := a.WriteTo([]byte{1}, b.LocalAddr())
			require.NoError(t, err)
		}
		require.NoError(t, n.Run())
		s, err := n.LinkStats("host1", "host2")
		require.NoError(t, err)
		return s.Lost
	}
	// 5 sigma around the stated 10% is 1788..2212 of 20000.
	assert.InDelta(t, count/10, lost(netem.CorrelationStated), 5*math.Sqrt(count*0.1*0.9*5/3))
	k := lost(netem.CorrelationKernel)
	assert.Less(t, k, uint64(count*5/100))
	assert.Greater(t, k, uint64(count*1/100))

	_, err := simnet.New(simnet.Config{Correlation: 7})
	assert.ErrorContains(t, err, "Correlation")
}
