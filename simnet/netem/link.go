package netem

import (
	"math/rand/v2"
	"time"
)

// Time is a time.Duration measured from an arbitrary epoch chosen by the driver: the
// simulator passes virtual time, the proxy passes time since it started. The Link never
// reads a clock and never sleeps; it is driven entirely by the now values it is given,
// which must not decrease.

// Packet is one datagram inside a Link. T is the caller's metadata (addresses, a
// session), carried through untouched.
type Packet[T any] struct {
	Data    []byte        // payload; the Link owns it while queued and may flip one bit (corrupt)
	WireLen int           // bytes the rate limiter and slot budget charge; 0 means len(Data)
	Meta    T             // caller's data
	Sent    time.Duration // when Enqueue was called (set by the Link)
	Due     time.Duration // when it may leave the link, never before Sent (set by the Link)
	Seq     uint64        // per-link number in order of creation; a duplicate gets its own (set by the Link)

	ECT       bool // ECN-capable transport (set by the caller): with ecn, loss marks it CE instead
	CE        bool // congestion experienced: the loss model fired and ecn kept the packet
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

func (v Verdict) String() string {
	switch v {
	case Queued:
		return "queued"
	case Lost:
		return "lost"
	case LimitDrop:
		return "limit-drop"
	}
	return "Verdict(?)"
}

// EventKind names one packet event reported to an observer (for traces and ground truth).
type EventKind uint8

const (
	EvEnqueue   EventKind = iota // a copy was queued (Packet.Due is set)
	EvLost                       // the loss model removed a copy
	EvLimitDrop                  // the limit tail-dropped a copy
	EvDequeue                    // a copy left the link (Dequeue returned it)
)

func (k EventKind) String() string {
	switch k {
	case EvEnqueue:
		return "enqueue"
	case EvLost:
		return "lost"
	case EvLimitDrop:
		return "limit-drop"
	case EvDequeue:
		return "dequeue"
	}
	return "EventKind(?)"
}

// Stats are a link's counters. Conservation: Sent + Duplicated = Delivered + Lost +
// LimitDrops + InFlight.
type Stats struct {
	Sent       uint64 // packets given to Enqueue
	Delivered  uint64 // copies returned by Dequeue
	Lost       uint64 // copies removed by the loss model
	Duplicated uint64 // clones made by duplicate (including one lost at once, see Enqueue)
	Corrupted  uint64 // copies with a bit flipped
	Reordered  uint64 // copies sent at once by reorder (tc's "requeues")
	LimitDrops uint64 // copies tail-dropped at the limit
	ECNMarked  uint64 // copies marked CE instead of lost
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
	// into the Link, nor keep p, nor modify *p or p.Data: p may be the Link's own copy.
	Observe func(now time.Duration, kind EventKind, p *Packet[T])

	prof  Profile
	limit int
	gap   uint32
	sigma int64 // jitter as the kernel holds it
	table Table // delay table, zero for uniform
	// held is the delay table the qdisc holds, as a profile names it. It can differ from
	// prof's: change keeps the table while jitter is 0, where the profile cannot show it.
	held    heldTable
	slotTab Table

	rng  rand.PCG   // netem's own PRNG: every draw the kernel takes from q->prng
	aux  rand.PCG   // what the kernel takes from its unseeded RNG, seeded here
	auxR *rand.Rand // aux, for unbiased bounded draws

	delayCor, dupCor, reorderCor, corruptCor crand
	loss                                     lossState
	counter                                  uint32 // packets delayed since the last reorder

	slot slotState
	q    queue[T]
	seq  uint64
	st   Stats
	evt  Packet[T] // what Observe is shown
}

// Streams of a link's generators (see seedPCG).
const (
	streamMain = 1
	streamAux  = 2
	streamSeed = 3 // the main stream when the profile gives tc's "seed"
)

// NewLink returns a link impaired by p whose random draws come from seed alone (or, for
// netem's own PRNG, from p.Seed when the profile sets tc's "seed"). p should be valid
// (Parse's results are); the link copes with any p without panicking.
func NewLink[T any](p Profile, seed uint64) *Link[T] {
	l := &Link[T]{}
	seedPCG(&l.aux, seed, streamAux)
	l.auxR = rand.New(&l.aux)
	seedPCG(&l.rng, seed, streamMain)
	l.apply(p, allResets)
	return l
}

// Enqueue runs netem's enqueue pipeline on pkt at time now, in the kernel's order:
// duplicate draw, loss draw (ECN marking), drop if no copy remains, clone, corrupt,
// limit check, enqueue of the clone (through the same pipeline, never duplicated
// again), then reorder decision, or delay draw and rate, and insertion by time to send.
// It returns the verdict for the original and, when duplicate fired, for the clone (dup
// is meaningful only if dupMade).
//
// When duplicate and loss both fire, the kernel simply never makes the clone and the
// original goes on; this reports it as a clone that was lost (dupMade, dup == Lost, and
// Duplicated and Lost both count it), so Lost/(Sent+Duplicated) is the loss rate.
func (l *Link[T]) Enqueue(now time.Duration, pkt Packet[T]) (orig Verdict, dupMade bool, dup Verdict) {
	l.slot.settle(now)
	l.st.Sent++
	seq := l.nextSeq()

	// Like the kernel (q->duplicate && ...), a zero probability takes no draw, so adding
	// "duplicate 0%" or "corrupt 0%" leaves every other draw where it was.
	dupMade = l.prof.Duplicate != 0 && fires(l.prof.Duplicate, l.dupCor.next(&l.rng))
	if fired := l.loss.event(&l.prof.Loss, &l.rng); dupMade || fired {
		pkt.Sent, pkt.Due, pkt.Seq = now, now, seq
		pkt.CE, pkt.Duplicate, pkt.Corrupted, pkt.Reordered = false, false, false, false
		return l.enqueueRare(now, &pkt, dupMade, fired && !l.markCE(&pkt))
	}
	// The common case: one copy, no loss event. pkt is left as the caller gave it until
	// place has copied it into the queue (see header).
	corrupted := l.corruptData(pkt.Data)
	if l.q.len() >= l.limit {
		pkt.Sent, pkt.Due, pkt.Seq = now, now, seq
		pkt.CE, pkt.Duplicate, pkt.Corrupted, pkt.Reordered = false, false, corrupted, false
		l.drop(now, &pkt, EvLimitDrop)
		return LimitDrop, false, 0
	}
	// The rest of what Enqueue sets goes into the queued copy, not into pkt before place
	// copies it: the copy's wide loads would wait for those fresh narrow stores.
	i := l.place(now, &pkt)
	q := &l.q.slab[i]
	q.Seq, q.CE, q.Duplicate, q.Corrupted = seq, false, false, corrupted
	l.observeQueued(now, EvEnqueue, i)
	return Queued, false, 0
}

// enqueueRare is the rest of Enqueue when duplicate or loss fired.
func (l *Link[T]) enqueueRare(now time.Duration, pkt *Packet[T], dupMade, lost bool) (orig Verdict, _ bool, dup Verdict) {
	count := 1
	if dupMade {
		count++
	}
	if lost {
		count--
	}
	switch {
	case count == 0:
		l.drop(now, pkt, EvLost)
		return Lost, false, 0
	case dupMade && count == 1:
		ghost := *pkt
		ghost.Seq, ghost.Duplicate = l.nextSeq(), true
		l.st.Duplicated++
		l.drop(now, &ghost, EvLost)
		dup = Lost
	}
	var clone Packet[T]
	if count == 2 {
		clone = *pkt
		clone.Data = l.clone(pkt.Data)
		clone.Seq, clone.Duplicate = l.nextSeq(), true
		l.st.Duplicated++
	}
	l.corrupt(pkt)
	if l.q.len() >= l.limit {
		l.drop(now, pkt, EvLimitDrop)
		if count == 2 {
			l.drop(now, &clone, EvLimitDrop)
			return LimitDrop, true, LimitDrop
		}
		return LimitDrop, dupMade, dup
	}
	if count == 2 {
		dup = l.enqueueClone(now, &clone)
	}
	l.observeQueued(now, EvEnqueue, l.place(now, pkt))
	return Queued, dupMade, dup
}

// enqueueClone is the clone's pass through netem_enqueue at the root, with duplication
// switched off.
func (l *Link[T]) enqueueClone(now time.Duration, p *Packet[T]) Verdict {
	if l.loss.event(&l.prof.Loss, &l.rng) && !l.markCE(p) {
		l.drop(now, p, EvLost)
		return Lost
	}
	l.corrupt(p)
	if l.q.len() >= l.limit {
		l.drop(now, p, EvLimitDrop)
		return LimitDrop
	}
	l.observeQueued(now, EvEnqueue, l.place(now, p))
	return Queued
}

// markCE applies ecn to a loss event: an ECN-capable packet is marked and kept.
func (l *Link[T]) markCE(p *Packet[T]) bool {
	if !l.prof.ECN || !p.ECT {
		return false
	}
	p.CE = true
	l.st.ECNMarked++
	return true
}

// corrupt flips one uniformly chosen bit of one uniformly chosen byte of the payload.
// The position comes from the auxiliary stream, where the kernel uses its unseeded RNG.
// At 0% there is no draw, as in the kernel.
func (l *Link[T]) corrupt(p *Packet[T]) {
	if l.corruptData(p.Data) {
		p.Corrupted = true
	}
}

// corruptData is corrupt on the payload alone: it reports whether it flipped a bit.
func (l *Link[T]) corruptData(b []byte) bool {
	if l.prof.Corrupt == 0 || !fires(l.prof.Corrupt, l.corruptCor.next(&l.rng)) || len(b) == 0 {
		return false
	}
	b[l.auxR.IntN(len(b))] ^= 1 << l.auxR.IntN(8)
	l.st.Corrupted++
	return true
}

// place is the end of netem_enqueue: send at once (reorder) or compute the time to send.
// It returns the slab slot of the queued copy of p, whose Sent, Due and Reordered it
// sets; the caller shows it to the observer.
func (l *Link[T]) place(now time.Duration, p *Packet[T]) (i int32) {
	due, reordered := now, false
	if l.gap == 0 || l.counter < l.gap-1 || uint32(l.prof.Reorder) < l.reorderCor.next(&l.rng) {
		delay := l.prof.Delay.Nanoseconds()
		if l.sigma != 0 {
			delay = tabledist(delay, l.sigma, l.delayCor.next(&l.rng), l.table)
		}
		start := int64(now)
		if l.prof.Rate.Bytes != 0 {
			// The link is busy until the latest scheduled departure; the delay runs
			// alongside that wait, and the packet is then serialized.
			if last, ok := l.q.last(); ok {
				delay = max(0, delay-(last-start))
				start = last
			}
			delay += txTime(&l.prof.Rate, wireLen(p))
		}
		tts := start + delay
		l.counter++
		due = time.Duration(max(tts, int64(now)))
		i = l.q.push(tts, p)
	} else {
		l.counter = 0
		reordered = true
		l.st.Reordered++
		i = l.q.pushImm(p)
	}
	q := &l.q.slab[i]
	q.Sent, q.Due, q.Reordered = now, due, reordered
	return i
}

// NextDue reports when the next packet may leave, taking slots into account, if any is
// held. With slots, a Dequeue at that time may first have to open a new slot (as the
// kernel's watchdog does) and return nothing; ask NextDue again afterwards.
func (l *Link[T]) NextDue() (time.Duration, bool) {
	if len(l.q.imm) > 0 {
		return l.q.immHead().Due, true
	}
	e, ok := l.q.head()
	if !ok {
		return 0, false
	}
	due := l.q.slab[e.idx].Due
	if l.slot.on && !l.slot.pending {
		due = max(due, time.Duration(l.slot.next))
	}
	return due, true
}

// Dequeue returns the next packet that may leave at now, in netem's dequeue order: the
// immediate (reordered) packets first, newest first as the kernel queues them at the
// head, then the tfifo in order of time to send, ties in arrival order, subject to slots.
// Each call is one dequeue attempt of the kernel's: with slots, when attempts happen
// matters, so call it after each Enqueue and at NextDue, as the kernel does.
func (l *Link[T]) Dequeue(now time.Duration) (p Packet[T], ok bool) {
	ok = l.DequeueTo(now, &p)
	return p, ok
}

// DequeueTo is Dequeue writing the packet into *dst, which it leaves alone when nothing
// may leave (no zeroed packet is made for a failed attempt).
func (l *Link[T]) DequeueTo(now time.Duration, dst *Packet[T]) bool {
	l.slot.settle(now)
	var i int32
	if len(l.q.imm) > 0 {
		i = l.q.popImmIdx()
	} else {
		e, ok := l.q.head()
		if !ok {
			return false
		}
		if l.slot.on && l.slot.next < e.key {
			l.newSlot(now)
		}
		if e.key > int64(now) || l.slot.on && l.slot.next > int64(now) {
			return false
		}
		i = l.q.popIdx()
		if l.slot.on {
			l.slot.packets--
			l.slot.bytes -= int64(wireLen(&l.q.slab[i]))
			if l.slot.packets <= 0 || l.slot.bytes <= 0 {
				l.newSlot(now)
			}
		}
	}
	l.st.Delivered++
	l.observeQueued(now, EvDequeue, i)
	l.q.take(i, dst)
	return true
}

// Profile returns the current profile (after SetProfile, the merged one).
func (l *Link[T]) Profile() Profile { return l.prof }

// SetCorrelation selects how the link makes its correlated draws from the next packet
// on (CorrelationStated unless set). The correlation memories are kept.
func (l *Link[T]) SetCorrelation(c Correlation) {
	k := c == CorrelationKernel
	l.delayCor.kernel, l.dupCor.kernel, l.reorderCor.kernel, l.corruptCor.kernel, l.loss.corr.kernel = k, k, k, k, k
}

// Correlation reports how the link makes its correlated draws.
func (l *Link[T]) Correlation() Correlation {
	if l.delayCor.kernel {
		return CorrelationKernel
	}
	return CorrelationStated
}

// Stats returns the counters.
func (l *Link[T]) Stats() Stats {
	s := l.st
	s.InFlight = uint64(l.q.len())
	return s
}

// Len returns how many copies are queued.
func (l *Link[T]) Len() int { return l.q.len() }

func (l *Link[T]) nextSeq() uint64 {
	l.seq++
	return l.seq - 1
}

func (l *Link[T]) drop(now time.Duration, p *Packet[T], kind EventKind) {
	if kind == EvLost {
		l.st.Lost++
	} else {
		l.st.LimitDrops++
	}
	l.observe(now, kind, p)
}

// observeQueued shows the observer the packet in slab slot i, in place.
func (l *Link[T]) observeQueued(now time.Duration, kind EventKind, i int32) {
	if l.Observe != nil {
		l.Observe(now, kind, &l.q.slab[i])
	}
}

// observe hands the observer a copy held by the link of a packet that is not queued, so
// that no packet on the hot path escapes to the heap through the callback.
func (l *Link[T]) observe(now time.Duration, kind EventKind, p *Packet[T]) {
	if l.Observe != nil {
		l.evt = *p
		l.Observe(now, kind, &l.evt)
		l.evt = Packet[T]{}
	}
}

func (l *Link[T]) clone(b []byte) []byte {
	if l.Clone != nil {
		return l.Clone(b)
	}
	return append(make([]byte, 0, len(b)), b...)
}

func wireLen[T any](p *Packet[T]) int {
	if p.WireLen > 0 {
		return p.WireLen
	}
	return len(p.Data)
}
