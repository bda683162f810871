package simnet

import (
	"net/netip"
	"strconv"
	"time"
)

// EventKind says what happened to one copy of a datagram (or, for EvFault, to the
// network). Its String is the verdict word of the text trace.
type EventKind uint8

const (
	// EvQueued: a copy entered its link and will leave at Due (flags Dup, Corrupt,
	// Reordered say what netem did to it).
	EvQueued   EventKind = iota + 1
	EvLost               // netem's loss model removed a copy
	EvLimit              // tail-dropped at netem's queue limit
	EvDeliver            // a copy left its link and was queued at the conn bound to Port
	EvNoPort             // a copy left its link for a port nobody listens on
	EvHostDown           // a copy left its link for a crashed host
	EvRecvBuf            // a copy left its link for a conn whose receive buffer is full
	// EvPartition: refused at send by a partition, before any link (no Seq).
	EvPartition
	EvDown    // refused at send because the link is down (no Seq)
	EvNoRoute // sent to an address no host has (no Seq, DstHost "")
	EvFault   // a fault or profile change, described by Detail (no packet)
)

var eventNames = [...]string{EvQueued: "queued", EvLost: "lost", EvLimit: "limit", EvDeliver: "deliver",
	EvNoPort: "noport", EvHostDown: "hostdown", EvRecvBuf: "rcvbuf", EvPartition: "partition",
	EvDown: "down", EvNoRoute: "noroute", EvFault: "fault"}

func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is one entry of the network's trace, as Config.Observe receives it: a plain
// value holding no pointer into the network, so an observer can keep it but cannot
// change what the simulation does next. Every field is a function of the seed and of
// what the simulated programs did, never of wall time, scheduling or memory addresses.
type Event struct {
	At   time.Duration // virtual time
	Kind EventKind

	// Src and Dst are the sending and destination hosts' addresses (for EvNoRoute, the
	// address that has no host), SrcHost and DstHost their names (DstHost is "" for
	// EvNoRoute). All four are zero for EvFault.
	Src, Dst         netip.Addr
	SrcHost, DstHost string
	Port             uint16 // destination port

	// Seq is the copy's per-link sequence number (netem.Packet.Seq): a duplicate gets
	// its own, so the events of one copy share it. Meaningful only if HasSeq.
	Seq uint64
	Len int           // payload bytes
	Due time.Duration // EvQueued: when the copy may leave its link

	// What netem did to the copy when it entered the link; set on the copy's later
	// events too (the text trace shows them on queued, lost and limit lines only).
	Dup, Corrupt, Reordered bool

	Detail string // EvFault: what changed, e.g. "partition host1 <-> host2", "heal"
}

// HasSeq reports whether e concerns a copy on a link (and so has a Seq).
func (e *Event) HasSeq() bool { return e.Kind >= EvQueued && e.Kind <= EvRecvBuf }

// String returns e as its line of the text trace, without the newline.
func (e Event) String() string { return string(e.AppendText(nil)) }

// AppendText appends e's line of the text trace (Config.Trace), without the newline:
//
//	00:00:01.000000000 host1->host2 #1 len=4 queued due=00:00:01.050000000 dup
//	00:00:01.050000000 host1->host2 #1 len=4 deliver
//	00:00:02.000000000 host1->host2 #- len=4 partition
//	00:00:02.000000000 host1->10.9.9.9 #- len=4 noroute
//	00:00:02.000000000 fault heal
func (e *Event) AppendText(b []byte) []byte {
	b = appendVT(b, e.At)
	if e.Kind == EvFault {
		b = append(b, " fault "...)
		return append(b, e.Detail...)
	}
	b = append(b, ' ')
	b = append(b, e.SrcHost...)
	b = append(b, "->"...)
	if e.Kind == EvNoRoute {
		b = e.Dst.AppendTo(b)
	} else {
		b = append(b, e.DstHost...)
	}
	if e.HasSeq() {
		b = append(b, " #"...)
		b = strconv.AppendUint(b, e.Seq, 10)
	} else {
		b = append(b, " #-"...)
	}
	b = append(b, " len="...)
	b = strconv.AppendInt(b, int64(e.Len), 10)
	b = append(b, ' ')
	b = append(b, e.Kind.String()...)
	switch e.Kind {
	case EvQueued, EvLost, EvLimit:
		if e.Kind == EvQueued {
			b = append(b, " due="...)
			b = appendVT(b, e.Due)
		}
		if e.Dup {
			b = append(b, " dup"...)
		}
		if e.Corrupt {
			b = append(b, " corrupt"...)
		}
		if e.Reordered {
			b = append(b, " reorder"...)
		}
	case EvNoPort:
		b = append(b, " port="...)
		b = strconv.AppendUint(b, uint64(e.Port), 10)
	}
	return b
}
