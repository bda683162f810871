package plot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The font is parsed on the first chart drawn, not when the package is initialised: a
// process that draws nothing pays nothing for it.
func TestMain(m *testing.M) {
	if fontLoaded.Load() {
		fmt.Fprintln(os.Stderr, "plot: the font was parsed at package init")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi   float64
		max      int
		labels   string
		minorLen int
	}{
		{0, 125, 7, "0 20 40 60 80 100 120", 6}, // minor ticks at 10, 30, ..., 110
		{5, 20, 6, "5 10 15 20", 12},            // at 1s
		{0, 20, 6, "0 5 10 15 20", 16},          //
		{0, 1, 6, "0.0 0.2 0.4 0.6 0.8 1.0", 5}, // a step of 0.2: one decimal
		{0, 0.3, 7, "0.00 0.05 0.10 0.15 0.20 0.25 0.30", 24},
		{-3, 3, 4, "-2 0 2", 4},         // "0", not "-0"
		{1.3, 1.9, 3, "1.4 1.6 1.8", 4}, // inside the range only
		{0, 360000, 7, "0 100000 200000 300000", 15},
		{0, 1, 1, "0 1", 4}, // at least two
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.lo, tt.hi, tt.max), func(t *testing.T) {
			tk := niceTicks(tt.lo, tt.hi, tt.max)
			assert.Equal(t, tt.labels, strings.Join(tk.labels, " "))
			assert.Len(t, tk.minor, tt.minorLen)
			assert.LessOrEqual(t, len(tk.major), max(2, tt.max))
			for _, v := range append(tk.major, tk.minor...) {
				assert.True(t, v >= tt.lo-1e-9 && v <= tt.hi+1e-9, "tick %v outside [%v, %v]", v, tt.lo, tt.hi)
			}
		})
	}
}

func TestWidened(t *testing.T) {
	assert.Equal(t, rng{0, 1, true}, rng{}.widened(), "nothing: 0 to 1")
	assert.Equal(t, rng{0.5, 1.5, true}, rng{1, 1, true}.widened(), "one value: opened around it")
	assert.Equal(t, rng{0, 0.5, true}, rng{0, 0, true}.widened(), "not below 0 if it was not")
	assert.Equal(t, rng{0, 0.5 + 1e-12, true}, rng{0, 1e-12, true}.widened(), "too thin to divide")
	assert.Equal(t, rng{-10.5, -9.5, true}, rng{-10, -10, true}.widened())
	assert.Equal(t, rng{95, 105, true}, rng{100, 100, true}.widened())
	assert.Equal(t, rng{2, 3, true}, rng{2, 3, true}.widened(), "an interval stays")
}

// decodePNG renders charts to PNG and decodes the picture, with the figure's layout.
func drawPNG(t *testing.T, charts ...*chart) (image.Image, *figure) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, render(&b, PNG, charts...))
	img, err := png.Decode(&b)
	require.NoError(t, err)
	fg, err := layout(charts...)
	require.NoError(t, err)
	return img, fg
}

// pixel is the colour of the PNG's pixel under canvas position p.
func pixel(img image.Image, p pt) color.RGBA {
	r, g, b, a := img.At(int(math.Floor(p.X*pxPerPt)), int(math.Floor(p.Y*pxPerPt))).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
}

// near reports whether c is within tol of want in every channel.
func near(c, want color.RGBA, tol int) bool {
	d := func(a, b uint8) bool { return math.Abs(float64(a)-float64(b)) <= float64(tol) }
	return d(c.R, want.R) && d(c.G, want.G) && d(c.B, want.B)
}

// The lines are drawn at their data: a run that received 100/s and lost 10/s has a green
// line at 100 and a red one at 10, between the points as well as at them, and white
// elsewhere.
func TestLinesDrawnAtTheirData(t *testing.T) {
	pts := make([]IntervalPoint, 10)
	for i := range pts {
		pts[i] = IntervalPoint{At: time.Duration(i+1) * time.Second, Span: time.Second, Received: 100, Lost: 10, Duplicated: 30}
	}
	img, fg := drawPNG(t, intervalsChart("lines", pts))
	f := &fg.frames[0]
	assert.Equal(t, rng{1, 10, true}, f.x)
	assert.Equal(t, rng{0, 125, true}, f.y, "the y axis fits the data and the legend's room")
	assert.Equal(t, pt{f.area.Min.X, f.area.Max.Y}, f.at(1, 0), "the data area's bottom left corner")
	assert.Equal(t, pt{f.area.Max.X, f.area.Min.Y}, f.at(10, 125), "its top right corner")
	assert.InDelta(t, (f.area.Min.Y+f.area.Max.Y)/2, f.at(5, 62.5).Y, 1e-9)
	assert.Greater(t, f.area.Max.X-f.area.Min.X, 500.0, "most of the canvas's 600 points across")
	assert.Greater(t, f.area.Max.Y-f.area.Min.Y, 350.0, "and of its 450 up")
	axis := pixel(img, pt{(f.area.Min.X + f.area.Max.X) / 2, f.area.Max.Y + axisPad})
	assert.True(t, near(axis, black, 100), "the x axis below the data area: %v", axis)
	for _, x := range []float64{2, 3.5, 5.25, 7.7} {
		assert.True(t, near(pixel(img, f.at(x, 100)), colReceived, 40), "received at %vs: %v", x, pixel(img, f.at(x, 100)))
		assert.True(t, near(pixel(img, f.at(x, 10)), colLost, 40), "lost at %vs: %v", x, pixel(img, f.at(x, 10)))
		assert.True(t, near(pixel(img, f.at(x, 30)), colDuplicated, 40), "duplicated at %vs: %v", x, pixel(img, f.at(x, 30)))
		for _, y := range []float64{55, 70, 90} {
			c := pixel(img, f.at(x, y))
			assert.True(t, c.R > 0xc0 && c.G > 0xc0 && c.B > 0xc0, "nothing drawn at (%v, %v): %v", x, y, c)
		}
	}
	// Each point has its marker: wider than the line.
	p := f.at(4, 100)
	assert.True(t, near(pixel(img, pt{p.X, p.Y - 1.5}), colReceived, 60), "marker above the line's centre")
	q := f.at(4.5, 100)
	c := pixel(img, pt{q.X, q.Y - 1.5})
	assert.False(t, near(c, colReceived, 60), "between markers the line is thinner: %v", c)
}

// A partial interval's rate above the scale is drawn at the top edge, at the right: the
// legend moves left off it instead of covering it.
func TestLegendKeepsOffMarkers(t *testing.T) {
	pts := make([]IntervalPoint, 5)
	for i := range pts {
		pts[i] = IntervalPoint{At: time.Duration(i+1) * time.Second, Span: time.Second, Received: 100}
	}
	clean := intervalsChart("clean", pts[:4])
	pts[4] = IntervalPoint{At: 4050 * time.Millisecond, Span: 50 * time.Millisecond, Partial: true, Received: 5, Lost: 39}
	cut := intervalsChart("cut", pts)

	img, fg := drawPNG(t, clean)
	f := &fg.frames[0]
	assert.Equal(t, f.area.Max.X, f.legend.Max.X, "nothing in the way: the legend is in the top right corner")
	assert.Equal(t, f.area.Min.Y, f.legend.Min.Y)
	assert.Greater(t, f.legend.Max.Y-f.legend.Min.Y, 30.0, "four rows")

	img, fg = drawPNG(t, cut)
	f = &fg.frames[0]
	var rings []*marks
	for _, it := range cut.items {
		if m, ok := it.(*marks); ok && m.kind == ring {
			rings = append(rings, m)
		}
	}
	require.Len(t, rings, 4, "a hollow marker per count")
	lost := rings[1]
	assert.Equal(t, colLost, lost.col)
	assert.Equal(t, xy{4.05, 125}, lost.pts[0], "780/s lost, drawn at the top")
	for _, m := range rings {
		for _, b := range m.boxes(f) {
			assert.False(t, b.overlaps(f.legend), "legend %v over a marker at %v", f.legend, b)
		}
	}
	assert.Less(t, f.legend.Max.X, f.area.Max.X-partialRadius, "moved left")
	assert.Equal(t, f.area.Min.Y, f.legend.Min.Y, "still at the top")
	// The ring is there to see: its top and bottom are red, its centre is not.
	c := f.at(4.05, 125)
	assert.True(t, near(pixel(img, pt{c.X, c.Y - partialRadius}), colLost, 70), "ring top: %v", pixel(img, pt{c.X, c.Y - partialRadius}))
	assert.True(t, near(pixel(img, pt{c.X, c.Y + partialRadius}), colLost, 70), "ring bottom: %v", pixel(img, pt{c.X, c.Y + partialRadius}))
	assert.False(t, near(pixel(img, c), colLost, 70), "hollow")
}

func TestHistogram(t *testing.T) {
	b := histogram([]float64{1, 2, 2, 3, 4, 5}, 4)
	assert.Equal(t, []float64{1, 2, 3, 4, 5}, b.edges)
	assert.Equal(t, []float64{1, 2, 1, 2}, b.heights, "the greatest value in the last bin")
	one := histogram([]float64{7, 7}, 3)
	assert.Equal(t, []float64{6.5, 7.5}, one.edges, "all equal: one bin a unit wide")
	assert.Equal(t, []float64{2}, one.heights)
}

// The RTT chart: replies where their RTT is, lost probes as crosses on the time axis,
// the histogram's bars filled to their count, in two charts whose y axes line up.
func TestRTTDrawn(t *testing.T) {
	var pts []RTTPoint
	for i := range 100 {
		pts = append(pts, RTTPoint{At: time.Duration(i) * 100 * time.Millisecond, RTT: 50 * time.Millisecond, Lost: i%10 == 5})
	}
	over, hist := rttCharts("rtt", pts)
	img, fg := drawPNG(t, over, hist)
	fo, fh := &fg.frames[0], &fg.frames[1]
	assert.Equal(t, fo.area.Min.X, fh.area.Min.X, "y axes aligned")
	assert.Less(t, fo.area.Max.Y, fh.area.Min.Y, "the histogram below")
	assert.Equal(t, "rtt: 100 probes, 90 replies, 10 lost", over.title)
	assert.True(t, near(pixel(img, fo.at(2.0, 50)), colReordered, 60), "a reply at 2s, 50ms")
	assert.True(t, near(pixel(img, fo.at(0.5, 0)), colLost, 90), "a lost probe at 0.5s: %v", pixel(img, fo.at(0.5, 0)))
	assert.Equal(t, rng{49.5, 50.5, true}, fh.x, "one RTT: one bin a millisecond wide")
	assert.Equal(t, rng{0, 100, true}, fh.y, "90 replies in the bin, and room above it")
	assert.True(t, near(pixel(img, fh.at(50, 45)), colReordered, 10), "inside the bar")
	assert.True(t, near(pixel(img, fh.at(50.2, 80)), colReordered, 10), "inside the bar")
}

func TestSweepCharts(t *testing.T) {
	panels := []SweepPanel{
		{YLabel: "%", Series: []SweepSeries{{Name: "lost", Points: []SweepPoint{{0, 0, 0, 0}, {10, 10, 8, 12}, {20, 20, 17, 23}}}, {Name: "none"}}},
		{YLabel: "ms", Series: []SweepSeries{{Name: "p50", Points: []SweepPoint{{0, 5, 4, 6}, {20, 6, 5, 7}}}}},
	}
	charts := sweepCharts("sweep", "X", panels, nil)
	require.Len(t, charts, 2)
	assert.Len(t, charts[0].legend, 1, "a series without points has no legend entry")
	img, fg := drawPNG(t, charts...)
	f := &fg.frames[0]
	assert.Equal(t, rng{0, 23 * 1.25, true}, f.y, "the axis fits the intervals' tops, and the legend's room")
	assert.True(t, near(pixel(img, f.at(15, 15)), colLost, 40), "the line between the means")
	assert.True(t, near(pixel(img, f.at(20, 22)), colLost, 40), "the error bar above the mean")
	c := f.at(20, 23)
	assert.True(t, near(pixel(img, pt{c.X - 2.5, c.Y}), colLost, 60), "its cap")
	assert.True(t, near(pixel(img, fg.frames[1].at(10, 5.5)), colLost, 40), "the second panel's first colour")
}

// Text in the SVG is <text>, escaped; the PNG has it as pixels (the rotated y label too).
func TestText(t *testing.T) {
	title := `a <b> & "c"`
	var b bytes.Buffer
	require.NoError(t, WriteIntervals(&b, SVG, title, intervalPoints(5)))
	var doc struct {
		Text []struct {
			Transform string `xml:"transform,attr"`
			Body      string `xml:",chardata"`
		} `xml:"text"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	var texts []string
	var rotated []string
	for _, x := range doc.Text {
		texts = append(texts, x.Body)
		if strings.HasPrefix(x.Transform, "rotate(-90") {
			rotated = append(rotated, x.Body)
		}
	}
	assert.Contains(t, texts, title)
	assert.Contains(t, texts, "time (s)")
	assert.Contains(t, texts, "received")
	assert.Equal(t, []string{"datagrams per interval"}, rotated, "the points have no Span")

	img, fg := drawPNG(t, intervalsChart(title, intervalPoints(5)))
	f := &fg.frames[0]
	dark := func(x0, y0, x1, y1 float64) (n int) {
		for y := y0; y < y1; y += 0.75 {
			for x := x0; x < x1; x += 0.75 {
				if c := pixel(img, pt{x, y}); c.R < 0x80 && c.G < 0x80 && c.B < 0x80 {
					n++
				}
			}
		}
		return n
	}
	mid := (f.area.Min.Y + f.area.Max.Y) / 2
	assert.Greater(t, dark(outerPad, mid-40, outerPad+14, mid+40), 50, "the y label, turned, left of the axis")
	assert.Greater(t, dark(widthPt/2-20, 0, widthPt/2+20, f.area.Min.Y), 50, "the title above the chart")
	assert.Zero(t, dark(f.area.Min.X+20, mid-40, f.area.Min.X+60, mid-20), "no text in the data area")
}

// Where the legend is taller than the room legendRoom leaves (three entries in a
// half-height panel), the axis reaches higher, so that the data stays below the legend.
func TestLegendAboveTheData(t *testing.T) {
	three := []SweepSeries{
		{Name: "lost", Points: []SweepPoint{{0, 20, 18, 22}, {10, 20, 18, 22}}},
		{Name: "duplicated", Points: []SweepPoint{{0, 1, 0, 2}, {10, 1, 0, 2}}},
		{Name: "reordered", Points: []SweepPoint{{0, 5, 4, 6}, {10, 5, 4, 6}}},
	}
	charts := sweepCharts("sweep", "X", []SweepPanel{{YLabel: "%", Series: three}, {YLabel: "ms", Series: three}}, nil)
	_, fg := drawPNG(t, charts...)
	for i := range fg.frames {
		f := &fg.frames[i]
		assert.Greater(t, f.y.hi, legendRoom(22), "panel %d: raised", i)
		assert.LessOrEqual(t, f.legend.Max.Y, f.at(10, 22).Y, "panel %d: the legend above the highest error bar", i)
		assert.Equal(t, f.area.Max.X, f.legend.Max.X, "panel %d: in the corner", i)
	}
	// A full-height chart's legend fits in legendRoom's room: the axis stays.
	_, fg = drawPNG(t, sweepCharts("sweep", "X", []SweepPanel{{YLabel: "%", Series: three}}, nil)...)
	assert.Equal(t, legendRoom(22), fg.frames[0].y.hi)
}

// Values no axis can hold (NaN, infinities, 1e308) are left out, and the rest is drawn:
// no panic, no endless tick search, no NaN in the SVG.
func TestUndrawableValues(t *testing.T) {
	inf := math.Inf(1)
	panels := []SweepPanel{{YLabel: "%", Series: []SweepSeries{
		{Name: "odd", Points: []SweepPoint{{0, 1, 0, 2}, {math.NaN(), 1, 1, 1}, {1, inf, 0, inf}, {2, 3, -inf, 1e308}, {3, 1e299, 1e299, 1e299}}},
		{Name: "nan", Points: []SweepPoint{{math.NaN(), math.NaN(), math.NaN(), math.NaN()}}},
	}}}
	for _, f := range []Format{PNG, SVG} {
		var b bytes.Buffer
		require.NoError(t, WriteSweep(&b, f, "odd", "X", panels), f)
		assert.NotContains(t, b.String(), "NaN")
		assert.NotContains(t, b.String(), "Inf")
	}
	charts := sweepCharts("odd", "X", panels, nil)
	fg, err := layout(charts...)
	require.NoError(t, err)
	assert.Equal(t, rng{0, 3, true}, fg.frames[0].x)
	assert.Equal(t, rng{0, 1e299 * 1.25, true}, fg.frames[0].y)
	assert.Equal(t, "0 2e+298 4e+298 6e+298 8e+298 1e+299 1.2e+299", strings.Join(fg.frames[0].yt.labels, " "))

	var b bytes.Buffer
	require.NoError(t, WriteRTT(&b, PNG, "long", []RTTPoint{{At: math.MaxInt64, RTT: math.MaxInt64}, {At: math.MinInt64, RTT: 1}}))
}

// With categories, x is categorical: one tick per category, named, the points at their
// index with half a category of room on each side, and no line joining unrelated ones.
// Too many names to fit are thinned out, the first kept.
func TestSweepCategories(t *testing.T) {
	series := []SweepSeries{{Name: "lost", Points: []SweepPoint{{0, 2, 1, 3}, {1, 5, 4, 6}, {2, 1, 0, 2}}}}
	charts := sweepCharts("sweep", "profile", []SweepPanel{{YLabel: "%", Series: series}}, []string{"normal", "pareto", "paretonormal"})
	for _, it := range charts[0].items {
		_, isLine := it.(*line)
		assert.False(t, isLine, "no line between categories")
	}
	_, fg := drawPNG(t, charts...)
	f := &fg.frames[0]
	assert.Equal(t, []string{"normal", "pareto", "paretonormal"}, f.xt.labels)
	assert.Equal(t, []float64{0, 1, 2}, f.xt.major)
	assert.Equal(t, rng{-0.5, 2.5, true}, f.x)

	many := make([]string, 200)
	for i := range many {
		many[i] = fmt.Sprintf("profile %d", i)
	}
	fg2, err := layout(sweepCharts("sweep", "profile", []SweepPanel{{YLabel: "%", Series: series}}, many)...)
	require.NoError(t, err)
	xt := fg2.frames[0].xt
	require.NotEmpty(t, xt.labels)
	assert.Less(t, len(xt.labels), 20, "thinned out to what fits")
	assert.Equal(t, "profile 0", xt.labels[0])
}

// The RTT histogram's axis reaches above its tallest bar, to a round value (it used to
// end at the bar, which looked clipped).
func TestHistogramHeadroom(t *testing.T) {
	for _, tc := range []struct{ v, want float64 }{{1700, 2000}, {1785, 2000}, {200, 200}, {210, 250}, {7, 8}, {0.3, 0.3}, {0, 1}} {
		assert.InDelta(t, tc.want, roundUp(tc.v), 1e-9, "roundUp(%v)", tc.v)
	}
	pts := make([]RTTPoint, 3000)
	for i := range pts {
		pts[i] = RTTPoint{At: time.Duration(i) * time.Millisecond, RTT: time.Duration(100+i%7) * time.Millisecond}
	}
	over, hist := rttCharts("t", pts)
	_, fg := drawPNG(t, over, hist)
	f := &fg.frames[1]
	tallest := 0.0
	for _, it := range hist.items {
		if b, ok := it.(*bars); ok {
			for _, h := range b.heights {
				tallest = max(tallest, h)
			}
		}
	}
	require.Positive(t, tallest)
	assert.GreaterOrEqual(t, f.y.hi, tallest*1.05, "room above the tallest bar")
	assert.Equal(t, roundUp(tallest*1.05), f.y.hi, "a round top")
}
