package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A sender that goes back to numbers it sent long ago and counts up again (restarted, or
// jumped back) starts a new stream, however short the way back; see Counts.Restarts.
func TestAccountingRewind(t *testing.T) {
	const W, D = WindowSize, RewindDistance
	tests := []struct {
		name string
		nums []int64
		want Counts
	}{
		{"restart after 6000 numbers from 0 is one restart", cat(seq(0, 5999), seq(0, 99)),
			Counts{Received: 6100, Expected: 6100, Unique: 6100, Restarts: 1, Max: 5999}},
		{"restart into stale territory", cat(seq(0, 2*W), seq(0, 9)),
			Counts{Received: 2*W + 11, Expected: 2*W + 11, Unique: 2*W + 11, Restarts: 1, Max: 2 * W}},
		{"jump back into the middle, then on in sequence", cat(seq(0, 5999), seq(3000, 3100)),
			Counts{Received: 6101, Expected: 6101, Unique: 6101, Restarts: 1, Max: 5999}},
		{"a single far-back duplicate stays a duplicate", cat(seq(0, 5999), []int64{10}, seq(6000, 6009)),
			Counts{Received: 6011, Expected: 6010, Unique: 6010, Duplicates: 1, Max: 6009}},
		{"a far-back duplicate then an unrelated far-back duplicate", cat(seq(0, 5999), []int64{10, 10 + RewindNear + 1}, seq(6000, 6009)),
			Counts{Received: 6012, Expected: 6010, Unique: 6010, Duplicates: 2, Max: 6009}},
		{"a far-back duplicate then the next new number", cat(seq(0, 5999), []int64{10, 6000, 11}),
			Counts{Received: 6003, Expected: 6001, Unique: 6001, Duplicates: 2, Max: 6000}},
		{"a far-back duplicate, then its neighbour that the old stream missed: no rewind",
			cat(seq(0, 10), seq(12, 5999), []int64{10, 11}),
			Counts{Received: 6001, Expected: 6000, Unique: 6000, Duplicates: 1, Reordered: 1, Max: 5999}},
		{"neighbours at the rewind distance are network duplicates", cat(seq(0, 5999), []int64{5999 - D, 5999 - D + 1}),
			Counts{Received: 6002, Expected: 6000, Unique: 6000, Duplicates: 2, Max: 5999}},
		{"one beyond it, a rewind", cat(seq(0, 5999), []int64{5999 - D - 1, 5999 - D}),
			Counts{Received: 6002, Expected: 6002, Unique: 6002, Restarts: 1, Max: 5999}},
		{"the restarted sender's first two numbers swapped", cat(seq(0, 5999), []int64{1, 0}, seq(2, 9)),
			Counts{Received: 6010, Expected: 6010, Unique: 6010, Reordered: 1, Restarts: 1, Max: 5999}},
		{"its second number lost", cat(seq(0, 5999), []int64{0}, seq(2, 9)),
			Counts{Received: 6009, Expected: 6010, Unique: 6009, Lost: 1, Restarts: 1, Max: 5999}},
		{"its first number duplicated by the network", cat(seq(0, 5999), []int64{0, 0}, seq(1, 9)),
			Counts{Received: 6011, Expected: 6010, Unique: 6010, Duplicates: 1, Restarts: 1, Max: 5999}},
		{"a candidate still pending at the end stays a duplicate", cat(seq(0, 5999), []int64{0}),
			Counts{Received: 6001, Expected: 6000, Unique: 6000, Duplicates: 1, Max: 5999}},
		{"the old stream's gaps are lost at the rewind", cat(seq(0, 9), seq(11, 5999), seq(0, 9)),
			Counts{Received: 6009, Expected: 6010, Unique: 6009, Lost: 1, Restarts: 1, Max: 5999}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, recordAll(t, tt.nums))
		})
	}
}

func TestAccountingRewindClasses(t *testing.T) {
	var a Accounting
	for _, n := range seq(0, 5999) {
		a.Record(srcA, n)
	}
	assert.Equal(t, ClassDuplicate, a.Record(srcA, 0), "a candidate is a duplicate until confirmed")
	assert.Equal(t, ClassRestart, a.Record(srcA, 1))
	assert.Equal(t, ClassUnique, a.Record(srcA, 2))
	assert.Equal(t, ClassDuplicate, a.Record(srcA, 0), "0 is in the new stream")
}

// TestAccountingRewindAcrossCut: a candidate pending at a cut is carried into the next
// interval, so that confirming it takes nothing back from an interval already reported.
func TestAccountingRewindAcrossCut(t *testing.T) {
	t.Run("confirmed after the cut", func(t *testing.T) {
		ivs, totals := cutRun(t, [][]int64{cat(seq(0, 5999), []int64{0}), {1, 2}})
		want := []Counts{
			{Received: 6000, Expected: 6000, Unique: 6000, Max: 5999},
			{Received: 3, Expected: 3, Unique: 3, Restarts: 1, Max: 2},
			{},
		}
		assert.Equal(t, want, ivs)
		assert.Equal(t, Counts{Received: 6003, Expected: 6003, Unique: 6003, Restarts: 1, Max: 5999}, totals[2])
	})
	t.Run("not confirmed: a duplicate in the interval it was resolved in", func(t *testing.T) {
		ivs, _ := cutRun(t, [][]int64{cat(seq(0, 5999), []int64{0}), {6000}})
		require.Len(t, ivs, 3)
		assert.Equal(t, Counts{Received: 6000, Expected: 6000, Unique: 6000, Max: 5999}, ivs[0])
		assert.Equal(t, Counts{Received: 2, Expected: 1, Unique: 1, Duplicates: 1, Min: 6000, Max: 6000}, ivs[1])
	})
	t.Run("a stale candidate, carried over two cuts", func(t *testing.T) {
		const W = WindowSize
		ivs, _ := cutRun(t, [][]int64{cat(seq(0, 2*W), []int64{5}), {}, {6}})
		require.Len(t, ivs, 4)
		assert.Equal(t, Counts{Received: 2*W + 1, Expected: 2*W + 1, Unique: 2*W + 1, Max: 2 * W}, ivs[0])
		assert.Equal(t, Counts{}, ivs[1])
		assert.Equal(t, Counts{Received: 2, Expected: 2, Unique: 2, Restarts: 1, Min: 5, Max: 6}, ivs[2])
	})
}
