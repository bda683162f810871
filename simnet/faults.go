package simnet

import (
	"fmt"
	"strings"
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

// Partition cuts every host of a off from every host of b, both ways, until Heal (which
// ends every partition at once). Datagrams already on a link still arrive; new ones are
// dropped at send time and counted as Partitioned.
func (n *Network) Partition(a, b []string) error { return n.partition("Partition", a, b, true) }

// PartitionOneWay drops datagrams from the hosts of from to the hosts of to, but not the
// other way, until Heal.
func (n *Network) PartitionOneWay(from, to []string) error {
	return n.partition("PartitionOneWay", from, to, false)
}

func (n *Network) partition(op string, a, b []string, both bool) error {
	n.lock()
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

// Heal removes every partition at once, whichever call made it (there is no healing
// of one partition alone); downed links stay down.
func (n *Network) Heal() {
	n.lock()
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

// LinkDown takes the link between hosts a and b down, in both directions, until LinkUp.
// Datagrams already on it still arrive (simnet's link queue is the wire; on a real host,
// netem's queue sits in the sender and a downed interface discards it); new ones are
// dropped at send time and counted as LinkDown. LinkDownOneWay takes one direction down.
func (n *Network) LinkDown(a, b string) error { return n.linkUpDown("LinkDown", a, b, true, true) }

// LinkDownOneWay takes only the direction from src to dst down, until LinkUp; like
// LinkDown otherwise.
func (n *Network) LinkDownOneWay(src, dst string) error {
	return n.linkUpDown("LinkDownOneWay", src, dst, true, false)
}

// LinkUp brings the link between a and b back up in both directions, whichever of
// LinkDown and LinkDownOneWay took it (or one direction of it) down.
func (n *Network) LinkUp(a, b string) error { return n.linkUpDown("LinkUp", a, b, false, true) }

func (n *Network) linkUpDown(op, a, b string, down, both bool) error {
	n.lock()
	defer n.mu.Unlock()
	hs, err := n.hostsLocked(op, []string{a, b})
	if err != nil {
		return err
	}
	n.setBlockLocked(hs[0], hs[1], blockDown, down)
	if both {
		n.setBlockLocked(hs[1], hs[0], blockDown, down)
	}
	switch {
	case !down:
		n.trace.fault(n.now, "up "+hs[0].name+" "+hs[1].name)
	case both:
		n.trace.fault(n.now, "down "+hs[0].name+" "+hs[1].name)
	default:
		n.trace.fault(n.now, "down "+hs[0].name+" -> "+hs[1].name)
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
// arriving for it are dropped (HostDown) and Listen on it fails until Restart. Datagrams
// it sent before the crash are still delivered: simnet's link queue is the wire, where a
// real host's netem queue would be lost with the host.
func (n *Network) Crash(name string) error {
	n.lock()
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
	n.lock()
	defer n.mu.Unlock()
	h, err := n.lookupLocked(name)
	if err != nil {
		return fmt.Errorf("simnet: Restart: %w", err)
	}
	h.down = false
	n.trace.fault(n.now, "restart "+h.name)
	return nil
}
