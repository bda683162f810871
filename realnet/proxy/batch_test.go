package proxy

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Packets released together leave in batches (sendmmsg on Linux): a delay makes bursts
// fall due at once. Every datagram must arrive whole, in order, both ways, whatever the
// socket family, including IPv4 clients of a dual-stack listen socket. Toward loopback,
// runs of one size go as one segmented send (GSO): mixed sizes end runs early and
// mid-way (a shorter datagram closes a run), and must come out as they went in.
func TestBatchedWritesKeepEveryDatagramAndItsOrder(t *testing.T) {
	mixed := []int{100, 100, 100, 60, 100, 200, 200, 16, 1400, 1400, 1400, 1}
	tests := []struct {
		name, listen, upstream, client string
		size, n                        int
		sizes                          []int // cycled through instead of size
	}{
		{"ipv4 mixed sizes", "127.0.0.1:0", "127.0.0.1:0", "udp4", 0, 600, mixed},
		{"ipv4 small", "127.0.0.1:0", "127.0.0.1:0", "udp4", 100, 500, nil},
		{"ipv4 large", "127.0.0.1:0", "127.0.0.1:0", "udp4", 60000, 40, nil},
		{"dual-stack listen, ipv4 client", ":0", "127.0.0.1:0", "udp4", 100, 500, nil},
		{"ipv6", "[::1]:0", "[::1]:0", "udp6", 1000, 300, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			network := "udp4"
			if tc.client == "udp6" {
				network = "udp6"
				if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
					t.Skip("no IPv6 loopback:", err)
				} else {
					c.Close()
				}
			}
			up := newEcho(t, network, tc.upstream)
			// The same delay both ways: replies fall due in bursts too.
			p := startProxy(t, up.LocalAddr().String(), "delay 5ms limit 10000", "delay 5ms limit 10000", 1,
				func(c *Config) { c.Listen = tc.listen })
			dst := p.Addr()
			if tc.listen == ":0" {
				dst = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: dst.Port}
			}
			c, err := net.DialUDP(tc.client, nil, dst)
			require.NoError(t, err)
			defer c.Close()
			require.NoError(t, c.SetReadBuffer(8<<20))

			got := make(chan []byte, tc.n)
			go func() {
				defer close(got)
				buf := make([]byte, maxDatagram)
				for range tc.n {
					if err := c.SetReadDeadline(time.Now().Add(patience)); err != nil {
						return
					}
					k, err := c.Read(buf)
					if err != nil {
						return
					}
					got <- append([]byte(nil), buf[:k]...)
				}
			}()
			size := func(i int) int {
				if tc.sizes != nil {
					return tc.sizes[i%len(tc.sizes)]
				}
				return tc.size
			}
			for i := range tc.n {
				_, err := c.Write(makeDatagram(uint64(i), size(i)))
				require.NoError(t, err)
				if i%32 == 31 { // keep the burst within the kernel's socket buffers
					waitFor(t, 5*time.Second, func() bool { return int(p.Counters().Reverse.Received) >= i-64 }, "echo too slow")
				}
			}
			i := 0
			for b := range got {
				require.True(t, intact(b), "reply %d altered", i)
				require.Len(t, b, max(size(i), hdrLen))
				require.Equal(t, uint64(i), seqOf(b), "reply %d out of order", i)
				i++
			}
			require.Equal(t, tc.n, i, "replies")
			// The counters catch up once the loop has finished the batch it was writing.
			waitFor(t, 5*time.Second, func() bool { return p.Counters().Reverse.Delivered == uint64(tc.n) }, "reverse delivered")
			k := p.Counters()
			assert.Zero(t, k.Forward.WriteErrors+k.Reverse.WriteErrors)
		})
	}
}

func seqOf(b []byte) uint64 {
	var s uint64
	for _, x := range b[:8] {
		s = s<<8 | uint64(x)
	}
	return s
}

// Empty datagrams released in a burst with others go out in the same batched write, and
// arrive as empty datagrams, in order.
func TestBatchedWritesCarryEmptyDatagrams(t *testing.T) {
	s := newSink(t, "udp4", "127.0.0.1:0")
	p := startProxy(t, s.addr(), "delay 20ms", "", 1)
	c := dialer(t, p)
	const n = 40
	for i := range n {
		msg := []byte{}
		if i%2 == 1 {
			msg = makeDatagram(uint64(i), 64)
		}
		_, err := c.Write(msg)
		require.NoError(t, err)
	}
	waitFor(t, 5*time.Second, func() bool { return p.Counters().Forward.Received == n }, "proxy read %d of %d", p.Counters().Forward.Received, n)
	k := settle(t, p, s, 5*time.Second)
	arr := s.arrivals()
	require.Len(t, arr, n)
	for i, a := range arr {
		if i%2 == 0 {
			require.Zero(t, a.size, "arrival %d should be empty", i)
		} else {
			require.True(t, a.ok, "arrival %d altered", i)
			require.Equal(t, uint64(i), a.seq, "arrival %d out of order", i)
		}
	}
	assert.Zero(t, k.Forward.WriteErrors)
}
