package netem

import (
	"math"
	"math/bits"
	"time"
)

// slotState is netem's slot machinery: packets leave only once the current slot has
// opened (next ≤ now), and each slot has a packet and byte budget. Every slot, the first
// one that configuration opens included, starts with the full budget (get_slot and
// get_slot_next both set it).
type slotState struct {
	on      bool
	pending bool  // configured but not yet opened: opens at the next call's now
	next    int64 // when the current slot opens
	packets int64 // budget left in this slot
	bytes   int64
}

// settle opens a freshly configured slot at now, as the kernel opens it at the time of
// the configuration (which, for a driven link, is just before its next call).
func (s *slotState) settle(now time.Duration) {
	if s.pending {
		s.pending = false
		s.next = int64(now)
	}
}

// newSlot is get_slot_next: the next slot opens after a uniform draw in [Min, Max] (from
// the auxiliary stream, where the kernel uses its unseeded RNG), or after a table draw
// from netem's own PRNG without correlation, and gets a fresh budget.
func (l *Link[T]) newSlot(now time.Duration) {
	c := &l.prof.Slot
	var d int64
	if l.slotTab.Len() == 0 {
		span := uint64(max(0, c.Max-c.Min))
		hi, lo := bits.Mul64(uint64(u32(&l.aux)), span)
		d = int64(c.Min) + int64(hi<<32|lo>>32)
	} else {
		d = tabledist(int64(c.Delay), capJitter(int64(c.Jitter)), u32(&l.rng), l.slotTab)
	}
	l.slot.next = int64(now) + d
	l.slot.packets = budget(c.Packets)
	l.slot.bytes = budget(c.Bytes)
}

// budget maps tc's 0 = unlimited to the kernel's INT_MAX.
func budget(n int32) int64 {
	if n <= 0 {
		return math.MaxInt32
	}
	return int64(n)
}
