package realnet

import (
	"fmt"
	"net"

	"github.com/dist-example/dist-example/transport"
)

// *net.UDPConn is used as the transport.PacketConn with no wrapper, so app code runs on
// the kernel's UDP exactly as it would with the standard library.
var _ transport.PacketConn = (*net.UDPConn)(nil)

// addrHint is appended to address errors so the user sees what is accepted.
const addrHint = `want "host:port", e.g. "127.0.0.1:9000", "[::1]:9000" or ":9000"`

// Listen opens a UDP socket bound to addr ("host:port", IPv4 or IPv6; port 0 picks a free
// port; an empty host binds every address). Errors name the address, for example when it
// is already in use or the host does not resolve.
func Listen(addr string) (*net.UDPConn, error) {
	laddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("realnet: listen address %q: %w (%s)", addr, err, addrHint)
	}
	c, err := net.ListenUDP("udp", laddr)
	if err != nil {
		// The *net.OpError already says e.g. "bind: address already in use"; the prefix
		// keeps the address as the user typed it, which may differ from the resolved one.
		return nil, fmt.Errorf("realnet: listen on %q: %w", addr, err)
	}
	return c, nil
}

// Dial resolves the destination addr ("host:port", non-zero port) and opens an
// unconnected local socket on an ephemeral port of the same address family. The socket is
// deliberately not connected: a connected UDP socket rejects WriteTo with an explicit
// address on some platforms, and receives only from its peer, while the application
// code passes the destination to every WriteTo and may hear from anyone.
//
// It returns the socket and the resolved destination to give WriteTo.
func Dial(addr string) (*net.UDPConn, net.Addr, error) {
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("realnet: destination address %q: %w (%s)", addr, err, addrHint)
	}
	if raddr.Port == 0 {
		return nil, nil, fmt.Errorf("realnet: destination address %q has port 0; want a port in 1..65535", addr)
	}
	network := "udp6"
	if raddr.IP == nil || raddr.IP.To4() != nil {
		network = "udp4"
	}
	c, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("realnet: open local %s socket for %q: %w", network, addr, err)
	}
	return c, raddr, nil
}
