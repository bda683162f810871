package plot

import (
	"image/color"
	"io"
	"time"
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

// Line and marker sizes, in points.
const (
	lineWidth     = 1.5
	pointRadius   = 2   // a whole interval's marker
	partialRadius = 3.5 // a partial interval's hollow marker
)

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
	return render(w, f, intervalsChart(title, pts))
}

func intervalsChart(title string, pts []IntervalPoint) *chart {
	ch := &chart{title: title, xLabel: "time (s)", yLabel: "datagrams per second"}
	var partial bool
	for _, q := range pts {
		partial = partial || q.Partial
		if q.Span == 0 {
			ch.yLabel = "datagrams per interval"
		}
	}
	if partial {
		ch.xLabel = "time (s); hollow markers: a partial interval (the last, cut short)"
	}
	rate := func(q IntervalPoint, v uint64) float64 {
		if q.Span <= 0 {
			return float64(v)
		}
		return float64(v) / q.Span.Seconds()
	}
	series := []struct {
		name string
		col  color.RGBA
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
		ch.xLabel += ", drawn at the top when above it"
	}
	ch.yFixed, ch.dataTop = rng{0, yMax, true}, top
	// Hollow markers first, so the lines go over them; the legend goes around them.
	var lines []item
	for _, s := range series {
		var whole, part []xy
		for _, q := range pts {
			p := xy{q.At.Seconds(), rate(q, s.get(q))}
			if q.Partial {
				p.Y = min(p.Y, yMax)
				part = append(part, p)
			} else {
				whole = append(whole, p)
			}
		}
		if len(part) > 0 {
			ch.add(&marks{pts: part, kind: ring, radius: partialRadius, col: s.col})
		}
		l := &line{pts: whole, col: s.col, width: lineWidth}
		e := legendEntry{name: s.name, line: l}
		lines = append(lines, l)
		if len(pts) < markersBelow {
			e.mark = &marks{pts: whole, kind: dot, radius: pointRadius, col: s.col}
			lines = append(lines, e.mark)
		}
		ch.legend = append(ch.legend, e)
	}
	ch.add(lines...)
	if len(pts) == 0 {
		ch.title += " (no intervals)"
		ch.legend = nil // nothing to tell apart
	}
	return ch
}
