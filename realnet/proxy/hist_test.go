package proxy

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every value falls in a bucket whose upper bound is at least the value and within 1/16
// of it, and buckets are in order: percentiles read from them err late by at most 6.25%.
func TestHistBuckets(t *testing.T) {
	vals := []uint64{0, 1, 15, 16, 17, 31, 32, 33, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		vals = append(vals, r.Uint64N(1<<uint(r.IntN(63)+1)))
	}
	for _, v := range vals {
		i := histBucket(v)
		require.Less(t, i, histBuckets, "bucket of %d", v)
		up := histUpper(i)
		require.GreaterOrEqual(t, up, v, "upper bound of %d's bucket", v)
		require.LessOrEqual(t, float64(up-v), float64(v)/16, "bucket of %d too wide", v)
		if i > 0 {
			require.Less(t, histUpper(i-1), v, "%d belongs in an earlier bucket", v)
		}
	}
}

// Percentiles from the histogram against the exact ones of the same samples.
func TestLatencyHistPercentiles(t *testing.T) {
	var h latencyHist
	assert.Equal(t, LatenessStats{}, h.snapshot(), "empty")
	r := rand.New(rand.NewPCG(3, 4))
	samples := make([]time.Duration, 5000)
	var sum time.Duration
	for i := range samples {
		samples[i] = time.Duration(r.ExpFloat64() * float64(20*time.Microsecond))
		sum += samples[i]
		h.record(samples[i])
	}
	h.record(-time.Second) // early writes count as on time
	samples = append(samples, 0)
	slices.Sort(samples)
	s := h.snapshot()
	n := len(samples)
	assert.Equal(t, uint64(n), s.Count)
	assert.Equal(t, samples[n-1], s.Max)
	assert.Equal(t, sum/time.Duration(n), s.Mean)
	for _, c := range []struct {
		q   float64
		got time.Duration
	}{{0.50, s.P50}, {0.90, s.P90}, {0.99, s.P99}} {
		exact := samples[int(c.q*float64(n)+0.999999)-1]
		assert.GreaterOrEqual(t, c.got, exact, "p%v", c.q*100)
		assert.LessOrEqual(t, float64(c.got), float64(exact)*(1+1.0/16)+1, "p%v", c.q*100)
	}
}

// recordN of a run is n records of the same duration: what the writer does for a burst
// that shares one due time.
func TestLatencyHistRecordNIsRepeatedRecord(t *testing.T) {
	var one, many latencyHist
	r := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		d := time.Duration(r.Int64N(int64(time.Millisecond))) - 100*time.Microsecond
		k := 1 + r.Uint64N(64)
		many.recordN(d, k)
		for range k {
			one.record(d)
		}
	}
	assert.Equal(t, one.snapshot(), many.snapshot())
}
