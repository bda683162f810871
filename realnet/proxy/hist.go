package proxy

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Lateness is kept in a log-linear histogram: exact below 16 ns, then 16 buckets per
// power of two, so a percentile read from it is within 1/16 (6.25%) of the true value,
// whatever the range, in a fixed 8 KiB per direction and no allocation per packet.
const (
	histSub     = 16                           // buckets per power of two
	histSubBits = 4                            // log2(histSub)
	histBuckets = (64 - histSubBits) * histSub // covers every int64
)

// latencyHist counts durations. One goroutine records; any may read. Reads taken while
// it records may see a count without its sum or the reverse, never a torn value.
type latencyHist struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	sum    atomic.Int64 // nanoseconds
	max    atomic.Int64 // nanoseconds
}

// histBucket returns the bucket of v >= 0.
func histBucket(v uint64) int {
	if v < histSub {
		return int(v)
	}
	exp := bits.Len64(v) - histSubBits - 1 // v>>exp is in [histSub, 2*histSub)
	return (exp+1)*histSub + int(v>>exp) - histSub
}

// histUpper returns the largest value bucket i holds.
func histUpper(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	exp := i/histSub - 1
	mant := uint64(i%histSub + histSub)
	return (mant+1)<<exp - 1
}

// record adds one duration (negative ones count as 0).
func (h *latencyHist) record(d time.Duration) { h.recordN(d, 1) }

// recordN adds n samples of the same duration.
func (h *latencyHist) recordN(d time.Duration, n uint64) {
	d = max(d, 0)
	h.counts[histBucket(uint64(d))].Add(n)
	h.sum.Add(int64(d) * int64(n))
	if int64(d) > h.max.Load() {
		h.max.Store(int64(d)) // only the recording goroutine stores
	}
	h.n.Add(n)
}

// LatenessStats summarise how long after their due time packets were written.
type LatenessStats struct {
	Count uint64
	Mean  time.Duration
	P50   time.Duration
	P90   time.Duration
	P99   time.Duration
	Max   time.Duration
}

// snapshot reads the summary. Percentiles are the upper bound of the bucket that holds
// them (never above Max), so they err on the late side by at most 6.25%.
func (h *latencyHist) snapshot() LatenessStats {
	var counts [histBuckets]uint64
	var n uint64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		n += counts[i]
	}
	s := LatenessStats{Count: n, Max: time.Duration(h.max.Load())}
	if n == 0 {
		return s
	}
	s.Mean = time.Duration(h.sum.Load() / int64(n))
	ranks := [...]struct {
		q   float64
		dst *time.Duration
	}{{0.50, &s.P50}, {0.90, &s.P90}, {0.99, &s.P99}}
	for _, r := range ranks {
		// The smallest value with at least q of the samples at or below it.
		want := uint64(r.q*float64(n) + 0.999999)
		want = min(max(want, 1), n)
		var seen uint64
		for i, c := range counts {
			seen += c
			if seen >= want {
				*r.dst = min(time.Duration(histUpper(i)), s.Max)
				break
			}
		}
	}
	return s
}
