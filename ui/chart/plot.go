package chart

import (
	"image"
	"image/color"
	"math"
	"sort"
	"time"
)

// column is what one pixel column of the plot holds of a series: how many
// samples fell in it, their extremes, the first and the last.
type column struct {
	n           int
	min, max    float64
	first, last float64
	brk         bool // a gap (NaN) came between the previous sample and this column's first
}

// binned is a series sorted into pixel columns, with the samples just outside
// the view on either side that the line must reach towards.
type binned struct {
	cols       []column
	before     Point // the sample just before the view (valid if hasBefore)
	after      Point // the sample just after the view (valid if hasAfter)
	hasBefore  bool
	hasAfter   bool
	trailBreak bool // a gap follows the last sample in view
}

// bin sorts the points of pts in [t0, t0+span] into n pixel columns, in one
// pass over the points in view. out is reused if large enough.
func bin(pts []Point, t0 time.Time, span time.Duration, n int, out *binned) {
	if cap(out.cols) < n {
		out.cols = make([]column, n)
	}
	out.cols = out.cols[:n]
	clear(out.cols)
	out.hasBefore, out.hasAfter, out.trailBreak = false, false, false
	if n <= 0 || span <= 0 {
		return
	}
	t1 := t0.Add(span)
	i0 := sort.Search(len(pts), func(i int) bool { return !pts[i].T.Before(t0) })
	i1 := sort.Search(len(pts), func(i int) bool { return pts[i].T.After(t1) })
	if i0 > 0 && !math.IsNaN(pts[i0-1].V) {
		out.before, out.hasBefore = pts[i0-1], true
	}
	if i1 < len(pts) && !math.IsNaN(pts[i1].V) {
		out.after, out.hasAfter = pts[i1], true
	}
	scale := float64(n) / float64(span)
	pending := false
	for _, p := range pts[i0:i1] {
		if math.IsNaN(p.V) {
			pending = true
			continue
		}
		c := int(float64(p.T.Sub(t0)) * scale)
		if c >= n {
			c = n - 1
		} else if c < 0 {
			c = 0
		}
		col := &out.cols[c]
		if col.n == 0 {
			col.min, col.max, col.first = p.V, p.V, p.V
			col.brk = pending
		} else {
			if p.V < col.min {
				col.min = p.V
			}
			if p.V > col.max {
				col.max = p.V
			}
		}
		// A gap between two samples of one column is narrower than a pixel
		// and not drawn.
		col.last = p.V
		col.n++
		pending = false
	}
	out.trailBreak = pending
}

// plotter draws series into an image, reusing its buffers between frames.
type plotter struct {
	bins  []binned
	cov   []float32 // line coverage of the series being drawn
	colLo []int32   // per column, the first row of cov touched
	colHi []int32   // and the last (colLo > colHi: none)
	top   []float64 // per column, the highest (smallest y) pixel the line reaches
	rowA  []uint32  // per row, the fill's opacity (0..255)
	rowP  []paint   // per row, the fill ready to blend
	segs  [][]seg   // per series, the segments of its line in pixels
}

type seg struct{ x0, y0, x1, y1 float64 }

// plotView is what the raster needs to map samples to pixels.
type plotView struct {
	t0       time.Time
	span     time.Duration
	lo, hi   float64
	marginPx float64 // empty pixels above and below the plot area
	lineW    float64 // line width in pixels
	fill     float64 // fill opacity under the line at the top of the plot
}

// render draws the series into img (cleared first): fills under the lines,
// then the lines, each an anti-aliased polyline through the binned columns.
func (pl *plotter) render(img *image.RGBA, series []Series, colors []color.NRGBA, v plotView) {
	clear(img.Pix)
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || v.span <= 0 || !(v.hi > v.lo) || len(series) == 0 {
		return
	}
	if len(pl.bins) < len(series) {
		pl.bins = make([]binned, len(series))
		pl.segs = make([][]seg, len(series))
	}
	if len(pl.cov) < w*h {
		pl.cov = make([]float32, w*h)
	}
	if len(pl.top) < w {
		pl.top = make([]float64, w)
		pl.colLo = make([]int32, w)
		pl.colHi = make([]int32, w)
	}
	if len(pl.rowA) < h {
		pl.rowA = make([]uint32, h)
	}
	top0 := v.marginPx
	ph := float64(h) - 2*v.marginPx
	if ph < 1 {
		ph = 1
	}
	yScale := ph / (v.hi - v.lo)
	yOf := func(val float64) float64 { return top0 + (v.hi-val)*yScale }
	xScale := float64(w) / float64(v.span)
	xOf := func(t time.Time) float64 { return float64(t.Sub(v.t0)) * xScale }
	bottom := top0 + ph

	for i, s := range series {
		bn := &pl.bins[i]
		bin(s.Points, v.t0, v.span, w, bn)
		pl.segs[i] = buildSegs(pl.segs[i][:0], bn, xOf, yOf)
	}

	// Fills first, so that no line is hidden under another series' fill.
	if v.fill > 0 {
		for i := range series {
			top := pl.top[:w]
			for x := range top {
				top[x] = math.Inf(1)
			}
			for _, sg := range pl.segs[i] {
				raiseTop(top, sg)
			}
			pl.fillUnder(img, top, bottom, top0, ph, colors[i], v.fill)
		}
	}
	hw := v.lineW / 2
	cov := pl.cov[:w*h]
	lo, hi := pl.colLo[:w], pl.colHi[:w]
	for i := range series {
		for x := range lo {
			lo[x], hi[x] = int32(h), -1
		}
		for _, sg := range pl.segs[i] {
			stroke(cov, lo, hi, w, h, sg, hw)
		}
		composite(img, cov, h, lo, hi, colors[i])
	}
}

// buildSegs turns binned columns into line segments in pixels: within a
// column a vertical stroke from its minimum to its maximum, between columns
// from the last sample of one to the first of the next, never across a gap.
// Between neighbouring columns, instead of a one-pixel-wide segment, both
// columns' strokes are stretched to meet halfway: the same line for half
// the pixels to cover.
func buildSegs(out []seg, bn *binned, xOf func(time.Time) float64, yOf func(float64) float64) []seg {
	var px, py float64
	have := false
	if bn.hasBefore {
		px, py, have = xOf(bn.before.T), yOf(bn.before.V), true
	}
	prevCol, prevSeg := -2, -1
	for c := range bn.cols {
		col := &bn.cols[c]
		if col.n == 0 {
			continue
		}
		x := float64(c) + 0.5
		if col.brk {
			have = false
		}
		yf := yOf(col.first)
		top, bot := yOf(col.max), yOf(col.min)
		switch {
		case have && prevCol == c-1:
			mid := (py + yf) / 2
			p := &out[prevSeg]
			p.y0, p.y1 = min(p.y0, mid), max(p.y1, mid)
			top, bot = min(top, mid), max(bot, mid)
		case have:
			out = append(out, seg{px, py, x, yf})
		}
		// Always at least a dot, so that a lone sample between gaps shows.
		out = append(out, seg{x, top, x, bot})
		prevCol, prevSeg = c, len(out)-1
		px, py, have = x, yOf(col.last), true
	}
	if have && bn.hasAfter && !bn.trailBreak {
		out = append(out, seg{px, py, xOf(bn.after.T), yOf(bn.after.V)})
	}
	return out
}

// raiseTop records in top, per pixel column, the highest point of sg.
func raiseTop(top []float64, sg seg) {
	w := len(top)
	x0, y0, x1, y1 := sg.x0, sg.y0, sg.x1, sg.y1
	if x1 < x0 {
		x0, y0, x1, y1 = x1, y1, x0, y0
	}
	if x0 == x1 {
		c := int(x0)
		if c >= 0 && c < w {
			top[c] = math.Min(top[c], math.Min(y0, y1))
		}
		return
	}
	ca := max(int(math.Ceil(x0-0.5)), 0)
	cb := min(int(math.Floor(x1-0.5)), w-1)
	for c := ca; c <= cb; c++ {
		xc := float64(c) + 0.5
		y := y0 + (xc-x0)/(x1-x0)*(y1-y0)
		if y < top[c] {
			top[c] = y
		}
	}
}

// fillUnder fills each column from its top down to bottom with col, fading
// from opacity alpha at the top of the plot to a tenth of it at the bottom.
// It walks the image row by row, the order its memory is in.
func (pl *plotter) fillUnder(img *image.RGBA, top []float64, bottom, plotTop, ph float64, col color.NRGBA, alpha float64) {
	h := img.Bounds().Dy()
	w := len(top)
	yb := min(int(math.Ceil(bottom)), h)
	ca := alpha * float64(col.A)
	rowA := pl.rowA[:h]
	for y := range rowA {
		f := (float64(y) + 0.5 - plotTop) / ph
		f = min(max(f, 0), 1)
		rowA[y] = uint32(ca*(1-0.9*f) + 0.5)
	}
	// Per column: the first row (or h if none) and its coverage in 1/256.
	start, frac := pl.colLo[:w], pl.colHi[:w]
	ymin := h
	for x, t := range top {
		if math.IsInf(t, 1) || t >= bottom {
			start[x] = int32(h)
			continue
		}
		t = max(t, 0)
		ys := int(t)
		start[x], frac[x] = int32(ys), int32((float64(ys+1)-t)*256+0.5)
		ymin = min(ymin, ys)
	}
	cr, cg, cb := uint32(col.R), uint32(col.G), uint32(col.B)
	bottomRow := int(bottom)
	bottomFrac := uint32((bottom-float64(bottomRow))*256 + 0.5)
	if len(pl.rowP) < h {
		pl.rowP = make([]paint, h)
	}
	rowP := pl.rowP[:h]
	for y := ymin; y < yb; y++ {
		a := rowA[y]
		if y == bottomRow {
			a = a * bottomFrac >> 8
		}
		rowP[y] = newPaint(cr, cg, cb, a)
	}
	stride := img.Stride
	for x := 0; x < w; x++ {
		s := int(start[x])
		if s >= yb {
			continue
		}
		i := s*stride + 4*x
		edge := newPaint(cr, cg, cb, rowA[s]*uint32(frac[x])>>8)
		blend((*[4]uint8)(img.Pix[i:]), &edge)
		for y := s + 1; y < yb; y++ {
			i += stride
			blend((*[4]uint8)(img.Pix[i:]), &rowP[y])
		}
	}
}

// stroke adds the coverage of a segment of half-width hw to cov, which is
// column-major (h rows per column), keeping the maximum so that joints are
// not darker, and widens each column's range of touched rows. Coverage is
// r - distance to the segment, r = hw + 0.5: a one-pixel ramp at the edge.
// Along a column the distance to the line and the projection on it change
// linearly, so only pixels beyond the ends need a square root.
func stroke(cov []float32, colLo, colHi []int32, w, h int, sg seg, hw float64) {
	x0, y0, x1, y1 := sg.x0, sg.y0, sg.x1, sg.y1
	r := hw + 0.5
	minx, maxx := x0, x1
	if minx > maxx {
		minx, maxx = maxx, minx
	}
	// Pixel centres (cx+0.5) within r of [minx, maxx].
	bx0 := max(int(math.Ceil(minx-r-0.5)), 0)
	bx1 := min(int(math.Floor(maxx+r-0.5)), w-1)
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	l := math.Sqrt(l2)
	vertical := math.Abs(dx) < 1e-9
	for cx := bx0; cx <= bx1; cx++ {
		xc := float64(cx) + 0.5
		var ya, yb float64
		if vertical {
			ya, yb = y0, y1
		} else {
			ta := (xc - r - x0) / dx
			tb := (xc + r - x0) / dx
			if ta > tb {
				ta, tb = tb, ta
			}
			ta, tb = max(ta, 0), min(tb, 1)
			if ta > tb {
				ta = tb
			}
			ya, yb = y0+ta*dy, y0+tb*dy
		}
		if ya > yb {
			ya, yb = yb, ya
		}
		ry0 := max(int(math.Ceil(ya-r-0.5)), 0)
		ry1 := min(int(math.Floor(yb+r-0.5)), h-1)
		if ry0 > ry1 {
			continue
		}
		column := cov[cx*h : cx*h+h]
		touched := false
		if l2 == 0 {
			for cy := ry0; cy <= ry1; cy++ {
				ex, ey := x0-xc, y0-(float64(cy)+0.5)
				if a := float32(r - math.Sqrt(ex*ex+ey*ey)); a > 0 {
					if a > 1 {
						a = 1
					}
					if a > column[cy] {
						column[cy] = a
					}
					touched = true
				}
			}
		} else {
			// At the first row: projection t along the segment and signed
			// distance s from its line; both step linearly per row.
			yc := float64(ry0) + 0.5
			t := ((xc-x0)*dx + (yc-y0)*dy) / l2
			sd := ((xc-x0)*dy - (yc-y0)*dx) / l
			dt, ds := dy/l2, -dx/l
			for cy := ry0; cy <= ry1; cy, t, sd = cy+1, t+dt, sd+ds {
				var d float64
				switch {
				case t < 0:
					ex, ey := x0-xc, y0-(float64(cy)+0.5)
					d = math.Sqrt(ex*ex + ey*ey)
				case t > 1:
					ex, ey := x1-xc, y1-(float64(cy)+0.5)
					d = math.Sqrt(ex*ex + ey*ey)
				default:
					d = math.Abs(sd)
				}
				a := float32(r - d)
				if a <= 0 {
					continue
				}
				if a > 1 {
					a = 1
				}
				if a > column[cy] {
					column[cy] = a
				}
				touched = true
			}
		}
		if touched {
			colLo[cx] = min(colLo[cx], int32(ry0))
			colHi[cx] = max(colHi[cx], int32(ry1))
		}
	}
}

// composite paints col through the coverage (column-major, h rows) in the
// touched rows of each column, and clears it for the next series.
func composite(img *image.RGBA, cov []float32, h int, colLo, colHi []int32, col color.NRGBA) {
	ca := float32(col.A)
	cr, cg, cb := uint32(col.R), uint32(col.G), uint32(col.B)
	for x := range colLo {
		for y := int(colLo[x]); y <= int(colHi[x]); y++ {
			i := x*h + y
			if a := cov[i]; a > 0 {
				p := newPaint(cr, cg, cb, min(uint32(a*ca+0.5), 255))
				blend((*[4]uint8)(img.Pix[y*img.Stride+4*x:]), &p)
				cov[i] = 0
			}
		}
	}
}

// paint is a colour at some opacity, ready to be blended: the colour
// multiplied by the opacity in 256ths, and 256 minus that opacity.
type paint struct{ r, g, b, a, k uint32 }

// newPaint is (r, g, b) at opacity a in 0..255.
func newPaint(r, g, b, a uint32) paint {
	a += a >> 7 // 0..256, so that 255 is fully opaque
	return paint{r*a + 128, g*a + 128, b*a + 128, 255*a + 128, 256 - a}
}

// blend paints c over the premultiplied pixel p. Small enough to be inlined
// in the pixel loops.
func blend(p *[4]uint8, c *paint) {
	k := c.k
	p[0] = uint8((c.r + uint32(p[0])*k) >> 8)
	p[1] = uint8((c.g + uint32(p[1])*k) >> 8)
	p[2] = uint8((c.b + uint32(p[2])*k) >> 8)
	p[3] = uint8((c.a + uint32(p[3])*k) >> 8)
}
