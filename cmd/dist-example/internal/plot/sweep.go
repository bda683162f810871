package plot

import (
	"image/color"
	"io"
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
var sweepColours = []color.RGBA{colLost, colDuplicated, colReordered, colReceived}

// WriteSweep draws panels (stacked) onto w in format f: each series' means against X as a
// line with markers, and each mean's interval as an error bar.
//
// With categories, x is categorical: a point's X is the index of its category, the axis
// is labelled with their names, and a series' points are not joined (what lies between
// two unrelated profiles means nothing).
func WriteSweep(w io.Writer, f Format, title, xLabel string, panels []SweepPanel, categories ...string) error {
	return render(w, f, sweepCharts(title, xLabel, panels, categories)...)
}

func sweepCharts(title, xLabel string, panels []SweepPanel, categories []string) []*chart {
	var charts []*chart
	for k, pn := range panels {
		ch := &chart{xLabel: xLabel, yLabel: pn.YLabel, xCats: categories}
		if k == 0 {
			ch.title = title
		}
		top := 0.0
		for i, s := range pn.Series {
			if len(s.Points) == 0 {
				continue
			}
			col := sweepColours[i%len(sweepColours)]
			means := make([]xy, len(s.Points))
			for j, q := range s.Points {
				means[j] = xy{q.X, q.Mean}
				for _, v := range []float64{q.Mean, q.Hi} {
					if drawable(v) {
						top = max(top, v)
					}
				}
			}
			m := &marks{pts: means, kind: dot, radius: 2.5, col: col}
			var l *line
			if len(categories) == 0 {
				l = &line{pts: means, col: col, width: lineWidth}
				ch.add(l)
			}
			ch.add(m, &errorBars{pts: s.Points, col: col, width: 1, capW: 6})
			ch.legend = append(ch.legend, legendEntry{name: s.Name, line: l, mark: m})
		}
		ch.yFixed, ch.dataTop = rng{0, legendRoom(top), true}, top
		charts = append(charts, ch)
	}
	return charts
}
