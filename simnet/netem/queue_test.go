package netem

import (
	"cmp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// The tfifo gives packets out in order of time to send, ties in insertion order (the
// kernel's tfifo_enqueue), whatever the interleaving of pushes and pops. Keys come from
// a small range so that ties are common and the tie-break is exercised.
func TestQueueOrder(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		type item struct {
			key int64
			ord int
		}
		var q queue[int]
		var model []item // what the queue holds, in the order it must give it out
		ord := 0
		for range rapid.IntRange(1, 300).Draw(rt, "ops") {
			if len(model) > 0 && rapid.IntRange(0, 2).Draw(rt, "op") == 0 {
				var p Packet[int]
				q.pop(&p)
				require.Equal(rt, model[0].ord, p.Meta, "popped out of order")
				model = model[1:]
				continue
			}
			key := rapid.Int64Range(-3, 12).Draw(rt, "key")
			q.push(key, &Packet[int]{Meta: ord})
			model = append(model, item{key, ord})
			slices.SortStableFunc(model, func(a, b item) int { return cmp.Compare(a.key, b.key) })
			ord++
		}
		for len(model) > 0 {
			var p Packet[int]
			q.pop(&p)
			require.Equal(rt, model[0].ord, p.Meta, "popped out of order")
			model = model[1:]
		}
		require.Zero(rt, q.len())
	})
}
