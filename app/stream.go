package app

import "math/bits"

// Window and stream limits. They bound the receiver's memory: MaxSources streams of
// WindowSize bits each (4 KiB), whatever numbers arrive.
const (
	// WindowSize is how many numbers below a stream's highest the receiver remembers, to
	// tell duplicates from reordered arrivals (an anti-replay window as in RFC 4303,
	// kept as a ring of 64-bit blocks as in RFC 6479). The window slides a block at a
	// time, so at least WindowSize-63 numbers are always remembered.
	WindowSize = 1 << 15
	// RestartDistance: a number further than this below the stream's highest starts a
	// new stream (a restarted sender), rather than being counted late.
	RestartDistance = 4 * WindowSize
	// MaxJump: a number further than this above the stream's highest starts a new stream
	// rather than declaring billions of numbers lost (at 300k datagrams/s it is about
	// four hours of silence).
	MaxJump = 1 << 32
	// MaxSources bounds the number of sources tracked at once; a new source beyond it
	// evicts the least recently heard one.
	MaxSources = 64
)

const (
	words = WindowSize / 64
	// maxOffset keeps offsets far from wrapping; a stream that would pass it restarts.
	maxOffset = 1 << 62
)

// stream is the accounting for the numbers from one source, since its first number or
// its last restart. Numbers are kept as offsets from origin (first - WindowSize, modulo
// 2^64), so that every number the stream holds is a small non-negative uint64 and no
// arithmetic on int64 extremes can overflow.
type stream struct {
	origin uint64 // number at offset 0 (as uint64)
	lo, hi uint64 // offsets of the lowest and highest unique numbers
	// ivLo, ivHi: offsets of the lowest and highest unique numbers this interval.
	ivLo, ivHi uint64
	ivSeen     bool
	used       uint64        // Accounting's tick of the last datagram (updated lazily), for eviction
	bits       [words]uint64 // ring of blocks; bit o%64 of block o/64 is offset o
}

// reset starts the stream afresh with number n.
func (s *stream) reset(n int64) {
	s.origin = uint64(n) - WindowSize
	s.lo, s.hi = WindowSize, WindowSize
	s.bits = [words]uint64{}
	s.set(WindowSize)
	s.ivLo, s.ivHi, s.ivSeen = s.hi, s.hi, true
}

func (s *stream) set(o uint64) { s.bits[(o>>6)&(words-1)] |= 1 << (o & 63) }

func (s *stream) mark(o uint64) {
	if !s.ivSeen {
		s.ivLo, s.ivHi, s.ivSeen = o, o, true
		return
	}
	s.ivLo, s.ivHi = min(s.ivLo, o), max(s.ivHi, o)
}

// observe classifies number n and updates the window. ClassRestart means the caller must
// retire the stream and reset it with n; nothing was changed. lost is how many numbers
// fell out of the window unseen.
func (s *stream) observe(n int64) (c Class, lost uint64) {
	hiN := int64(s.origin + s.hi)
	if n > hiN {
		d := uint64(n) - uint64(hiN)
		if d > MaxJump || s.hi+d > maxOffset {
			return ClassRestart, 0
		}
		o := s.hi + d
		lost = s.advance(o)
		s.set(o)
		s.hi = o
		s.mark(o)
		return ClassUnique, lost
	}
	dist := uint64(hiN) - uint64(n)
	if dist > RestartDistance {
		return ClassRestart, 0
	}
	o := s.hi - dist
	if dist > s.hi || s.hi>>6-o>>6 >= words { // below the stream's origin, or the window
		return ClassLate, 0
	}
	w, m := &s.bits[(o>>6)&(words-1)], uint64(1)<<(o&63)
	if *w&m != 0 {
		return ClassDuplicate, 0
	}
	*w |= m
	s.lo = min(s.lo, o)
	s.mark(o)
	return ClassReordered, 0
}

// advance slides the window so that its top block holds offset no (> hi), and returns
// how many numbers of [lo, no) left the window unseen.
func (s *stream) advance(no uint64) (lost uint64) {
	oldB, newB := s.hi>>6, no>>6
	k := newB - oldB
	first := oldB - words + 1 // oldest block in the window; >= 1 since hi >= WindowSize
	for b := first; b < first+min(k, words); b++ {
		w := &s.bits[b&(words-1)]
		// Every number of a leaving block is below no, so the whole block is in range.
		lost += s.inRange(b, b<<6|63) - uint64(bits.OnesCount64(*w))
		*w = 0
	}
	if k > words {
		lost += 64 * (k - words) // blocks that passed through the window unseen
	}
	return lost
}

// finish returns how many numbers of [lo, hi] are still unseen: the stream is over.
func (s *stream) finish() (lost uint64) {
	top := s.hi >> 6
	for b := top - words + 1; b <= top; b++ {
		lost += s.inRange(b, s.hi) - uint64(bits.OnesCount64(s.bits[b&(words-1)]))
	}
	return lost
}

// inRange counts the offsets of block b within [lo, upper].
func (s *stream) inRange(b, upper uint64) uint64 {
	from, to := max(b<<6, s.lo), min(b<<6|63, upper)
	if from > to {
		return 0
	}
	return to - from + 1
}

// span is highest-lowest+1 of the stream's unique numbers.
func (s *stream) span() uint64 { return s.hi - s.lo + 1 }

// ivSpan is max-min+1 of this interval's unique numbers, 0 if none.
func (s *stream) ivSpan() uint64 {
	if !s.ivSeen {
		return 0
	}
	return s.ivHi - s.ivLo + 1
}
