package app

import (
	"math"
	"slices"
	"time"
)

// DefaultRTTSampleLimit is how many round-trip times RTTStats keeps for percentiles when
// no other limit is given: 1<<20 samples, 8 MiB, about 12 days of pinging at one probe a
// second or 17 minutes at one a millisecond.
const DefaultRTTSampleLimit = 1 << 20

// RTTStats accumulates round-trip times with bounded memory.
//
// Count, min, max, mean and mdev are exact over every sample (mean and variance by
// Welford's method, which equals ping's sqrt(mean(x²) - mean(x)²) without its
// cancellation error). Percentiles are nearest-rank over the kept samples: all of them
// up to the limit; past it the store is halved by dropping every other sample and from
// then on only every 2nd (then 4th, 8th, ...) sample is kept. The kept samples stay an
// evenly spaced thinning of the whole run, so the percentiles remain estimates of the
// whole run's, not of its start or its end, and no randomness is needed.
//
// The zero value is ready to use with DefaultRTTSampleLimit.
type RTTStats struct {
	n        uint64
	min, max time.Duration
	mean, m2 float64 // Welford accumulators, in nanoseconds

	limit   int             // kept-sample cap; 0 means DefaultRTTSampleLimit
	kept    []time.Duration // sorted in place by percentile queries; order is irrelevant
	stride  uint64          // keep one sample in stride; 0 means 1
	skipped uint64          // samples skipped since the last kept one
}

// NewRTTStats returns an RTTStats that keeps at most limit samples for percentiles
// (limit < 2 is taken as 2, so that halving always leaves something).
func NewRTTStats(limit int) RTTStats {
	return RTTStats{limit: max(limit, 2)}
}

// Add records one round-trip time. Negative values are recorded as 0.
func (s *RTTStats) Add(d time.Duration) {
	d = max(d, 0)
	s.n++
	if s.n == 1 || d < s.min {
		s.min = d
	}
	if d > s.max {
		s.max = d
	}
	x := float64(d)
	delta := x - s.mean
	s.mean += delta / float64(s.n)
	s.m2 += delta * (x - s.mean)

	if s.stride == 0 {
		s.stride = 1
	}
	if s.skipped+1 < s.stride {
		s.skipped++
		return
	}
	s.skipped = 0
	limit := s.limit
	if limit == 0 {
		limit = DefaultRTTSampleLimit
	}
	if len(s.kept) >= limit {
		j := 0
		for i := 0; i < len(s.kept); i += 2 {
			s.kept[j] = s.kept[i]
			j++
		}
		s.kept = s.kept[:j]
		s.stride *= 2
	}
	s.kept = append(s.kept, d)
}

// Count returns how many samples were added.
func (s *RTTStats) Count() uint64 { return s.n }

// Kept returns how many samples are kept for percentiles.
func (s *RTTStats) Kept() int { return len(s.kept) }

// Min returns the smallest sample, or 0 if there is none.
func (s *RTTStats) Min() time.Duration { return s.min }

// Max returns the largest sample, or 0 if there is none.
func (s *RTTStats) Max() time.Duration { return s.max }

// Mean returns the average sample rounded to the nanosecond (kept within [Min, Max]
// against float rounding), or 0 if there is none.
func (s *RTTStats) Mean() time.Duration {
	if s.n == 0 {
		return 0
	}
	return min(max(time.Duration(math.Round(s.mean)), s.min), s.max)
}

// Mdev returns the population standard deviation of the samples, ping's "mdev".
func (s *RTTStats) Mdev() time.Duration {
	if s.n == 0 {
		return 0
	}
	return time.Duration(math.Round(math.Sqrt(max(s.m2/float64(s.n), 0))))
}

// Percentile returns the nearest-rank p-th percentile (0 < p <= 100) of the kept
// samples: the smallest kept value with at least p% of the kept values at or below it.
// p outside (0, 100] is clamped to that range; with no samples it returns 0.
func (s *RTTStats) Percentile(p float64) time.Duration {
	if len(s.kept) == 0 {
		return 0
	}
	slices.Sort(s.kept)
	rank := int(math.Ceil(min(max(p, 0), 100) / 100 * float64(len(s.kept))))
	return s.kept[min(max(rank, 1), len(s.kept))-1]
}

// PingStats is what a pinger counted. It is a plain value with no I/O: the pinger's loop
// fills it in, and tests and the simulator can build and read one directly.
type PingStats struct {
	Transmitted uint64 // probes sent (a probe whose send failed counts too, as in ping)
	Received    uint64 // distinct probes answered
	Duplicates  uint64 // extra replies for a probe already answered
	Reordered   uint64 // first replies whose sequence is below the highest answered before
	SendErrors  uint64 // probes whose WriteTo failed

	// Replies counted and otherwise ignored.
	Malformed uint64 // too short, not a probe, bad checksum, or a send time in the future
	Foreign   uint64 // from an address other than the destination
	Unknown   uint64 // a sequence never sent, or too old to tell a duplicate (see PingDupWindow)

	RTT RTTStats // round-trip times of first replies
}

// Lost returns how many probes were not answered (in flight ones included).
func (s *PingStats) Lost() uint64 { return s.Transmitted - min(s.Received, s.Transmitted) }

// LossPercent returns Lost as a percentage of Transmitted, 0 when nothing was sent.
func (s *PingStats) LossPercent() float64 {
	if s.Transmitted == 0 {
		return 0
	}
	return 100 * float64(s.Lost()) / float64(s.Transmitted)
}

// PingSummary is PingStats reduced to the numbers ping prints.
type PingSummary struct {
	Transmitted, Received, Lost, Duplicates, Reordered, SendErrors uint64
	Malformed, Foreign, Unknown                                    uint64
	LossPercent                                                    float64
	Min, Avg, Max, Mdev                                            time.Duration
	P50, P90, P99                                                  time.Duration
	Samples                                                        int // RTTs the percentiles are computed from
}

// Summary reduces s to the numbers ping prints. It sorts the kept RTT samples in place.
func (s *PingStats) Summary() PingSummary {
	return PingSummary{
		Transmitted: s.Transmitted,
		Received:    s.Received,
		Lost:        s.Lost(),
		Duplicates:  s.Duplicates,
		Reordered:   s.Reordered,
		SendErrors:  s.SendErrors,
		Malformed:   s.Malformed,
		Foreign:     s.Foreign,
		Unknown:     s.Unknown,
		LossPercent: s.LossPercent(),
		Min:         s.RTT.Min(),
		Avg:         s.RTT.Mean(),
		Max:         s.RTT.Max(),
		Mdev:        s.RTT.Mdev(),
		P50:         s.RTT.Percentile(50),
		P90:         s.RTT.Percentile(90),
		P99:         s.RTT.Percentile(99),
		Samples:     s.RTT.Kept(),
	}
}
