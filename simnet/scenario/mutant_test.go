package scenario

import (
	"flag"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/dist-example/dist-example/app"
	"github.com/dist-example/dist-example/simnet/netem"
)

var netemZero netem.Profile

// recorded is one datagram the receiver read, or (cut) the end of one of its intervals,
// kept for replaying into a faulty receiver.
type recorded struct {
	from    netip.AddrPort
	payload string
	cut     bool
}

// Faulty receivers. Each is app's Accounting with one bug a receiver could plausibly
// have, fed the very datagrams the real receiver read and cut where it cut. The tests
// below show that the properties catch each one, and that rapid shrinks the failure to a
// small scenario.

// replayInto feeds reads to a, calling each for every datagram with its class.
func replayInto(a *app.Accounting, reads []recorded, each func(r recorded, c app.Class)) {
	for _, r := range reads {
		if r.cut {
			a.Cut()
			continue
		}
		each(r, a.Observe(r.from, []byte(r.payload)))
	}
}

// dupAsUnique counts a duplicate as a new, unique datagram.
func dupAsUnique(_ Config, _ *Result, reads []recorded) app.Counts {
	var a app.Accounting
	var dups int64
	replayInto(&a, reads, func(_ recorded, c app.Class) {
		if c == app.ClassDuplicate {
			dups++
		}
	})
	c := a.Finish()
	c.Duplicates -= dups
	c.Unique += dups
	return c
}

// noWindowBound remembers every number it ever saw, instead of a bounded window: a
// number far below the highest is then "reordered" or "duplicate" instead of stale, and
// its memory grows with the run.
func noWindowBound(_ Config, _ *Result, reads []recorded) app.Counts {
	var a app.Accounting
	seen := map[netip.AddrPort]map[int64]bool{}
	var stale, asDup, asUnique int64
	replayInto(&a, reads, func(r recorded, c app.Class) {
		n, err := app.ParseNumber([]byte(r.payload))
		if err != nil {
			return
		}
		if c == app.ClassRestart || seen[r.from] == nil {
			seen[r.from] = map[int64]bool{}
		}
		if c == app.ClassStale {
			stale++
			if seen[r.from][n] {
				asDup++
			} else {
				asUnique++
			}
		}
		seen[r.from][n] = true
	})
	c := a.Finish()
	c.Stale -= stale
	c.Duplicates += asDup
	c.Unique += asUnique
	c.Reordered += asUnique
	c.Lost = c.Expected - c.Unique // an unbounded receiver gives up on nothing early
	return c
}

// forgetsRestartLoss starts a new stream on a restart but forgets to count the old
// stream's missing numbers as lost.
func forgetsRestartLoss(_ Config, _ *Result, reads []recorded) app.Counts {
	var a app.Accounting
	var forgot int64
	for _, r := range reads {
		if r.cut {
			a.Cut()
			continue
		}
		before := a.Totals().Lost
		if a.Observe(r.from, []byte(r.payload)) == app.ClassRestart {
			forgot += a.Totals().Lost - before
		}
	}
	c := a.Finish()
	c.Lost -= forgot
	return c
}

// failure is a testing TB that records what rapid reports instead of failing the test:
// the mutant tests expect the property to fail.
type failure struct {
	testing.TB // only for the methods rapid does not call
	name       string
	failed     bool
	log        strings.Builder
}

type stopNow struct{}

func (f *failure) Helper()                   {}
func (f *failure) Name() string              { return f.name }
func (f *failure) Logf(s string, a ...any)   { fmt.Fprintf(&f.log, s+"\n", a...) }
func (f *failure) Log(a ...any)              { fmt.Fprintln(&f.log, a...) }
func (f *failure) Errorf(s string, a ...any) { f.failed = true; f.Logf(s, a...) }
func (f *failure) Error(a ...any)            { f.failed = true; f.Log(a...) }
func (f *failure) Fatalf(s string, a ...any) { f.Errorf(s, a...); f.FailNow() }
func (f *failure) Fatal(a ...any)            { f.Error(a...); f.FailNow() }
func (f *failure) FailNow()                  { f.failed = true; panic(stopNow{}) }
func (f *failure) Fail()                     { f.failed = true }
func (f *failure) Failed() bool              { return f.failed }
func (f *failure) Skipf(s string, a ...any)  { f.Logf(s, a...); f.SkipNow() }
func (f *failure) Skip(a ...any)             { f.Log(a...); f.SkipNow() }
func (f *failure) SkipNow()                  { panic(stopNow{}) }

// mutantChecks is how many scenarios expectFailure tries at least: a mutant that
// escapes 100 tries one time in ten escapes 1000 about once in ten billion.
const mutantChecks = 1000

// expectFailure runs prop under rapid and returns rapid's report of the (shrunk)
// counterexample, failing t if rapid found none.
func expectFailure(t *testing.T, prop func(*rapid.T)) string {
	t.Helper()
	// A mutant's failure is the expected outcome: keep rapid from saving fail files
	// that would replay it in later runs.
	old := flag.Lookup("rapid.nofailfile").Value.String()
	require.NoError(t, flag.Set("rapid.nofailfile", "true"))
	defer flag.Set("rapid.nofailfile", old)
	// Some bugs need a rare scenario (a restart after a loss not yet declared): look
	// harder than a passing property does. Rapid stops at the first failure, so this
	// costs time only when the mutant escapes.
	checks := flag.Lookup("rapid.checks").Value.String()
	if n, err := strconv.Atoi(checks); err == nil && n < mutantChecks {
		require.NoError(t, flag.Set("rapid.checks", strconv.Itoa(mutantChecks)))
		defer flag.Set("rapid.checks", checks)
	}
	f := &failure{TB: t, name: t.Name()}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopNow); !ok {
					panic(r)
				}
			}
		}()
		rapid.Check(f, prop)
	}()
	require.True(t, f.failed, "the properties did not catch the faulty receiver")
	return f.log.String()
}

func TestPropertiesCatchFaultyReceivers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		receiver func(Config, *Result, []recorded) app.Counts
		symptom  string // what the failure message must say
		causes   string // the shrunk scenario must contain one of these |-separated causes of the bug
	}{
		// A duplicate comes from netem's duplicate, from a bit flip that turns a number
		// into one already seen, or from a sender that restarts or jumps back.
		{"duplicates counted as unique", dupAsUnique, "unique+lost != expected", "duplicate |corrupt |restart@|jump@"},
		{"window without a bound", noWindowBound, "app's definitions", "-faults '"},
		{"restart forgets the old stream's losses", forgetsRestartLoss, "unique+lost != expected", "-faults '"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			report := expectFailure(t, func(rt *rapid.T) { runProp(rt, tc.receiver) })
			require.Contains(t, report, tc.symptom)
			causes := strings.Split(tc.causes, "|")
			require.True(t, slices.ContainsFunc(causes, func(c string) bool { return strings.Contains(report, c) }),
				"the shrunk scenario shows none of the causes %q:\n%s", causes, report)
			require.Contains(t, report, "replay: dist-example sim -seed ")
			require.Contains(t, report, "-rapid.seed=")
			// The shrunk counterexample and its replay line, for the reader of the log.
			for _, line := range strings.Split(report, "\n") {
				if strings.HasPrefix(line, "replay: ") || strings.Contains(line, "To reproduce") {
					t.Log(line)
				}
			}
		})
	}
}
