package simnet_test

import (
	"bytes"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/simnet"
	"github.com/dist-example/dist-example/simnet/netem"
)

// mesh is three hosts, each with a conn on port 1, that count what each receives from
// whom.
type mesh struct {
	n     *simnet.Network
	conns map[string]*simnet.Conn
	got   map[string]int // "src->dst" -> datagrams read
	trace *bytes.Buffer
}

func newMesh(t *testing.T) *mesh {
	t.Helper()
	m := &mesh{conns: map[string]*simnet.Conn{}, got: map[string]int{}, trace: &bytes.Buffer{}}
	m.n = newNet(t, simnet.Config{Seed: 7, Trace: m.trace}, "a", "b", "c")
	names := map[string]string{}
	for _, h := range []string{"a", "b", "c"} {
		c := listen(t, m.n, h+":1")
		m.conns[h] = c
		names[c.LocalAddr().String()] = h
	}
	for _, h := range []string{"a", "b", "c"} {
		c := m.conns[h]
		m.n.Go("reader "+h, func() {
			buf := make([]byte, 10)
			for {
				_, from, err := c.ReadFrom(buf)
				if err != nil {
					return
				}
				m.got[names[from.String()]+"->"+h]++
			}
		})
	}
	return m
}

// sendAll sends one datagram over each of the six directed pairs, then runs a second.
func (m *mesh) sendAll(t *testing.T) {
	t.Helper()
	for _, src := range []string{"a", "b", "c"} {
		for _, dst := range []string{"a", "b", "c"} {
			if src != dst {
				_, err := m.conns[src].WriteTo([]byte("x"), m.conns[dst].LocalAddr())
				require.NoError(t, err, "%s->%s: UDP reports no error for a partitioned send", src, dst)
			}
		}
	}
	require.NoError(t, m.n.RunFor(time.Second))
}

func (m *mesh) reset() { clear(m.got) }

var allPairs = map[string]int{"a->b": 1, "a->c": 1, "b->a": 1, "b->c": 1, "c->a": 1, "c->b": 1}

func without(pairs ...string) map[string]int {
	m := map[string]int{}
	for k, v := range allPairs {
		m[k] = v
	}
	for _, p := range pairs {
		delete(m, p)
	}
	return m
}

func TestPartition(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cut     func(n *simnet.Network) error
		dropped []string
	}{
		{"both-ways", func(n *simnet.Network) error { return n.Partition([]string{"a"}, []string{"b", "c"}) },
			[]string{"a->b", "a->c", "b->a", "c->a"}},
		{"one-way", func(n *simnet.Network) error { return n.PartitionOneWay([]string{"a"}, []string{"b"}) },
			[]string{"a->b"}},
		{"by-address", func(n *simnet.Network) error { return n.PartitionOneWay([]string{"10.0.0.3"}, []string{"a", "b"}) },
			[]string{"c->a", "c->b"}},
		{"link-down", func(n *simnet.Network) error { return n.LinkDown("b", "c") },
			[]string{"b->c", "c->b"}},
		{"link-down-one-way", func(n *simnet.Network) error { return n.LinkDownOneWay("c", "b") },
			[]string{"c->b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMesh(t)
			m.sendAll(t)
			assert.Equal(t, allPairs, m.got, "before the fault")

			require.NoError(t, tc.cut(m.n))
			m.reset()
			m.sendAll(t)
			assert.Equal(t, without(tc.dropped...), m.got, "during the fault")
			s := m.n.Stats()
			assert.Equal(t, uint64(len(tc.dropped)), s.Partitioned+s.LinkDown)
			assert.Equal(t, s.Sent, s.Delivered+s.Dropped()+s.InFlight)

			m.n.Heal()
			require.NoError(t, m.n.LinkUp("b", "c"))
			m.reset()
			m.sendAll(t)
			assert.Equal(t, allPairs, m.got, "after healing")
		})
	}
	t.Run("unknown-host", func(t *testing.T) {
		m := newMesh(t)
		assert.ErrorIs(t, m.n.Partition([]string{"a"}, []string{"zz"}), simnet.ErrUnknownHost)
		assert.ErrorIs(t, m.n.LinkDown("a", "zz"), simnet.ErrUnknownHost)
		assert.ErrorIs(t, m.n.Crash("zz"), simnet.ErrUnknownHost)
		_, err := m.n.LinkStats("zz", "a")
		assert.ErrorIs(t, err, simnet.ErrUnknownHost)
	})
	t.Run("heal-ends-every-partition", func(t *testing.T) {
		m := newMesh(t)
		require.NoError(t, m.n.Partition([]string{"a"}, []string{"b"}))
		require.NoError(t, m.n.PartitionOneWay([]string{"c"}, []string{"a"}))
		m.sendAll(t)
		assert.Equal(t, without("a->b", "b->a", "c->a"), m.got)
		m.n.Heal()
		m.reset()
		m.sendAll(t)
		assert.Equal(t, allPairs, m.got, "one Heal ends both partitions")
	})
	t.Run("link-up-ends-one-way-down", func(t *testing.T) {
		m := newMesh(t)
		require.NoError(t, m.n.LinkDownOneWay("a", "b"))
		require.NoError(t, m.n.LinkUp("b", "a"))
		m.sendAll(t)
		assert.Equal(t, allPairs, m.got)
		assert.Contains(t, m.trace.String(), "fault down a -> b\n")
		assert.Contains(t, m.trace.String(), "fault up b a\n")
	})
	t.Run("heal-keeps-links-down", func(t *testing.T) {
		m := newMesh(t)
		require.NoError(t, m.n.LinkDown("a", "b"))
		require.NoError(t, m.n.Partition([]string{"a"}, []string{"b"}))
		m.n.Heal()
		m.sendAll(t)
		assert.Equal(t, without("a->b", "b->a"), m.got)
	})
}

func TestPartitionTrace(t *testing.T) {
	m := newMesh(t)
	m.n.At(time.Second, func() { _ = m.n.PartitionOneWay([]string{"a"}, []string{"b"}) })
	require.NoError(t, m.n.RunFor(time.Second))
	_, err := m.conns["a"].WriteTo([]byte("xyz"), m.conns["b"].LocalAddr())
	require.NoError(t, err)
	_, err = m.conns["a"].WriteTo([]byte("xyz"), &net.UDPAddr{IP: net.IPv4(10, 0, 0, 3), Port: 2})
	require.NoError(t, err)
	require.NoError(t, m.n.RunFor(time.Second))
	assert.Equal(t, ""+
		"00:00:01.000000000 fault partition a -> b\n"+
		"00:00:01.000000000 a->b #- len=3 partition\n"+
		"00:00:01.000000000 a->c #0 len=3 queued due=00:00:01.000000000\n"+
		"00:00:01.000000000 a->c #0 len=3 noport port=2\n",
		m.trace.String())
}

func TestCrashRestart(t *testing.T) {
	n := newNet(t, simnet.Config{}, "client", "server")
	srv := listen(t, n, "server:53")
	cli := listen(t, n, "client:0")
	var readErr error
	n.Go("server", func() { _, _, readErr = srv.ReadFrom(make([]byte, 10)) })
	n.At(time.Second, func() { assert.NoError(t, n.Crash("server")) })
	require.NoError(t, n.RunFor(2*time.Second))

	require.Error(t, readErr, "a read blocked on a crashed host fails")
	assert.ErrorIs(t, readErr, net.ErrClosed)
	assert.ErrorIs(t, readErr, simnet.ErrHostDown)
	_, err := srv.WriteTo([]byte("x"), cli.LocalAddr())
	assert.ErrorIs(t, err, net.ErrClosed, "a crashed host's conns stay closed")
	_, err = n.Listen("server:53")
	assert.ErrorIs(t, err, simnet.ErrHostDown)

	_, err = cli.WriteTo([]byte("lost"), srv.LocalAddr())
	require.NoError(t, err)
	require.NoError(t, n.RunFor(time.Second))
	s, err := n.LinkStats("client", "server")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), s.HostDown)

	require.NoError(t, n.Restart("server"))
	srv2 := listen(t, n, "server:53")
	var got string
	n.Go("server again", func() {
		buf := make([]byte, 10)
		k, _, err := srv2.ReadFrom(buf)
		if err == nil {
			got = string(buf[:k])
		}
	})
	_, err = cli.WriteTo([]byte("back"), srv2.LocalAddr())
	require.NoError(t, err)
	require.NoError(t, n.Run())
	assert.Equal(t, "back", got)
}

// A crashed host's datagrams already on the wire still arrive; later ones cannot be sent.
func TestCrashKeepsSentDatagrams(t *testing.T) {
	n := newNet(t, simnet.Config{Default: mustParse(t, "delay 100ms")}, "a", "b")
	src, dst := listen(t, n, "a:1"), listen(t, n, "b:1")
	_, err := src.WriteTo([]byte("before"), dst.LocalAddr())
	require.NoError(t, err)
	n.At(50*time.Millisecond, func() { assert.NoError(t, n.Crash("a")) })
	require.NoError(t, n.RunFor(200*time.Millisecond))
	buf := make([]byte, 10)
	k, _, err := dst.ReadFrom(buf)
	require.NoError(t, err, "the datagram sent before the crash is delivered")
	assert.Equal(t, "before", string(buf[:k]))
	_, err = src.WriteTo([]byte("after"), dst.LocalAddr())
	assert.ErrorIs(t, err, simnet.ErrHostDown)
}

// TestProfileChange changes a link's delay mid-run: datagrams sent before the change keep
// their due time, later ones get the new delay.
func TestProfileChange(t *testing.T) {
	n := newNet(t, simnet.Config{Default: mustParse(t, "delay 100ms")}, "a", "b")
	src, dst := listen(t, n, "a:0"), listen(t, n, "b:0")
	clk := n.Clock()
	var latency []time.Duration
	n.Go("sender", func() {
		for i := range 4 {
			_, _ = src.WriteTo([]byte{byte(i)}, dst.LocalAddr())
			clk.Sleep(time.Second)
		}
	})
	n.Go("receiver", func() {
		buf := make([]byte, 1)
		for range 4 {
			if _, _, err := dst.ReadFrom(buf); err != nil {
				return
			}
			sent := time.Duration(buf[0]) * time.Second
			latency = append(latency, clk.Since(simnet.Epoch)-sent)
		}
	})
	n.At(1500*time.Millisecond, func() { assert.NoError(t, n.SetLink("a", "b", mustParse(t, "delay 300ms"))) })
	n.At(2500*time.Millisecond, func() { assert.NoError(t, n.SetDefault(mustParse(t, "delay 10ms"))) }) // a->b has its own
	require.NoError(t, n.Run())
	assert.Equal(t, []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}, latency)
	p, err := n.LinkProfile("b", "a")
	require.NoError(t, err)
	assert.Equal(t, 10*time.Millisecond, p.Delay)
}

func mustParse(t testing.TB, s string) netem.Profile {
	t.Helper()
	p, err := netem.Parse(s)
	require.NoError(t, err, "netem.Parse(%q)", s)
	return p
}

func TestInvalidProfile(t *testing.T) {
	bad := netem.Profile{Delay: -time.Second}
	_, err := simnet.New(simnet.Config{Default: bad})
	assert.ErrorIs(t, err, netem.ErrInvalid)
	assert.ErrorContains(t, err, "Config.Default")
	n := newNet(t, simnet.Config{}, "a", "b")
	err = n.SetLink("a", "b", bad)
	assert.ErrorIs(t, err, netem.ErrInvalid)
	assert.ErrorContains(t, err, "SetLink a->b")
	assert.ErrorIs(t, n.SetDefault(bad), netem.ErrInvalid)
}
