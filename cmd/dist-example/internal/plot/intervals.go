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
	At time.Duration // end of the interval, from the start of the run
	// Span is the interval's length: the chart shows counts per second (count/Span), so
	// that a short interval, such as the partial last one, is drawn at the same scale as
	// the others. 0 draws the counts as they are.
	Span time.Duration
	// Partial marks an interval shorter than the others (the last one, cut short when the
	// receiver stopped): it is drawn as hollow markers, not joined to the lines, so a
	// clean run does not seem to fall off a cliff at its end.
	Partial    bool
	Received   uint64 // distinct datagrams that arrived
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
// reordered) against time, per second of each interval (see IntervalPoint.Span), with
// partial intervals as hollow markers. The format follows path's extension.
func Intervals(path, title string, pts []IntervalPoint) error {
	return writeFile(path, func(w io.Writer, f Format) error { return WriteIntervals(w, f, title, pts) })
}

// WriteIntervals is Intervals onto w.
func WriteIntervals(w io.Writer, f Format, title string, pts []IntervalPoint) error {
	p := gplot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = "datagrams per second"
	var partial bool
	for _, q := range pts {
		partial = partial || q.Partial
		if q.Span == 0 {
			p.Y.Label.Text = "datagrams per interval"
		}
	}
	if partial {
		p.X.Label.Text = "time (s); hollow markers: a partial interval (the last, cut short)"
	}
	rate := func(q IntervalPoint, v uint64) float64 {
		if q.Span <= 0 {
			return float64(v)
		}
		return float64(v) / q.Span.Seconds()
	}
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
	// The axis fits the whole intervals; a partial one's rate (a few datagrams over a
	// few milliseconds, or the losses declared when the receiver stopped) is drawn at
	// the top edge when it is above them.
	var top, partTop float64
	for _, q := range pts {
		for _, s := range series {
			if q.Partial {
				partTop = max(partTop, rate(q, s.get(q)))
			} else {
				top = max(top, rate(q, s.get(q)))
			}
		}
	}
	if top == 0 {
		top = partTop
	}
	yMax := legendRoom(top)
	if partTop > yMax {
		p.X.Label.Text += ", drawn at the top when above it"
	}
	for _, s := range series {
		var xys, part plotter.XYs
		for _, q := range pts {
			xy := plotter.XY{X: q.At.Seconds(), Y: rate(q, s.get(q))}
			if q.Partial {
				xy.Y = min(xy.Y, yMax)
				part = append(part, xy)
			} else {
				xys = append(xys, xy)
			}
		}
		if len(part) > 0 {
			m, err := markers(part, s.col, draw.RingGlyph{}, 3.5)
			if err != nil {
				return err
			}
			p.Add(m)
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.Color = s.col
		l.Width = vg.Points(1.5)
		p.Add(l)
		if len(pts) < markersBelow {
			m, err := markers(xys, s.col, draw.CircleGlyph{}, 2)
			if err != nil {
				return err
			}
			p.Add(m)
			p.Legend.Add(s.name, l, m)
		} else {
			p.Legend.Add(s.name, l)
		}
	}
	p.Add(plotter.NewGrid())
	p.Y.Max = yMax
	if len(pts) == 0 {
		p.Title.Text += " (no intervals)"
	}
	return render(w, f, p)
}

// markers draws a marker of shape, radius points, at each of xys.
func markers(xys plotter.XYs, col color.Color, shape draw.GlyphDrawer, radius float64) (*plotter.Scatter, error) {
	m, err := plotter.NewScatter(xys)
	if err != nil {
		return nil, err
	}
	m.Color, m.Shape, m.Radius = col, shape, vg.Points(radius)
	return m, nil
}
