package netem

import "time"

// CONTRACT (written before the implementation; the netem helper fills the bodies in and
// may add fields and methods, but must keep these exported names and meanings so simnet
// and the proxy can be written against them in parallel).
//
// Time is a time.Duration measured from an arbitrary epoch chosen by the driver: the
// simulator passes virtual time, the proxy passes time since it started. The Link never
// reads a clock and never sleeps; it is driven entirely by the now values it is given.

// Packet is one datagram inside a Link. T is the caller's metadata (addresses, a
// session), carried through untouched.
type Packet[T any] struct {
	Data    []byte        // payload; the Link owns it while queued and may flip one bit (corrupt)
	WireLen int           // bytes the rate limiter charges (e.g. the frame length); 0 means len(Data)
	Meta    T             // caller's data
	Sent    time.Duration // when Enqueue was called (set by the Link)
	Due     time.Duration // when it may leave the link (set by the Link)
	Seq     uint64        // per-link number, in enqueue order, duplicates get their own (set by the Link)

	Duplicate bool // this copy is the clone made by duplicate
	Corrupted bool // one bit of Data was flipped
	Reordered bool // reorder sent it at once, ahead of delayed packets
}

// Verdict says what happened to one copy of a packet at enqueue time.
type Verdict uint8

const (
	Queued    Verdict = iota // held, will leave at Due
	Lost                     // removed by the loss model
	LimitDrop                // tail-dropped because the queue held Limit packets
)

// Event reports one packet event to an observer (for traces and ground truth).
type EventKind uint8

const (
	EvEnqueue   EventKind = iota // a copy was queued (Packet.Due is set)
	EvLost                       // the loss model removed a copy
	EvLimitDrop                  // the limit tail-dropped a copy
	EvDequeue                    // a copy left the link (Dequeue returned it)
)

// Stats are a link's counters. Conservation: Sent + Duplicated = Delivered + Lost +
// LimitDrops + InFlight.
type Stats struct {
	Sent       uint64 // packets given to Enqueue
	Delivered  uint64 // copies returned by Dequeue
	Lost       uint64 // copies removed by the loss model
	Duplicated uint64 // clones made by duplicate
	Corrupted  uint64 // copies with a bit flipped
	Reordered  uint64 // copies sent at once by reorder (tc's "requeues")
	LimitDrops uint64 // copies tail-dropped at the limit
	InFlight   uint64 // copies queued now
}

// Link is one direction of one netem qdisc: its profile, its random state (seeded,
// independent of every other link) and its queue. It is not safe for concurrent use; the
// driver serialises calls.
//
//	l := netem.NewLink[addr](profile, seed)
//	l.Enqueue(now, netem.Packet[addr]{Data: b, Meta: a})
//	for { p, ok := l.Dequeue(now); if !ok { break }; deliver(p) }
//	next, ok := l.NextDue() // arm one timer for this
type Link[T any] struct {
	// Clone copies a payload for duplicate; nil means make+copy. Lets a driver use a pool.
	Clone func([]byte) []byte
	// Observe, if set, is called for every packet event, in order. It must not call back
	// into the Link.
	Observe func(now time.Duration, kind EventKind, p *Packet[T])
}

// NewLink returns a link impaired by p whose random draws come from seed alone.
func NewLink[T any](p Profile, seed uint64) *Link[T] { panic("TODO") }

// Enqueue runs netem's enqueue pipeline (duplicate, loss, corrupt, limit, reorder or
// delay then rate) on pkt at time now and returns the verdict for the original and, when
// duplicate fired, for the clone (dup is meaningful only if dupMade).
func (l *Link[T]) Enqueue(now time.Duration, pkt Packet[T]) (orig Verdict, dupMade bool, dup Verdict) {
	panic("TODO")
}

// NextDue reports when the next packet may leave (taking slots into account), if any is held.
func (l *Link[T]) NextDue() (time.Duration, bool) { panic("TODO") }

// Dequeue returns the next packet that may leave at now, in netem's dequeue order.
func (l *Link[T]) Dequeue(now time.Duration) (Packet[T], bool) { panic("TODO") }

// SetProfile changes the profile mid-run with tc's "change" semantics, keeping queued
// packets and counters.
func (l *Link[T]) SetProfile(p Profile) { panic("TODO") }

// Profile returns the current profile.
func (l *Link[T]) Profile() Profile { panic("TODO") }

// Stats returns the counters.
func (l *Link[T]) Stats() Stats { panic("TODO") }

// Len returns how many copies are queued.
func (l *Link[T]) Len() int { panic("TODO") }
