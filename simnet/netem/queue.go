package netem

// queue holds a link's packets: the tfifo (ordered on time to send, ties in insertion
// order) and the immediate queue of packets reorder sent at once. Packets live in a slab
// reused through a free list, and the tfifo moves only small entries, so the steady
// state allocates nothing whatever the size of T.
//
// The tfifo is a sorted array while it holds at most sortedMax entries (a link with a
// few packets in flight, as most are: an insertion near the end, a pop from the front,
// about one unpredictable branch per packet), and a binary min-heap beyond (thousands
// in flight). A sorted array is a valid heap, so growing into a heap costs nothing;
// shrinking back to sortedMin entries sorts them. Both give out the same order: the
// least (key, insertion order) first.
type queue[T any] struct {
	slab []Packet[T]
	ords []uint64 // insertion order of the packet in each slab slot, the tie-break
	free []int32
	heap []entry // the tfifo: sorted from lo on while !big, a heap (lo 0) while big
	lo   int
	big  bool
	imm  []int32 // a stack: the kernel puts these at the head of its queue
	ord  uint64  // insertion counter
	tmax int64   // the largest key in the tfifo; valid while it is not empty
}

// The sizes at which the tfifo becomes a heap (above sortedMax) and a sorted array
// again (at sortedMin), and the room it starts with, so that the sorted array's front,
// which moves up as packets leave, is moved back down only every few dozen pushes.
const (
	sortedMax  = 16
	sortedMin  = 4
	tfifoStart = 64
)

// entry is kept to 16 bytes: the tie-break lives in ords, read only when keys are equal.
type entry struct {
	key int64 // the kernel's time_to_send, possibly before the packet was sent
	idx int32 // slot in slab
}

func (q *queue[T]) less(a, b entry) bool {
	return a.key < b.key || a.key == b.key && q.ords[a.idx] < q.ords[b.idx]
}

func (q *queue[T]) len() int { return q.tfifoLen() + len(q.imm) }

func (q *queue[T]) tfifoLen() int { return len(q.heap) - q.lo }

func (q *queue[T]) store(p *Packet[T]) int32 {
	if n := len(q.free); n > 0 {
		i := q.free[n-1]
		q.free = q.free[:n-1]
		q.slab[i] = *p
		q.ords[i] = q.ord
		q.ord++
		return i
	}
	q.slab = append(q.slab, *p)
	q.ords = append(q.ords, q.ord)
	q.ord++
	return int32(len(q.slab) - 1)
}

// take moves packet i out of the slab into *dst, dropping the slab's references to it.
// Writing into the caller's variable saves copies of what may be a large struct.
func (q *queue[T]) take(i int32, dst *Packet[T]) {
	*dst = q.slab[i]
	q.slab[i] = Packet[T]{}
	q.free = append(q.free, i)
}

// push inserts p into the tfifo with time to send key, and returns its slab slot.
func (q *queue[T]) push(key int64, p *Packet[T]) int32 {
	if q.tfifoLen() == 0 || key > q.tmax {
		q.tmax = key
	}
	e := entry{key: key, idx: q.store(p)}
	if q.big {
		h := append(q.heap, e)
		q.siftUp(h, len(h)-1, e)
		q.heap = h
		return e.idx
	}
	if len(q.heap) == cap(q.heap) {
		if q.lo > 0 { // move the entries back to the front of the array
			q.heap = q.heap[:copy(q.heap, q.heap[q.lo:])]
			q.lo = 0
		} else if q.heap == nil {
			q.heap = make([]entry, 0, tfifoStart)
		}
	}
	h := append(q.heap, e)
	i := len(h) - 1
	for i > q.lo && q.less(e, h[i-1]) {
		h[i] = h[i-1]
		i--
	}
	h[i] = e
	q.heap = h
	if len(h)-q.lo > sortedMax {
		q.heap = h[:copy(h, h[q.lo:])] // sorted from index 0: a heap
		q.lo, q.big = 0, true
	}
	return e.idx
}

// siftUp places e at hole i or above it, moving larger parents down.
func (q *queue[T]) siftUp(h []entry, i int, e entry) {
	for i > 0 {
		parent := (i - 1) / 2
		if !q.less(e, h[parent]) {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = e
}

// head returns the tfifo's earliest entry.
func (q *queue[T]) head() (entry, bool) {
	if q.lo == len(q.heap) {
		return entry{}, false
	}
	return q.heap[q.lo], true
}

// pop moves the tfifo's earliest packet into *dst; the heap must not be empty.
func (q *queue[T]) pop(dst *Packet[T]) { q.take(q.popIdx(), dst) }

// popIdx removes the tfifo's earliest entry and returns its slab slot, which the caller
// must free with take; the tfifo must not be empty.
func (q *queue[T]) popIdx() int32 {
	if q.big {
		return q.popHeap()
	}
	top := q.heap[q.lo]
	q.lo++
	if q.lo == len(q.heap) {
		q.heap, q.lo = q.heap[:0], 0
	}
	return top.idx
}

// popHeap is popIdx on the heap, which it turns back into a sorted array when it is
// down to sortedMin entries.
// It moves the hole at the root down to a leaf along the smaller children, one
// comparison per level, then lets the last entry rise from there (Floyd's variant):
// the last entry belongs near the bottom, so this halves the comparisons of a plain
// sift-down. The descent picks each child without a branch (see first).
func (q *queue[T]) popHeap() int32 {
	h := q.heap
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	if n > 0 {
		i := 0
		for c := 1; c < n; c = 2*i + 1 {
			if c+1 < n {
				c = q.first(h, c)
			}
			h[i] = h[c]
			i = c
		}
		q.siftUp(h, i, last)
	}
	q.heap = h
	if n <= sortedMin { // a few entries: insertion sort
		for i := 1; i < n; i++ {
			e, j := h[i], i
			for ; j > 0 && q.less(e, h[j-1]); j-- {
				h[j] = h[j-1]
			}
			h[j] = e
		}
		q.big = false
	}
	return top.idx
}

// first returns c or c+1, whichever of the siblings h[c] and h[c+1] comes first. The
// choice between jittered times is a coin flip to the branch predictor, so it is made
// without a branch (the compiler turns the conditional increment into a CMOV); only
// equal times, rare under jitter and predictable without it, take the tie-break branch.
func (q *queue[T]) first(h []entry, c int) int {
	l, r := h[c], h[c+1]
	if l.key == r.key {
		if q.ords[r.idx] < q.ords[l.idx] {
			return c + 1
		}
		return c
	}
	d := 0
	if r.key < l.key {
		d = 1
	}
	return c + d
}

// pushImm puts p at the head of the immediate queue, and returns its slab slot.
func (q *queue[T]) pushImm(p *Packet[T]) int32 {
	i := q.store(p)
	q.imm = append(q.imm, i)
	return i
}

// immHead is the packet the immediate queue would give out next.
func (q *queue[T]) immHead() *Packet[T] { return &q.slab[q.imm[len(q.imm)-1]] }

// immTail is the packet at the immediate queue's tail (the oldest), whose time the
// kernel's rate code compares against.
func (q *queue[T]) immTail() *Packet[T] { return &q.slab[q.imm[0]] }

// popImmIdx removes the immediate queue's head and returns its slab slot, which the
// caller must free with take.
func (q *queue[T]) popImmIdx() int32 {
	n := len(q.imm) - 1
	i := q.imm[n]
	q.imm = q.imm[:n]
	return i
}

// last is the latest time to send among held packets, as netem's rate code takes it:
// the tfifo's maximum and the immediate queue's tail.
func (q *queue[T]) last() (int64, bool) {
	t, ok := int64(0), false
	if len(q.imm) > 0 {
		t, ok = int64(q.immTail().Due), true
	}
	if q.tfifoLen() > 0 && (!ok || q.tmax > t) {
		t, ok = q.tmax, true
	}
	return t, ok
}
