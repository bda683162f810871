package app

import (
	"math"
	"strconv"
)

// Counts are the receiver's counters for one summary interval or for a whole run.
//
// Every datagram read is Received and lands in exactly one of Unique, Duplicates, Late
// or Malformed, so Received = Unique + Duplicates + Late + Malformed. The other counters
// describe the numbers rather than the datagrams:
//
//   - Unique: the first copy of a number in its stream (a restart's first number too).
//   - Duplicates: a number already seen in its stream, told apart by the sliding window.
//   - Late: a number more than the window (about WindowSize) but less than
//     RestartDistance below the stream's highest; the window has forgotten whether it was
//     seen, so it is neither unique nor duplicate, and if it was a gap it has already been
//     counted in Lost (it filled a gap that was already given up on).
//   - Malformed: not a number (see ParseNumber); it moves no other counter but Received.
//   - Reordered: unique numbers that arrived after a higher number of the same stream.
//   - Lost: numbers inside a stream's range [lowest, highest] never seen by the time they
//     fell out of the window, or by the end of the run (Accounting.Finish) for the rest.
//     At the end of a run, Unique + Lost = Expected for every stream.
//   - Restarts: a number more than RestartDistance below, or more than MaxJump above, the
//     stream's highest: the old stream ends (its gaps are counted Lost) and a new one
//     starts with that number, instead of counting a million duplicates or losses.
//   - Evicted: streams dropped because MaxSources sources were already tracked (the
//     least recently heard one goes; its gaps are counted Lost).
//   - Expected: for an interval, the sum over streams of max-min+1 of the unique numbers
//     of that interval (the original's E); for totals, the sum over streams of
//     highest-lowest+1.
//   - Min, Max: the lowest and highest unique number (over all sources); both 0 when
//     Unique is 0. Duplicates and late numbers do not widen the range.
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
	ClassLate                   // below the window: already given up on
	ClassRestart                // started a new stream (also unique)
	ClassMalformed              // not a number
)

var classNames = [...]string{"unique", "reordered", "duplicate", "late", "restart", "malformed"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}
