package scenario

import (
	"math"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/app"
)

// The oracle and app's Accounting are written independently from the same definitions;
// on any sequence of datagrams and interval cuts they must agree, interval by interval
// and in total, or one of them is wrong.
func TestModelAgreesWithAccounting(t *testing.T) {
	num := rapid.OneOf(
		rapid.Int64Range(0, 300),
		rapid.Int64Range(app.RewindDistance-20, app.RewindDistance+320),
		rapid.Int64Range(app.WindowSize-70, app.WindowSize+70),
		rapid.Int64Range(-app.WindowSize-70, -app.WindowSize+70),
		rapid.Int64Range(app.RestartDistance-5, app.RestartDistance+5),
		rapid.SampledFrom([]int64{math.MinInt64, math.MinInt64 + 1, -1, app.MaxJump, app.MaxJump + 1, app.MaxJump + 301, math.MaxInt64}),
		rapid.Int64(),
	)
	rapid.Check(t, func(t *rapid.T) {
		srcs := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.1:2")}
		var a app.Accounting
		var m model
		var got []app.Counts
		var prev int64
		cut := func() {
			c := a.Cut()
			c.Expected, c.Min, c.Max = 0, 0, 0
			got = append(got, c)
			m.cut()
		}
		for range rapid.IntRange(0, 300).Draw(t, "datagrams") {
			src := srcs[rapid.IntRange(0, 1).Draw(t, "src")]
			var payload []byte
			switch rapid.IntRange(0, 9).Draw(t, "kind") {
			case 0:
				payload = []byte(rapid.StringN(0, 4, 25).Draw(t, "junk"))
			case 1, 2:
				cut()
				continue
			case 3, 4:
				// Close to the number before: runs in sequence, from wherever the number
				// before was (far back: a rewind), with swaps and repeats.
				prev += int64(rapid.IntRange(-2, app.RewindNear+1).Draw(t, "step"))
				payload = app.AppendNumber(nil, prev)
			default:
				prev = num.Draw(t, "n")
				payload = app.AppendNumber(nil, prev)
			}
			a.Observe(src, payload)
			m.observe(src, payload)
		}
		// As the receiver ends: Finish, then the last interval's cut.
		tot := a.Finish()
		cut()
		if want := m.finish(); tot != want {
			t.Fatalf("totals: app %+v\noracle %+v", tot, want)
		}
		want := m.intervals()
		if len(got) != len(want) {
			t.Fatalf("app cut %d intervals, the oracle %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("interval %d: app %+v\noracle %+v", i+1, got[i], want[i])
			}
		}
	})
}

// TestModelDeclaresAfterAWholeInterval pins the oracle itself to the definitions, so
// that a fault shared by both implementations would still show.
func TestModelDeclaresAfterAWholeInterval(t *testing.T) {
	src := netip.MustParseAddrPort("10.0.0.1:1")
	var m model
	obs := func(ns ...int64) {
		for _, n := range ns {
			m.observe(src, app.AppendNumber(nil, n))
		}
	}
	obs(0, 2, 4, 3) // 1 missing; 3 reordered within the interval
	m.cut()
	obs(5)
	m.cut() // 1 <= 4, the highest at the first cut: declared
	obs(1)  // late
	m.cut()
	obs(8)
	m.cut()           // the receiver's last cut: 6 and 7 are above 5, the highest at cut 3
	tot := m.finish() // 6 and 7 at the end, in the last interval
	want := []app.Counts{
		{Received: 4, Unique: 4, Reordered: 1},
		{Received: 1, Unique: 1, Lost: 1},
		{Received: 1, Unique: 1, Reordered: 1, Late: 1},
		{Received: 1, Unique: 1, Lost: 2},
	}
	assert.Equal(t, want, m.intervals())
	assert.Equal(t, app.Counts{Received: 7, Expected: 9, Unique: 7, Reordered: 2, Late: 1, Lost: 2, Max: 8}, tot)
}

// TestModelRewind pins the oracle's rewind rule to the definitions (app.Counts.Restarts):
// two neighbouring numbers far back and seen before restart the stream at the first,
// also across a cut; a lone one, or one followed by anything else, is a duplicate.
func TestModelRewind(t *testing.T) {
	src := netip.MustParseAddrPort("10.0.0.1:1")
	var m model
	obs := func(ns ...int64) {
		for _, n := range ns {
			m.observe(src, app.AppendNumber(nil, n))
		}
	}
	for n := range int64(3000) {
		obs(n)
	}
	obs(5, 3000)   // a lone far-back duplicate
	obs(6, 20, 21) // 6 then 20: too far apart; 20 then 21: a rewind to 20
	obs(22, 20, 21)
	for n := int64(23); n < 2000; n++ { // 20 and 21 were duplicates near the top: no rewind
		obs(n)
	}
	obs(900) // a candidate, pending at the cut: counted in the next interval
	m.cut()
	obs(902) // confirms it: the stream restarts at 900; 901 is missing
	m.cut()
	tot := m.finish() // 901 is declared at the end, in the last interval
	want := []app.Counts{
		{Received: 4985, Unique: 4981, Duplicates: 4, Restarts: 1},
		{Received: 2, Unique: 2, Restarts: 1, Lost: 1},
	}
	assert.Equal(t, want, m.intervals())
	assert.Equal(t, app.Counts{Received: 4987, Expected: 3001 + 1980 + 3, Unique: 4983, Duplicates: 4,
		Restarts: 2, Lost: 1, Max: 3000}, tot)
}
