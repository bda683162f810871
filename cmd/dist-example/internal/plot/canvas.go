package plot

import (
	"bufio"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/image/math/fixed"
)

// Format is an image format.
type Format string

// The accepted formats.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// Image size: WidthPx x HeightPx pixels in PNG; in SVG the same size in points at DPI
// (600x450 pt), which browsers show at the same 800x600 CSS pixels.
const (
	WidthPx  = 800
	HeightPx = 600
	DPI      = 96
)

// The canvas's size in points, the unit everything is laid out in; pxPerPt converts to
// the PNG's pixels.
const (
	widthPt  = WidthPx * 72 / DPI
	heightPt = HeightPx * 72 / DPI
	pxPerPt  = DPI / 72.0
)

// ErrFormat is returned for a file name whose extension is not an accepted format.
var ErrFormat = errors.New(`plot: unknown image format; want a file name ending in ".png" or ".svg"`)

// FormatOf returns the format named by path's extension (case-insensitive).
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return PNG, nil
	case ".svg":
		return SVG, nil
	}
	return "", fmt.Errorf("%w (got %q)", ErrFormat, path)
}

// pt is a position on the canvas, in points from its top left corner (y grows down).
type pt struct{ X, Y float64 }

// box is a rectangle on the canvas.
type box struct{ Min, Max pt }

func (b box) overlaps(o box) bool {
	return b.Min.X < o.Max.X && o.Min.X < b.Max.X && b.Min.Y < o.Max.Y && o.Min.Y < b.Max.Y
}

// markKind is the shape of a marker.
type markKind uint8

const (
	dot   markKind = iota // a filled disc
	ring                  // a hollow circle
	cross                 // an x
)

// markStroke is the line width of rings and crosses, in points.
const markStroke = 1

// anchor is which point of a text its position gives: its start, middle or end.
type anchor uint8

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

// textStyle is how a text is set. Text is black.
type textStyle struct {
	size   float64 // in points
	anchor anchor
	up     bool // turned a quarter anticlockwise: reads bottom to top
}

// canvas is what a chart is drawn on: one implementation per format, all positions and
// sizes in points. Text is placed by a point on its baseline.
type canvas interface {
	// polyline strokes the joined line through p, width points wide, with round joins.
	polyline(p []pt, width float64, c color.RGBA)
	// segments strokes the segments p[0]-p[1], p[2]-p[3], ..., with butt ends.
	segments(p []pt, width float64, c color.RGBA)
	// rects fills the boxes (as one shape: no seam where two meet).
	rects(bs []box, c color.RGBA)
	// marks draws a marker of kind, radius points, centred at each of at.
	marks(kind markKind, at []pt, radius float64, c color.RGBA)
	text(at pt, s string, st textStyle)
	writeTo(w io.Writer) error
}

// newCanvas returns an empty white canvas for f.
func newCanvas(f Format) (canvas, error) {
	switch f {
	case PNG:
		return newPNGCanvas()
	case SVG:
		return newSVGCanvas()
	}
	return nil, fmt.Errorf("%w (got format %q)", ErrFormat, f)
}

// render lays out charts stacked top to bottom, their axes aligned, draws them and
// writes the image.
func render(w io.Writer, f Format, charts ...*chart) error {
	c, err := newCanvas(f)
	if err != nil {
		return err
	}
	fg, err := layout(charts...)
	if err != nil {
		return err
	}
	fg.draw(c)
	return c.writeTo(w)
}

// writeFile renders into path through a buffered writer, reporting a failed close too,
// since a full disk often shows only there.
func writeFile(path string, draw func(io.Writer, Format) error) (err error) {
	f, err := FormatOf(path)
	if err != nil {
		return err
	}
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	defer func() {
		if cerr := file.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("plot: %w", cerr)
		}
	}()
	bw := bufio.NewWriter(file)
	if err := draw(bw, f); err != nil {
		return fmt.Errorf("plot: %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

func i26(v fixed.Int26_6) float64 { return float64(v) / 64 }

func f26(v float64) fixed.Int26_6 { return fixed.Int26_6(math.Round(v * 64)) }
