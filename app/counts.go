package app

import (
	"math"
	"strconv"
)

// Counts are the receiver's counters for one summary interval or for a whole run.
//
// Every datagram read is Received and lands in exactly one of Unique, Duplicates, Stale
// or Malformed, so Received = Unique + Duplicates + Stale + Malformed, in every interval
// and in total (a rewind candidate, see Restarts, is counted in the interval in which
// it is resolved, so the intervals still add up to the totals). The other counters
// describe the numbers rather than the datagrams:
//
//   - Unique: the first copy of a number in its stream (a restart's first number too).
//   - Duplicates: a number already seen in its stream, told apart by the sliding window.
//   - Reordered: unique numbers that arrived after a higher number of the same stream.
//   - Lost: numbers of a stream's range [lowest, highest] never seen. A missing number
//     is declared lost at the first interval cut (Accounting.Cut) at which a higher
//     number has been known for a whole interval: at cut k, every number not seen and
//     not yet declared that is at most the stream's highest at cut k-1 is declared, and
//     counted in interval k's Lost. So a number that arrives less than one interval
//     after a higher one is never declared lost. A number that leaves the window first
//     is declared when it leaves; a stream's remaining gaps are declared when it ends
//     (restart, eviction, Accounting.Finish). An interval's Lost counts the declarations
//     made in it and at its cut; the running total is what was declared less what
//     arrived Late since: Totals.Lost = sum of intervals' Lost - sum of intervals' Late.
//     At the end of a run, Unique + Lost = Expected for every stream.
//   - Late: unique numbers that arrived after they had been declared lost, while still in
//     the window: each filled an earlier gap, and took one off the running total Lost.
//     Late numbers are also Reordered (and Unique).
//   - Stale: a number more than the window (about WindowSize) but less than
//     RestartDistance below the stream's highest; the window has forgotten whether it was
//     seen, so it is neither unique nor duplicate, and if it was a gap it has already been
//     counted in Lost (declared when it left the window) and stays there.
//   - Malformed: not a number (see ParseNumber); it moves no other counter but Received.
//   - Restarts: a number more than RestartDistance below, or more than MaxJump above, the
//     stream's highest: the old stream ends (its gaps are declared Lost) and a new one
//     starts with that number, instead of counting a million duplicates or losses.
//     A sender that went back a shorter way (restarted from 0 after a few thousand
//     numbers, or jumped back) is told by what follows, which the network never does:
//     a rewind is a number more than RewindDistance below the stream's highest that is
//     a duplicate or stale (the candidate), followed, as the next number from the same
//     source, by another duplicate or stale number within RewindNear of it and not equal
//     to it. The stream then restarts at the candidate: the old stream ends, the
//     candidate is the new stream's first number (Unique; its provisional Duplicate or
//     Stale is taken back) and the next number is recorded in it (Unique, Reordered if
//     below the candidate). Any other number from that source ends the candidate's wait,
//     and it stays a duplicate or stale; so does a candidate whose stream ends first.
//     A candidate still waiting at a Cut is carried into the next interval: its datagram
//     is counted (Received, and Duplicates or Stale) in the interval in which its wait
//     ends, so that no interval ever takes back what an earlier one reported. A single
//     late duplicate, or numbers sent again fewer than RewindDistance back, stay
//     duplicates.
//   - Evicted: streams dropped because MaxSources sources were already tracked (the
//     least recently heard one goes; its gaps are declared Lost).
//   - Expected: for an interval, the sum over streams of max-min+1 of the unique numbers
//     of that interval (the original's E); for totals, the sum over streams of
//     highest-lowest+1.
//   - Min, Max: the lowest and highest unique number (over all sources); both 0 when
//     Unique is 0. Duplicates and stale numbers do not widen the range.
//
// Counters saturate at math.MaxInt64 instead of wrapping, whatever numbers arrive.
type Counts struct {
	Received   int64 `json:"received"`
	Expected   int64 `json:"expected"`
	Unique     int64 `json:"unique"`
	Lost       int64 `json:"lost"`
	Duplicates int64 `json:"duplicates"`
	Reordered  int64 `json:"reordered"`
	Late       int64 `json:"late"`
	Stale      int64 `json:"stale"`
	Malformed  int64 `json:"malformed"`
	Restarts   int64 `json:"restarts"`
	Evicted    int64 `json:"evicted"`
	Min        int64 `json:"min"`
	Max        int64 `json:"max"`
}

// add folds o into c; Expected, Min and Max are the caller's business.
func (c *Counts) add(o Counts) {
	c.Received = satAdd(c.Received, o.Received)
	c.Unique = satAdd(c.Unique, o.Unique)
	c.Lost = satAdd(c.Lost, o.Lost)
	c.Duplicates = satAdd(c.Duplicates, o.Duplicates)
	c.Reordered = satAdd(c.Reordered, o.Reordered)
	c.Late = satAdd(c.Late, o.Late)
	c.Stale = satAdd(c.Stale, o.Stale)
	c.Malformed = satAdd(c.Malformed, o.Malformed)
	c.Restarts = satAdd(c.Restarts, o.Restarts)
	c.Evicted = satAdd(c.Evicted, o.Evicted)
}

// satAdd adds two non-negative counters, sticking at MaxInt64.
func satAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

// satU converts an unsigned count to a counter, sticking at MaxInt64.
func satU(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}

// Class is what Accounting made of one datagram.
type Class uint8

const (
	ClassUnique    Class = iota // first copy, in order (at or above the stream's highest)
	ClassReordered              // first copy, below the stream's highest
	ClassDuplicate              // seen before, within the window
	ClassLate                   // first copy of a number already declared lost (reordered too)
	ClassRestart                // started a new stream (also unique)
	ClassMalformed              // not a number
	ClassStale                  // below the window: unique or duplicate, no longer known
)

var classNames = [...]string{"unique", "reordered", "duplicate", "late", "restart", "malformed", "stale"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}
