package app

import (
	"math"
	"net/netip"
	"testing"

	"pgregory.net/rapid"
)

// arrival is one datagram in a property test: a number, or a malformed payload.
type arrival struct {
	src       int
	n         int64
	malformed bool
}

// numberGen draws numbers that exercise every path: a dense range, the window edges,
// the restart distance and the int64 extremes.
func numberGen() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64Range(0, 300),
		rapid.Int64Range(WindowSize-70, WindowSize+70),
		rapid.Int64Range(RestartDistance-5, RestartDistance+5),
		rapid.SampledFrom([]int64{math.MinInt64, math.MinInt64 + 1, -5, -1, MaxJump, MaxJump + 1, math.MaxInt64 - 1, math.MaxInt64}),
		rapid.Int64(),
	)
}

func arrivalsGen(sources int) *rapid.Generator[[]arrival] {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) arrival {
		return arrival{
			src:       rapid.IntRange(0, sources-1).Draw(t, "src"),
			n:         numberGen().Draw(t, "n"),
			malformed: rapid.IntRange(0, 9).Draw(t, "kind") == 0,
		}
	}), 0, 400)
}

func srcN(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 9000)
}

func feed(a *Accounting, arr []arrival) {
	for _, x := range arr {
		if x.malformed {
			a.Observe(srcN(x.src), []byte("not a number"))
		} else {
			a.Record(srcN(x.src), x.n)
		}
	}
}

func checkInvariants(t *rapid.T, c Counts, finished bool) {
	for name, v := range map[string]int64{
		"received": c.Received, "expected": c.Expected, "unique": c.Unique, "lost": c.Lost,
		"duplicates": c.Duplicates, "reordered": c.Reordered, "late": c.Late, "stale": c.Stale,
		"malformed": c.Malformed, "restarts": c.Restarts, "evicted": c.Evicted,
	} {
		if v < 0 {
			t.Fatalf("%s is negative: %+v", name, c)
		}
	}
	if c.Received != c.Unique+c.Duplicates+c.Stale+c.Malformed {
		t.Fatalf("received != unique+duplicates+stale+malformed: %+v", c)
	}
	if c.Late > c.Reordered || c.Reordered > c.Unique {
		t.Fatalf("want late <= reordered <= unique: %+v", c)
	}
	if c.Unique > 0 && c.Min > c.Max {
		t.Fatalf("min > max: %+v", c)
	}
	if finished && c.Unique+c.Lost != c.Expected {
		t.Fatalf("after Finish unique+lost != expected: %+v", c)
	}
}

// TestPropCountersConsistent: for any arrivals and cuts, the counters keep their
// invariants, the intervals add up to the totals, and the running total Lost is the
// intervals' declarations less their late arrivals: Totals().Lost = sum of Cut().Lost -
// sum of Cut().Late (the open interval included), at every moment.
func TestPropCountersConsistent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		arr := arrivalsGen(3).Draw(t, "arrivals")
		cuts := rapid.SliceOfN(rapid.Bool(), len(arr), len(arr)).Draw(t, "cut after")
		var a Accounting
		var ivSum Counts
		balance := func(when string) {
			open := a.Interval()
			want := ivSum.Lost + open.Lost - ivSum.Late - open.Late
			if got := a.Totals().Lost; got != want {
				t.Fatalf("%s: total lost %d, want intervals' lost - late = %d", when, got, want)
			}
		}
		for i, x := range arr {
			feed(&a, []arrival{x})
			balance("after an arrival")
			if cuts[i] {
				iv := a.Cut()
				checkInvariants(t, iv, false)
				ivSum = merge(ivSum, iv)
				balance("after a cut")
			}
			checkInvariants(t, a.Totals(), false)
		}
		tot := a.Finish()
		checkInvariants(t, tot, true)
		balance("after Finish")
		ivSum = merge(ivSum, a.Cut())
		ivSum.Expected = tot.Expected
		ivSum.Lost -= ivSum.Late
		if ivSum != tot {
			t.Fatalf("intervals add up to %+v, totals are %+v", ivSum, tot)
		}
	})
}

// TestPropShortReorderingIsNoLoss: numbers sent in intervals and each delivered in the
// same or the next interval, in any order, are never declared lost; delayed by up to
// two intervals, some may be, and each of those comes back late, so that once all have
// arrived the total Lost is 0 again.
func TestPropShortReorderingIsNoLoss(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		maxDelay := rapid.IntRange(1, 2).Draw(t, "max delay")
		sizes := rapid.SliceOfN(rapid.IntRange(0, 40), 1, 12).Draw(t, "numbers per interval")
		n := rapid.Int64Range(-1<<40, 1<<40).Draw(t, "first")
		buckets := make([][]int64, len(sizes)+maxDelay)
		for i, k := range sizes {
			for range k {
				d := rapid.IntRange(0, maxDelay).Draw(t, "delay")
				buckets[i+d] = append(buckets[i+d], n)
				n++
			}
		}
		var a Accounting
		var declared, late int64
		for i, b := range buckets {
			for _, x := range rapid.Permutation(b).Draw(t, "arrival order") {
				a.Record(srcA, x)
			}
			iv := a.Cut()
			if maxDelay == 1 && (iv.Lost != 0 || iv.Late != 0) {
				t.Fatalf("interval %d: lost %d, late %d with reordering within one interval", i, iv.Lost, iv.Late)
			}
			declared, late = declared+iv.Lost, late+iv.Late
		}
		tot := a.Finish()
		if tot.Lost != 0 || declared != late || tot.Late != late {
			t.Fatalf("everything arrived, yet lost %d (declared %d, late %d): %+v", tot.Lost, declared, late, tot)
		}
	})
}

func TestPropInOrderHasNoLossOrReorder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		start := rapid.Int64().Draw(t, "start")
		count := rapid.IntRange(1, 3*WindowSize).Draw(t, "count")
		if start > math.MaxInt64-int64(count) {
			start = math.MaxInt64 - int64(count)
		}
		var a Accounting
		for i := range int64(count) {
			if c := a.Record(srcA, start+i); c != ClassUnique {
				t.Fatalf("number %d classified %v", start+i, c)
			}
		}
		got := a.Finish()
		want := Counts{Received: int64(count), Expected: int64(count), Unique: int64(count), Min: start, Max: start + int64(count) - 1}
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
}

func TestPropIncreasingWithGaps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gaps := rapid.SliceOfN(rapid.Int64Range(1, 3*WindowSize), 1, 200).Draw(t, "gaps")
		var a Accounting
		n := rapid.Int64Range(-1<<40, 1<<40).Draw(t, "start")
		first := n
		a.Record(srcA, n)
		for _, g := range gaps {
			n += g
			a.Record(srcA, n)
		}
		got := a.Finish()
		if got.Reordered != 0 || got.Duplicates != 0 || got.Restarts != 0 || got.Late != 0 || got.Stale != 0 {
			t.Fatalf("increasing numbers misclassified: %+v", got)
		}
		if want := n - first + 1 - int64(len(gaps)+1); got.Lost != want {
			t.Fatalf("lost = %d, want %d", got.Lost, want)
		}
	})
}

func TestPropPermutationKeepsUniqueAndDuplicates(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := rapid.Int64().Draw(t, "base")
		// Within RewindDistance+1 numbers, so that no duplicates can look like a rewind.
		span := rapid.Int64Range(1, RewindDistance+1).Draw(t, "span")
		if base > math.MaxInt64-span {
			base = math.MaxInt64 - span
		}
		nums := rapid.SliceOfN(rapid.Int64Range(base, base+span-1), 1, 300).Draw(t, "nums")
		perm := rapid.Permutation(nums).Draw(t, "perm")
		want := recordOne(nums)
		got := recordOne(perm)
		if got.Unique != want.Unique || got.Duplicates != want.Duplicates || got.Lost != want.Lost || got.Expected != want.Expected {
			t.Fatalf("permutation changed the counts: %+v vs %+v", got, want)
		}
		if got.Stale != 0 || got.Late != 0 || got.Restarts != 0 {
			t.Fatalf("numbers within the window counted stale, late or restart: %+v", got)
		}
	})
}

func recordOne(nums []int64) Counts {
	var a Accounting
	for _, n := range nums {
		a.Record(srcA, n)
	}
	return a.Finish()
}

func TestPropMalformedMovesNoNumericCounter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		arr := arrivalsGen(2).Draw(t, "arrivals")
		var with, without Accounting
		feed(&with, arr)
		var clean []arrival
		malformed := int64(0)
		for _, x := range arr {
			if x.malformed {
				malformed++
			} else {
				clean = append(clean, x)
			}
		}
		feed(&without, clean)
		a, b := with.Finish(), without.Finish()
		if a.Malformed != malformed || a.Received != b.Received+malformed {
			t.Fatalf("malformed counted wrong: %+v vs %+v", a, b)
		}
		a.Received, a.Malformed = b.Received, b.Malformed
		if a != b {
			t.Fatalf("malformed datagrams changed the counts: %+v vs %+v", a, b)
		}
	})
}

// TestPropMemoryBounded: whatever arrives from however many sources, the accounting keeps
// at most MaxSources streams, and once they exist it allocates nothing more.
func TestPropMemoryBounded(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		arr := arrivalsGen(3*MaxSources).Draw(t, "arrivals")
		var a Accounting
		for i := range 3 * MaxSources { // every source once: streams and maps at full size
			a.Record(srcN(i), 0)
		}
		allocs := testing.AllocsPerRun(3, func() { feed(&a, arr); a.Cut() })
		if a.Sources() > MaxSources {
			t.Fatalf("%d sources tracked, bound is %d", a.Sources(), MaxSources)
		}
		if allocs > 0 {
			t.Fatalf("%v allocations per run of %d adversarial arrivals after warm-up", allocs, len(arr))
		}
	})
}
