package app

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func msList(ms ...float64) []time.Duration {
	d := make([]time.Duration, len(ms))
	for i, m := range ms {
		d[i] = time.Duration(m * float64(time.Millisecond))
	}
	return d
}

func oneToHundredMs() []time.Duration {
	var d []time.Duration
	for i := 100; i >= 1; i-- { // descending: the order of arrival must not matter
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	return d
}

func TestRTTStats(t *testing.T) {
	type want struct {
		min, avg, max, mdev, p50, p90, p99 time.Duration
	}
	tests := []struct {
		name    string
		samples []time.Duration
		want    want
	}{
		{"empty", nil, want{}},
		{"one", msList(7), want{7e6, 7e6, 7e6, 0, 7e6, 7e6, 7e6}},
		{"two", msList(10, 20), want{10e6, 15e6, 20e6, 5e6, 10e6, 20e6, 20e6}},
		{"negative clamps to zero", []time.Duration{-5, 10}, want{0, 5, 10, 5, 0, 10, 10}},
		// mdev of 1..100 is sqrt((100²-1)/12) = 28.866 ms.
		{"one to hundred", oneToHundredMs(), want{1e6, 50.5e6, 100e6, 28866070, 50e6, 90e6, 99e6}},
		{"ten with outlier", msList(1, 1, 1, 1, 1, 1, 1, 1, 1, 1000), want{1e6, 100.9e6, 1000e6, 299.7e6, 1e6, 1e6, 1000e6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s RTTStats
			for _, d := range tt.samples {
				s.Add(d)
			}
			got := want{s.Min(), s.Mean(), s.Max(), s.Mdev(), s.Percentile(50), s.Percentile(90), s.Percentile(99)}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, uint64(len(tt.samples)), s.Count())
			assert.Equal(t, len(tt.samples), s.Kept())
		})
	}
}

func TestRTTStatsPercentileClamps(t *testing.T) {
	var s RTTStats
	for _, d := range oneToHundredMs() {
		s.Add(d)
	}
	tests := []struct {
		name string
		p    float64
		want time.Duration
	}{
		{"zero", 0, time.Millisecond},
		{"negative", -3, time.Millisecond},
		{"hundred", 100, 100 * time.Millisecond},
		{"above", 250, 100 * time.Millisecond},
		{"fraction", 12.5, 13 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, s.Percentile(tt.p))
		})
	}
}

func TestRTTStatsBoundedMemory(t *testing.T) {
	// 1..1000 ms, in order, into a store of 64: exact min/max/avg/mdev, about 64 evenly
	// spread samples for the percentiles.
	s := NewRTTStats(64)
	for i := 1; i <= 1000; i++ {
		s.Add(time.Duration(i) * time.Millisecond)
		require.LessOrEqual(t, s.Kept(), 64)
	}
	assert.Equal(t, uint64(1000), s.Count())
	assert.GreaterOrEqual(t, s.Kept(), 32, "halving leaves at least half the limit")
	assert.Equal(t, time.Millisecond, s.Min())
	assert.Equal(t, 1000*time.Millisecond, s.Max())
	assert.Equal(t, 500500*time.Microsecond, s.Mean())
	// Thinning to every 16th sample moves a percentile by at most 16 ms plus the rank
	// granularity of 1000/64 samples.
	for _, p := range []float64{10, 50, 90, 99} {
		exact := time.Duration(math.Ceil(p/100*1000)) * time.Millisecond
		assert.InDelta(t, float64(exact), float64(s.Percentile(p)), float64(32*time.Millisecond), "p%v", p)
	}
}

func TestRTTStatsProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(2, 50).Draw(t, "limit")
		samples := rapid.SliceOfN(rapid.Int64Range(0, int64(10*time.Second)), 1, 300).Draw(t, "samples")
		s := NewRTTStats(limit)
		for _, d := range samples {
			s.Add(time.Duration(d))
		}
		lo, hi := time.Duration(slices.Min(samples)), time.Duration(slices.Max(samples))
		p50, p90, p99 := s.Percentile(50), s.Percentile(90), s.Percentile(99)
		if s.Min() != lo || s.Max() != hi {
			t.Fatalf("min/max %v/%v, want %v/%v", s.Min(), s.Max(), lo, hi)
		}
		if !(lo <= p50 && p50 <= p90 && p90 <= p99 && p99 <= hi) {
			t.Fatalf("percentiles not monotone within [min, max]: %v %v %v %v %v", lo, p50, p90, p99, hi)
		}
		if avg := s.Mean(); avg < lo || avg > hi {
			t.Fatalf("avg %v outside [%v, %v]", avg, lo, hi)
		}
		if s.Mdev() < 0 || s.Mdev() > hi-lo {
			t.Fatalf("mdev %v outside [0, max-min = %v]", s.Mdev(), hi-lo)
		}
		if s.Kept() > limit || s.Kept() < 1 {
			t.Fatalf("kept %d samples, limit %d", s.Kept(), limit)
		}
		if s.Count() != uint64(len(samples)) {
			t.Fatalf("count %d, want %d", s.Count(), len(samples))
		}
		if len(samples) <= limit {
			// Nothing thinned: percentiles are the exact nearest-rank ones.
			sorted := slices.Clone(samples)
			slices.Sort(sorted)
			want := time.Duration(sorted[int(math.Ceil(0.9*float64(len(sorted))))-1])
			if p90 != want {
				t.Fatalf("p90 %v, want %v", p90, want)
			}
		}
	})
}

func TestPingStatsLoss(t *testing.T) {
	tests := []struct {
		name                  string
		transmitted, received uint64
		lost                  uint64
		percent               float64
	}{
		{"nothing sent", 0, 0, 0, 0},
		{"all back", 10, 10, 0, 0},
		{"none back", 4, 0, 4, 100},
		{"a quarter lost", 8, 6, 2, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := PingStats{Transmitted: tt.transmitted, Received: tt.received}
			assert.Equal(t, tt.lost, s.Lost())
			assert.InDelta(t, tt.percent, s.LossPercent(), 1e-12)
			sum := s.Summary()
			assert.Equal(t, tt.transmitted, sum.Received+sum.Lost)
		})
	}
}

func BenchmarkRTTStatsAdd(b *testing.B) {
	s := NewRTTStats(DefaultRTTSampleLimit)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Add(time.Duration(i%100000) * time.Microsecond)
	}
}
