// Package simnettest helps tests check that a simnet run replays: record the events of a
// run, find the first place two runs differ, run a scenario twice and fail naming that
// place.
//
//	func TestReplays(t *testing.T) {
//		simnettest.Replay(t, func(observe func(simnet.Event)) {
//			synctest.Test(t, func(t *testing.T) {
//				n, _ := simnet.New(simnet.Config{Seed: 1, Synctest: true, Observe: observe})
//				// ... the scenario ...
//			})
//		})
//	}
package simnettest

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dist-example/dist-example/simnet"
)

// Recorder keeps every event of a run; pass its Observe as Config.Observe.
type Recorder struct {
	mu     sync.Mutex
	events []simnet.Event
}

// Observe records e.
func (r *Recorder) Observe(e simnet.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// Events returns what was recorded so far.
func (r *Recorder) Events() []simnet.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]simnet.Event(nil), r.events...)
}

// FirstDiff returns the index of the first event at which a and b differ, comparing
// events as whole values (every field of the trace and more), or -1 if they are equal.
// If one is a prefix of the other, it is the length of the shorter.
func FirstDiff(a, b []simnet.Event) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

// Canonical returns events with those of one virtual instant ordered by link (source,
// then destination host), each link's own events keeping their order: the form in which
// two runs compare equal when every link saw the same packets and decisions, although
// goroutines racing at one instant sent on different links in another order. Faults and
// noroute events sort with the link names they print.
func Canonical(events []simnet.Event) []simnet.Event {
	c := append([]simnet.Event(nil), events...)
	slices.SortStableFunc(c, func(a, b simnet.Event) int {
		if a.At != b.At {
			return cmp.Compare(a.At, b.At)
		}
		if a.SrcHost != b.SrcHost {
			return cmp.Compare(a.SrcHost, b.SrcHost)
		}
		return cmp.Compare(a.DstHost, b.DstHost)
	})
	return c
}

// Describe says where a and b first differ, with the trace lines of both runs there, or
// returns "" if they are equal.
func Describe(a, b []simnet.Event) string {
	i := FirstDiff(a, b)
	if i < 0 {
		return ""
	}
	line := func(evs []simnet.Event) string {
		if i >= len(evs) {
			return fmt.Sprintf("(ended after %d events)", len(evs))
		}
		return evs[i].String()
	}
	return fmt.Sprintf("first difference at event #%d of %d/%d:\n\trun 1: %s\n\trun 2: %s", i, len(a), len(b), line(a), line(b))
}

// Replay runs scenario twice, each time with a fresh Recorder whose Observe it passes in
// (give it to Config.Observe), and fails t naming the first differing event if the two
// runs' events differ. It returns the first run's events.
func Replay(t testing.TB, scenario func(observe func(simnet.Event))) []simnet.Event {
	t.Helper()
	var runs [2]Recorder
	for i := range runs {
		scenario(runs[i].Observe)
	}
	a, b := runs[0].Events(), runs[1].Events()
	if d := Describe(a, b); d != "" {
		t.Fatalf("simnettest.Replay: the two runs differ: %s", d)
	}
	return a
}
