package scenario

import (
	"net/netip"

	"github.com/dist-example/dist-example/app"
)

// model is the oracle for the receiver: app's documented definitions (see app.Counts)
// applied to the datagrams the network delivered, in delivery order, written the plain
// way (a set of the numbers seen instead of a bit ring, no saturation, no eviction) so
// that it shares no code with app's Accounting. The one detail it copies is where the
// window ends: app's window slides a 64-number block at a time (its doc: "at least
// WindowSize-63 numbers are always remembered"), so a number is late when its block is
// WindowSize/64 or more blocks below the block of the stream's highest number.
type model struct {
	streams map[netip.AddrPort]*mstream
	c       app.Counts
	tooMany bool // more sources than app.MaxSources: eviction is not modelled
}

// mstream holds one stream's numbers as offsets from origin (first - WindowSize, modulo
// 2^64), the frame app documents, so that both agree on every wrap-around.
type mstream struct {
	origin uint64
	lo, hi uint64
	unique uint64
	seen   map[uint64]struct{}
}

const (
	windowBlocks = app.WindowSize / 64
	maxOffset    = 1 << 62
)

func (m *model) observe(src netip.AddrPort, payload []byte) {
	m.c.Received++
	n, err := app.ParseNumber(payload)
	if err != nil {
		m.c.Malformed++
		return
	}
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
	hiN := int64(s.origin + s.hi)
	if n > hiN {
		d := uint64(n) - uint64(hiN)
		if d > app.MaxJump || s.hi+d > maxOffset {
			m.restart(s, n)
			return
		}
		s.hi += d
		m.add(s, s.hi, n)
		if len(s.seen) > 4*app.WindowSize {
			s.prune()
		}
		return
	}
	dist := uint64(hiN) - uint64(n)
	if dist > app.RestartDistance {
		m.restart(s, n)
		return
	}
	if dist > s.hi || s.hi/64-(s.hi-dist)/64 >= windowBlocks {
		m.c.Late++
		return
	}
	o := s.hi - dist
	if _, dup := s.seen[o]; dup {
		m.c.Duplicates++
		return
	}
	m.c.Reordered++
	s.lo = min(s.lo, o)
	m.add(s, o, n)
}

func (m *model) start(s *mstream, n int64) {
	s.origin = uint64(n) - app.WindowSize
	s.lo, s.hi, s.unique = app.WindowSize, app.WindowSize, 0
	s.seen = make(map[uint64]struct{})
	m.add(s, s.hi, n)
}

func (m *model) restart(s *mstream, n int64) {
	m.end(s)
	m.c.Restarts++
	m.start(s, n)
}

func (m *model) add(s *mstream, o uint64, n int64) {
	s.seen[o] = struct{}{}
	s.unique++
	if m.c.Unique == 0 {
		m.c.Min, m.c.Max = n, n
	} else {
		m.c.Min, m.c.Max = min(m.c.Min, n), max(m.c.Max, n)
	}
	m.c.Unique++
}

// end closes a stream: every number of its range not seen is lost.
func (m *model) end(s *mstream) {
	span := s.hi - s.lo + 1
	m.c.Expected += int64(span)
	m.c.Lost += int64(span - s.unique)
}

// prune forgets numbers below the window: they can only be late now.
func (s *mstream) prune() {
	for o := range s.seen {
		if s.hi-o > app.WindowSize+64 {
			delete(s.seen, o)
		}
	}
}

// finish ends every stream and returns the totals a receiver must report.
func (m *model) finish() app.Counts {
	for _, s := range m.streams {
		m.end(s)
	}
	m.streams = nil
	return m.c
}
