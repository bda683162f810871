package plot

import (
	"image/color"
	"math"
	"strconv"
	"strings"
)

// Sizes, in points.
const (
	titleSize  = 12
	labelSize  = 12
	tickSize   = 10
	legendSize = 11

	outerPad  = 6  // around the canvas
	rowGap    = 14 // between stacked charts
	axisPad   = 5  // between the data area and its axes
	majorTick = 6
	minorTick = 3
	textGap   = 3
	swatchW   = 20 // a legend entry's sample line
	axisWidth = 0.75
	gridWidth = 0.75

	// Room per major tick: one every xTickRoom points across, yTickRoom up.
	xTickRoom = 80
	yTickRoom = 50
)

var (
	black   = color.RGBA{A: 0xff}
	gridCol = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
)

// xy is a data point.
type xy struct{ X, Y float64 }

// rng is a closed interval of data values; ok once it holds a value.
type rng struct {
	lo, hi float64
	ok     bool
}

// maxValue bounds the values drawn: beyond it (and NaN) a value is left out, so that
// spans, ticks and canvas positions stay finite.
const maxValue = 1e300

func drawable(v float64) bool { return math.Abs(v) <= maxValue } // false for NaN too

func (r *rng) add(v float64) {
	if !drawable(v) {
		return
	}
	if !r.ok {
		r.lo, r.hi, r.ok = v, v, true
		return
	}
	r.lo, r.hi = min(r.lo, v), max(r.hi, v)
}

// widened is r made drawable: 0 to 1 when empty; a single value (or an interval too thin
// to divide) opened around it, not below 0 if it was not.
func (r rng) widened() rng {
	if !r.ok || !drawable(r.lo) || !drawable(r.hi) || r.lo > r.hi {
		return rng{0, 1, true}
	}
	if r.hi-r.lo > 1e-9*max(1, math.Abs(r.lo), math.Abs(r.hi)) {
		return r
	}
	pad := max(0.5, math.Abs(r.lo)*0.05)
	lo := r.lo - pad
	if r.lo >= 0 && lo < 0 {
		lo = 0
	}
	return rng{lo, r.hi + pad, true}
}

// item is something drawn in a chart's data area.
type item interface {
	extent(x, y *rng) // widen x and y to cover the item
	draw(c canvas, f *frame)
}

// line joins points.
type line struct {
	pts   []xy
	col   color.RGBA
	width float64
}

func (l *line) extent(x, y *rng) {
	for _, p := range l.pts {
		x.add(p.X)
		y.add(p.Y)
	}
}

func (l *line) draw(c canvas, f *frame) {
	if p := f.all(l.pts); len(p) > 0 {
		c.polyline(p, l.width, l.col)
	}
}

// marks puts a marker at each point.
type marks struct {
	pts    []xy
	kind   markKind
	radius float64
	col    color.RGBA
}

func (m *marks) extent(x, y *rng) {
	for _, p := range m.pts {
		x.add(p.X)
		y.add(p.Y)
	}
}

func (m *marks) draw(c canvas, f *frame) { c.marks(m.kind, f.all(m.pts), m.radius, m.col) }

// boxes are the canvas boxes the markers cover, with a point to spare.
func (m *marks) boxes(f *frame) []box {
	r := m.radius + markStroke/2 + 1
	var bs []box
	for _, c := range f.all(m.pts) {
		bs = append(bs, box{pt{c.X - r, c.Y - r}, pt{c.X + r, c.Y + r}})
	}
	return bs
}

// bars are a histogram's: bar i spans edges[i] to edges[i+1] and rises from 0 to
// heights[i].
type bars struct {
	edges, heights []float64
	col            color.RGBA
}

func (b *bars) extent(x, y *rng) {
	for _, e := range b.edges {
		x.add(e)
	}
	y.add(0)
	for _, h := range b.heights {
		y.add(h)
	}
}

func (b *bars) draw(c canvas, f *frame) {
	var bs []box
	for i, h := range b.heights {
		if h > 0 && drawable(h) && drawable(b.edges[i]) && drawable(b.edges[i+1]) {
			bs = append(bs, box{f.at(b.edges[i], h), f.at(b.edges[i+1], 0)})
		}
	}
	c.rects(bs, b.col)
}

// errorBars draws, at each point's X, a vertical bar from Lo to Hi with caps.
type errorBars struct {
	pts         []SweepPoint
	col         color.RGBA
	width, capW float64
}

func (e *errorBars) extent(x, y *rng) {
	for _, p := range e.pts {
		x.add(p.X)
		y.add(p.Lo)
		y.add(p.Hi)
	}
}

func (e *errorBars) draw(c canvas, f *frame) {
	var segs []pt
	for _, p := range e.pts {
		if !drawable(p.X) || !drawable(p.Lo) || !drawable(p.Hi) {
			continue
		}
		lo, hi := f.at(p.X, p.Lo), f.at(p.X, p.Hi)
		segs = append(segs, lo, hi,
			pt{lo.X - e.capW/2, lo.Y}, pt{lo.X + e.capW/2, lo.Y},
			pt{hi.X - e.capW/2, hi.Y}, pt{hi.X + e.capW/2, hi.Y})
	}
	c.segments(segs, e.width, e.col)
}

// legendEntry names a series, drawn with a sample of its line and marker, either of
// which may be nil.
type legendEntry struct {
	name string
	line *line
	mark *marks
}

// chart is one plot: axes, items, a legend in the top right corner of the data area.
type chart struct {
	title, xLabel, yLabel string
	// yFixed, when ok, is the y axis's range; otherwise both axes fit the items.
	yFixed rng
	// dataTop, when above 0, is the highest value drawn (yFixed.hi leaves room above it
	// for the legend, see legendRoom): where the legend is taller than that room, the
	// layout raises the axis's top until the legend fits above dataTop.
	dataTop float64
	// xCats, when set, makes x categorical: point i is at x = i, the axis runs from
	// -0.5 to len-0.5 and its ticks are the names (thinned out when they do not fit).
	xCats  []string
	items  []item
	legend []legendEntry
}

func (ch *chart) add(it ...item) { ch.items = append(ch.items, it...) }

// ranges returns the axes' ranges.
func (ch *chart) ranges() (x, y rng) {
	for _, it := range ch.items {
		it.extent(&x, &y)
	}
	if ch.yFixed.ok {
		y = ch.yFixed
	}
	if n := len(ch.xCats); n > 0 {
		x = rng{-0.5, float64(n) - 0.5, true}
	}
	return x.widened(), y.widened()
}

// categoryTicks marks the categories at 0, 1, ...: every one while at most maxMajor
// fit, else every k-th.
func categoryTicks(cats []string, maxMajor int) ticks {
	step := max(1, (len(cats)+max(1, maxMajor)-1)/max(1, maxMajor))
	var t ticks
	for i := 0; i < len(cats); i += step {
		t.major = append(t.major, float64(i))
		t.labels = append(t.labels, cats[i])
	}
	return t
}

// ticks are an axis's marks: majors with labels, and minors between them.
type ticks struct {
	major  []float64
	labels []string
	minor  []float64
}

// niceTicks chooses at most maxMajor major ticks on [lo, hi] at a round step (1, 2 or 5
// times a power of ten; the finest that fits), labelled with the step's decimals, and
// minor ticks at a fifth of it (a half for a step of 2).
func niceTicks(lo, hi float64, maxMajor int) ticks {
	maxMajor = max(2, maxMajor)
	span := hi - lo
	if !(span > 0) {
		return ticks{major: []float64{lo}, labels: []string{label(lo, 0)}}
	}
	e := int(math.Floor(math.Log10(span/float64(maxMajor)))) - 1
	for ; ; e++ {
		for _, m := range []int64{1, 2, 5} {
			step := float64(m) * math.Pow10(e)
			first, last := math.Ceil(lo/step-1e-9), math.Floor(hi/step+1e-9)
			if last-first+1 > float64(maxMajor) {
				continue
			}
			var t ticks
			dec := max(0, -e)
			for k := first; k <= last; k++ {
				v := k * step
				t.major = append(t.major, v)
				t.labels = append(t.labels, label(v, dec))
			}
			per := int64(5)
			if m == 2 {
				per = 2
			}
			sub := step / float64(per)
			for j := math.Ceil(lo/sub - 1e-9); j <= math.Floor(hi/sub+1e-9); j++ {
				if int64(j)%per != 0 {
					t.minor = append(t.minor, j*sub)
				}
			}
			return t
		}
	}
}

func label(v float64, decimals int) string {
	if math.Abs(v) >= 1e9 {
		return strconv.FormatFloat(v, 'g', 6, 64) // 1e+12, not thirteen digits
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-") // no "-0"
	}
	return s
}

// frame is where a laid-out chart is on the canvas.
type frame struct {
	row    box // the chart's share of the canvas
	area   box // its data area
	x, y   rng
	xt, yt ticks
	legend box // the legend's place (zero size when it has none)
}

// at is the canvas position of the data point (x, y), kept within a few canvases of
// the canvas for a point far off the axes.
func (f *frame) at(x, y float64) pt {
	return pt{
		clamp(f.area.Min.X + (x-f.x.lo)/(f.x.hi-f.x.lo)*(f.area.Max.X-f.area.Min.X)),
		clamp(f.area.Max.Y - (y-f.y.lo)/(f.y.hi-f.y.lo)*(f.area.Max.Y-f.area.Min.Y)),
	}
}

func clamp(v float64) float64 { return min(max(v, -4*widthPt), 4*widthPt) }

// all is the canvas positions of the drawable points of p.
func (f *frame) all(p []xy) []pt {
	q := make([]pt, 0, len(p))
	for _, v := range p {
		if drawable(v.X) && drawable(v.Y) {
			q = append(q, f.at(v.X, v.Y))
		}
	}
	return q
}

// figure is charts laid out stacked on the canvas, their y axes aligned.
type figure struct {
	charts []*chart
	frames []frame
	m      *faces // measures in points
}

// layout places charts on the canvas top to bottom, in equal rows.
func layout(charts ...*chart) (*figure, error) {
	m, err := newFaces(72)
	if err != nil {
		return nil, err
	}
	fg := &figure{charts: charts, frames: make([]frame, len(charts)), m: m}
	n := float64(max(1, len(charts)))
	rowH := (heightPt - 2*outerPad - (n-1)*rowGap) / n
	title, lab, tick := m.metrics(titleSize), m.metrics(labelSize), m.metrics(tickSize)
	// Vertically each chart is on its own; across, all share the widest left margin so
	// that their y axes line up.
	left := 0.0
	for i, ch := range charts {
		f := &fg.frames[i]
		top := outerPad + float64(i)*(rowH+rowGap)
		f.row = box{pt{outerPad, top}, pt{widthPt - outerPad, top + rowH}}
		f.area.Min.Y = top + tick.height/2
		if ch.title != "" {
			f.area.Min.Y = top + title.height + textGap
		}
		f.area.Max.Y = f.row.Max.Y - tick.height - textGap - majorTick - axisPad
		if ch.xLabel != "" {
			f.area.Max.Y -= lab.height + textGap
		}
		f.x, f.y = ch.ranges()
		if ch.dataTop > 0 && len(ch.legend) > 0 {
			rowH, _ := fg.legendSize(ch)
			// The legend takes this share of the area's height from the top; the data
			// must stay below it.
			share := (rowH*float64(len(ch.legend)) + 2) / (f.area.Max.Y - f.area.Min.Y)
			if share < 0.8 {
				f.y.hi = max(f.y.hi, ch.dataTop/(1-share))
			}
		}
		f.yt = niceTicks(f.y.lo, f.y.hi, int((f.area.Max.Y-f.area.Min.Y)/yTickRoom))
		w := 0.0
		for _, l := range f.yt.labels {
			w = max(w, m.width(l, tickSize))
		}
		l := outerPad + w + textGap + majorTick + axisPad
		if ch.yLabel != "" {
			l += lab.height + textGap
		}
		left = max(left, l)
	}
	right := 0.0
	for i := range charts {
		f := &fg.frames[i]
		if cats := charts[i].xCats; len(cats) > 0 {
			longest := 0.0
			for _, c := range cats {
				longest = max(longest, m.width(c, tickSize))
			}
			f.xt = categoryTicks(cats, int((widthPt-left-outerPad)/max(xTickRoom, longest+2*textGap)))
		} else {
			f.xt = niceTicks(f.x.lo, f.x.hi, int((widthPt-left-outerPad)/xTickRoom))
		}
		// The last x label is centred on its tick: leave room for its right half.
		if k := len(f.xt.labels) - 1; k >= 0 {
			right = max(right, m.width(f.xt.labels[k], tickSize)/2)
		}
	}
	for i, ch := range charts {
		f := &fg.frames[i]
		f.area.Min.X, f.area.Max.X = left, widthPt-outerPad-right
		f.legend = fg.placeLegend(ch, f)
	}
	return fg, nil
}

// legend measures: the rows' height and the entries' text width.
func (fg *figure) legendSize(ch *chart) (rowH, textW float64) {
	for _, e := range ch.legend {
		textW = max(textW, fg.m.width(e.name, legendSize))
	}
	return fg.m.metrics(legendSize).height, textW
}

// placeLegend puts the legend in the top right corner of the data area, or, where a
// marker is there (a partial interval drawn at the top edge, say), moved left until it
// covers none; if no place along the top is free, in the corner.
func (fg *figure) placeLegend(ch *chart, f *frame) box {
	if len(ch.legend) == 0 {
		return box{}
	}
	rowH, textW := fg.legendSize(ch)
	w, h := textW+textGap+swatchW, rowH*float64(len(ch.legend))
	var obstacles []box
	for _, it := range ch.items {
		if m, ok := it.(*marks); ok {
			obstacles = append(obstacles, m.boxes(f)...)
		}
	}
	corner := box{pt{f.area.Max.X - w, f.area.Min.Y}, pt{f.area.Max.X, f.area.Min.Y + h}}
	b := corner
	for b.Min.X >= f.area.Min.X {
		hit := false
		for _, o := range obstacles {
			if o.overlaps(b) {
				hit = true
				b.Max.X = min(b.Max.X, o.Min.X)
			}
		}
		if !hit {
			return b
		}
		b.Min.X = b.Max.X - w
	}
	return corner
}

// draw draws the laid-out figure on c.
func (fg *figure) draw(c canvas) {
	for i, ch := range fg.charts {
		fg.drawChart(c, ch, &fg.frames[i])
	}
}

// fitted returns the style of s at size, or smaller if it would take more than width
// points.
func (fg *figure) fitted(s string, size, width float64) textStyle {
	if w := fg.m.width(s, size); w > width {
		size *= width / w
	}
	return textStyle{size: size}
}

func (fg *figure) drawChart(c canvas, ch *chart, f *frame) {
	a := f.area
	tick, lab, title := fg.m.metrics(tickSize), fg.m.metrics(labelSize), fg.m.metrics(titleSize)

	// Grid behind everything, at the major ticks.
	var grid []pt
	for _, v := range f.xt.major {
		x := f.at(v, 0).X
		grid = append(grid, pt{x, a.Min.Y}, pt{x, a.Max.Y})
	}
	for _, v := range f.yt.major {
		y := f.at(0, v).Y
		grid = append(grid, pt{a.Min.X, y}, pt{a.Max.X, y})
	}
	c.segments(grid, gridWidth, gridCol)

	for _, it := range ch.items {
		it.draw(c, f)
	}

	// Axes, ticks and their labels.
	xAxis, yAxis := a.Max.Y+axisPad, a.Min.X-axisPad
	axes := []pt{{a.Min.X, xAxis}, {a.Max.X, xAxis}, {yAxis, a.Min.Y}, {yAxis, a.Max.Y}}
	for _, v := range f.xt.major {
		x := f.at(v, 0).X
		axes = append(axes, pt{x, xAxis}, pt{x, xAxis + majorTick})
	}
	for _, v := range f.xt.minor {
		x := f.at(v, 0).X
		axes = append(axes, pt{x, xAxis}, pt{x, xAxis + minorTick})
	}
	for _, v := range f.yt.major {
		y := f.at(0, v).Y
		axes = append(axes, pt{yAxis, y}, pt{yAxis - majorTick, y})
	}
	for _, v := range f.yt.minor {
		y := f.at(0, v).Y
		axes = append(axes, pt{yAxis, y}, pt{yAxis - minorTick, y})
	}
	c.segments(axes, axisWidth, black)
	for i, v := range f.xt.major {
		c.text(pt{f.at(v, 0).X, xAxis + majorTick + textGap + tick.ascent}, f.xt.labels[i], textStyle{size: tickSize, anchor: anchorMiddle})
	}
	for i, v := range f.yt.major {
		// Centred on the tick: the baseline half the digits' height below it.
		c.text(pt{yAxis - majorTick - textGap, f.at(0, v).Y + tick.ascent*0.35}, f.yt.labels[i], textStyle{size: tickSize, anchor: anchorEnd})
	}

	// Axis labels and the title, made smaller when they would not fit.
	mid := (a.Min.X + a.Max.X) / 2
	if ch.xLabel != "" {
		st := fg.fitted(ch.xLabel, labelSize, 2*min(mid-outerPad, widthPt-outerPad-mid))
		st.anchor = anchorMiddle
		c.text(pt{mid, f.row.Max.Y - lab.descent}, ch.xLabel, st)
	}
	if ch.yLabel != "" {
		st := fg.fitted(ch.yLabel, labelSize, f.row.Max.Y-f.row.Min.Y)
		st.anchor, st.up = anchorMiddle, true
		c.text(pt{f.row.Min.X + lab.ascent, (a.Min.Y + a.Max.Y) / 2}, ch.yLabel, st)
	}
	if ch.title != "" {
		st := fg.fitted(ch.title, titleSize, widthPt-2*outerPad)
		st.anchor = anchorMiddle
		c.text(pt{widthPt / 2, f.row.Min.Y + title.ascent}, ch.title, st)
	}
	fg.drawLegend(c, ch, f)
}

// drawLegend writes each entry's name, right-aligned, then a sample of its line and
// marker.
func (fg *figure) drawLegend(c canvas, ch *chart, f *frame) {
	if len(ch.legend) == 0 {
		return
	}
	rowH, _ := fg.legendSize(ch)
	m := fg.m.metrics(legendSize)
	for i, e := range ch.legend {
		base := f.legend.Min.Y + float64(i)*rowH + (rowH-m.ascent-m.descent)/2 + m.ascent
		mid := base - m.ascent*0.35
		c.text(pt{f.legend.Max.X - swatchW - textGap, base}, e.name, textStyle{size: legendSize, anchor: anchorEnd})
		if e.line != nil {
			c.polyline([]pt{{f.legend.Max.X - swatchW, mid}, {f.legend.Max.X, mid}}, e.line.width, e.line.col)
		}
		if e.mark != nil {
			c.marks(e.mark.kind, []pt{{f.legend.Max.X - swatchW/2, mid}}, e.mark.radius, e.mark.col)
		}
	}
}
