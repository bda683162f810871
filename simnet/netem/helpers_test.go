package netem

import (
	"math"
	"time"

	"github.com/stretchr/testify/require"
)

// tb is what both *testing.T and *rapid.T offer.
type tb interface {
	require.TestingT
	Helper()
}

// departure is one delivered copy and the time Dequeue returned it.
type departure struct {
	pkt Packet[int]
	at  time.Duration
}

// drive runs l the way a driver should: each arrival is enqueued at its time and
// followed by a dequeue attempt, and between arrivals the link is dequeued at NextDue.
// The packet for arrival i carries Meta i and a payload of size(i) bytes.
func drive(t tb, l *Link[int], arrivals []time.Duration, size func(i int) int) []departure {
	t.Helper()
	var out []departure
	drain := func(now time.Duration) {
		for {
			p, ok := l.Dequeue(now)
			if !ok {
				return
			}
			out = append(out, departure{p, now})
		}
	}
	for i, at := range arrivals {
		for {
			next, ok := l.NextDue()
			if !ok || next > at {
				break
			}
			drain(next)
		}
		data := make([]byte, size(i))
		for j := range data {
			data[j] = byte(i + j)
		}
		l.Enqueue(at, Packet[int]{Data: data, Meta: i})
		drain(at)
	}
	for guard := 0; ; guard++ {
		next, ok := l.NextDue()
		if !ok {
			break
		}
		require.Less(t, guard, 10_000_000, "link never drains")
		drain(next)
	}
	return out
}

// every returns n arrival times spaced by gap, starting at gap.
func every(n int, gap time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * gap
	}
	return out
}

func fixedSize(n int) func(int) int { return func(int) int { return n } }

func mustParse(t tb, text string) Profile {
	t.Helper()
	p, err := Parse(text)
	require.NoError(t, err, "profile %q", text)
	return p
}

// binomialBound is 5 standard deviations of the mean of n Bernoulli(p) draws, inflated
// by factor for correlated sequences (the variance ratio of the sample mean).
func binomialBound(p float64, n int, factor float64) float64 {
	return 5*math.Sqrt(p*(1-p)*factor/float64(n)) + 1/float64(n)
}

// lag1 is the lag-1 sample autocorrelation of xs.
func lag1(xs []float64) float64 {
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var num, den float64
	for i, x := range xs {
		d := x - mean
		den += d * d
		if i > 0 {
			num += d * (xs[i-1] - mean)
		}
	}
	return num / den
}

// lossSeries enqueues n packets 1ms apart and records 1 for each one lost, 0 otherwise.
func lossSeries(t tb, p Profile, seed uint64, n int) []float64 {
	t.Helper()
	l := NewLink[int](p, seed)
	out := make([]float64, n)
	for i := range out {
		now := time.Duration(i) * time.Millisecond
		if v, _, _ := l.Enqueue(now, Packet[int]{Data: []byte{1}}); v == Lost {
			out[i] = 1
		}
		for {
			if _, ok := l.Dequeue(now); !ok {
				break
			}
		}
	}
	return out
}

func mean(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
