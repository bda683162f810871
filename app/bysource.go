package app

import (
	"net/netip"
	"slices"
)

// SourceCounts is what one source (a sender's address and port) contributed to a
// receiver's totals: its own Received, Unique, Lost (net of Late), Duplicates,
// Reordered, Late, Stale, Malformed and Restarts, the range of its numbers, and Expected
// = Unique + Lost.
type SourceCounts struct {
	Source netip.AddrPort `json:"source"`
	Counts
}

// maxSourceTotals bounds the sources whose shares are kept; those heard after it are
// only in the totals (and counted in bySource.more).
const maxSourceTotals = 1024

// bySource keeps each source's share of the counts, in the order sources were first
// heard. Its memory is bounded by maxSourceTotals entries.
type bySource struct {
	m        map[netip.AddrPort]*SourceCounts
	order    []*SourceCounts
	last     *SourceCounts // the previous datagram's: the common case
	more     int64         // sources beyond maxSourceTotals
	credited uint64        // losses Record's callees already gave another source (eviction)
}

// get returns src's entry, making it; nil beyond maxSourceTotals.
func (b *bySource) get(src netip.AddrPort) *SourceCounts {
	if b.last != nil && b.last.Source == src {
		return b.last
	}
	c, ok := b.m[src]
	if !ok {
		if len(b.order) >= maxSourceTotals {
			b.more++
			return nil
		}
		if b.m == nil {
			b.m = make(map[netip.AddrPort]*SourceCounts)
		}
		c = &SourceCounts{Source: src}
		b.m[src] = c
		b.order = append(b.order, c)
	}
	b.last = c
	return c
}

// credit gives src what one Record of number n added to the interval's counts.
func (b *bySource) credit(src netip.AddrPort, before, after *Counts, n int64) {
	lost := after.Lost - before.Lost - int64(b.credited)
	b.credited = 0
	c := b.get(src)
	if c == nil {
		return
	}
	if after.Unique > before.Unique {
		if c.Unique == 0 {
			c.Min, c.Max = n, n
		} else {
			c.Min, c.Max = min(c.Min, n), max(c.Max, n)
		}
	}
	c.Received = satAdd(c.Received, after.Received-before.Received)
	c.Unique = satAdd(c.Unique, after.Unique-before.Unique)
	c.Lost = satAdd(c.Lost, max(lost, 0))
	c.Duplicates += after.Duplicates - before.Duplicates // a rewind takes one back
	c.Reordered = satAdd(c.Reordered, after.Reordered-before.Reordered)
	c.Late = satAdd(c.Late, after.Late-before.Late)
	c.Stale += after.Stale - before.Stale
	c.Restarts = satAdd(c.Restarts, after.Restarts-before.Restarts)
}

// lost gives src numbers declared lost outside Record (a Cut, Finish, an eviction).
func (b *bySource) lost(src netip.AddrPort, n uint64) {
	if n == 0 {
		return
	}
	if c := b.get(src); c != nil {
		c.Lost = satAdd(c.Lost, satU(n))
	}
}

// BySource returns each source's share of the totals, in the order the sources were
// first heard (at most 1024 of them; more says how many others there were). Lost is net
// of Late, and Expected is Unique + Lost, as in Totals.
func (a *Accounting) BySource() (sources []SourceCounts, more int64) {
	out := make([]SourceCounts, len(a.src.order))
	for i, c := range a.src.order {
		out[i] = *c
		out[i].Lost = max(c.Lost-c.Late, 0)
		out[i].Expected = satAdd(out[i].Unique, out[i].Lost)
	}
	return slices.Clip(out), a.src.more
}
