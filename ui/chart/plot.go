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
	bins []binned
	cov  []float32 // line coverage of the series being drawn
	top  []float64 // per column, the highest (smallest y) pixel the line reaches
	segs [][]seg   // per series, the segments of its line in pixels
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
	if w <= 0 || h <= 0 || v.span <= 0 || !(v.hi > v.lo) {
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
	}
	top0 := v.marginPx
	ph := float64(h) - 2*v.marginPx
	if ph < 1 {
		ph = 1
	}
	yOf := func(val float64) float64 { return top0 + (1-(val-v.lo)/(v.hi-v.lo))*ph }
	xOf := func(t time.Time) float64 { return float64(t.Sub(v.t0)) / float64(v.span) * float64(w) }
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
			fillUnder(img, top, bottom, top0, ph, colors[i], v.fill)
		}
	}
	hw := v.lineW / 2
	for i := range series {
		cov := pl.cov[:w*h]
		minX, minY, maxX, maxY := w, h, -1, -1
		for _, sg := range pl.segs[i] {
			x0, y0, x1, y1 := stroke(cov, w, h, sg, hw)
			minX, minY = min(minX, x0), min(minY, y0)
			maxX, maxY = max(maxX, x1), max(maxY, y1)
		}
		composite(img, cov, w, minX, minY, maxX, maxY, colors[i])
	}
}

// buildSegs turns binned columns into line segments in pixels: within a
// column a vertical stroke from its minimum to its maximum, between columns
// from the last sample of one to the first of the next, never across a gap.
func buildSegs(out []seg, bn *binned, xOf func(time.Time) float64, yOf func(float64) float64) []seg {
	var px, py float64
	have := false
	if bn.hasBefore {
		px, py, have = xOf(bn.before.T), yOf(bn.before.V), true
	}
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
		if have {
			out = append(out, seg{px, py, x, yf})
		}
		// Always at least a dot, so that a lone sample between gaps shows.
		out = append(out, seg{x, yOf(col.max), x, yOf(col.min)})
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
func fillUnder(img *image.RGBA, top []float64, bottom, plotTop, ph float64, col color.NRGBA, alpha float64) {
	h := img.Bounds().Dy()
	yb := min(int(math.Ceil(bottom)), h)
	ca := alpha * float64(col.A) / 255
	for x, t := range top {
		if math.IsInf(t, 1) || t >= bottom {
			continue
		}
		ys := max(int(math.Floor(t)), 0)
		for y := ys; y < yb; y++ {
			cover := 1.0
			if y == ys {
				cover = float64(ys+1) - t
			}
			if y+1 > int(bottom) {
				cover = math.Min(cover, bottom-float64(y))
			}
			f := (float64(y) + 0.5 - plotTop) / ph
			a := ca * cover * (1 - 0.9*f)
			blend(img, x, y, col, a)
		}
	}
}

// stroke adds the coverage of a segment of half-width hw to cov (keeping the
// maximum, so joints are not darker) and returns the pixel box it touched.
func stroke(cov []float32, w, h int, sg seg, hw float64) (bx0, by0, bx1, by1 int) {
	x0, y0, x1, y1 := sg.x0, sg.y0, sg.x1, sg.y1
	r := hw + 1
	bx0 = max(int(math.Floor(math.Min(x0, x1)-r)), 0)
	bx1 = min(int(math.Ceil(math.Max(x0, x1)+r)), w-1)
	by0, by1 = h, -1
	if bx0 > bx1 {
		return w, h, -1, -1
	}
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	edge := hw + 0.5
	for cx := bx0; cx <= bx1; cx++ {
		xc := float64(cx) + 0.5
		var ya, yb float64
		if math.Abs(dx) < 1e-9 {
			ya, yb = math.Min(y0, y1), math.Max(y0, y1)
		} else {
			ta := (xc - r - x0) / dx
			tb := (xc + r - x0) / dx
			if ta > tb {
				ta, tb = tb, ta
			}
			if tb < 0 || ta > 1 {
				// Only an end cap could reach this column.
				ta, tb = math.Max(0, math.Min(ta, 1)), math.Max(0, math.Min(tb, 1))
			}
			ta, tb = math.Max(ta, 0), math.Min(tb, 1)
			ya, yb = y0+ta*dy, y0+tb*dy
			if ya > yb {
				ya, yb = yb, ya
			}
		}
		ry0 := max(int(math.Floor(ya-r)), 0)
		ry1 := min(int(math.Ceil(yb+r)), h-1)
		for cy := ry0; cy <= ry1; cy++ {
			yc := float64(cy) + 0.5
			t := 0.0
			if l2 > 0 {
				t = ((xc-x0)*dx + (yc-y0)*dy) / l2
				if t < 0 {
					t = 0
				} else if t > 1 {
					t = 1
				}
			}
			ex, ey := x0+t*dx-xc, y0+t*dy-yc
			a := edge - math.Sqrt(ex*ex+ey*ey)
			if a <= 0 {
				continue
			}
			if a > 1 {
				a = 1
			}
			i := cy*w + cx
			if float32(a) > cov[i] {
				cov[i] = float32(a)
			}
			by0, by1 = min(by0, cy), max(by1, cy)
		}
	}
	return bx0, by0, bx1, by1
}

// composite paints col through the coverage in the box, and clears the
// coverage for the next series.
func composite(img *image.RGBA, cov []float32, w, x0, y0, x1, y1 int, col color.NRGBA) {
	ca := float64(col.A) / 255
	for y := y0; y <= y1; y++ {
		row := cov[y*w : y*w+w]
		for x := x0; x <= x1; x++ {
			if a := row[x]; a > 0 {
				blend(img, x, y, col, float64(a)*ca)
				row[x] = 0
			}
		}
	}
}

// blend paints col at opacity a over the premultiplied pixel (x, y).
func blend(img *image.RGBA, x, y int, col color.NRGBA, a float64) {
	if a <= 0 {
		return
	}
	if a > 1 {
		a = 1
	}
	i := img.PixOffset(x, y)
	p := img.Pix[i : i+4 : i+4]
	k := 1 - a
	p[0] = uint8(float64(col.R)*a + float64(p[0])*k + 0.5)
	p[1] = uint8(float64(col.G)*a + float64(p[1])*k + 0.5)
	p[2] = uint8(float64(col.B)*a + float64(p[2])*k + 0.5)
	p[3] = uint8(255*a + float64(p[3])*k + 0.5)
}
