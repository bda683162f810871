package plot

import (
	"image/color"
	"io"
	"time"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// IntervalPoint is what a receiver counted in one reporting interval.
type IntervalPoint struct {
	At         time.Duration // end of the interval, from the start of the run
	Received   uint64        // distinct datagrams that arrived
	Lost       uint64
	Duplicated uint64
	Reordered  uint64
}

// Fixed colours, so a series looks the same in every picture.
var (
	colReceived   = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff} // green
	colLost       = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff} // red
	colDuplicated = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff} // orange
	colReordered  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff} // blue
)

// markersBelow is the point count under which lines also get a marker per point; above
// it the markers would merge into a smear.
const markersBelow = 120

// legendRoom returns the y-axis top for data reaching top: a quarter more, so the legend
// in the top right corner does not cover points.
func legendRoom(top float64) float64 {
	if top <= 0 {
		return 1
	}
	return top * 1.25
}

// Intervals draws pts into path as a line per count (received, lost, duplicated,
// reordered) against time. The format follows path's extension.
func Intervals(path, title string, pts []IntervalPoint) error {
	return writeFile(path, func(w io.Writer, f Format) error { return WriteIntervals(w, f, title, pts) })
}

// WriteIntervals is Intervals onto w.
func WriteIntervals(w io.Writer, f Format, title string, pts []IntervalPoint) error {
	p := gplot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "datagrams per interval"
	p.Y.Min = 0
	p.Legend.Top = true
	series := []struct {
		name string
		col  color.Color
		get  func(IntervalPoint) uint64
	}{
		{"received", colReceived, func(q IntervalPoint) uint64 { return q.Received }},
		{"lost", colLost, func(q IntervalPoint) uint64 { return q.Lost }},
		{"duplicated", colDuplicated, func(q IntervalPoint) uint64 { return q.Duplicated }},
		{"reordered", colReordered, func(q IntervalPoint) uint64 { return q.Reordered }},
	}
	for _, s := range series {
		xys := make(plotter.XYs, len(pts))
		for i, q := range pts {
			xys[i] = plotter.XY{X: q.At.Seconds(), Y: float64(s.get(q))}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.Color = s.col
		l.Width = vg.Points(1.5)
		p.Add(l)
		if len(pts) < markersBelow {
			m, err := plotter.NewScatter(xys)
			if err != nil {
				return err
			}
			m.Color = s.col
			m.Shape = draw.CircleGlyph{}
			m.Radius = vg.Points(2)
			p.Add(m)
			p.Legend.Add(s.name, l, m)
		} else {
			p.Legend.Add(s.name, l)
		}
	}
	p.Add(plotter.NewGrid())
	var top uint64
	for _, q := range pts {
		top = max(top, q.Received, q.Lost, q.Duplicated, q.Reordered)
	}
	p.Y.Max = legendRoom(float64(top))
	if len(pts) == 0 {
		p.Title.Text += " (no intervals)"
	}
	return render(w, f, p)
}
