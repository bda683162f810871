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
	// RewindDistance: a number already seen (or stale) further than this below the
	// stream's highest is a rewind candidate: if the source's next number is within
	// RewindNear of it and also already seen (or stale), the sender went back and is
	// counting up again, and the stream restarts at the candidate (see Counts.Restarts).
	// The network reorders by the numbers sent during its delay spread (1024 is 10 s at
	// 100 datagrams/s, 10 ms at 100k/s); duplicates arriving that late, two of
	// neighbouring numbers in a row, are what it does not do. A sender restarted after
	// fewer numbers than this is still counted as duplicates.
	RewindDistance = 1024
	// RewindNear: how close the number after a rewind candidate must be to confirm it,
	// so that a few of the restarted sender's first datagrams may be lost or swapped.
	RewindNear = 8
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
// arithmetic on int64 extremes can overflow. Offsets held are always >= 64 (the window
// check rejects anything lower), so 0 serves as "none" for cutHi and dhi.
//
// Declared losses are kept as one range [dlo, dhi] (none while dhi is 0): every unseen
// offset in it has been declared lost, and no unseen offset outside it has, within the
// window. Declarations only ever extend it, downwards to lo and upwards to the previous
// cut's highest, so one range is enough; what leaves the window is forgotten (only
// scans clamped to the window look at offsets), having been declared as it left.
type stream struct {
	origin uint64 // number at offset 0 (as uint64)
	lo, hi uint64 // offsets of the lowest and highest unique numbers
	// ivLo, ivHi: offsets of the lowest and highest unique numbers this interval.
	ivLo, ivHi uint64
	ivSeen     bool
	cutHi      uint64 // hi at the previous cut; 0: the stream is younger than it
	dlo, dhi   uint64 // declared lost range (see above); dhi 0: none yet
	used       uint64 // Accounting's tick of the last datagram (updated lazily), for eviction
	// cand is the pending rewind candidate (while candOK), counted provisionally as a
	// duplicate, or as stale if candStale.
	cand              int64
	candOK, candStale bool
	bits              [words]uint64 // ring of blocks; bit o%64 of block o/64 is offset o
}

// reset starts the stream afresh with number n.
func (s *stream) reset(n int64) {
	s.origin = uint64(n) - WindowSize
	s.lo, s.hi = WindowSize, WindowSize
	s.bits = [words]uint64{}
	s.set(WindowSize)
	s.ivLo, s.ivHi, s.ivSeen = s.hi, s.hi, true
	s.cutHi, s.dlo, s.dhi = 0, 0, 0
	s.candOK = false
}

func (s *stream) set(o uint64) { s.bits[(o>>6)&(words-1)] |= 1 << (o & 63) }

func (s *stream) mark(o uint64) {
	if !s.ivSeen {
		s.ivLo, s.ivHi, s.ivSeen = o, o, true
		return
	}
	s.ivLo, s.ivHi = min(s.ivLo, o), max(s.ivHi, o)
}

// classRewind is observe's word for "n confirms the rewind candidate": the caller
// restarts the stream at the candidate, then records n in it. Record never returns it.
const classRewind = ClassStale + 1

// observe classifies number n and updates the window. ClassRestart means the caller must
// retire the stream and reset it with n; classRewind, that it must do so with the
// candidate (see rewind); in both cases nothing was changed. lost is how many numbers
// fell out of the window unseen and undeclared: they are declared now.
func (s *stream) observe(n int64) (c Class, lost uint64) {
	hiN := int64(s.origin + s.hi)
	if n > hiN {
		s.candOK = false
		d := uint64(n) - uint64(hiN)
		if d > MaxJump || s.hi+d > maxOffset {
			return ClassRestart, 0
		}
		o := s.hi + d
		if o>>6 != s.hi>>6 { // the window slides only when o is in a new block
			lost = s.advance(o)
		}
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
		return s.rewind(n, dist, ClassStale), 0
	}
	w, m := &s.bits[(o>>6)&(words-1)], uint64(1)<<(o&63)
	if *w&m != 0 {
		return s.rewind(n, dist, ClassDuplicate), 0
	}
	s.candOK = false
	*w |= m
	s.mark(o)
	if s.dhi != 0 && o >= s.dlo && o <= s.dhi {
		return ClassLate, 0 // o >= dlo >= lo: lo stays
	}
	s.lo = min(s.lo, o)
	return ClassReordered, 0
}

// rewind handles n, dist below the highest, that was seen before or is stale (c): it
// confirms the pending candidate if it is within RewindNear of it (classRewind), and
// otherwise replaces it, becoming the candidate itself if it is more than
// RewindDistance below the highest.
func (s *stream) rewind(n int64, dist uint64, c Class) Class {
	if s.candOK {
		// n - cand in [-RewindNear, RewindNear], n != cand, without overflow.
		if d := uint64(n) - uint64(s.cand) + RewindNear; d <= 2*RewindNear && d != RewindNear {
			return classRewind
		}
	}
	s.cand, s.candOK, s.candStale = n, dist > RewindDistance, c == ClassStale
	return c
}

// advance slides the window so that its top block holds offset no (> hi), and returns
// how many numbers of [lo, no) left the window unseen and undeclared.
func (s *stream) advance(no uint64) (lost uint64) {
	oldB, newB := s.hi>>6, no>>6
	k := newB - oldB
	first := oldB - words + 1 // oldest block in the window; >= 1 since hi >= WindowSize
	for b := first; b < first+min(k, words); b++ {
		w := &s.bits[b&(words-1)]
		// Every number of a leaving block is below no, so the whole block is in range.
		lost += s.inRange(b, b<<6|63) - uint64(bits.OnesCount64(*w))
		if s.dhi != 0 && s.dlo <= b<<6|63 && s.dhi >= b<<6 {
			lost -= s.blockUnseen(b, max(s.dlo, b<<6), min(s.dhi, b<<6|63)) // declared already
		}
		*w = 0
	}
	if k > words {
		lost += 64 * (k - words) // blocks that passed through the window unseen
	}
	return lost
}

// cut declares lost every unseen, undeclared number of [lo, cutHi] (the highest at the
// previous cut), and remembers hi for the next cut. It scans only what no earlier cut
// declared ([lo, dlo) and (dhi, cutHi]), within the window: at most WindowSize/64 words.
func (s *stream) cut() (lost uint64) {
	if c := s.cutHi; c != 0 {
		switch {
		case s.dhi == 0:
			lost = s.unseen(s.lo, c)
		default:
			if s.lo < s.dlo {
				lost = s.unseen(s.lo, s.dlo-1)
			}
			if c > s.dhi {
				lost += s.unseen(s.dhi+1, c)
			}
		}
		s.dlo, s.dhi = s.lo, max(s.dhi, c)
	}
	s.cutHi = s.hi
	return lost
}

// finish returns how many numbers of [lo, hi] are still unseen and undeclared: the
// stream is over, so they are declared now.
func (s *stream) finish() (lost uint64) {
	if s.dhi == 0 {
		return s.unseen(s.lo, s.hi)
	}
	if s.lo < s.dlo {
		lost = s.unseen(s.lo, s.dlo-1)
	}
	if s.hi > s.dhi {
		lost += s.unseen(s.dhi+1, s.hi)
	}
	return lost
}

// unseen counts the offsets of [from, to] (to <= hi) still in the window and not seen,
// a word at a time.
func (s *stream) unseen(from, to uint64) (n uint64) {
	from = max(from, (s.hi>>6-words+1)<<6) // the window's oldest block
	for b := from >> 6; from <= to; b++ {
		end := min(to, b<<6|63)
		n += s.blockUnseen(b, from, end)
		from = end + 1
	}
	return n
}

// blockUnseen counts the unseen offsets of [from, to], which lie in block b of the window.
func (s *stream) blockUnseen(b, from, to uint64) uint64 {
	mask := (^uint64(0) << (from & 63)) & (^uint64(0) >> (63 - to&63))
	return to - from + 1 - uint64(bits.OnesCount64(s.bits[b&(words-1)]&mask))
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
