package simnet

import (
	"time"

	"github.com/dist-example/dist-example/simnet/netem"
)

// HeaderOverhead is what netem's rate and slot byte budgets charge for a datagram beyond
// its payload: the 20-byte IPv4 header and the 8-byte UDP header, as the kernel's netem
// and realnet/proxy charge them (simnet is IPv4 only). The kernel also charges the
// link-layer header (14 bytes on Ethernet), which simnet has none of: to match a real
// Ethernet link, give rate a packet overhead ("rate 1mbit 14").
const HeaderOverhead = 20 + 8

// pairKey names a directed host pair by the hosts' positions.
type pairKey struct{ src, dst int32 }

// meta travels with each packet through the netem link.
type meta struct {
	from    *Conn // the sender: its cached address is handed to the reader as is
	dstPort uint16
}

// link is one direction between two hosts: a netem.Link plus the network's own
// accounting of what happened before and after it. Guarded by Network.mu.
type link struct {
	src, dst *Host
	name     string // "src->dst", for traces
	nl       *netem.Link[meta]

	// The conn the last arrival went to, and its port: still bound there while open
	// (closing unbinds it, and a port has one open conn at most).
	lastConn *Conn
	lastPort uint16

	armed   bool // an evLink event with token tok is pending at armedAt
	armedAt time.Duration
	tok     uint64

	partitioned uint64 // dropped at send: a partition cut src from dst
	downDrops   uint64 // dropped at send: the link was down
	noListener  uint64 // arrived at a port nobody listens on
	hostDown    uint64 // arrived at a crashed host
	recvBuf     uint64 // arrived at a full receive buffer
}

// mix64 is splitmix64's finaliser: it spreads the bits of x so that nearby seeds and
// addresses give unrelated link seeds.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// linkSeed depends only on the network's seed and the two addresses, so a link draws the
// same numbers whatever order links are created in.
func linkSeed(seed uint64, src, dst [4]byte) uint64 {
	a := uint64(src[0])<<24 | uint64(src[1])<<16 | uint64(src[2])<<8 | uint64(src[3])
	b := uint64(dst[0])<<24 | uint64(dst[1])<<16 | uint64(dst[2])<<8 | uint64(dst[3])
	return mix64(mix64(seed) ^ (a<<32 | b))
}

// linkLocked returns the link from src to dst, creating it on first use.
func (n *Network) linkLocked(src, dst *Host) *link {
	k := pairKey{int32(src.idx), int32(dst.idx)}
	if l := n.links[k]; l != nil {
		return l
	}
	l := &link{src: src, dst: dst, name: src.name + "->" + dst.name}
	l.nl = netem.NewLink[meta](n.profileLocked(k), linkSeed(n.seed, src.addr.As4(), dst.addr.As4()))
	l.nl.Clone = n.pool.clone
	l.nl.SetCorrelation(n.corr)
	if n.trace != nil {
		l.nl.Observe = func(now time.Duration, kind netem.EventKind, p *netem.Packet[meta]) {
			n.trace.netemEvent(now, l, kind, p)
		}
	}
	n.links[k] = l
	return l
}

// profileLocked is the profile a link between k's hosts gets: its own, else the default
// (loopback traffic is unimpaired unless set explicitly).
func (n *Network) profileLocked(k pairKey) netem.Profile {
	if p, ok := n.overrides[k]; ok {
		return p
	}
	if k.src == k.dst {
		return netem.Profile{}
	}
	return n.def
}

// sendLocked puts a copy of p on the link from c's host towards port of l.dst.
func (n *Network) sendLocked(c *Conn, l *link, p []byte, port uint16) {
	if len(n.blocked) > 0 {
		if why := n.blocked[pairKey{int32(l.src.idx), int32(l.dst.idx)}]; why != 0 {
			if why&blockDown != 0 {
				l.downDrops++
				n.trace.drop(n.now, l, len(p), port, EvDown)
			} else {
				l.partitioned++
				n.trace.drop(n.now, l, len(p), port, EvPartition)
			}
			return
		}
	}
	buf := n.pool.get(len(p))
	copy(buf, p)
	pkt := netem.Packet[meta]{Data: buf, WireLen: len(p) + HeaderOverhead, Meta: meta{from: c, dstPort: port}}
	orig, dupMade, dup := l.nl.Enqueue(n.now, pkt)
	if orig != netem.Queued && (!dupMade || dup != netem.Queued) {
		n.pool.put(buf)
	}
	n.armLocked(l)
}

// armLocked keeps exactly one live evLink event per link, at the link's next due time.
func (n *Network) armLocked(l *link) {
	due, ok := l.nl.NextDue()
	if !ok {
		return
	}
	n.armAtLocked(l, due)
}

// armAtLocked is armLocked with the link's next due time already asked.
func (n *Network) armAtLocked(l *link, due time.Duration) {
	if due < n.now {
		due = n.now
	}
	if l.armed && l.armedAt <= due {
		return
	}
	l.tok++
	l.armed, l.armedAt = true, due
	n.pushLocked(linkEv(due, l, l.tok))
}

// fireLinkLocked delivers every packet the link lets go now and re-arms it.
func (n *Network) fireLinkLocked(l *link) {
	l.armed = false
	got := false
	var p netem.Packet[meta]
	for l.nl.DequeueTo(n.now, &p) {
		got = true
		n.arriveLocked(l, &p)
	}
	due, ok := l.nl.NextDue()
	if !ok {
		return
	}
	if !got && due <= n.now {
		// The link says something is due but released nothing; look again a nanosecond
		// later rather than spin at this instant.
		l.tok++
		l.armed, l.armedAt = true, n.now+1
		n.pushLocked(linkEv(n.now+1, l, l.tok))
		return
	}
	n.armAtLocked(l, due)
}

// arriveLocked hands a packet that left its link to the conn bound at its port.
func (n *Network) arriveLocked(l *link, p *netem.Packet[meta]) {
	dst := l.dst
	if dst.down {
		l.hostDown++
		n.trace.arrive(n.now, l, p, EvHostDown)
		n.pool.put(p.Data)
		return
	}
	c := l.lastConn // a stream goes to one port: skip the map lookup
	if c == nil || l.lastPort != p.Meta.dstPort || c.closed != nil {
		c = dst.ports[p.Meta.dstPort]
		l.lastConn, l.lastPort = c, p.Meta.dstPort
	}
	if c == nil || !c.fromPeerLocked(p.Meta.from) {
		l.noListener++
		n.trace.arrive(n.now, l, p, EvNoPort)
		n.pool.put(p.Data)
		return
	}
	if !c.enqueueLocked(p.Data, p.Meta.from) {
		l.recvBuf++
		n.trace.arrive(n.now, l, p, EvRecvBuf)
		n.pool.put(p.Data)
		return
	}
	n.trace.arrive(n.now, l, p, EvDeliver)
}
