package plot

import (
	"image/color"
	"io"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// SweepPoint is one profile's summary of one quantity: its mean over the runs and a
// confidence interval [Lo, Hi], at the swept parameter's value X.
type SweepPoint struct{ X, Mean, Lo, Hi float64 }

// SweepSeries is one quantity across a sweep's profiles.
type SweepSeries struct {
	Name   string
	Points []SweepPoint
}

// SweepPanel is one chart: series sharing a y axis.
type SweepPanel struct {
	YLabel string
	Series []SweepSeries
}

// sweepColours are the series' colours, in order (the intervals chart's lost,
// duplicated, reordered first).
var sweepColours = []color.Color{colLost, colDuplicated, colReordered, colReceived}

// sweepPoints adapts points to gonum's XYer and YErrorer.
type sweepPoints []SweepPoint

func (s sweepPoints) Len() int                    { return len(s) }
func (s sweepPoints) XY(i int) (float64, float64) { return s[i].X, s[i].Mean }
func (s sweepPoints) YError(i int) (float64, float64) {
	return s[i].Mean - s[i].Lo, s[i].Hi - s[i].Mean
}

// WriteSweep draws panels (stacked) onto w in format f: each series' means against X as a
// line with markers, and each mean's interval as an error bar.
func WriteSweep(w io.Writer, f Format, title, xLabel string, panels []SweepPanel) error {
	var plots []*gplot.Plot
	for k, pn := range panels {
		p := gplot.New()
		if k == 0 {
			p.Title.Text = title
		}
		p.X.Label.Text = xLabel
		p.Y.Label.Text = pn.YLabel
		p.Y.Min = 0
		p.Legend.Top = true
		top := 0.0
		for i, s := range pn.Series {
			if len(s.Points) == 0 {
				continue
			}
			col := sweepColours[i%len(sweepColours)]
			pts := sweepPoints(s.Points)
			l, m, err := plotter.NewLinePoints(pts)
			if err != nil {
				return err
			}
			l.Color, l.Width = col, vg.Points(1.5)
			m.Color, m.Shape, m.Radius = col, draw.CircleGlyph{}, vg.Points(2.5)
			eb, err := plotter.NewYErrorBars(pts)
			if err != nil {
				return err
			}
			eb.Color, eb.Width, eb.CapWidth = col, vg.Points(1), vg.Points(6)
			p.Add(l, m, eb)
			p.Legend.Add(s.Name, l, m)
			for _, q := range s.Points {
				top = max(top, q.Hi, q.Mean)
			}
		}
		p.Add(plotter.NewGrid())
		p.Y.Max = legendRoom(top)
		plots = append(plots, p)
	}
	return render(w, f, plots...)
}
