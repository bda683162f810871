// Package record is simnet's compact form of a trace event, for simnet's own observers
// (simnet/scenario's ground truth and fingerprint): fixed-width fields filled straight
// from the packet, handed over by pointer, with no names, netip.Addrs or copies to
// make. simnet.Config.Observe keeps getting full simnet.Event values; an observer set
// with SetObserver gets the same events, in the same order, before it (see Attach).
package record

// Flags of Record.Flags, as in simnet.Event's Dup, Corrupt and Reordered.
const (
	Dup = 1 << iota
	Corrupt
	Reordered
)

// Record is one event of a network's trace: the fields of simnet.Event except the host
// names, which the addresses stand for.
type Record struct {
	At   int64  // virtual time (ns)
	Due  int64  // EvQueued: when the copy may leave its link (ns); 0 otherwise
	Seq  uint64 // the copy's per-link sequence number (only for a copy on a link)
	Len  uint32 // payload bytes
	Src  [4]byte
	Dst  [4]byte // zero for none (faults); for simnet.EvNoRoute, the address no host has
	Port uint16
	// Kind is the simnet.EventKind.
	Kind   uint8
	Flags  uint8  // Dup, Corrupt, Reordered
	Detail string // simnet.EvFault: what changed
}

// Observer gets each event's record; the record is valid only during the call, which is
// made with the network's lock held (so it must not call back into the network).
type Observer func(*Record)

// Attach makes n, a *simnet.Network that has no links yet (no traffic, no SetLink),
// hand every event's record to o, before its Config.Trace and Config.Observe see the
// event. It is set by package simnet.
var Attach func(n any, o Observer) error
