package simnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// ErrNotConnected is what Write fails with on a conn that was not made by Dial (Linux's
// EDESTADDRREQ): it has no peer to send to; use WriteTo.
var ErrNotConnected = errors.New("simnet: Write on a conn that is not connected (made by Listen, not Dial): use WriteTo")

// Dial binds a conn on the next free ephemeral port of h and connects it to raddr
// ("host:port", where host is a host's name or any IPv4 address): the analogue of
// net.DialUDP. A connected conn is a net.Conn as well as a net.PacketConn: Write sends to
// the peer, Read and ReadFrom return only datagrams from the peer's address and port
// (others are dropped on arrival and counted as NoListener, as Linux answers them with
// port unreachable), RemoteAddr is the peer's *net.UDPAddr. WriteTo may still name any
// address, as sendto on a connected Linux socket may. Nothing is sent by Dial itself.
func (h *Host) Dial(raddr string) (*Conn, error) {
	h.n.mu.Lock()
	defer h.n.mu.Unlock()
	return h.dialLocked(0, raddr)
}

// Dial is net.Dial's analogue for a network: network must be "udp" or "udp4", laddr
// names the local side ("host" or "host:port", port 0 or none for an ephemeral one) and
// raddr the peer as for Host.Dial.
func (n *Network) Dial(network, laddr, raddr string) (*Conn, error) {
	if network != "udp" && network != "udp4" {
		return nil, fmt.Errorf("simnet: Dial network %q: only \"udp\" and \"udp4\" are simulated", network)
	}
	hs, ps, err := net.SplitHostPort(laddr)
	if err != nil {
		hs, ps = laddr, "0"
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return nil, fmt.Errorf("simnet: Dial local address %q: port %q is not a number", laddr, ps)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	h, err := n.lookupLocked(hs)
	if err != nil {
		return nil, fmt.Errorf("simnet: Dial local address %q: %w", laddr, err)
	}
	return h.dialLocked(port, raddr)
}

func (h *Host) dialLocked(port int, raddr string) (*Conn, error) {
	ap, err := h.n.resolveLocked(raddr)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "udp", Err: err}
	}
	c, err := h.listenLocked(port)
	if err != nil {
		return nil, err
	}
	c.remote = &net.UDPAddr{IP: ap.Addr().AsSlice(), Port: int(ap.Port())}
	c.remoteAP = ap
	return c, nil
}

// resolveLocked turns "host:port" (a host's name or an IPv4 address) into an address.
func (n *Network) resolveLocked(s string) (netip.AddrPort, error) {
	hs, ps, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w %q: want host:port", ErrBadAddr, s)
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p <= 0 || p > 65535 {
		return netip.AddrPort{}, fmt.Errorf("%w %q: port %q: want 1-65535", ErrBadAddr, s, ps)
	}
	a, err := netip.ParseAddr(hs)
	if err != nil {
		h := n.byName[hs]
		if h == nil {
			return netip.AddrPort{}, fmt.Errorf("%w %q", ErrUnknownHost, hs)
		}
		a = h.addr
	}
	if a = a.Unmap(); !a.Is4() {
		return netip.AddrPort{}, fmt.Errorf("%w %q: only IPv4 is simulated", ErrBadAddr, s)
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// fromPeerLocked reports whether a datagram from src may be read by c: any source for a
// conn made by Listen, only the peer for one made by Dial.
func (c *Conn) fromPeerLocked(src *Conn) bool {
	return c.remote == nil || src.AddrPort() == c.remoteAP
}

// RemoteAddr returns the peer of a conn made by Dial, a *net.UDPAddr, or nil.
func (c *Conn) RemoteAddr() net.Addr {
	if c.remote == nil {
		return nil
	}
	return c.remote
}

// Read reads the next datagram into p, like ReadFrom without the source.
func (c *Conn) Read(p []byte) (int, error) {
	k, _, err := c.read(p)
	return k, err
}

// Write sends p as one datagram to the peer of a conn made by Dial; on any other conn it
// fails with ErrNotConnected.
func (c *Conn) Write(p []byte) (int, error) {
	if c.remote == nil {
		return 0, c.opErr("write", nil, ErrNotConnected)
	}
	return c.WriteTo(p, c.remote)
}

// SetReadBuffer sets the conn's receive buffer to bytes (Config.RecvBuffer's meaning,
// for this conn only), as a socket's SO_RCVBUF; there is no rmem_max cap.
func (c *Conn) SetReadBuffer(bytes int) error {
	if bytes < 0 {
		return c.opErr("set", nil, fmt.Errorf("simnet: SetReadBuffer(%d): want >= 0", bytes))
	}
	n := c.n
	n.mu.Lock()
	defer n.mu.Unlock()
	c.recvBuf = bytes
	return nil
}

// SetWriteBuffer accepts any size >= 0 and does nothing else: writes never block or
// queue at the sender in simnet (a link's queue is netem's).
func (c *Conn) SetWriteBuffer(bytes int) error {
	if bytes < 0 {
		return c.opErr("set", nil, fmt.Errorf("simnet: SetWriteBuffer(%d): want >= 0", bytes))
	}
	return nil
}

var _ net.Conn = (*Conn)(nil)
