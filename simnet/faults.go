package simnet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dist-example/dist-example/simnet/netem"
)

// blockReason says why datagrams from one host to another are refused at send time.
type blockReason uint8

const (
	blockPartition blockReason = 1 << iota
	blockDown
)

// hostsLocked resolves names (or addresses) to hosts, naming the first unknown one.
func (n *Network) hostsLocked(op string, names []string) ([]*Host, error) {
	hs := make([]*Host, 0, len(names))
	for _, s := range names {
		h, err := n.lookupLocked(s)
		if err != nil {
			return nil, fmt.Errorf("simnet: %s: %w", op, err)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// Partition cuts every host of a off from every host of b, both ways, until Heal.
// Datagrams already on a link still arrive; new ones are dropped and counted as
// Partitioned.
func (n *Network) Partition(a, b []string) error { return n.partition("Partition", a, b, true) }

// PartitionOneWay drops datagrams from the hosts of from to the hosts of to, but not the
// other way, until Heal.
func (n *Network) PartitionOneWay(from, to []string) error {
	return n.partition("PartitionOneWay", from, to, false)
}

func (n *Network) partition(op string, a, b []string, both bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	ha, err := n.hostsLocked(op, a)
	if err != nil {
		return err
	}
	hb, err := n.hostsLocked(op, b)
	if err != nil {
		return err
	}
	for _, x := range ha {
		for _, y := range hb {
			n.setBlockLocked(x, y, blockPartition, true)
			if both {
				n.setBlockLocked(y, x, blockPartition, true)
			}
		}
	}
	arrow := " -> "
	if both {
		arrow = " <-> "
	}
	n.trace.fault(n.now, "partition "+strings.Join(a, ",")+arrow+strings.Join(b, ","))
	return nil
}

// Heal removes every partition (downed links stay down).
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for k, why := range n.blocked {
		if why &^= blockPartition; why == 0 {
			delete(n.blocked, k)
		} else {
			n.blocked[k] = why
		}
	}
	n.trace.fault(n.now, "heal")
}

// LinkDown takes the link between hosts a and b down, both directions, until LinkUp.
// Datagrams already on it still arrive; new ones are dropped and counted as LinkDown.
func (n *Network) LinkDown(a, b string) error { return n.linkUpDown("LinkDown", a, b, true) }

// LinkUp brings the link between a and b back up.
func (n *Network) LinkUp(a, b string) error { return n.linkUpDown("LinkUp", a, b, false) }

func (n *Network) linkUpDown(op, a, b string, down bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked(op, []string{a, b})
	if err != nil {
		return err
	}
	n.setBlockLocked(hs[0], hs[1], blockDown, down)
	n.setBlockLocked(hs[1], hs[0], blockDown, down)
	if down {
		n.trace.fault(n.now, "down "+hs[0].name+" "+hs[1].name)
	} else {
		n.trace.fault(n.now, "up "+hs[0].name+" "+hs[1].name)
	}
	return nil
}

func (n *Network) setBlockLocked(src, dst *Host, r blockReason, on bool) {
	k := pairKey{int32(src.idx), int32(dst.idx)}
	why := n.blocked[k]
	if on {
		why |= r
	} else {
		why &^= r
	}
	if why == 0 {
		delete(n.blocked, k)
	} else {
		n.blocked[k] = why
	}
}

// Crash stops host name: its conns are closed (blocked reads and later calls fail with
// errors matching both net.ErrClosed and ErrHostDown), its ports are freed, datagrams
// arriving for it are dropped (HostDown) and Listen on it fails until Restart.
func (n *Network) Crash(name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	h, err := n.lookupLocked(name)
	if err != nil {
		return fmt.Errorf("simnet: Crash: %w", err)
	}
	h.down = true
	h.closeConnsLocked(errCrash)
	n.trace.fault(n.now, "crash "+h.name)
	return nil
}

// Restart brings a crashed host back with no conns; programs listen again.
func (n *Network) Restart(name string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	h, err := n.lookupLocked(name)
	if err != nil {
		return fmt.Errorf("simnet: Restart: %w", err)
	}
	h.down = false
	n.trace.fault(n.now, "restart "+h.name)
	return nil
}

// SetLink gives the link from src to dst its own profile, replacing the default; a link
// already carrying packets changes with tc's "change" semantics (queued packets keep
// their due times).
func (n *Network) SetLink(src, dst string, p netem.Profile) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("simnet: SetLink %s->%s: %w", src, dst, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked("SetLink", []string{src, dst})
	if err != nil {
		return err
	}
	k := pairKey{int32(hs[0].idx), int32(hs[1].idx)}
	n.overrides[k] = p
	if l := n.links[k]; l != nil {
		l.nl.SetProfile(p)
		n.armLocked(l)
	}
	n.trace.fault(n.now, "profile "+hs[0].name+"->"+hs[1].name+" "+profileText(p))
	return nil
}

// SetDefault changes the profile of every link between two different hosts that has
// none of its own, including links already carrying packets.
func (n *Network) SetDefault(p netem.Profile) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("simnet: SetDefault: %w", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.def = p
	keys := make([]pairKey, 0, len(n.links))
	for k := range n.links {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pairKey) int {
		return cmp.Or(cmp.Compare(a.src, b.src), cmp.Compare(a.dst, b.dst))
	})
	for _, k := range keys {
		if _, own := n.overrides[k]; own || k.src == k.dst {
			continue
		}
		l := n.links[k]
		l.nl.SetProfile(p)
		n.armLocked(l)
	}
	n.trace.fault(n.now, "default "+profileText(p))
	return nil
}

// LinkProfile returns the profile the link from src to dst has (or will have).
func (n *Network) LinkProfile(src, dst string) (netem.Profile, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked("LinkProfile", []string{src, dst})
	if err != nil {
		return netem.Profile{}, err
	}
	return n.profileLocked(pairKey{int32(hs[0].idx), int32(hs[1].idx)}), nil
}

// profileText is p as tc text, or "none" for a profile that impairs nothing.
func profileText(p netem.Profile) string {
	if s := p.String(); s != "" {
		return s
	}
	return "none"
}
