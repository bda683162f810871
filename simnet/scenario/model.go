package scenario

import (
	"net/netip"
	"slices"

	"github.com/dist-example/dist-example/app"
)

// model is the oracle for the receiver: app's documented definitions (see app.Counts)
// applied to the datagrams the network delivered, in delivery order, and to the
// receiver's interval cuts, at the points in that order where the receiver made them.
// It is written the plain way so that it shares no code with app's Accounting: instead
// of a bit ring with declared-loss watermarks, each stream keeps its gaps as two sorted
// lists of ranges, the ones still awaited and the ones declared lost, and a number is
// seen when it is in the stream's range and in neither list; a rewind candidate (see
// app.Counts.Restarts) is a pointer that any other number clears, and the cut moves its
// provisional count into the next interval. No saturation, no eviction. The one detail it copies is where the window ends: app's window slides a
// 64-number block at a time (its doc: "at least WindowSize-63 numbers are always
// remembered"), so a number is stale when its block is WindowSize/64 or more blocks below
// the block of the stream's highest number, and leaves the window when that happens.
type model struct {
	streams map[netip.AddrPort]*mstream
	total   tally   // the run so far; lost is net of the late arrivals
	iv      tally   // the open interval; lost counts declarations
	ivs     []tally // the intervals cut so far
	tooMany bool    // more sources than app.MaxSources: eviction is not modelled

	expected int64 // of the streams ended
	min, max int64 // of the unique numbers
}

// tally is the counters the model keeps, by index.
type tally [nCounters]int64

const (
	cReceived = iota
	cUnique
	cLost
	cDuplicates
	cReordered
	cLate
	cStale
	cMalformed
	cRestarts
	nCounters
)

func (t tally) counts() app.Counts {
	return app.Counts{Received: t[cReceived], Unique: t[cUnique], Lost: t[cLost],
		Duplicates: t[cDuplicates], Reordered: t[cReordered], Late: t[cLate], Stale: t[cStale],
		Malformed: t[cMalformed], Restarts: t[cRestarts]}
}

// gap is the numbers (as offsets) from..to, inclusive.
type gap struct{ from, to uint64 }

// mstream holds one stream's numbers as offsets from origin (first - WindowSize, modulo
// 2^64), the frame app documents, so that both agree on every wrap-around.
type mstream struct {
	origin   uint64
	lo, hi   uint64
	awaited  []gap // unseen in [lo, hi] and in the window, not declared; sorted
	declared []gap // declared lost and unseen since, in the window; sorted
	cutHi    uint64
	cut      bool       // cutHi is the stream's highest at the previous cut
	pending  *candidate // the rewind candidate waiting for the stream's next number
}

// candidate is a number far below its stream's highest and seen before (or stale): if
// the next number is its neighbour, the sender went back and counts up again. Until
// then it is counted under counter (duplicates or stale), in the interval in which its
// wait ends.
type candidate struct {
	n       int64
	counter int
}

const (
	windowBlocks = app.WindowSize / 64
	maxOffset    = 1 << 62
)

func (m *model) count(c int, k int64) { m.total[c] += k; m.iv[c] += k }

// declare counts k numbers as declared lost now.
func (m *model) declare(k uint64) { m.count(cLost, int64(k)) }

func (m *model) observe(src netip.AddrPort, payload []byte) {
	n, err := app.ParseNumber(payload)
	if err != nil {
		m.count(cReceived, 1)
		m.count(cMalformed, 1)
		return
	}
	m.observeNumber(src, n)
}

// observeNumber is observe of a datagram already known to be number n's wire form.
func (m *model) observeNumber(src netip.AddrPort, n int64) {
	m.count(cReceived, 1)
	if m.streams == nil {
		m.streams = make(map[netip.AddrPort]*mstream)
	}
	s := m.streams[src]
	if s == nil {
		if len(m.streams) == app.MaxSources {
			m.tooMany = true
		}
		s = &mstream{}
		m.streams[src] = s
		m.start(s, n)
		return
	}
	m.number(s, n)
}

// number accounts for number n of stream s.
func (m *model) number(s *mstream, n int64) {
	pending := s.pending
	s.pending = nil // any number but a seen or stale one ends a candidate's wait
	hiN := int64(s.origin + s.hi)
	if n > hiN {
		d := uint64(n) - uint64(hiN)
		if d > app.MaxJump || s.hi+d > maxOffset {
			m.restart(s, n)
			return
		}
		if d > 1 {
			s.awaited = append(s.awaited, gap{s.hi + 1, s.hi + d - 1})
		}
		s.hi += d
		m.unique(n)
		m.slide(s)
		return
	}
	dist := uint64(hiN) - uint64(n)
	if dist > app.RestartDistance {
		m.restart(s, n)
		return
	}
	if dist > s.hi || s.hi/64-(s.hi-dist)/64 >= windowBlocks {
		m.seenBefore(s, pending, n, dist, cStale)
		return
	}
	o := s.hi - dist
	switch {
	case o < s.lo:
		if o+1 < s.lo {
			s.awaited = slices.Insert(s.awaited, 0, gap{o + 1, s.lo - 1})
		}
		s.lo = o
		m.count(cReordered, 1)
		m.unique(n)
	case take(&s.awaited, o):
		m.count(cReordered, 1)
		m.unique(n)
	case take(&s.declared, o):
		m.count(cLate, 1)
		m.total[cLost]--
		m.count(cReordered, 1)
		m.unique(n)
	default:
		m.seenBefore(s, pending, n, dist, cDuplicates)
	}
}

// seenBefore accounts for n, dist below s's highest, that s has seen or no longer knows
// (counter c: duplicates or stale). Next to the candidate still pending (within
// app.RewindNear, not equal) it is the sender counting up again from far back: the
// stream restarts at the candidate and n is accounted for in the new stream. Otherwise
// it is counted as c, and waits as a candidate itself if it is more than
// app.RewindDistance below the highest.
func (m *model) seenBefore(s *mstream, pending *candidate, n int64, dist uint64, c int) {
	if pending != nil && n != pending.n && absDiff(n, pending.n) <= app.RewindNear {
		m.end(s)
		m.count(cRestarts, 1)
		m.count(pending.counter, -1) // it was provisional: the new stream's first number
		m.start(s, pending.n)
		m.number(s, n)
		return
	}
	m.count(c, 1)
	if dist > app.RewindDistance {
		s.pending = &candidate{n: n, counter: c}
	}
}

// absDiff is |a-b|, saturated, for any int64 a and b.
func absDiff(a, b int64) uint64 {
	if a < b {
		a, b = b, a
	}
	return uint64(a) - uint64(b)
}

// take removes o from the sorted gaps gs and reports whether it was there.
func take(gs *[]gap, o uint64) bool {
	i, _ := slices.BinarySearchFunc(*gs, o, func(g gap, o uint64) int {
		switch {
		case g.to < o:
			return -1
		case g.from > o:
			return 1
		}
		return 0
	})
	if i == len(*gs) || (*gs)[i].from > o {
		return false
	}
	g := (*gs)[i]
	switch {
	case g.from == g.to:
		*gs = slices.Delete(*gs, i, i+1)
	case o == g.from:
		(*gs)[i].from++
	case o == g.to:
		(*gs)[i].to--
	default:
		(*gs)[i].to = o - 1
		*gs = slices.Insert(*gs, i+1, gap{o + 1, g.to})
	}
	return true
}

// slide forgets what is now below the window; what was still awaited is declared lost
// as it leaves.
func (m *model) slide(s *mstream) {
	bottom := (s.hi/64 - windowBlocks + 1) * 64
	m.declare(below(&s.awaited, bottom))
	below(&s.declared, bottom)
}

// below removes the numbers under bottom from gs and returns how many there were.
func below(gs *[]gap, bottom uint64) (k uint64) {
	for len(*gs) > 0 && (*gs)[0].from < bottom {
		g := &(*gs)[0]
		if g.to < bottom {
			k += g.to - g.from + 1
			*gs = (*gs)[1:]
			continue
		}
		k += bottom - g.from
		g.from = bottom
	}
	return k
}

func (m *model) unique(n int64) {
	if m.total[cUnique] == 0 {
		m.min, m.max = n, n
	} else {
		m.min, m.max = min(m.min, n), max(m.max, n)
	}
	m.count(cUnique, 1)
}

func (m *model) start(s *mstream, n int64) {
	*s = mstream{origin: uint64(n) - app.WindowSize, lo: app.WindowSize, hi: app.WindowSize}
	m.unique(n)
}

func (m *model) restart(s *mstream, n int64) {
	m.end(s)
	m.count(cRestarts, 1)
	m.start(s, n)
}

// end closes a stream: every number of its range still awaited is declared lost.
func (m *model) end(s *mstream) {
	m.expected += int64(s.hi - s.lo + 1)
	for _, g := range s.awaited {
		m.declare(g.to - g.from + 1)
	}
	s.awaited = nil
}

// cut ends an interval as app's Accounting.Cut does: every number still awaited that is
// at most its stream's highest at the previous cut is declared lost.
func (m *model) cut() {
	for _, s := range m.streams {
		for s.cut && len(s.awaited) > 0 && s.awaited[0].from <= s.cutHi {
			g := s.awaited[0]
			g.to = min(g.to, s.cutHi)
			m.declare(g.to - g.from + 1)
			s.declared = append(s.declared, g)
			if g.to == s.awaited[0].to {
				s.awaited = s.awaited[1:]
			} else {
				s.awaited[0].from = g.to + 1
			}
		}
		slices.SortFunc(s.declared, func(a, b gap) int {
			if a.from < b.from {
				return -1
			}
			return 1
		})
		s.cutHi, s.cut = s.hi, true
	}
	// A candidate still waiting is counted in the interval its wait ends in, so that the
	// interval ending now never has to take it back.
	var next tally
	for _, s := range m.streams {
		if c := s.pending; c != nil {
			next[cReceived]++
			next[c.counter]++
			m.iv[cReceived]--
			m.iv[c.counter]--
		}
	}
	m.ivs = append(m.ivs, m.iv)
	m.iv = next
}

// finish ends every stream and returns the totals a receiver must report. The receiver
// calls Finish just before it cuts its last interval, so what finish declares belongs to
// the last interval cut (to the open one if none was).
func (m *model) finish() app.Counts {
	for _, s := range m.streams {
		m.end(s)
	}
	m.streams = nil
	if k := len(m.ivs); k > 0 {
		for i, v := range m.iv {
			m.ivs[k-1][i] += v
		}
		m.iv = tally{}
	}
	c := m.total.counts()
	c.Expected = m.expected
	if c.Unique > 0 {
		c.Min, c.Max = m.min, m.max
	}
	return c
}

// intervals returns the counters of each interval cut (Expected, Min and Max are not
// modelled per interval and left 0).
func (m *model) intervals() []app.Counts {
	out := make([]app.Counts, len(m.ivs))
	for i, t := range m.ivs {
		out[i] = t.counts()
	}
	return out
}
