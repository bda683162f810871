package app

import "net/netip"

// Accounting counts what a receiver got, per source, in summary intervals. It is a plain
// value: no I/O, no clock, no goroutines; the caller says when an interval ends (Cut) and
// when the run ends (Finish). Its memory is bounded by MaxSources streams of WindowSize
// bits whatever arrives. The zero value is ready to use. It is not safe for concurrent
// use.
type Accounting struct {
	streams map[netip.AddrPort]*stream
	last    *stream // the stream of the previous datagram: the common case
	lastSrc netip.AddrPort
	tick    uint64

	iv      Counts   // current interval; Expected holds retired streams' share only
	closed  Counts   // all finished intervals, summed (Lost: declarations); Expected unused (see retired)
	retired int64    // Expected of streams already ended (restart, eviction, Finish)
	src     bySource // each source's share of the totals
}

// Observe accounts for one datagram from src: its payload is parsed with ParseNumber and
// passed to Record, or counted as malformed.
func (a *Accounting) Observe(src netip.AddrPort, payload []byte) Class {
	n, err := ParseNumber(payload)
	if err != nil {
		a.Malformed()
		if c := a.src.get(src); c != nil {
			c.Received = satAdd(c.Received, 1)
			c.Malformed = satAdd(c.Malformed, 1)
		}
		return ClassMalformed
	}
	return a.Record(src, n)
}

// Malformed accounts for one datagram that carried no number.
func (a *Accounting) Malformed() {
	a.iv.Received = satAdd(a.iv.Received, 1)
	a.iv.Malformed = satAdd(a.iv.Malformed, 1)
}

// Record accounts for number n from src and says how it was classified.
func (a *Accounting) Record(src netip.AddrPort, n int64) Class {
	if s, c := a.last, a.src.last; s != nil && c != nil && a.lastSrc == src && c.Source == src {
		// The common case, a number above the highest from the previous datagram's
		// source that does not slide the window: what record and credit would do.
		if hiN := int64(s.origin + s.hi); n > hiN {
			if d := uint64(n) - uint64(hiN); d < 64 && (s.hi+d)>>6 == s.hi>>6 {
				return a.recordAbove(s, c, s.hi+d, n)
			}
		}
	}
	before := a.iv
	c := a.record(src, n)
	// By pointer: copying a.iv whole right after record's stores to a few of its fields
	// stalls the loads on those stores, at every datagram.
	a.src.credit(src, &before, &a.iv, n)
	return c
}

// recordAbove is Record of n, at offset o of s above its highest and in the same block,
// from the source of s and of c: ClassUnique, nothing lost.
func (a *Accounting) recordAbove(s *stream, c *SourceCounts, o uint64, n int64) Class {
	received, unique := a.iv.Received, a.iv.Unique
	a.tick++
	a.iv.Received = satAdd(a.iv.Received, 1)
	s.candOK = false
	s.set(o)
	s.hi = o
	s.mark(o)
	a.unique(n)
	c.Received = satAdd(c.Received, a.iv.Received-received)
	if a.iv.Unique > unique {
		if c.Unique == 0 {
			c.Min, c.Max = n, n
		} else {
			c.Min, c.Max = min(c.Min, n), max(c.Max, n)
		}
	}
	c.Unique = satAdd(c.Unique, a.iv.Unique-unique)
	return ClassUnique
}

func (a *Accounting) record(src netip.AddrPort, n int64) Class {
	a.tick++
	a.iv.Received = satAdd(a.iv.Received, 1)
	s := a.last
	if s == nil || a.lastSrc != src {
		var fresh bool
		if s, fresh = a.lookup(src); fresh {
			s.reset(n)
			a.unique(n)
			return ClassUnique
		}
	}
	c, lost := s.observe(n)
	if lost > 0 {
		a.iv.Lost = satAdd(a.iv.Lost, satU(lost))
	}
	switch c {
	case ClassUnique:
		a.unique(n)
	case ClassReordered:
		a.iv.Reordered = satAdd(a.iv.Reordered, 1)
		a.unique(n)
	case ClassDuplicate:
		a.iv.Duplicates = satAdd(a.iv.Duplicates, 1)
	case ClassLate:
		a.iv.Late = satAdd(a.iv.Late, 1)
		a.iv.Reordered = satAdd(a.iv.Reordered, 1)
		a.unique(n)
	case ClassStale:
		a.iv.Stale = satAdd(a.iv.Stale, 1)
	case ClassRestart:
		a.retire(s)
		s.reset(n)
		a.iv.Restarts = satAdd(a.iv.Restarts, 1)
		a.unique(n)
	case classRewind:
		a.rewind(s, n)
		return ClassRestart
	}
	return c
}

// rewind restarts s at its rewind candidate, which n confirmed, and records n in the new
// stream. The candidate's provisional count is in the open interval (Cut carries it
// over), so taking it back leaves no counter negative.
func (a *Accounting) rewind(s *stream, n int64) {
	first, stale := s.cand, s.candStale
	a.retire(s)
	s.reset(first)
	a.iv.Restarts = satAdd(a.iv.Restarts, 1)
	if stale {
		a.iv.Stale--
	} else {
		a.iv.Duplicates--
	}
	a.unique(first)
	// n is within RewindNear of first, in the new window, and not first: unique or reordered.
	if c, _ := s.observe(n); c == ClassReordered {
		a.iv.Reordered = satAdd(a.iv.Reordered, 1)
	}
	a.unique(n)
}

func (a *Accounting) unique(n int64) {
	if a.iv.Unique == 0 {
		a.iv.Min, a.iv.Max = n, n
	} else {
		a.iv.Min, a.iv.Max = min(a.iv.Min, n), max(a.iv.Max, n)
	}
	a.iv.Unique = satAdd(a.iv.Unique, 1)
}

// lookup finds src's stream, or makes one (fresh), evicting the least recently heard
// stream when MaxSources are tracked. It also records the use, for eviction.
func (a *Accounting) lookup(src netip.AddrPort) (s *stream, fresh bool) {
	if a.streams == nil {
		a.streams = make(map[netip.AddrPort]*stream)
	}
	if a.last != nil {
		a.last.used = a.tick - 1 // recorded when switching away, to keep it off the hot path
	}
	s, ok := a.streams[src]
	if !ok {
		s, fresh = a.newStream(), true
		a.streams[src] = s
	}
	a.last, a.lastSrc = s, src
	return s, fresh
}

func (a *Accounting) newStream() *stream {
	if len(a.streams) < MaxSources {
		return new(stream)
	}
	var (
		oldSrc netip.AddrPort
		old    *stream
	)
	for src, s := range a.streams {
		if old == nil || s.used < old.used {
			oldSrc, old = src, s
		}
	}
	lost := a.retire(old)
	a.src.lost(oldSrc, lost)
	a.src.credited += lost // inside Record: not the new source's
	delete(a.streams, oldSrc)
	a.iv.Evicted = satAdd(a.iv.Evicted, 1)
	return old // reset by the caller
}

// retire ends s's stream: its unseen, undeclared numbers are declared lost and its
// ranges become history.
func (a *Accounting) retire(s *stream) (lost uint64) {
	lost = s.finish()
	a.iv.Lost = satAdd(a.iv.Lost, satU(lost))
	a.iv.Expected = satAdd(a.iv.Expected, satU(s.ivSpan()))
	a.retired = satAdd(a.retired, satU(s.span()))
	s.ivSeen = false
	return lost
}

// Interval returns the counts of the current interval so far: its Lost does not yet
// include what the interval's Cut will declare.
func (a *Accounting) Interval() Counts {
	c := a.iv
	for _, s := range a.streams {
		c.Expected = satAdd(c.Expected, satU(s.ivSpan()))
	}
	return c
}

// Cut ends the current interval and returns its counts; the next interval starts empty
// but for the pending rewind candidates, which it carries over (see Counts.Restarts).
// It first declares lost, in the interval it ends, every number still missing that is at
// most its stream's highest at the previous Cut (see Counts.Lost); its cost is bounded
// by MaxSources windows, whatever the interval held.
func (a *Accounting) Cut() Counts {
	var carry Counts
	for src, s := range a.streams {
		if lost := s.cut(); lost > 0 {
			a.iv.Lost = satAdd(a.iv.Lost, satU(lost))
			a.src.lost(src, lost)
		}
		if s.candOK {
			carry.Received++
			if s.candStale {
				carry.Stale++
			} else {
				carry.Duplicates++
			}
		}
	}
	a.iv.Received -= carry.Received
	a.iv.Duplicates -= carry.Duplicates
	a.iv.Stale -= carry.Stale
	c := a.Interval()
	a.closed = merge(a.closed, c)
	a.iv = carry
	for _, s := range a.streams {
		s.ivSeen = false
	}
	return c
}

// Totals returns the running totals, the current interval included. Lost counts the
// numbers declared lost and not found since (the intervals' Lost less their Late);
// Finish adds those still awaited in the windows.
func (a *Accounting) Totals() Counts {
	c := merge(a.closed, a.iv)
	c.Lost = max(c.Lost-c.Late, 0) // every late number was declared first: >= 0 unless saturated
	c.Expected = a.retired
	for _, s := range a.streams {
		c.Expected = satAdd(c.Expected, satU(s.span()))
	}
	return c
}

// Finish ends every stream, declaring their unseen numbers lost in the current interval,
// and returns the totals. Numbers recorded afterwards start new streams.
func (a *Accounting) Finish() Counts {
	for src, s := range a.streams {
		a.src.lost(src, a.retire(s))
		delete(a.streams, src)
	}
	a.last = nil
	return a.Totals()
}

// Sources returns how many sources are tracked now (at most MaxSources).
func (a *Accounting) Sources() int { return len(a.streams) }

// merge adds interval counts c to totals t, widening the range.
func merge(t, c Counts) Counts {
	switch {
	case c.Unique == 0:
	case t.Unique == 0:
		t.Min, t.Max = c.Min, c.Max
	default:
		t.Min, t.Max = min(t.Min, c.Min), max(t.Max, c.Max)
	}
	t.add(c)
	return t
}
