package netem

import (
	"cmp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// queueModel drives a queue alongside the order it must give packets out in: time to
// send, ties in insertion order (the kernel's tfifo_enqueue).
type queueModel struct {
	q     queue[int]
	model []queueItem
	ord   int
}

type queueItem struct {
	key int64
	ord int
}

func (m *queueModel) push(key int64) {
	m.q.push(key, &Packet[int]{Meta: m.ord})
	m.model = append(m.model, queueItem{key, m.ord})
	slices.SortStableFunc(m.model, func(a, b queueItem) int { return cmp.Compare(a.key, b.key) })
	m.ord++
}

func (m *queueModel) pop(t require.TestingT) {
	e, ok := m.q.head()
	require.True(t, ok)
	require.Equal(t, m.model[0].key, e.key, "head")
	var p Packet[int]
	m.q.pop(&p)
	require.Equal(t, m.model[0].ord, p.Meta, "popped out of order")
	m.model = m.model[1:]
}

// The tfifo gives packets out in order whatever the interleaving of pushes and pops.
// Keys come from a small range so that ties are common and the tie-break is exercised.
func TestQueueOrder(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var m queueModel
		for range rapid.IntRange(1, 300).Draw(rt, "ops") {
			if len(m.model) > 0 && rapid.IntRange(0, 2).Draw(rt, "op") == 0 {
				m.pop(rt)
				continue
			}
			m.push(rapid.Int64Range(-3, 12).Draw(rt, "key"))
		}
		for len(m.model) > 0 {
			m.pop(rt)
		}
		require.Zero(rt, m.q.len())
	})
}

// TestQueueAcrossSizes moves the tfifo back and forth across the sizes where it turns
// from a sorted array into a heap and back, checking the order, the length and the
// latest time against the model.
func TestQueueAcrossSizes(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var m queueModel
		for range rapid.IntRange(1, 12).Draw(rt, "swings") {
			target := rapid.IntRange(0, 3*sortedMax).Draw(rt, "size")
			for len(m.model) < target {
				m.push(rapid.Int64Range(0, 40).Draw(rt, "key"))
				require.Equal(rt, len(m.model), m.q.len())
			}
			for len(m.model) > target {
				m.pop(rt)
				require.Equal(rt, len(m.model), m.q.len())
			}
			if len(m.model) > 0 {
				last, ok := m.q.last()
				require.True(rt, ok)
				require.Equal(rt, slices.MaxFunc(m.model, func(a, b queueItem) int { return cmp.Compare(a.key, b.key) }).key, last, "last")
			}
		}
	})
}
