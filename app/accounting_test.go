package app

import (
	"math"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	srcA = netip.MustParseAddrPort("10.0.0.1:1000")
	srcB = netip.MustParseAddrPort("[2001:db8::1]:2000")
)

// seq returns the numbers from..to inclusive.
func seq(from, to int64) []int64 {
	var s []int64
	for n := from; n <= to; n++ {
		s = append(s, n)
	}
	return s
}

func cat(parts ...[]int64) []int64 {
	var s []int64
	for _, p := range parts {
		s = append(s, p...)
	}
	return s
}

// recordAll feeds numbers from one source and returns the totals after Finish.
func recordAll(t *testing.T, nums []int64) Counts {
	t.Helper()
	var a Accounting
	for _, n := range nums {
		a.Record(srcA, n)
	}
	return a.Finish()
}

func TestAccountingOneSource(t *testing.T) {
	const W = WindowSize
	tests := []struct {
		name string
		nums []int64
		want Counts
	}{
		{"in order", seq(0, 9),
			Counts{Received: 10, Expected: 10, Unique: 10, Max: 9}},
		{"duplicate", []int64{0, 1, 1, 2},
			Counts{Received: 4, Expected: 3, Unique: 3, Duplicates: 1, Max: 2}},
		{"duplicate of the highest", []int64{0, 1, 2, 2, 2},
			Counts{Received: 5, Expected: 3, Unique: 3, Duplicates: 2, Max: 2}},
		{"reordered pair", []int64{0, 2, 1, 3},
			Counts{Received: 4, Expected: 4, Unique: 4, Reordered: 1, Max: 3}},
		{"gap lost at the end", []int64{0, 1, 3},
			Counts{Received: 3, Expected: 4, Unique: 3, Lost: 1, Max: 3}},
		{"below the first number, within the window", []int64{5, 6, 7, 3},
			Counts{Received: 4, Expected: 5, Unique: 4, Reordered: 1, Lost: 1, Min: 3, Max: 7}},
		{"long gap leaves the window", []int64{0, 2, W + 100},
			Counts{Received: 3, Expected: W + 101, Unique: 3, Lost: W + 98, Max: W + 100}},
		{"stale: behind the window", cat(seq(0, W+199), []int64{5}),
			Counts{Received: W + 201, Expected: W + 200, Unique: W + 200, Stale: 1, Max: W + 199}},
		{"stale gap stays lost", cat([]int64{0}, seq(2, W+199), []int64{1}),
			Counts{Received: W + 200, Expected: W + 200, Unique: W + 199, Lost: 1, Stale: 1, Max: W + 199}},
		{"restart far back is a new stream", cat(seq(1_000_000, 1_000_009), seq(0, 2)),
			Counts{Received: 13, Expected: 13, Unique: 13, Restarts: 1, Min: 0, Max: 1_000_009}},
		{"huge jump forward is a new stream", cat(seq(0, 4), []int64{math.MaxInt64}, []int64{5}),
			Counts{Received: 7, Expected: 7, Unique: 7, Restarts: 2, Max: math.MaxInt64}},
		{"jump forward below MaxJump is loss", []int64{0, 1 << 20},
			Counts{Received: 2, Expected: 1<<20 + 1, Unique: 2, Lost: 1<<20 - 1, Max: 1 << 20}},
		{"extremes", []int64{math.MinInt64, math.MinInt64 + 1, math.MaxInt64, math.MaxInt64 - 1, -5},
			Counts{Received: 5, Expected: 5, Unique: 5, Reordered: 1, Restarts: 2, Min: math.MinInt64, Max: math.MaxInt64}},
		{"negative through zero", seq(-5, 5),
			Counts{Received: 11, Expected: 11, Unique: 11, Min: -5, Max: 5}},
		{"window wraps many times", seq(0, 10*W),
			Counts{Received: 10*W + 1, Expected: 10*W + 1, Unique: 10*W + 1, Max: 10 * W}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, recordAll(t, tt.nums))
		})
	}
}

func TestAccountingClasses(t *testing.T) {
	var a Accounting
	steps := []struct {
		n    int64
		want Class
	}{
		{10, ClassUnique}, {12, ClassUnique}, {11, ClassReordered}, {11, ClassDuplicate},
		{12 + WindowSize + 1, ClassUnique}, {12, ClassStale}, {-1 << 40, ClassRestart},
	}
	for _, s := range steps {
		assert.Equal(t, s.want, a.Record(srcA, s.n), "number %d", s.n)
	}
	assert.Equal(t, ClassMalformed, a.Observe(srcA, []byte("hello")))
	assert.Equal(t, ClassUnique, a.Observe(srcA, []byte("-1099511627775\n")))
}

func TestAccountingMalformed(t *testing.T) {
	var a Accounting
	a.Record(srcA, 1)
	before := a.Totals()
	for _, p := range []string{"", "x", "1\n2\n", "99999999999999999999", "\xff"} {
		assert.Equal(t, ClassMalformed, a.Observe(srcB, []byte(p)), "payload %q", p)
	}
	after := a.Totals()
	assert.Equal(t, int64(5), after.Malformed)
	assert.Equal(t, before.Received+5, after.Received)
	after.Received, after.Malformed = before.Received, before.Malformed
	assert.Equal(t, before, after, "malformed datagrams moved a numeric counter")
	assert.Equal(t, 1, a.Sources(), "a malformed datagram must not create a source")
}

func TestAccountingSources(t *testing.T) {
	t.Run("interleaved sources are separate streams", func(t *testing.T) {
		var a Accounting
		for n := int64(0); n < 10; n++ {
			a.Record(srcA, n)
			a.Record(srcB, n)
		}
		got := a.Finish()
		assert.Equal(t, Counts{Received: 20, Expected: 20, Unique: 20, Max: 9}, got)
	})
	t.Run("at the bound the least recently heard source is evicted", func(t *testing.T) {
		var a Accounting
		src := func(i int) netip.AddrPort {
			return netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), uint16(1000+i))
		}
		for i := range MaxSources {
			a.Record(src(i), 0)
			a.Record(src(i), 2) // leaves 1 missing in every stream
		}
		a.Record(src(0), 3) // source 0 is now the most recent; source 1 the least
		require.Equal(t, MaxSources, a.Sources())
		a.Record(src(MaxSources), 0)
		assert.Equal(t, MaxSources, a.Sources())
		tot := a.Totals()
		assert.Equal(t, int64(1), tot.Evicted)
		assert.Equal(t, int64(1), tot.Lost, "the evicted stream's gap is lost")
		// Source 1 comes back: a new stream, not a duplicate.
		assert.Equal(t, ClassUnique, a.Record(src(1), 2))
		assert.Equal(t, int64(2), a.Totals().Evicted)
		// Source 0 was heard recently and survived: 3 is a duplicate.
		assert.Equal(t, ClassDuplicate, a.Record(src(0), 3))
	})
}

func TestAccountingIntervals(t *testing.T) {
	var a Accounting
	for _, n := range seq(0, 4) {
		a.Record(srcA, n)
	}
	a.Record(srcA, 7) // 5 and 6 missing
	iv1 := a.Cut()
	assert.Equal(t, Counts{Received: 6, Expected: 8, Unique: 6, Max: 7}, iv1)
	a.Record(srcA, 5) // fills a gap of the previous interval before it is declared
	a.Record(srcA, 8)
	a.Record(srcA, 8)
	iv2 := a.Cut() // 6 has been missing since before the first cut: declared lost now
	assert.Equal(t, Counts{Received: 3, Expected: 4, Unique: 2, Duplicates: 1, Reordered: 1, Lost: 1, Min: 5, Max: 8}, iv2)
	empty := a.Cut()
	assert.Equal(t, Counts{}, empty)
	a.Record(srcA, 10) // 9 missing, not yet for a whole interval
	tot := a.Finish()
	assert.Equal(t, Counts{Received: 10, Expected: 11, Unique: 9, Duplicates: 1, Reordered: 1, Lost: 2, Max: 10}, tot)
	// Finish declared 9 in the interval that was open.
	assert.Equal(t, int64(1), a.Interval().Lost)
}

func TestAccountingTotalsBeforeFinish(t *testing.T) {
	var a Accounting
	a.Record(srcA, 0)
	a.Record(srcA, 2)
	tot := a.Totals()
	assert.Equal(t, int64(0), tot.Lost, "1 may still arrive: not lost yet")
	assert.Equal(t, int64(3), tot.Expected)
	assert.Equal(t, int64(1), a.Finish().Lost)
	assert.Equal(t, int64(1), a.Finish().Lost, "Finish twice counts nothing twice")
}

func TestClassString(t *testing.T) {
	assert.Equal(t, "duplicate", ClassDuplicate.String())
	assert.Equal(t, "class(200)", Class(200).String())
}

func TestAccountingBoundaries(t *testing.T) {
	tests := []struct {
		name   string
		behind int64 // how far below the highest number the last arrival is
		want   Class
	}{
		{"last block surely in the window", WindowSize - 64, ClassReordered},
		{"just past the window", WindowSize, ClassStale},
		{"at the restart distance", RestartDistance, ClassStale},
		{"beyond the restart distance", RestartDistance + 1, ClassRestart},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Accounting
			const hi = 10 * RestartDistance
			a.Record(srcA, 0)
			a.Record(srcA, hi)
			assert.Equal(t, tt.want, a.Record(srcA, hi-tt.behind))
		})
	}
	t.Run("jump of MaxJump is loss, one more is a restart", func(t *testing.T) {
		var a Accounting
		a.Record(srcA, 0)
		assert.Equal(t, ClassUnique, a.Record(srcA, MaxJump))
		assert.Equal(t, ClassRestart, a.Record(srcA, 2*MaxJump+1))
	})
}
