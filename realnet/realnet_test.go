package realnet_test

import (
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dist-example/dist-example/realnet"
	"github.com/dist-example/dist-example/transport"
	"github.com/dist-example/dist-example/transport/transporttest"
)

// loopback is a transporttest.Harness over real UDP on one loopback address.
type loopback struct {
	transporttest.Goroutines
	host string
}

func (l *loopback) Clock() transport.Clock { return realnet.Clock() }

func (l *loopback) Pair(t *testing.T) (a, b transport.PacketConn) {
	t.Helper()
	return l.listen(t), l.listen(t)
}

// conformanceRcvbuf keeps the suite's 400-datagram burst from overflowing the receive
// buffer on a loaded, race-instrumented run; loopback then loses nothing.
const conformanceRcvbuf = 1 << 20

func (l *loopback) listen(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := realnet.Listen(net.JoinHostPort(l.host, "0"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_, err = realnet.SetReadBuffer(c, conformanceRcvbuf)
	require.NoError(t, err)
	return c
}

// requireLoopback skips when host cannot be bound here, e.g. [::1] in a container
// without IPv6.
func requireLoopback(t *testing.T, host string) {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(host)})
	if err != nil {
		t.Skipf("loopback %s unavailable here: %v", host, err)
	}
	_ = c.Close()
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct{ name, host string }{
		{"ipv4", "127.0.0.1"},
		{"ipv6", "::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireLoopback(t, tc.host)
			transporttest.Run(t, func(*testing.T) transporttest.Harness {
				return &loopback{host: tc.host}
			})
		})
	}
}
