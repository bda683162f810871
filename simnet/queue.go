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

// eventQueue orders events by (at, seq). Events due at the current time (wakeups, links
// with no delay: most of them) go to a FIFO instead of the heap. That is the same order:
// anything in the heap due now was pushed before time reached now, so before everything in
// the FIFO, and time cannot advance while the FIFO holds anything.
type eventQueue struct {
	heap eventHeap
	fifo []event // ring buffer, len a power of two
	head int
	n    int
}

func (q *eventQueue) len() int { return len(q.heap) + q.n }

// push adds e; now is the current virtual time.
func (q *eventQueue) push(e event, now time.Duration) {
	if e.at > now {
		q.heap.push(e)
		return
	}
	if q.n == len(q.fifo) {
		f := make([]event, max(64, 2*len(q.fifo)))
		for i := 0; i < q.n; i++ {
			f[i] = q.fifo[(q.head+i)&(len(q.fifo)-1)]
		}
		q.fifo, q.head = f, 0
	}
	q.fifo[(q.head+q.n)&(len(q.fifo)-1)] = e
	q.n++
}

// peekAt returns the time of the next event; the queue must not be empty.
func (q *eventQueue) peekAt() time.Duration {
	if q.n > 0 && (len(q.heap) == 0 || q.heap[0].at > q.fifo[q.head].at) {
		return q.fifo[q.head].at
	}
	return q.heap[0].at
}

// pop removes the next event; the queue must not be empty.
func (q *eventQueue) pop() event {
	if q.n > 0 && (len(q.heap) == 0 || q.heap[0].at > q.fifo[q.head].at) {
		e := q.fifo[q.head]
		q.fifo[q.head] = event{}
		q.head = (q.head + 1) & (len(q.fifo) - 1)
		q.n--
		return e
	}
	return q.heap.pop()
}

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
	s[last] = event{} // drop references so closures and goroutines can be collected
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
