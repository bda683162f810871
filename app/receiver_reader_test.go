package app

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dist-example/dist-example/transport"
)

// addrPortConn answers ReadFromUDPAddrPort with its next source.
type addrPortConn struct {
	transport.PacketConn
	srcs []netip.AddrPort
}

func (c *addrPortConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	src := c.srcs[0]
	c.srcs = c.srcs[1:]
	return copy(b, "1\n"), src, nil
}

// The fast reader keys a v4-mapped source as its IPv4 address and leaves the others
// as they are.
func TestReaderOfUnmapsOnlyV4InV6(t *testing.T) {
	ins := []string{"[::ffff:127.0.0.1]:9", "127.0.0.1:9", "[::1]:9", "[fe80::1%eth0]:7", "[::ffff:10.0.0.1]:65535"}
	wants := []string{"127.0.0.1:9", "127.0.0.1:9", "[::1]:9", "[fe80::1%eth0]:7", "10.0.0.1:65535"}
	c := &addrPortConn{}
	for _, s := range ins {
		c.srcs = append(c.srcs, netip.MustParseAddrPort(s))
	}
	read := readerOf(c)
	buf := make([]byte, 8)
	for i, want := range wants {
		n, src, err := read(buf)
		assert.NoError(t, err)
		assert.Equal(t, 2, n)
		assert.Equal(t, netip.MustParseAddrPort(want), src, "source %s", ins[i])
	}
}
