package simnet

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"
)

// MaxPayload is the largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header).
const MaxPayload = 65507

// Conn is a UDP socket bound to one port of one host. It implements net.PacketConn with
// UDP's semantics; see the package doc for what blocks and where.
type Conn struct {
	n    *Network     // read-only
	h    *Host        // read-only
	port uint16       // read-only
	addr *net.UDPAddr // read-only: returned by LocalAddr
	peer *net.UDPAddr // read-only: returned by readers' ReadFrom as this conn's address

	closed  error // requires Network.mu: nil while open
	q       []dgram
	head    int
	qlen    int
	qBytes  int
	readers []*gor        // waiting in ReadFrom, first come first served
	wake    chan struct{} // synctest mode: closed when the conn changes, to wake its readers
	recvBuf int           // receive buffer in bytes (SetReadBuffer; Config.RecvBuffer at first)

	remote   *net.UDPAddr // the peer of a conn made by Dial, else nil (read-only)
	remoteAP netip.AddrPort

	rdl, wdl       time.Duration // deadlines, as virtual times
	hasRdl, hasWdl bool

	lastIP   [4]byte // the last destination, so that a stream skips the map lookups
	lastLink *link
}

var _ net.PacketConn = (*Conn)(nil)

type dgram struct {
	data []byte
	from *Conn
}

func newConn(h *Host, port uint16) *Conn {
	ip := h.addr.AsSlice()
	return &Conn{
		n: h.n, h: h, port: port,
		addr: &net.UDPAddr{IP: ip, Port: int(port)},
		peer: &net.UDPAddr{IP: h.addr.AsSlice(), Port: int(port)},

		recvBuf: h.n.recvBuf,
	}
}

// LocalAddr returns the conn's address, a *net.UDPAddr.
func (c *Conn) LocalAddr() net.Addr { return c.addr }

// AddrPort returns the conn's address as a netip.AddrPort.
func (c *Conn) AddrPort() netip.AddrPort { return netip.AddrPortFrom(c.h.addr, c.port) }

// Host returns the host the conn is bound on.
func (c *Conn) Host() *Host { return c.h }

func (c *Conn) opErr(op string, raddr net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "udp", Source: c.addr, Addr: raddr, Err: err}
}

// ReadFrom returns the next datagram: its first len(p) bytes (the rest is discarded, as
// UDP does) and its source, a *net.UDPAddr shared by every datagram from that source
// (do not modify it). With nothing queued it blocks the calling simulated goroutine until
// a datagram arrives, the read deadline passes or the conn is closed. Outside a simulated
// goroutine it does not block: with nothing queued it fails with ErrNotSimulated, or
// ErrStray from a goroutine that a simulated goroutine started with a plain go statement.
// In synctest mode any goroutine of the bubble may block in it.
func (c *Conn) ReadFrom(p []byte) (int, net.Addr, error) {
	k, src, err := c.read(p)
	if err != nil {
		return 0, nil, err
	}
	return k, src.peer, nil
}

// ReadFromUDPAddrPort is ReadFrom returning the source as a value, as *net.UDPConn's
// method of that name does.
func (c *Conn) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	k, src, err := c.read(p)
	if err != nil {
		return 0, netip.AddrPort{}, err
	}
	return k, src.AddrPort(), nil
}

func (c *Conn) read(p []byte) (int, *Conn, error) {
	n := c.n
	n.lock()
	for {
		if c.closed != nil {
			c.passOnLocked()
			n.mu.Unlock()
			return 0, nil, c.opErr("read", nil, c.closed)
		}
		if c.hasRdl && n.now >= c.rdl {
			c.passOnLocked()
			n.mu.Unlock()
			return 0, nil, c.opErr("read", nil, os.ErrDeadlineExceeded)
		}
		if c.qlen > 0 {
			d := c.popLocked()
			k := copy(p, d.data)
			n.pool.put(d.data)
			n.mu.Unlock()
			return k, d.from, nil
		}
		if n.st != nil {
			c.stWaitLocked()
			continue
		}
		g, err := n.holderLocked("ReadFrom")
		if err != nil {
			n.mu.Unlock()
			return 0, nil, c.opErr("read", nil, err)
		}
		n.exitIfClosedLocked()
		c.readers = append(c.readers, g)
		n.blockLocked(g, waitRead, c, c.rdl, c.hasRdl)
		c.removeReaderLocked(g)
	}
}

// passOnLocked wakes the next waiting reader when a reader leaves without taking the
// datagram it was woken for (its deadline passed first).
func (c *Conn) passOnLocked() {
	if c.qlen > 0 && len(c.readers) > 0 {
		c.wakeReaderLocked()
	}
}

func (c *Conn) wakeReaderLocked() {
	g := c.readers[0]
	if len(c.readers) > 1 {
		copy(c.readers, c.readers[1:])
	}
	c.readers[len(c.readers)-1] = nil
	c.readers = c.readers[:len(c.readers)-1]
	c.n.wakeLocked(g)
}

func (c *Conn) removeReaderLocked(g *gor) {
	for i, r := range c.readers {
		if r == g {
			copy(c.readers[i:], c.readers[i+1:])
			c.readers[len(c.readers)-1] = nil
			c.readers = c.readers[:len(c.readers)-1]
			return
		}
	}
}

// enqueueLocked queues an arriving datagram (owning data) unless the receive buffer is
// full, and wakes a waiting reader.
func (c *Conn) enqueueLocked(data []byte, from *Conn) bool {
	cost := len(data) + DatagramOverhead
	if c.qBytes+cost > c.recvBuf {
		return false
	}
	if c.qlen == len(c.q) {
		c.growLocked()
	}
	c.q[(c.head+c.qlen)&(len(c.q)-1)] = dgram{data: data, from: from}
	c.qlen++
	c.qBytes += cost
	c.stWakeLocked()
	if len(c.readers) > 0 {
		c.wakeReaderLocked()
	}
	return true
}

func (c *Conn) growLocked() {
	q := make([]dgram, max(16, 2*len(c.q)))
	for i := 0; i < c.qlen; i++ {
		q[i] = c.q[(c.head+i)&(len(c.q)-1)]
	}
	c.q, c.head = q, 0
}

func (c *Conn) popLocked() dgram {
	d := c.q[c.head]
	c.q[c.head] = dgram{}
	c.head = (c.head + 1) & (len(c.q) - 1)
	c.qlen--
	c.qBytes -= len(d.data) + DatagramOverhead
	return d
}

// WriteTo sends p as one datagram to addr, a *net.UDPAddr or any net.Addr whose String is
// "ip:port" or "hostname:port". It never blocks. Like UDP, it reports success for a
// datagram that is then lost, partitioned away or sent to a port nobody listens on; it
// fails for a payload over MaxPayload, a bad address, a closed conn or a passed write
// deadline.
func (c *Conn) WriteTo(p []byte, addr net.Addr) (int, error) {
	n := c.n
	if len(p) > MaxPayload {
		return 0, c.opErr("write", addr, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(p)))
	}
	var ip [4]byte
	var port uint16
	var name string
	if a, ok := addr.(*net.UDPAddr); ok && a != nil && len(a.IP) == net.IPv4len && a.Port > 0 && a.Port <= 65535 {
		ip, port = [4]byte(a.IP), uint16(a.Port) // destOf's answer, without the call
	} else {
		var err error
		if ip, port, name, err = destOf(addr); err != nil {
			return 0, c.opErr("write", addr, err)
		}
	}
	n.lock()
	if c.closed != nil {
		n.mu.Unlock()
		return 0, c.opErr("write", addr, c.closed)
	}
	if c.hasWdl && n.now >= c.wdl {
		n.mu.Unlock()
		return 0, c.opErr("write", addr, os.ErrDeadlineExceeded)
	}
	l := c.lastLink
	if l == nil || name != "" || ip != c.lastIP {
		var dst *Host
		if name != "" {
			dst = n.byName[name]
			if dst == nil {
				n.mu.Unlock()
				return 0, c.opErr("write", addr, fmt.Errorf("%w %q", ErrUnknownHost, name))
			}
		} else {
			dst = n.byAddr[netip.AddrFrom4(ip)]
		}
		if dst == nil {
			// No host has this address: the datagram leaves and is never seen again.
			n.noRouteSent++
			n.trace.noRoute(n.now, c.h, ip, port, len(p))
			n.mu.Unlock()
			return len(p), nil
		}
		l = n.linkLocked(c.h, dst)
		if name == "" {
			c.lastIP, c.lastLink = ip, l
		}
	}
	n.sendLocked(c, l, p, port)
	n.mu.Unlock()
	return len(p), nil
}

// destOf extracts an IPv4 destination, or a host name to look up, from addr.
func destOf(addr net.Addr) (ip [4]byte, port uint16, name string, err error) {
	var p int
	switch a := addr.(type) {
	case *net.UDPAddr:
		if a == nil {
			return ip, 0, "", fmt.Errorf("%w: nil *net.UDPAddr", ErrBadAddr)
		}
		v4 := a.IP.To4()
		if v4 == nil {
			return ip, 0, "", fmt.Errorf("%w %v: only IPv4 is simulated", ErrBadAddr, a.IP)
		}
		copy(ip[:], v4)
		p = a.Port
	case nil:
		return ip, 0, "", fmt.Errorf("%w: missing address", ErrBadAddr)
	default:
		s := addr.String()
		if ap, perr := netip.ParseAddrPort(s); perr == nil {
			a4 := ap.Addr().Unmap()
			if !a4.Is4() {
				return ip, 0, "", fmt.Errorf("%w %q: only IPv4 is simulated", ErrBadAddr, s)
			}
			ip, p = a4.As4(), int(ap.Port())
			break
		}
		hs, ps, serr := net.SplitHostPort(s)
		if serr != nil {
			return ip, 0, "", fmt.Errorf("%w %q: want ip:port or hostname:port", ErrBadAddr, s)
		}
		if p, serr = strconv.Atoi(ps); serr != nil {
			return ip, 0, "", fmt.Errorf("%w %q: port %q is not a number", ErrBadAddr, s, ps)
		}
		name = hs
	}
	if p <= 0 || p > 65535 {
		return ip, 0, "", fmt.Errorf("%w: port %d out of range 1-65535", ErrBadAddr, p)
	}
	return ip, uint16(p), name, nil
}

// Close closes the conn and frees its port; a ReadFrom blocked on it returns net.ErrClosed.
func (c *Conn) Close() error {
	n := c.n
	n.lock()
	defer n.mu.Unlock()
	if c.closed != nil {
		return c.opErr("close", nil, net.ErrClosed)
	}
	c.closeLocked(errClosed)
	return nil
}

func (c *Conn) closeLocked(err error) {
	c.closed = err
	if c.h.ports[c.port] == c {
		delete(c.h.ports, c.port)
	}
	for c.qlen > 0 {
		c.n.pool.put(c.popLocked().data)
	}
	c.stWakeLocked()
	for len(c.readers) > 0 {
		c.wakeReaderLocked()
	}
}

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

// SetReadDeadline sets the virtual time after which ReadFrom fails with an error wrapping
// os.ErrDeadlineExceeded; the zero time clears it. t is read on the network's Clock
// (Epoch plus virtual time; in synctest mode that is the bubble's time.Now). Blocked
// readers see the new deadline at once.
func (c *Conn) SetReadDeadline(t time.Time) error {
	n := c.n
	n.lock()
	defer n.mu.Unlock()
	if c.closed != nil {
		return c.opErr("set", nil, c.closed)
	}
	c.rdl, c.hasRdl = n.virtualTime(t)
	c.stWakeLocked()
	for len(c.readers) > 0 {
		c.wakeReaderLocked() // they re-check and re-arm with the new deadline
	}
	return nil
}

// SetWriteDeadline sets the virtual time after which WriteTo fails; writes never block,
// so it matters only once it has passed.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	n := c.n
	n.lock()
	defer n.mu.Unlock()
	if c.closed != nil {
		return c.opErr("set", nil, c.closed)
	}
	c.wdl, c.hasWdl = n.virtualTime(t)
	return nil
}

func (n *Network) virtualTime(t time.Time) (time.Duration, bool) {
	if t.IsZero() {
		return 0, false
	}
	return t.Sub(n.epoch), true
}
