package simnet

import (
	"time"
	"unsafe"
)

type evKind uint8

const (
	evResume   evKind = iota // resume g if it still waits with token tok (or has not started)
	evDeadline               // resume g if its current wait ends at exactly this time
	evLink                   // link l may have packets due (stale unless tok matches l.tok)
	evFunc                   // run fn (a scheduled fault or callback)
	evTimer                  // run fn if timer tok is still pending (Clock.AfterFunc)
)

// event is one entry of the network's single queue, 32 bytes kept by value (no boxing in
// an interface, no allocation per push; four of a heap node's children fit in two cache
// lines). key is the sequence number shifted left by 3 with the kind in the low bits, so
// comparing keys compares sequence numbers; p is what the kind says: a *gor (evResume,
// evDeadline), a *link (evLink) or a *func() (evFunc, evTimer).
type event struct {
	at  time.Duration
	key uint64
	tok uint64
	p   unsafe.Pointer
}

const kindBits = 3

func (e *event) kind() evKind { return evKind(e.key & (1<<kindBits - 1)) }
func (e *event) g() *gor      { return (*gor)(e.p) }
func (e *event) l() *link     { return (*link)(e.p) }
func (e *event) fn() func()   { return *(*func())(e.p) }

// gorEvent, linkEv and fnEvent make events of each kind of target; pushLocked numbers them.
func gorEvent(at time.Duration, k evKind, g *gor, tok uint64) event {
	return event{at: at, key: uint64(k), tok: tok, p: unsafe.Pointer(g)}
}

func linkEv(at time.Duration, l *link, tok uint64) event {
	return event{at: at, key: uint64(evLink), tok: tok, p: unsafe.Pointer(l)}
}

func fnEvent(at time.Duration, k evKind, fn func(), tok uint64) event {
	return event{at: at, key: uint64(k), tok: tok, p: unsafe.Pointer(&fn)}
}

// eventQueue orders events by (at, seq), in three parts that together hold the same
// order as one heap would:
//   - Events due at the current time (wakeups, links with no delay: most of them) go to
//     a FIFO. Anything in the other parts due now was pushed before time reached now, so
//     before everything in the FIFO, and time cannot advance while the FIFO holds anything.
//   - Events for later that are due no earlier than the last one put there go to a lane,
//     another FIFO: a goroutine sleeping for a fixed period, or a thousand hosts each
//     sending every 10 ms, push times that only grow, and queue and leave in O(1) touching
//     the lane's memory in order, where a heap of thousands would sift through its depth.
//   - Other events for later go to a sorted part: a small sorted array, with a 4-ary heap
//     behind it for what does not fit.
//
// Each part is ordered, so the next event is the least of the three heads.
type eventQueue struct {
	fifo   ring
	lane   ring
	sorted sorted
}

// ring is a FIFO of events in a ring buffer (len a power of two).
type ring struct {
	buf  []event
	head int
	n    int
}

func (r *ring) last() *event { return &r.buf[(r.head+r.n-1)&(len(r.buf)-1)] }

func (r *ring) put(e event) {
	if r.n == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = e
	r.n++
}

//go:noinline
func (r *ring) grow() {
	b := make([]event, max(64, 2*len(r.buf)))
	for i := 0; i < r.n; i++ {
		b[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = b, 0
}

func (r *ring) take() event {
	e := r.buf[r.head]
	r.buf[r.head].p = nil // drop the reference so closures and goroutines can be collected
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return e
}

// smallCap is the room of a sorted part's array. A simulation of a few hosts has a
// handful of events for later at any time (a sleep, a link's next departure, a read
// deadline); inserting into a short array beats sifting through a heap of as many.
const smallCap = 8

// sorted holds events in (at, key) order: the earliest ones in buf, sorted from the
// latest down to the earliest (buf[n-1] is the next: it leaves without moving the
// others), and the rest in a heap, each of them after every event in buf. buf is empty
// only if the heap is too: taking its last event refills it from the heap.
type sorted struct {
	buf  [smallCap]event
	n    int
	heap eventHeap
}

// head is the next event; s must not be empty.
func (s *sorted) head() *event { return &s.buf[s.n-1] }

func (s *sorted) push(e *event) {
	if len(s.heap) > 0 && s.heap[0].before(e) {
		s.heap.push(*e) // after the array's events: stays behind them
		return
	}
	if s.n == smallCap {
		if s.buf[0].before(e) {
			s.heap.push(*e)
			return
		}
		s.spill()
	}
	i := s.n
	for i > 0 && s.buf[i-1].before(e) {
		s.buf[i] = s.buf[i-1]
		i--
	}
	s.buf[i] = *e
	s.n++
}

// spill moves the array's latest event to the heap, to make room for an earlier one.
//
//go:noinline
func (s *sorted) spill() {
	s.heap.push(s.buf[0])
	copy(s.buf[:], s.buf[1:s.n])
	s.n--
	s.buf[s.n].p = nil
}

func (s *sorted) take() event {
	s.n--
	e := s.buf[s.n]
	s.buf[s.n].p = nil // drop the reference so closures and goroutines can be collected
	if s.n == 0 && len(s.heap) > 0 {
		s.refill()
	}
	return e
}

// refill moves the heap's earliest events to the empty array, half filling it (room is
// left for earlier events to come without spilling at once).
//
//go:noinline
func (s *sorted) refill() {
	m := min(smallCap/2, len(s.heap))
	for i := m - 1; i >= 0; i-- {
		s.buf[i] = s.heap.pop()
	}
	s.n = m
}

func (q *eventQueue) len() int { return q.sorted.n + len(q.sorted.heap) + q.fifo.n + q.lane.n }

// push adds e; now is the current virtual time.
func (q *eventQueue) push(e event, now time.Duration) {
	if e.at <= now {
		q.fifo.put(e)
		return
	}
	q.pushLater(e)
}

func (q *eventQueue) pushLater(e event) {
	if q.lane.n == 0 || e.at >= q.lane.last().at {
		q.lane.put(e) // equal times: e has the larger sequence number
		return
	}
	q.sorted.push(&e)
}

// The parts of an eventQueue, as next names them.
const (
	inNone = iota // the queue is empty
	inFIFO
	inSorted
	inLane
)

// next says which part holds the next event, inNone if the queue is empty.
func (q *eventQueue) next() int {
	if q.fifo.n > 0 {
		// Most often the FIFO's head, due now: the others' heads are later, or else one
		// pushed before time reached now comes first.
		f := &q.fifo.buf[q.fifo.head]
		if (q.sorted.n == 0 || q.sorted.head().at > f.at) && (q.lane.n == 0 || q.lane.buf[q.lane.head].at > f.at) {
			return inFIFO
		}
	}
	return q.nextSlow()
}

func (q *eventQueue) nextSlow() int {
	src := inNone
	var best *event
	if q.fifo.n > 0 {
		src, best = inFIFO, &q.fifo.buf[q.fifo.head]
	}
	if q.sorted.n > 0 && (best == nil || q.sorted.head().before(best)) {
		src, best = inSorted, q.sorted.head()
	}
	if q.lane.n > 0 && (best == nil || q.lane.buf[q.lane.head].before(best)) {
		src = inLane
	}
	return src
}

// head is the next event of part src (not inNone).
func (q *eventQueue) head(src int) *event {
	switch src {
	case inFIFO:
		return &q.fifo.buf[q.fifo.head]
	case inSorted:
		return q.sorted.head()
	}
	return &q.lane.buf[q.lane.head]
}

// take removes the next event of part src (not inNone).
func (q *eventQueue) take(src int) event {
	switch src {
	case inFIFO:
		return q.fifo.take()
	case inSorted:
		return q.sorted.take()
	}
	return q.lane.take()
}

// peek returns the next event without removing it; the queue must not be empty.
func (q *eventQueue) peek() *event { return q.head(q.next()) }

// peekAt returns the time of the next event; the queue must not be empty.
func (q *eventQueue) peekAt() time.Duration { return q.peek().at }

// pop removes the next event; the queue must not be empty.
func (q *eventQueue) pop() event { return q.take(q.next()) }

// eventHeap is a 4-ary min-heap ordered by (at, key); key is unique, so the order is
// total and equal times run in the order they were scheduled. Four children per node
// halve the depth of a binary heap, and a node's children share a cache line or two,
// which matters with thousands of pending timers.
type eventHeap []event

func (a *event) before(b *event) bool {
	return a.at < b.at || (a.at == b.at && a.key < b.key)
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(&s[p]) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = e
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	last := len(s) - 1
	e := s[last]
	s[last].p = nil // drop the reference so closures and goroutines can be collected
	s = s[:last]
	*h = s
	if last == 0 {
		return top
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= last {
			break
		}
		m := c
		for k := c + 1; k < c+4 && k < last; k++ {
			if s[k].before(&s[m]) {
				m = k
			}
		}
		if !s[m].before(&e) {
			break
		}
		s[i] = s[m]
		i = m
	}
	s[i] = e
	return top
}
