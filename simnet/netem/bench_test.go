package netem

import (
	"container/heap"
	"testing"
	"time"

	"github.com/dist-example/dist-example/internal/cputime"
)

// benchLink measures the enqueue+dequeue cycle in steady state: one arrival every
// spacing, dequeued as it comes due, so about delay/spacing packets are in flight.
func benchLink(b *testing.B, text string, spacing time.Duration, observe bool) {
	p := mustParse(b, text)
	p.Limit = 1 << 20
	l := NewLink[int](p, 1)
	var events [EvDequeue + 1]int
	if observe {
		l.Clone = func(b []byte) []byte { return b } // as a driver's pool would: no garbage
		l.Observe = func(_ time.Duration, kind EventKind, p *Packet[int]) { events[kind] += len(p.Data) }
	}
	data := make([]byte, 1200)
	pkt := Packet[int]{Data: data}
	now := time.Duration(0)
	warm := func(n int) {
		for range n {
			now += spacing
			l.Enqueue(now, pkt)
			for {
				if _, ok := l.Dequeue(now); !ok {
					break
				}
			}
		}
	}
	warm(100_000) // reach steady state and grow the queue's slices once
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cputime.Process()
	warm(b.N)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpkt/s")
	b.ReportMetric(float64(cputime.Process()-cpu)/float64(b.N), "cpu-ns/pkt")
	b.ReportMetric(float64(l.Len()), "inflight")
}

func BenchmarkLink(b *testing.B) {
	cases := []struct {
		name, text string
		spacing    time.Duration
		observe    bool
	}{
		{"brief/1k-inflight", "delay 10ms 5ms loss 1% reorder 10%", 10 * time.Microsecond, false},
		{"brief/10k-inflight", "delay 10ms 5ms loss 1% reorder 10%", time.Microsecond, false},
		{"zero-profile", "", time.Microsecond, false},
		{"normal+corr+dup+corrupt", "delay 10ms 5ms 25% distribution normal loss 1% 25% duplicate 1% corrupt 1% reorder 10% 10%", 10 * time.Microsecond, false},
		{"rate", "delay 10ms rate 1gbit", 10 * time.Microsecond, false},
		{"slot", "delay 10ms 5ms slot 100us 200us packets 30", 10 * time.Microsecond, false},
		// What `dist-example sim` runs by default: a few packets in flight, every event
		// shown to an observer (the trace).
		{"sim-default+observe", "delay 50ms 10ms loss 5% duplicate 1% reorder 10%", 10 * time.Millisecond, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) { benchLink(b, c.text, c.spacing, c.observe) })
	}
}

// BenchmarkQueue is the bare tfifo: push+pop with 1k pending.
func BenchmarkQueue(b *testing.B) {
	var q queue[int]
	var p Packet[int]
	key := int64(0)
	for i := range 1000 {
		q.push(int64(i*7919%1000), &Packet[int]{})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		key += 13
		q.push(key%100_000, &Packet[int]{})
		q.pop(&p)
	}
}

// BenchmarkQueueJitter is the tfifo under jittered keys (arrival + U[0, 10ms)), the
// pattern of "delay 10ms 5ms", with about 1k pending.
func BenchmarkQueueJitter(b *testing.B) {
	var q queue[int]
	var p Packet[int]
	var r uint64 = 1
	next := func() int64 { r = r*6364136223846793005 + 1442695040888963407; return int64(r>>33) % 10_000_000 }
	t := int64(0)
	for range 1000 {
		t += 10_000
		q.push(t+next(), &Packet[int]{})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t += 10_000
		q.push(t+next(), &Packet[int]{})
		q.pop(&p)
	}
}

// BenchmarkContainerHeap is the same workload on container/heap, for comparison.
func BenchmarkContainerHeap(b *testing.B) {
	h := &boxHeap{}
	key := int64(0)
	for i := range 1000 {
		heap.Push(h, entry{key: int64(i * 7919 % 1000)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		key += 13
		heap.Push(h, entry{key: key % 100_000})
		heap.Pop(h)
	}
}

type boxHeap []entry

func (h boxHeap) Len() int           { return len(h) }
func (h boxHeap) Less(i, j int) bool { return h[i].key < h[j].key }
func (h boxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *boxHeap) Push(x any)        { *h = append(*h, x.(entry)) }
func (h *boxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func BenchmarkParse(b *testing.B) {
	const text = "delay 100ms 10ms 25% distribution normal loss 0.3% 25% duplicate 1% corrupt 0.1% reorder 25% 50% gap 5 rate 1mbit limit 1000"
	b.ReportAllocs()
	for range b.N {
		if _, err := Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}
