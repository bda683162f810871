package plot

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
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

// size is the canvas size in points.
func size() (w, h vg.Length) {
	return vg.Length(WidthPx) * vg.Inch / DPI, vg.Length(HeightPx) * vg.Inch / DPI
}

// render draws the plots stacked top to bottom, their axes aligned, and writes the image.
func render(w io.Writer, f Format, plots ...*gplot.Plot) error {
	width, height := size()
	var c vg.CanvasWriterTo
	switch f {
	case PNG:
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(DPI))}
	case SVG:
		c = vgsvg.New(width, height)
	default:
		return fmt.Errorf("%w (got format %q)", ErrFormat, f)
	}
	dc := draw.New(c)
	rows := make([][]*gplot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*gplot.Plot{p}
	}
	pad := vg.Points(6)
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadTop: pad, PadBottom: pad, PadLeft: pad, PadRight: pad, PadY: 2 * pad}
	for i, cs := range gplot.Align(rows, tiles, dc) {
		plots[i].Draw(cs[0])
	}
	_, err := c.WriteTo(w)
	return err
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
