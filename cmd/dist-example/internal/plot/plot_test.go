package plot

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func intervalPoints(n int) []IntervalPoint {
	pts := make([]IntervalPoint, n)
	for i := range pts {
		pts[i] = IntervalPoint{
			At:         time.Duration(i+1) * time.Second,
			Received:   uint64(100 - i%7),
			Lost:       uint64(i % 7),
			Duplicated: uint64(i % 3),
			Reordered:  uint64(i % 5),
		}
	}
	return pts
}

func rttPoints(n int) []RTTPoint {
	pts := make([]RTTPoint, n)
	for i := range pts {
		pts[i] = RTTPoint{
			At:   time.Duration(i) * 10 * time.Millisecond,
			RTT:  time.Duration(80+(i*37)%41) * time.Millisecond,
			Lost: i%17 == 0,
		}
	}
	return pts
}

// drawFunc renders one chart into a file, as the command does.
type drawFunc func(path string) error

func charts() map[string]drawFunc {
	return map[string]drawFunc{
		"intervals":       func(p string) error { return Intervals(p, "intervals", intervalPoints(30)) },
		"intervals many":  func(p string) error { return Intervals(p, "many", intervalPoints(500)) },
		"intervals empty": func(p string) error { return Intervals(p, "empty", nil) },
		"intervals partial": func(p string) error {
			pts := intervalPoints(10)
			for i := range pts {
				pts[i].Span = time.Second
			}
			pts[9].Span, pts[9].Partial, pts[9].Lost = 50*time.Millisecond, true, 39
			return Intervals(p, "partial", pts)
		},
		"rtt": func(p string) error { return RTT(p, "rtt", rttPoints(300)) },
		"rtt all lost": func(p string) error {
			return RTT(p, "lost", []RTTPoint{{At: 0, Lost: true}, {At: time.Second, Lost: true}})
		},
		"rtt one value": func(p string) error {
			return RTT(p, "one", []RTTPoint{{RTT: time.Millisecond}, {At: 1, RTT: time.Millisecond}})
		},
		"rtt empty": func(p string) error { return RTT(p, "empty", nil) },
	}
}

func TestPNG(t *testing.T) {
	for name, draw := range charts() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chart.png")
			require.NoError(t, draw(path))
			f, err := os.Open(path)
			require.NoError(t, err)
			defer f.Close()
			img, err := png.Decode(f)
			require.NoError(t, err)
			assert.Equal(t, WidthPx, img.Bounds().Dx())
			assert.Equal(t, HeightPx, img.Bounds().Dy())
		})
	}
}

func TestSVG(t *testing.T) {
	for name, draw := range charts() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "chart.SVG") // the extension is case-insensitive
			require.NoError(t, draw(path))
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			var root struct {
				XMLName xml.Name
				Width   string `xml:"width,attr"`
				Height  string `xml:"height,attr"`
			}
			require.NoError(t, xml.Unmarshal(b, &root))
			assert.Equal(t, "svg", root.XMLName.Local)
			assert.Equal(t, "600pt", root.Width)
			assert.Equal(t, "450pt", root.Height)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range []Format{PNG, SVG} {
		t.Run(string(f), func(t *testing.T) {
			var a, b, c bytes.Buffer
			require.NoError(t, WriteRTT(&a, f, "x", rttPoints(200)))
			require.NoError(t, WriteRTT(&b, f, "x", rttPoints(200)))
			require.NoError(t, WriteRTT(&c, f, "x", rttPoints(201)))
			assert.Equal(t, a.Bytes(), b.Bytes(), "same input, same bytes")
			assert.NotEqual(t, a.Bytes(), c.Bytes(), "the picture depends on the data")
		})
	}
}

func TestFormatErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"jpeg", "run.jpg"},
		{"no extension", "run"},
		{"pdf", "run.pdf"},
		{"dot only", "run."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.path)
			err := Intervals(path, "x", intervalPoints(3))
			require.ErrorIs(t, err, ErrFormat)
			require.ErrorContains(t, err, `".png" or ".svg"`)
			require.ErrorContains(t, err, tt.path)
			_, statErr := os.Stat(path)
			assert.True(t, os.IsNotExist(statErr), "no file is created for a bad name")
		})
	}
	t.Run("unknown Format value", func(t *testing.T) {
		require.ErrorIs(t, WriteRTT(&bytes.Buffer{}, Format("gif"), "x", nil), ErrFormat)
	})
	t.Run("missing directory", func(t *testing.T) {
		err := RTT(filepath.Join(t.TempDir(), "no", "such", "dir.png"), "x", nil)
		require.ErrorContains(t, err, "no such file or directory")
	})
}

func BenchmarkRTTPNG(b *testing.B) {
	pts := rttPoints(10000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteRTT(&buf, PNG, "bench", pts); err != nil {
			b.Fatal(err)
		}
	}
}

// A partial last interval is drawn at its rate, apart from the lines: a clean run's
// lines stay level to the end. In the SVG, the hollow markers are the only circles
// drawn unfilled, and the lines' last points are the last whole interval's.
func TestPartialIntervalDrawnApart(t *testing.T) {
	pts := make([]IntervalPoint, 5)
	for i := range pts {
		pts[i] = IntervalPoint{At: time.Duration(i+1) * time.Second, Span: time.Second, Received: 100}
	}
	pts[4] = IntervalPoint{At: 4050 * time.Millisecond, Span: 50 * time.Millisecond, Partial: true, Received: 5, Lost: 39}
	var b bytes.Buffer
	require.NoError(t, WriteIntervals(&b, SVG, "clean", pts))
	svg := b.String()
	assert.Contains(t, svg, "hollow markers: a partial interval")
	assert.Contains(t, svg, "datagrams per second")
	assert.Contains(t, svg, "drawn at the top", "39 lost in 50ms is 780/s, above the axis")
	var full bytes.Buffer
	require.NoError(t, WriteIntervals(&full, SVG, "clean", pts[:4]))
	assert.NotContains(t, full.String(), "partial")
}
