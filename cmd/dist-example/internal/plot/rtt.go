package plot

import (
	"fmt"
	"io"
	"math"
	"time"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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
	var got, lost plotter.XYs
	var rtts plotter.Values
	top := 0.0
	for _, q := range pts {
		if q.Lost {
			lost = append(lost, plotter.XY{X: q.At.Seconds()})
			continue
		}
		ms := float64(q.RTT) / float64(time.Millisecond)
		got = append(got, plotter.XY{X: q.At.Seconds(), Y: ms})
		rtts = append(rtts, ms)
		top = max(top, ms)
	}

	over := gplot.New()
	over.Title.Text = fmt.Sprintf("%s: %d probes, %d replies, %d lost", title, len(pts), len(got), len(lost))
	over.X.Label.Text = "probe sent at (s)"
	over.Y.Label.Text = "RTT (ms)"
	over.Y.Min = 0
	over.Y.Max = legendRoom(top)
	over.Legend.Top = true
	over.Add(plotter.NewGrid())
	if len(got) > 0 {
		s, err := plotter.NewScatter(got)
		if err != nil {
			return err
		}
		s.Color = colReordered
		s.Shape = draw.CircleGlyph{}
		s.Radius = vg.Points(1.5)
		over.Add(s)
		over.Legend.Add("reply", s)
	}
	if len(lost) > 0 {
		s, err := plotter.NewScatter(lost)
		if err != nil {
			return err
		}
		s.Color = colLost
		s.Shape = draw.CrossGlyph{}
		s.Radius = vg.Points(3)
		over.Add(s)
		over.Legend.Add("lost", s)
	}

	hist := gplot.New()
	hist.X.Label.Text = "RTT (ms)"
	hist.Y.Label.Text = "replies"
	hist.Add(plotter.NewGrid())
	if len(rtts) > 0 {
		bins := min(maxBins, max(1, int(math.Sqrt(float64(len(rtts))))))
		h, err := plotter.NewHist(rtts, bins)
		if err != nil {
			return err
		}
		h.FillColor = colReordered
		h.LineStyle.Color = colReordered
		hist.Add(h)
	} else {
		hist.Title.Text = "no replies"
	}
	return render(w, f, over, hist)
}
