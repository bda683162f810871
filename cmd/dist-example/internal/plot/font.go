package plot

import (
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// The text is set in Go Regular (golang.org/x/image/font/gofont), a sans-serif font
// embedded in the binary as bytes. It is parsed on the first chart drawn, never at
// package init: a process that draws nothing (sim without -plot) pays nothing for it.
var (
	fontOnce   sync.Once
	fontParsed *opentype.Font
	fontErr    error
	fontLoaded atomic.Bool // for the test that nothing is parsed at init
)

func goFont() (*opentype.Font, error) {
	fontOnce.Do(func() {
		fontParsed, fontErr = opentype.Parse(goregular.TTF)
		if fontErr != nil {
			fontErr = fmt.Errorf("parsing the Go Regular font: %w", fontErr)
		}
		fontLoaded.Store(true)
	})
	return fontParsed, fontErr
}

// faces makes and keeps font faces of one font at one resolution, by size in points. A
// face is not safe for concurrent use: each drawing has its own faces.
type faces struct {
	f   *opentype.Font
	dpi float64
	by  map[float64]font.Face
}

func newFaces(dpi float64) (*faces, error) {
	f, err := goFont()
	if err != nil {
		return nil, err
	}
	return &faces{f: f, dpi: dpi, by: map[float64]font.Face{}}, nil
}

func (fs *faces) face(size float64) font.Face {
	if fc, ok := fs.by[size]; ok {
		return fc
	}
	// Unhinted, so that widths scale with the size and the resolution alike: the layout
	// measured at 72 dpi (points) holds at 96 dpi (pixels).
	fc, err := opentype.NewFace(fs.f, &opentype.FaceOptions{Size: size, DPI: fs.dpi, Hinting: font.HintingNone})
	if err != nil {
		// NewFace fails only for a size or resolution that is not positive.
		panic(fmt.Sprintf("plot: font face at %vpt, %v dpi: %v", size, fs.dpi, err))
	}
	fs.by[size] = fc
	return fc
}

// metrics are a face's vertical measures and a string's width, in the faces' units
// (points at 72 dpi, pixels at 96).
type metrics struct{ ascent, descent, height float64 }

func (fs *faces) metrics(size float64) metrics {
	m := fs.face(size).Metrics()
	return metrics{ascent: i26(m.Ascent), descent: i26(m.Descent), height: i26(m.Height)}
}

func (fs *faces) width(s string, size float64) float64 {
	return i26(font.MeasureString(fs.face(size), s))
}
