package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cutRun feeds intervals of numbers from one source, cutting after each, then ends the
// run as the Receiver does (Finish, then a last Cut). It returns each interval's counts
// (the last one included) and the running totals after each cut.
func cutRun(t *testing.T, intervals [][]int64) (ivs, totals []Counts) {
	t.Helper()
	var a Accounting
	for _, nums := range intervals {
		for _, n := range nums {
			a.Record(srcA, n)
		}
		ivs = append(ivs, a.Cut())
		totals = append(totals, a.Totals())
	}
	a.Finish()
	ivs = append(ivs, a.Cut())
	totals = append(totals, a.Totals())
	return ivs, totals
}

func TestAccountingLossByInterval(t *testing.T) {
	const W = WindowSize
	tests := []struct {
		name      string
		intervals [][]int64
		want      []Counts // each interval's counts, the one Finish ends last
		wantLost  []int64  // running total Lost after each
	}{
		{"reordering within an interval is no loss",
			[][]int64{{0, 2, 1}, {4, 3, 5}, {7, 6}},
			[]Counts{
				{Received: 3, Expected: 3, Unique: 3, Reordered: 1, Max: 2},
				{Received: 3, Expected: 3, Unique: 3, Reordered: 1, Min: 3, Max: 5},
				{Received: 2, Expected: 2, Unique: 2, Reordered: 1, Min: 6, Max: 7},
				{},
			},
			[]int64{0, 0, 0, 0}},
		{"a gap filled in the next interval is no loss",
			[][]int64{{0, 2}, {1, 3}},
			[]Counts{
				{Received: 2, Expected: 3, Unique: 2, Max: 2},
				{Received: 2, Expected: 3, Unique: 2, Reordered: 1, Min: 1, Max: 3},
				{},
			},
			[]int64{0, 0, 0}},
		{"a loss is declared in the interval after it happened, then arrives late",
			[][]int64{{0, 1, 2, 4, 3, 6}, {7, 8, 10, 9}, {11, 5, 12}},
			[]Counts{
				{Received: 6, Expected: 7, Unique: 6, Reordered: 1, Max: 6},
				// 5 missing since before the first cut: declared. 9 came in time.
				{Received: 4, Expected: 4, Unique: 4, Reordered: 1, Lost: 1, Min: 7, Max: 10},
				// 5 fills its gap: late (and reordered); the total Lost goes back to 0.
				{Received: 3, Expected: 8, Unique: 3, Reordered: 1, Late: 1, Min: 5, Max: 12},
				{},
			},
			[]int64{0, 1, 0, 0}},
		{"a gap above the previous cut's highest waits one more interval",
			[][]int64{{0}, {2}, {}},
			[]Counts{
				{Received: 1, Expected: 1, Unique: 1},
				{Received: 1, Expected: 1, Unique: 1, Min: 2, Max: 2}, // 1 > 0, the highest at cut 1
				{Lost: 1}, // 1 <= 2, the highest at cut 2
				{},
			},
			[]int64{0, 0, 1, 1}},
		{"gaps below the first number are declared too",
			[][]int64{{10, 7}, {8}, {9}},
			[]Counts{
				{Received: 2, Expected: 4, Unique: 2, Reordered: 1, Min: 7, Max: 10},
				{Received: 1, Expected: 1, Unique: 1, Reordered: 1, Lost: 1, Min: 8, Max: 8}, // 9
				{Received: 1, Expected: 1, Unique: 1, Reordered: 1, Late: 1, Min: 9, Max: 9},
				{},
			},
			[]int64{0, 1, 0, 0}},
		{"gaps below the lowest number after declarations began",
			[][]int64{{10}, {12}, {}, {7}, {}},
			[]Counts{
				{Received: 1, Expected: 1, Unique: 1, Min: 10, Max: 10},
				{Received: 1, Expected: 1, Unique: 1, Min: 12, Max: 12},
				{Lost: 1}, // 11
				{Received: 1, Expected: 1, Unique: 1, Reordered: 1, Lost: 2, Min: 7, Max: 7}, // 8, 9
				{},
				{},
			},
			[]int64{0, 0, 1, 3, 3, 3}},
		{"what leaves the window is declared as it leaves; what is left at the next cut",
			[][]int64{{0, 2, W + 100}, {}, {50, 200}},
			[]Counts{
				// The window now starts at 128: 1 and 3..127 left it unseen.
				{Received: 3, Expected: W + 101, Unique: 3, Lost: 126, Max: W + 100},
				{Lost: W - 28}, // 128..W+99, at most the highest at cut 1
				// 50 is below the window: stale. 200 was declared and is still in it: late.
				{Received: 2, Expected: 1, Unique: 1, Reordered: 1, Late: 1, Stale: 1, Min: 200, Max: 200},
				{},
			},
			[]int64{126, W + 98, W + 97, W + 97}},
		{"Finish declares the gaps not yet declared",
			[][]int64{{0, 2}, {5}},
			[]Counts{
				{Received: 2, Expected: 3, Unique: 2, Max: 2},
				{Received: 1, Expected: 1, Unique: 1, Lost: 1, Min: 5, Max: 5}, // 1
				{Lost: 2}, // 3 and 4, at the end
			},
			[]int64{0, 1, 3}},
		{"a restart declares the old stream's gaps at once",
			[][]int64{{0, 2}, {3, 5, -1 << 40}, {}},
			[]Counts{
				{Received: 2, Expected: 3, Unique: 2, Max: 2},
				// 1 at the restart, then 4 too (the old stream is over); -1<<40 starts anew.
				{Received: 3, Expected: 4, Unique: 3, Lost: 2, Restarts: 1, Min: -1 << 40, Max: 5},
				{Received: 0},
				{},
			},
			[]int64{0, 2, 2, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ivs, totals := cutRun(t, tt.intervals)
			require.Len(t, tt.want, len(ivs))
			for i, want := range tt.want {
				assert.Equal(t, want, ivs[i], "interval %d", i+1)
				assert.Equal(t, tt.wantLost[i], totals[i].Lost, "running total Lost after interval %d", i+1)
			}
			last := totals[len(totals)-1]
			assert.Equal(t, last.Expected, last.Unique+last.Lost, "after Finish unique+lost = expected")
		})
	}
}

func TestAccountingLateClass(t *testing.T) {
	var a Accounting
	for _, n := range []int64{0, 2} {
		a.Record(srcA, n)
	}
	a.Cut()
	a.Cut() // declares 1
	assert.Equal(t, ClassLate, a.Record(srcA, 1))
	assert.Equal(t, ClassDuplicate, a.Record(srcA, 1), "a late number is seen from then on")
	tot := a.Totals()
	assert.Equal(t, Counts{Received: 4, Expected: 3, Unique: 3, Duplicates: 1, Reordered: 1, Late: 1, Max: 2}, tot)
}

// TestAccountingCutScansOnlyTheWindow: a cut after a jump of MaxJump declares the part
// still in the window; the rest was declared as it left, and nothing twice.
func TestAccountingCutScansOnlyTheWindow(t *testing.T) {
	var a Accounting
	a.Record(srcA, 0)
	a.Record(srcA, MaxJump)
	iv1 := a.Cut()
	iv2 := a.Cut()
	assert.Equal(t, int64(MaxJump-1), iv1.Lost+iv2.Lost)
	assert.Less(t, iv2.Lost, int64(WindowSize), "the cut declares at most a window")
	assert.Equal(t, int64(MaxJump-1), a.Finish().Lost)
}
