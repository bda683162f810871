package simnet

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Ephemeral ports, handed out in order for Listen with port 0 (IANA's dynamic range).
const (
	firstEphemeral = 49152
	lastEphemeral  = 65535
)

// Host is one machine of the network: a name, an IPv4 address and its bound ports.
type Host struct {
	n    *Network   // read-only
	name string     // read-only
	addr netip.Addr // read-only
	idx  int        // read-only: position in Network.hosts

	ports     map[uint16]*Conn // requires Network.mu
	ephemeral int              // requires Network.mu: next port to try for port 0
	down      bool             // requires Network.mu: crashed and not restarted
}

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Addr returns the host's IPv4 address.
func (h *Host) Addr() netip.Addr { return h.addr }

// AddHost adds a host named name with the next free automatic address: 10.0.0.1, 10.0.0.2,
// ... (skipping .0 and .255 in the last byte and any address already taken).
func (n *Network) AddHost(name string) (*Host, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.checkNameLocked(name); err != nil {
		return nil, err
	}
	for {
		n.nextAuto++
		if n.nextAuto >= 1<<24 {
			return nil, fmt.Errorf("simnet: AddHost %q: no automatic addresses left in 10.0.0.0/8", name)
		}
		if b := byte(n.nextAuto); b == 0 || b == 255 {
			continue
		}
		a := netip.AddrFrom4([4]byte{10, byte(n.nextAuto >> 16), byte(n.nextAuto >> 8), byte(n.nextAuto)})
		if _, taken := n.byAddr[a]; !taken {
			return n.addHostLocked(name, a)
		}
	}
}

// AddHostAddr adds a host named name with the IPv4 address addr.
func (n *Network) AddHostAddr(name string, addr netip.Addr) (*Host, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !addr.Is4() {
		return nil, fmt.Errorf("simnet: AddHostAddr %q: address %v: need an IPv4 address such as 10.0.0.1", name, addr)
	}
	if addr.IsUnspecified() || addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return nil, fmt.Errorf("simnet: AddHostAddr %q: address %v cannot be a host's", name, addr)
	}
	return n.addHostLocked(name, addr)
}

func (n *Network) checkNameLocked(name string) error {
	if name == "" || strings.ContainsAny(name, ": \t\n>") {
		return fmt.Errorf("simnet: host name %q: must be non-empty, without spaces, ':' or '>'", name)
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return fmt.Errorf("simnet: host name %q: must not be an IP address", name)
	}
	if _, dup := n.byName[name]; dup {
		return fmt.Errorf("simnet: host name %q: already in use", name)
	}
	return nil
}

func (n *Network) addHostLocked(name string, addr netip.Addr) (*Host, error) {
	if err := n.checkNameLocked(name); err != nil {
		return nil, err
	}
	if other, dup := n.byAddr[addr]; dup {
		return nil, fmt.Errorf("simnet: host %q: address %v already belongs to %q", name, addr, other.name)
	}
	h := &Host{n: n, name: name, addr: addr, idx: len(n.hosts), ports: make(map[uint16]*Conn), ephemeral: firstEphemeral}
	n.hosts = append(n.hosts, h)
	n.byName[name] = h
	n.byAddr[addr] = h
	return h, nil
}

// Host returns the host named name, or nil.
func (n *Network) Host(name string) *Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.byName[name]
}

// Hosts returns the hosts in the order they were added.
func (n *Network) Hosts() []*Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*Host(nil), n.hosts...)
}

// lookupLocked finds a host by name or by address text.
func (n *Network) lookupLocked(s string) (*Host, error) {
	if h := n.byName[s]; h != nil {
		return h, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if h := n.byAddr[a.Unmap()]; h != nil {
			return h, nil
		}
	}
	return nil, fmt.Errorf("%w %q (want a host name or address given to AddHost)", ErrUnknownHost, s)
}

// Listen binds a conn on port of h; port 0 picks the next free ephemeral port (49152 and
// up, in order, so the choice is deterministic).
func (h *Host) Listen(port int) (*Conn, error) {
	n := h.n
	n.mu.Lock()
	defer n.mu.Unlock()
	return h.listenLocked(port)
}

func (h *Host) listenLocked(port int) (*Conn, error) {
	n := h.n
	opErr := func(err error) error {
		return &net.OpError{Op: "listen", Net: "udp", Addr: &net.UDPAddr{IP: h.addr.AsSlice(), Port: port}, Err: err}
	}
	switch {
	case n.closed:
		return nil, opErr(ErrNetworkClosed)
	case h.down:
		return nil, opErr(ErrHostDown)
	case port < 0 || port > 65535:
		return nil, fmt.Errorf("simnet: listen on %s: port %d out of range 0-65535", h.name, port)
	}
	if port == 0 {
		for tries := 0; ; tries++ {
			if tries > lastEphemeral-firstEphemeral {
				return nil, opErr(ErrNoFreePort)
			}
			p := h.ephemeral
			h.ephemeral++
			if h.ephemeral > lastEphemeral {
				h.ephemeral = firstEphemeral
			}
			if h.ports[uint16(p)] == nil {
				port = p
				break
			}
		}
	} else if h.ports[uint16(port)] != nil {
		return nil, opErr(ErrAddrInUse)
	}
	c := newConn(h, uint16(port))
	h.ports[uint16(port)] = c
	return c, nil
}

// Listen binds a conn at address "host:port", where host is a host's name or address;
// port 0 picks a free port.
func (n *Network) Listen(address string) (*Conn, error) {
	hs, ps, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("simnet: listen %q: want host:port: %w", address, err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return nil, fmt.Errorf("simnet: listen %q: port %q is not a number", address, ps)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	h, err := n.lookupLocked(hs)
	if err != nil {
		return nil, fmt.Errorf("simnet: listen %q: %w", address, err)
	}
	return h.listenLocked(port)
}

// ListenPacket is Listen with net.ListenPacket's arguments; network must be "udp" or "udp4".
func (n *Network) ListenPacket(network, address string) (*Conn, error) {
	if network != "udp" && network != "udp4" {
		return nil, fmt.Errorf("simnet: ListenPacket network %q: only \"udp\" and \"udp4\" are simulated", network)
	}
	return n.Listen(address)
}

// closeConnsLocked closes every conn of h with err (a crash or the network's close).
func (h *Host) closeConnsLocked(err error) {
	ports := make([]int, 0, len(h.ports))
	for p := range h.ports {
		ports = append(ports, int(p))
	}
	slices.Sort(ports) // wake order must not depend on map iteration
	for _, p := range ports {
		h.ports[uint16(p)].closeLocked(err)
	}
}
