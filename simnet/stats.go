package simnet

import (
	"cmp"
	"slices"
)

// Stats counts datagrams. Conservation holds at every instant:
//
//	Sent + Duplicated = Delivered + Dropped() + InFlight
//
// Delivered means queued at the destination conn (read or not).
type Stats struct {
	Sent       uint64 // datagrams WriteTo accepted
	Delivered  uint64 // copies that reached a conn's receive queue
	Duplicated uint64 // clones made by netem's duplicate
	Corrupted  uint64 // copies with one bit flipped (they are still delivered)
	Reordered  uint64 // copies netem's reorder sent at once
	InFlight   uint64 // copies on a link now

	Lost        uint64 // dropped by netem's loss model
	LimitDrops  uint64 // dropped at netem's queue limit
	Partitioned uint64 // dropped at send by a partition
	LinkDown    uint64 // dropped at send by a downed link
	NoListener  uint64 // arrived at a port nobody listens on
	HostDown    uint64 // arrived at a crashed host
	RecvBuffer  uint64 // arrived at a full receive buffer
	NoRoute     uint64 // sent to an address no host has (network totals only)
}

// Dropped sums every kind of drop.
func (s Stats) Dropped() uint64 {
	return s.Lost + s.LimitDrops + s.Partitioned + s.LinkDown + s.NoListener + s.HostDown + s.RecvBuffer + s.NoRoute
}

func (s *Stats) add(o Stats) {
	s.Sent += o.Sent
	s.Delivered += o.Delivered
	s.Duplicated += o.Duplicated
	s.Corrupted += o.Corrupted
	s.Reordered += o.Reordered
	s.InFlight += o.InFlight
	s.Lost += o.Lost
	s.LimitDrops += o.LimitDrops
	s.Partitioned += o.Partitioned
	s.LinkDown += o.LinkDown
	s.NoListener += o.NoListener
	s.HostDown += o.HostDown
	s.RecvBuffer += o.RecvBuffer
	s.NoRoute += o.NoRoute
}

func (l *link) statsLocked() Stats {
	ns := l.nl.Stats()
	after := l.noListener + l.hostDown + l.recvBuf
	return Stats{
		Sent:        ns.Sent + l.partitioned + l.downDrops,
		Delivered:   ns.Delivered - after,
		Duplicated:  ns.Duplicated,
		Corrupted:   ns.Corrupted,
		Reordered:   ns.Reordered,
		InFlight:    ns.InFlight,
		Lost:        ns.Lost,
		LimitDrops:  ns.LimitDrops,
		Partitioned: l.partitioned,
		LinkDown:    l.downDrops,
		NoListener:  l.noListener,
		HostDown:    l.hostDown,
		RecvBuffer:  l.recvBuf,
	}
}

// LinkStats returns the counters of the link from src to dst (zero if it never carried
// anything).
func (n *Network) LinkStats(src, dst string) (Stats, error) {
	n.lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked("LinkStats", []string{src, dst})
	if err != nil {
		return Stats{}, err
	}
	if l := n.links[pairKey{int32(hs[0].idx), int32(hs[1].idx)}]; l != nil {
		return l.statsLocked(), nil
	}
	return Stats{}, nil
}

// LinkCount is one link's counters, as Links returns them.
type LinkCount struct {
	Src, Dst string
	Stats    Stats
}

// Links returns the counters of every link that carried anything, ordered by the hosts'
// order of creation. A link ChangeLink set up before it carried anything is left out
// until it does, as if it did not exist yet.
func (n *Network) Links() []LinkCount {
	n.lock()
	defer n.mu.Unlock()
	keys := make([]pairKey, 0, len(n.links))
	for k := range n.links {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pairKey) int {
		return cmp.Or(cmp.Compare(a.src, b.src), cmp.Compare(a.dst, b.dst))
	})
	out := make([]LinkCount, 0, len(keys))
	for _, k := range keys {
		l := n.links[k]
		if st := l.statsLocked(); st.Sent != 0 { // every counter follows from a send
			out = append(out, LinkCount{Src: l.src.name, Dst: l.dst.name, Stats: st})
		}
	}
	return out
}

// Stats returns the network's totals.
func (n *Network) Stats() Stats {
	n.lock()
	defer n.mu.Unlock()
	var s Stats
	for _, l := range n.links {
		s.add(l.statsLocked())
	}
	s.Sent += n.noRouteSent
	s.NoRoute += n.noRouteSent
	return s
}
