package plot

import (
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/vector"
)

// pngCanvas rasterises onto an 800x600 RGBA image with golang.org/x/image/vector: every
// shape is a set of polygons of one orientation, filled antialiased in one pass, so
// overlapping parts (a line's joins, a crowd of markers) cover once.
type pngCanvas struct {
	img   *image.RGBA
	ras   vector.Rasterizer
	fonts *faces // at DPI: sizes in pixels
}

func newPNGCanvas() (*pngCanvas, error) {
	fs, err := newFaces(DPI)
	if err != nil {
		return nil, err
	}
	img := image.NewRGBA(image.Rect(0, 0, WidthPx, HeightPx))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return &pngCanvas{img: img, fonts: fs}, nil
}

func (c *pngCanvas) writeTo(w io.Writer) error { return png.Encode(w, c.img) }

// shape is polygons in pixels, all wound the same way (see add).
type shape struct{ polys [][]pt }

// add appends the polygon p (in points), scaled to pixels and turned to wind the way all
// the others do: the rasteriser adds up signed coverage, so a polygon wound the other way
// would cut a hole where it overlaps another.
func (s *shape) add(p ...pt) {
	q := make([]pt, len(p))
	area := 0.0
	for i := range p {
		q[i] = pt{p[i].X * pxPerPt, p[i].Y * pxPerPt}
		j := (i + 1) % len(p)
		area += p[i].X*p[j].Y - p[j].X*p[i].Y
	}
	if area < 0 {
		for i, j := 0, len(q)-1; i < j; i, j = i+1, j-1 {
			q[i], q[j] = q[j], q[i]
		}
	}
	s.polys = append(s.polys, q)
}

// bar adds the segment a-b as a rectangle w points wide (nothing for a zero length).
func (s *shape) bar(a, b pt, w float64) {
	dx, dy := b.X-a.X, b.Y-a.Y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	s.add(pt{a.X + nx, a.Y + ny}, pt{b.X + nx, b.Y + ny}, pt{b.X - nx, b.Y - ny}, pt{a.X - nx, a.Y - ny})
}

// circleSteps is how many sides approximate a circle of radius r points: sides of about
// a pixel and a half, at least 12.
func circleSteps(r float64) int {
	return min(96, max(12, int(math.Ceil(2*math.Pi*r*pxPerPt/1.5))))
}

// disc adds a filled circle.
func (s *shape) disc(c pt, r float64) {
	n := circleSteps(r)
	p := make([]pt, n)
	for i := range p {
		sin, cos := math.Sincos(2 * math.Pi * float64(i) / float64(n))
		p[i] = pt{c.X + r*cos, c.Y + r*sin}
	}
	s.add(p...)
}

// annulus adds a circle of radius r stroked w wide, as quadrilaterals that tile it.
func (s *shape) annulus(c pt, r, w float64) {
	n := circleSteps(r)
	ro, ri := r+w/2, max(0, r-w/2)
	for i := range n {
		s0, c0 := math.Sincos(2 * math.Pi * float64(i) / float64(n))
		s1, c1 := math.Sincos(2 * math.Pi * float64(i+1) / float64(n))
		s.add(pt{c.X + ro*c0, c.Y + ro*s0}, pt{c.X + ro*c1, c.Y + ro*s1}, pt{c.X + ri*c1, c.Y + ri*s1}, pt{c.X + ri*c0, c.Y + ri*s0})
	}
}

// fill rasterises the shape in colour col, over what is drawn already.
func (c *pngCanvas) fill(s *shape, col color.RGBA) {
	if len(s.polys) == 0 {
		return
	}
	lo, hi := pt{math.Inf(1), math.Inf(1)}, pt{math.Inf(-1), math.Inf(-1)}
	for _, p := range s.polys {
		for _, q := range p {
			lo = pt{min(lo.X, q.X), min(lo.Y, q.Y)}
			hi = pt{max(hi.X, q.X), max(hi.Y, q.Y)}
		}
	}
	// Only the shape's bounding box is rasterised: a marker costs its few pixels, not the
	// whole image.
	r := image.Rect(int(math.Floor(lo.X)), int(math.Floor(lo.Y)), int(math.Ceil(hi.X))+1, int(math.Ceil(hi.Y))+1).Intersect(c.img.Bounds())
	if r.Empty() {
		return
	}
	c.ras.Reset(r.Dx(), r.Dy())
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	for _, p := range s.polys {
		c.ras.MoveTo(float32(p[0].X-ox), float32(p[0].Y-oy))
		for _, q := range p[1:] {
			c.ras.LineTo(float32(q.X-ox), float32(q.Y-oy))
		}
		c.ras.ClosePath()
	}
	c.ras.Draw(c.img, r, image.NewUniform(col), image.Point{})
}

func (c *pngCanvas) polyline(p []pt, width float64, col color.RGBA) {
	var s shape
	for i := range p {
		s.disc(p[i], width/2)
		if i > 0 {
			s.bar(p[i-1], p[i], width)
		}
	}
	c.fill(&s, col)
}

func (c *pngCanvas) segments(p []pt, width float64, col color.RGBA) {
	var s shape
	for i := 0; i+1 < len(p); i += 2 {
		a, b := p[i], p[i+1]
		// A thin level or upright segment (axes, ticks, grid) is moved onto the middle of
		// its row or column of pixels, so that it is one crisp pixel wide instead of two
		// grey halves.
		if width*pxPerPt <= 1.5 {
			if a.X == b.X {
				a.X = pixelMiddle(a.X)
				b.X = a.X
			}
			if a.Y == b.Y {
				a.Y = pixelMiddle(a.Y)
				b.Y = a.Y
			}
		}
		s.bar(a, b, width)
	}
	c.fill(&s, col)
}

// pixelMiddle is v moved to the middle of the pixel it is in, in points.
func pixelMiddle(v float64) float64 { return (math.Floor(v*pxPerPt) + 0.5) / pxPerPt }

func (c *pngCanvas) rects(bs []box, col color.RGBA) {
	var s shape
	for _, b := range bs {
		s.add(b.Min, pt{b.Max.X, b.Min.Y}, b.Max, pt{b.Min.X, b.Max.Y})
	}
	c.fill(&s, col)
}

func (c *pngCanvas) marks(kind markKind, at []pt, r float64, col color.RGBA) {
	var s shape
	for _, p := range at {
		switch kind {
		case dot:
			s.disc(p, r)
		case ring:
			s.annulus(p, r, markStroke)
		case cross:
			d := r / math.Sqrt2
			s.bar(pt{p.X - d, p.Y - d}, pt{p.X + d, p.Y + d}, markStroke)
			s.bar(pt{p.X - d, p.Y + d}, pt{p.X + d, p.Y - d}, markStroke)
		}
	}
	c.fill(&s, col)
}

func (c *pngCanvas) text(at pt, s string, st textStyle) {
	size := st.size // the faces are at DPI: a size in points, measures in pixels
	face := c.fonts.face(size)
	w := c.fonts.width(s, size)
	shift := 0.0
	switch st.anchor {
	case anchorMiddle:
		shift = w / 2
	case anchorEnd:
		shift = w
	}
	x, y := at.X*pxPerPt, at.Y*pxPerPt
	if !st.up {
		d := font.Drawer{Dst: c.img, Src: image.Black, Face: face}
		d.Dot.X, d.Dot.Y = f26(x-shift), f26(y)
		d.DrawString(s)
		return
	}
	// Set the text level in a mask, turn the mask a quarter anticlockwise (a pixel
	// (sx, sy) goes to (sy, W-1-sx)), and paint through it so that the anchor lands on at.
	m := c.fonts.metrics(size)
	asc := int(math.Ceil(m.ascent)) + 1
	wi := int(math.Ceil(w)) + 2
	h := asc + int(math.Ceil(m.descent)) + 1
	level := image.NewAlpha(image.Rect(0, 0, wi, h))
	d := font.Drawer{Dst: level, Src: image.Opaque, Face: face}
	d.Dot.X, d.Dot.Y = f26(1), f26(float64(asc))
	d.DrawString(s)
	turned := image.NewAlpha(image.Rect(0, 0, h, wi))
	for sy := range h {
		for sx := range wi {
			turned.Pix[(wi-1-sx)*turned.Stride+sy] = level.Pix[sy*level.Stride+sx]
		}
	}
	// The anchor (1+shift, asc) in level is (asc, wi-1-shift) in turned.
	org := image.Pt(int(math.Round(x))-asc, int(math.Round(y-float64(wi-1)+shift)))
	draw.DrawMask(c.img, turned.Bounds().Add(org), image.Black, image.Point{}, turned, image.Point{}, draw.Over)
}
