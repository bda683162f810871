package app

import (
	"net/netip"
	"testing"
)

// The receiver's hot path: parse and account one datagram. Goal: >= 20M/s, 0 allocs.

func BenchmarkObserveInOrder(b *testing.B) {
	var a Accounting
	payloads := make([][]byte, 1<<16)
	for i := range payloads {
		payloads[i] = AppendNumber(nil, int64(i))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Observe(srcA, payloads[i&(len(payloads)-1)])
		if i&(len(payloads)-1) == len(payloads)-1 {
			a.Finish() // wrap around: a new stream instead of a restart per lap
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mobs/s")
}

func BenchmarkRecordReorderedWithDuplicates(b *testing.B) {
	var a Accounting
	// Pairs swapped and every 16th repeated: 0 2 1 ... with duplicates.
	nums := make([]int64, 0, 1<<16)
	for i := int64(0); len(nums) < cap(nums); i += 2 {
		nums = append(nums, i+1, i)
		if i%16 == 0 {
			nums = append(nums, i)
		}
	}
	nums = nums[:1<<16]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Record(srcA, nums[i&(len(nums)-1)])
		if i&(len(nums)-1) == len(nums)-1 {
			a.Finish()
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mobs/s")
}

func BenchmarkRecordTwoSourcesInterleaved(b *testing.B) {
	var a Accounting
	srcs := [2]netip.AddrPort{srcA, srcB}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.Record(srcs[i&1], int64(i>>1))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mobs/s")
}

func TestObserveAllocatesNothing(t *testing.T) {
	var a Accounting
	a.Record(srcA, 0)
	p := []byte("12345\n")
	n := int64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		a.Record(srcA, n)
		a.Observe(srcA, p)
		a.Observe(srcA, []byte("junk"))
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per observation", allocs)
	}
}

// BenchmarkCutMaxSourcesFullWindows is a cut's worst case: MaxSources streams, each with
// a whole window of fresh gaps to scan. Goal: well under a millisecond per cut, 0 allocs.
func BenchmarkCutMaxSourcesFullWindows(b *testing.B) {
	var a Accounting
	srcs := make([]netip.AddrPort, MaxSources)
	for i := range srcs {
		srcs[i] = srcN(i)
		a.Record(srcs[i], 0) // the streams exist before timing starts
	}
	n := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		n += WindowSize - 64 // each stream's gap fills its window: the cut scans all of it
		for _, src := range srcs {
			a.Record(src, n)
		}
		a.Cut()
	}
}
