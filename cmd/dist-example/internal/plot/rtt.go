package plot

import (
	"fmt"
	"io"
	"math"
	"time"
)

// RTTPoint is one ping probe.
type RTTPoint struct {
	At   time.Duration // when the probe was sent, from the start of the run
	RTT  time.Duration // round-trip time of its first reply; ignored when Lost
	Lost bool          // no reply came back
}

// maxBins caps the histogram's bins; below it there are about sqrt(n) bins.
const maxBins = 60

// RTT draws pts into path: above, each reply's RTT against the time its probe was sent,
// with lost probes as red crosses on the time axis; below, a histogram of the RTTs. The
// format follows path's extension.
func RTT(path, title string, pts []RTTPoint) error {
	return writeFile(path, func(w io.Writer, f Format) error { return WriteRTT(w, f, title, pts) })
}

// WriteRTT is RTT onto w.
func WriteRTT(w io.Writer, f Format, title string, pts []RTTPoint) error {
	over, hist := rttCharts(title, pts)
	return render(w, f, over, hist)
}

func rttCharts(title string, pts []RTTPoint) (over, hist *chart) {
	var got, lost []xy
	var rtts []float64
	top := 0.0
	for _, q := range pts {
		if q.Lost {
			lost = append(lost, xy{q.At.Seconds(), 0})
			continue
		}
		ms := float64(q.RTT) / float64(time.Millisecond)
		got = append(got, xy{q.At.Seconds(), ms})
		rtts = append(rtts, ms)
		top = max(top, ms)
	}

	over = &chart{
		title:   fmt.Sprintf("%s: %d probes, %d replies, %d lost", title, len(pts), len(got), len(lost)),
		xLabel:  "probe sent at (s)",
		yLabel:  "RTT (ms)",
		yFixed:  rng{0, legendRoom(top), true},
		dataTop: top,
	}
	if len(got) > 0 {
		m := &marks{pts: got, kind: dot, radius: 1.5, col: colReordered}
		over.add(m)
		over.legend = append(over.legend, legendEntry{name: "reply", mark: m})
	}
	if len(lost) > 0 {
		m := &marks{pts: lost, kind: cross, radius: 3, col: colLost}
		over.add(m)
		over.legend = append(over.legend, legendEntry{name: "lost", mark: m})
	}

	hist = &chart{xLabel: "RTT (ms)", yLabel: "replies"}
	if len(rtts) == 0 {
		hist.title = "no replies"
		return over, hist
	}
	h := histogram(rtts, min(maxBins, max(1, int(math.Sqrt(float64(len(rtts)))))))
	hist.add(h)
	tallest := 0.0
	for _, v := range h.heights {
		tallest = max(tallest, v)
	}
	hist.yFixed = rng{0, roundUp(tallest * 1.05), true} // the tallest bar below a labelled tick
	return over, hist
}

// roundUp is the least multiple of a round step (1, 2 or 5 times a power of ten, about a
// fifth of v) that is at least v: an axis top that niceTicks labels.
func roundUp(v float64) float64 {
	if !(v > 0) || !drawable(v) {
		return 1
	}
	step := math.Pow10(int(math.Floor(math.Log10(v / 5))))
	for _, m := range []float64{1, 2, 5, 10} {
		if v/(m*step) <= 6 {
			step *= m
			break
		}
	}
	return math.Ceil(v/step-1e-9) * step
}

// histogram counts vs into n bins of equal width from the least to the greatest (the
// greatest in the last bin); all equal, into one bin a unit wide around them.
func histogram(vs []float64, n int) *bars {
	lo, hi := vs[0], vs[0]
	for _, v := range vs {
		lo, hi = min(lo, v), max(hi, v)
	}
	if hi == lo {
		lo, hi, n = lo-0.5, hi+0.5, 1
	}
	b := &bars{edges: make([]float64, n+1), heights: make([]float64, n), col: colReordered}
	for i := range b.edges {
		b.edges[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	for _, v := range vs {
		i := min(n-1, int((v-lo)/(hi-lo)*float64(n)))
		b.heights[i]++
	}
	return b
}
