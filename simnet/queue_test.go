package simnet

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestEventQueueOrder drives the queue as the scheduler does (time only moves forward, to
// the time of the event popped) and checks it pops in exact (at, key) order: key is the sequence number and kind.
func TestEventQueueOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q eventQueue
		var now time.Duration
		var seq uint64
		ops := rapid.SliceOfN(rapid.IntRange(-1, 5), 1, 300).Draw(t, "ops")
		var model []event
		for _, op := range ops {
			if op < 0 || len(model) > 0 && op == 0 {
				if len(model) == 0 {
					continue
				}
				e := q.pop()
				require.Greater(t, e.at+1, now, "time never goes back")
				now = e.at
				slices.SortFunc(model, func(a, b event) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.key, b.key)) })
				require.Equal(t, model[0].key, e.key)
				model = model[1:]
				continue
			}
			seq++
			e := event{at: now + time.Duration(op-1)*time.Millisecond*time.Duration(op%2), key: seq << kindBits}
			e.at = max(e.at, now)
			q.push(e, now)
			model = append(model, e)
			require.Equal(t, len(model), q.len())
		}
	})
}

// TestEventQueueSpread is TestEventQueueOrder with times spread wide and bursts of pushes,
// so that the sorted part's array fills, spills to its heap and refills from it, and the
// lane and the sorted part interleave.
func TestEventQueueSpread(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q eventQueue
		var now time.Duration
		var seq uint64
		var model []event
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for range steps {
			for range rapid.IntRange(0, 3*smallCap).Draw(t, "pushes") {
				seq++
				e := event{at: now + time.Duration(rapid.IntRange(0, 50).Draw(t, "delay")), key: seq << kindBits}
				q.push(e, now)
				model = append(model, e)
			}
			slices.SortFunc(model, func(a, b event) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.key, b.key)) })
			for range rapid.IntRange(0, len(model)).Draw(t, "pops") {
				require.Equal(t, model[0].at, q.peekAt())
				e := q.pop()
				require.Equal(t, model[0].key, e.key)
				now = e.at
				model = model[1:]
			}
			require.Equal(t, len(model), q.len())
		}
	})
}

// BenchmarkEventHeap is one push and one pop with 1,000 events pending.
func BenchmarkEventHeap(b *testing.B) {
	var h eventHeap
	for i := range 1000 {
		h.push(event{at: time.Duration(i*7919%1000) * time.Millisecond, key: uint64(i) << kindBits})
	}
	seq := uint64(1000)
	b.ReportAllocs()
	for b.Loop() {
		e := h.pop()
		seq++
		e.at += time.Second
		e.key = seq << kindBits
		h.push(e)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "push+pop/s")
}
