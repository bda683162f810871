package plot

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
)

// svgCanvas writes SVG by hand: 600x450 pt with a viewBox in points, so a user unit is a
// point; lines, circles and rectangles as elements, text as <text> in the viewer's sans-
// serif font (Go's own first, the one the layout measured with, then Arial and its
// metric twins, within 2% of Go's widths), each text stretched or squeezed to the width it
// has in Go's (textLength) so that it takes the place the layout gave it whatever font the
// viewer has.
type svgCanvas struct {
	b     bytes.Buffer
	fonts *faces // at 72 dpi: measures in points
}

func newSVGCanvas() (*svgCanvas, error) {
	fs, err := newFaces(72)
	if err != nil {
		return nil, err
	}
	c := &svgCanvas{fonts: fs}
	fmt.Fprintf(&c.b, `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%dpt" height="%dpt" viewBox="0 0 %d %d" font-family="Go, Arial, 'Liberation Sans', Helvetica, sans-serif">
<rect width="%d" height="%d" fill="#ffffff"/>
`, widthPt, heightPt, widthPt, heightPt, widthPt, heightPt)
	return c, nil
}

func (c *svgCanvas) writeTo(w io.Writer) error {
	c.b.WriteString("</svg>\n")
	_, err := w.Write(c.b.Bytes())
	return err
}

// num writes v rounded to hundredths of a point, without trailing zeros.
func (c *svgCanvas) num(v float64) {
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0"
	}
	c.b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
}

func hex(col color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", col.R, col.G, col.B) }

func (c *svgCanvas) stroke(width float64, col color.RGBA) {
	c.b.WriteString(` fill="none" stroke="` + hex(col) + `" stroke-width="`)
	c.num(width)
	c.b.WriteString(`"`)
}

func (c *svgCanvas) polyline(p []pt, width float64, col color.RGBA) {
	if len(p) == 0 {
		return
	}
	c.b.WriteString(`<polyline`)
	c.stroke(width, col)
	c.b.WriteString(` stroke-linejoin="round" stroke-linecap="round" points="`)
	for i, q := range p {
		if i > 0 {
			c.b.WriteByte(' ')
		}
		c.num(q.X)
		c.b.WriteByte(',')
		c.num(q.Y)
	}
	c.b.WriteString("\"/>\n")
}

// path writes the segments p[0]-p[1], p[2]-p[3], ... as one path's d attribute.
func (c *svgCanvas) path(p []pt) {
	c.b.WriteString(` d="`)
	for i := 0; i+1 < len(p); i += 2 {
		if i > 0 {
			c.b.WriteByte(' ')
		}
		c.b.WriteByte('M')
		c.num(p[i].X)
		c.b.WriteByte(' ')
		c.num(p[i].Y)
		c.b.WriteByte('L')
		c.num(p[i+1].X)
		c.b.WriteByte(' ')
		c.num(p[i+1].Y)
	}
	c.b.WriteString(`"`)
}

func (c *svgCanvas) segments(p []pt, width float64, col color.RGBA) {
	if len(p) < 2 {
		return
	}
	c.b.WriteString(`<path`)
	c.stroke(width, col)
	c.path(p)
	c.b.WriteString("/>\n")
}

func (c *svgCanvas) rects(bs []box, col color.RGBA) {
	if len(bs) == 0 {
		return
	}
	// One path, so that anti-aliasing leaves no seam between boxes that touch.
	c.b.WriteString(`<path fill="` + hex(col) + `" d="`)
	for i, b := range bs {
		if i > 0 {
			c.b.WriteByte(' ')
		}
		c.b.WriteByte('M')
		c.num(b.Min.X)
		c.b.WriteByte(' ')
		c.num(b.Min.Y)
		c.b.WriteByte('H')
		c.num(b.Max.X)
		c.b.WriteByte('V')
		c.num(b.Max.Y)
		c.b.WriteByte('H')
		c.num(b.Min.X)
		c.b.WriteByte('Z')
	}
	c.b.WriteString("\"/>\n")
}

func (c *svgCanvas) marks(kind markKind, at []pt, r float64, col color.RGBA) {
	if len(at) == 0 {
		return
	}
	if kind == cross {
		d := r / math.Sqrt2
		p := make([]pt, 0, 4*len(at))
		for _, q := range at {
			p = append(p, pt{q.X - d, q.Y - d}, pt{q.X + d, q.Y + d}, pt{q.X - d, q.Y + d}, pt{q.X + d, q.Y - d})
		}
		c.segments(p, markStroke, col)
		return
	}
	c.b.WriteString(`<g`)
	if kind == ring {
		c.stroke(markStroke, col)
	} else {
		c.b.WriteString(` fill="` + hex(col) + `"`)
	}
	c.b.WriteString(">\n")
	for _, q := range at {
		c.b.WriteString(`<circle cx="`)
		c.num(q.X)
		c.b.WriteString(`" cy="`)
		c.num(q.Y)
		c.b.WriteString(`" r="`)
		c.num(r)
		c.b.WriteString("\"/>\n")
	}
	c.b.WriteString("</g>\n")
}

func (c *svgCanvas) text(at pt, s string, st textStyle) {
	c.b.WriteString(`<text x="`)
	c.num(at.X)
	c.b.WriteString(`" y="`)
	c.num(at.Y)
	c.b.WriteString(`" font-size="`)
	c.num(st.size)
	c.b.WriteString(`"`)
	switch st.anchor {
	case anchorMiddle:
		c.b.WriteString(` text-anchor="middle"`)
	case anchorEnd:
		c.b.WriteString(` text-anchor="end"`)
	}
	if st.up {
		c.b.WriteString(` transform="rotate(-90 `)
		c.num(at.X)
		c.b.WriteByte(' ')
		c.num(at.Y)
		c.b.WriteString(`)"`)
	}
	if w := c.fonts.width(s, st.size); w > 0 {
		c.b.WriteString(` textLength="`)
		c.num(w)
		c.b.WriteString(`" lengthAdjust="spacingAndGlyphs"`)
	}
	c.b.WriteByte('>')
	escape(&c.b, s)
	c.b.WriteString("</text>\n")
}

// escape writes s as XML character data: the markup characters as entities, and
// characters XML cannot carry (controls, invalid UTF-8) as U+FFFD.
func escape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0xfffe || r == 0xffff || (r >= 0xd800 && r < 0xe000):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r) // a RuneError from invalid UTF-8 is written as U+FFFD
		}
	}
}
