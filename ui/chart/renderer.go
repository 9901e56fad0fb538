package chart

import (
	"image"
	"image/color"
	"math"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
)

const (
	minWidth, minHeight = 200, 120
	rasterMargin        = 3    // DIP above and below the plot area the raster extends, so strokes at the edges are whole
	lineWidth           = 1.5  // DIP
	tickGap             = 28   // DIP at least between time labels, when choosing the step
	labelGap            = 6    // DIP between a y label and the plot
	dotRadius           = 3.5  // DIP, the marks on the lines at the hovered time (plus a 1.5 DIP ring)
	tipPad              = 8    // DIP inside the tooltip
	fillSingle          = 0.28 // fill opacity under a lone series
	fillMany            = 0.12 // under each of several
)

// legendEntry is one series in the legend: a short stroke of its colour,
// its name and its latest value.
type legendEntry struct {
	swatch      *canvas.Rectangle
	name, value *canvas.Text
}

// view is what the chart shows, derived from the data and the settings.
type view struct {
	empty  bool
	t0, t1 time.Time
	span   time.Duration
	lo, hi float64
	step   float64
}

type renderer struct {
	c *Chart

	raster *canvas.Raster
	img    *image.RGBA
	imgKey [3]uint64 // w, h, gen of img
	gen    uint64    // bumped on every Refresh: the plot must be drawn again
	pl     plotter

	title   *canvas.Text
	empty   *canvas.Text
	gridH   []*canvas.Rectangle
	gridV   []*canvas.Rectangle
	yLabels []*canvas.Text
	xLabels []*canvas.Text
	legend  []legendEntry

	cross   *canvas.Rectangle
	dots    []*canvas.Circle // on each line at the hovered time
	rings   []*canvas.Circle // behind each dot, in the background colour
	tipBg   *canvas.Rectangle
	tipTime *canvas.Text
	tipRows []legendEntry

	objects []fyne.CanvasObject

	// From the last layout.
	size       fyne.Size
	plotPos    fyne.Position
	plotSize   fyne.Size
	v          view
	col        colors
	seriesCols []color.NRGBA
	scale      float32
	hoverShown bool
}

func newRenderer(c *Chart) *renderer {
	r := &renderer{c: c, scale: 1}
	r.raster = canvas.NewRaster(r.generate)
	r.title = canvas.NewText("", color.Black)
	r.title.TextStyle.Bold = true
	r.empty = canvas.NewText("No data yet", color.Black)
	r.cross = canvas.NewRectangle(color.Transparent)
	r.tipBg = canvas.NewRectangle(color.Transparent)
	r.tipTime = canvas.NewText("", color.Black)
	r.tipTime.TextStyle.Bold = true
	r.cross.Hide()
	r.tipBg.Hide()
	r.tipTime.Hide()
	r.update()
	return r
}

func (r *renderer) Destroy() {}

func (r *renderer) MinSize() fyne.Size { return fyne.NewSize(minWidth, minHeight) }

func (r *renderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *renderer) Layout(size fyne.Size) {
	r.size = size
	r.update()
}

// Refresh re-reads the data and the theme and draws the plot again.
func (r *renderer) Refresh() {
	r.gen++
	r.update()
	for _, o := range r.objects {
		if o == r.raster {
			continue
		}
		canvas.Refresh(o)
	}
	canvas.Refresh(r.raster)
}

// update lays everything out for the current data, settings, theme and size.
func (r *renderer) update() {
	c := r.c
	th := c.Theme()
	r.col = themeColors(th)
	r.scale = 1
	if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil && cv.Scale() > 0 {
		r.scale = cv.Scale()
	}
	r.seriesCols = r.seriesCols[:0]
	for i, s := range c.series {
		r.seriesCols = append(r.seriesCols, r.col.seriesColor(i, s.Color))
	}
	r.v = r.computeView()

	size := r.size
	capSize := th.Size(theme.SizeNameCaptionText)
	textH := fyne.MeasureText("0", capSize, fyne.TextStyle{}).Height
	muted, fg := r.col.muted, r.col.fg

	// Header: title on the left, legend on the right.
	r.title.Text = c.title
	r.title.TextSize = capSize + 1
	r.title.Color = fg
	titleSize := fyne.MeasureText(c.title, r.title.TextSize, r.title.TextStyle)
	r.title.Move(fyne.NewPos(0, 0))
	r.title.Resize(titleSize)
	r.title.Hidden = c.title == ""
	headerH := float32(0)
	if c.title != "" {
		headerH = titleSize.Height + 4
	}
	legendW := r.layoutLegend(size.Width, titleSize.Width, capSize)
	if legendW > 0 && headerH == 0 {
		headerH = textH + 4
	}

	// Y axis labels decide the left margin.
	var ticks []float64
	if !r.v.empty {
		ticks = yTicks(r.v.lo, r.v.hi, r.v.step)
	}
	r.yLabels = growTexts(r.yLabels, len(ticks))
	labelW := float32(0)
	for i, v := range ticks {
		t := r.yLabels[i]
		t.Text, t.TextSize, t.Color = c.format(v), capSize, muted
		s := fyne.MeasureText(t.Text, capSize, t.TextStyle)
		t.Resize(s)
		labelW = max(labelW, s.Width)
	}
	plotX := float32(0)
	if labelW > 0 {
		plotX = labelW + labelGap
	}
	plotY := headerH + textH/2 + 2
	plotH := size.Height - textH - 4 - plotY
	plotW := size.Width - plotX - 4
	if plotW < 1 {
		plotW = 1
	}
	if plotH < 1 {
		plotH = 1
	}
	r.plotPos, r.plotSize = fyne.NewPos(plotX, plotY), fyne.NewSize(plotW, plotH)

	// Horizontal gridlines and y labels.
	r.gridH = growRects(r.gridH, len(ticks))
	grid := r.col.grid
	px := 1 / r.scale
	for i, v := range ticks {
		y := r.snap(plotY + float32(1-(v-r.v.lo)/(r.v.hi-r.v.lo))*plotH)
		g := r.gridH[i]
		g.FillColor = grid
		g.Move(fyne.NewPos(plotX, y))
		g.Resize(fyne.NewSize(plotW, px))
		t := r.yLabels[i]
		t.Move(fyne.NewPos(plotX-labelGap-t.Size().Width, y-t.Size().Height/2))
	}

	// Time ticks: vertical gridlines and labels below the plot.
	var times []time.Time
	var step timeStep
	if !r.v.empty {
		step = fitTimeStep(r.v.span, plotW, func(s timeStep) float32 {
			return fyne.MeasureText(timeLabel(r.v.t1, s), capSize, fyne.TextStyle{}).Width
		})
		times = timeTicks(r.v.t0, r.v.t1, step)
	}
	r.xLabels = growTexts(r.xLabels, len(times))
	r.gridV = growRects(r.gridV, len(times))
	lastRight := float32(math.Inf(-1))
	vgrid := grid
	vgrid.A = grid.A * 2 / 3
	for i, tt := range times {
		x := r.snap(plotX + float32(float64(tt.Sub(r.v.t0))/float64(r.v.span))*plotW)
		g := r.gridV[i]
		g.FillColor = vgrid
		g.Move(fyne.NewPos(x, plotY))
		g.Resize(fyne.NewSize(px, plotH))
		g.Hidden = false
		l := r.xLabels[i]
		l.Text, l.TextSize, l.Color = timeLabel(tt, step), capSize, muted
		s := fyne.MeasureText(l.Text, capSize, l.TextStyle)
		l.Resize(s)
		left := x - s.Width/2
		l.Move(fyne.NewPos(left, plotY+plotH+3))
		l.Hidden = left < 0 || left+s.Width > size.Width || left < lastRight+8
		if !l.Hidden {
			lastRight = left + s.Width
		}
	}

	// The plot raster, a little taller than the plot so edge strokes are whole.
	r.raster.Hidden = r.v.empty
	r.raster.Move(fyne.NewPos(plotX, plotY-rasterMargin))
	r.raster.Resize(fyne.NewSize(plotW, plotH+2*rasterMargin))

	r.empty.Text, r.empty.TextSize, r.empty.Color = "No data yet", th.Size(theme.SizeNameText), muted
	es := fyne.MeasureText(r.empty.Text, r.empty.TextSize, r.empty.TextStyle)
	r.empty.Resize(es)
	r.empty.Move(fyne.NewPos((size.Width-es.Width)/2, headerH+(size.Height-headerH-es.Height)/2))
	r.empty.Hidden = !r.v.empty

	r.updateHover(false)
	r.collect()
}

// layoutLegend places one entry per named series along the right of the
// header, as many as fit beside the title, and returns the width used.
func (r *renderer) layoutLegend(width, titleW, textSize float32) float32 {
	c := r.c
	n := 0
	for _, s := range c.series {
		if s.Name != "" {
			n++
		}
	}
	if r.v.empty {
		n = 0
	}
	r.legend = growEntries(r.legend, n)
	type placed struct {
		e        legendEntry
		nw, vw   float32
		h, total float32
	}
	var items []placed
	k := 0
	for i, s := range c.series {
		if s.Name == "" || r.v.empty {
			continue
		}
		e := r.legend[k]
		k++
		e.name.Text, e.name.TextSize, e.name.Color = s.Name, textSize, r.col.muted
		e.value.Text, e.value.TextSize, e.value.Color = c.format(lastValue(s.Points)), textSize, r.col.fg
		e.value.TextStyle.Bold = true
		e.swatch.FillColor = r.seriesCols[i]
		e.swatch.CornerRadius = 1.5
		ns := fyne.MeasureText(e.name.Text, textSize, e.name.TextStyle)
		vs := fyne.MeasureText(e.value.Text, textSize, e.value.TextStyle)
		items = append(items, placed{e: e, nw: ns.Width, vw: vs.Width, h: ns.Height, total: 12 + 5 + ns.Width + 5 + vs.Width})
	}
	const gap = 14
	total := float32(0)
	fit := 0
	left := float32(0)
	if titleW > 0 {
		left = titleW + 2*gap
	}
	for i, it := range items {
		w := total + it.total
		if i > 0 {
			w += gap
		}
		if width-w < left {
			break
		}
		total, fit = w, i+1
	}
	x := width - total
	for i, it := range items {
		e := it.e
		hidden := i >= fit
		e.swatch.Hidden, e.name.Hidden, e.value.Hidden = hidden, hidden, hidden
		if hidden {
			continue
		}
		e.swatch.Move(fyne.NewPos(x, r.snap(it.h/2-1.5)))
		e.swatch.Resize(fyne.NewSize(12, 3))
		x += 12 + 5
		e.name.Move(fyne.NewPos(x, 0))
		e.name.Resize(fyne.NewSize(it.nw, it.h))
		x += it.nw + 5
		e.value.Move(fyne.NewPos(x, 0))
		e.value.Resize(fyne.NewSize(it.vw, it.h))
		x += it.vw + gap
	}
	return total
}

// computeView finds the time and value ranges to show.
func (r *renderer) computeView() view {
	c := r.c
	var v view
	var first, last time.Time
	any := false
	for _, s := range c.series {
		for _, p := range s.Points {
			if !math.IsNaN(p.V) {
				any = true
				break
			}
		}
		if n := len(s.Points); n > 0 {
			if first.IsZero() || s.Points[0].T.Before(first) {
				first = s.Points[0].T
			}
			if s.Points[n-1].T.After(last) {
				last = s.Points[n-1].T
			}
		}
	}
	if !any {
		v.empty = true
		return v
	}
	v.t1 = last
	if c.window > 0 {
		v.t0 = last.Add(-c.window)
	} else {
		v.t0 = first
		if !v.t0.Before(v.t1) {
			v.t0 = v.t1.Add(-time.Minute)
		}
	}
	v.span = v.t1.Sub(v.t0)

	if c.yFixed {
		v.lo, v.hi = c.yMin, c.yMax
		v.step = fixedStep(v.lo, v.hi)
		return v
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range c.series {
		i0 := sort.Search(len(s.Points), func(i int) bool { return !s.Points[i].T.Before(v.t0) })
		for _, p := range s.Points[i0:] {
			if math.IsNaN(p.V) {
				continue
			}
			lo, hi = math.Min(lo, p.V), math.Max(hi, p.V)
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 0
	}
	v.lo, v.hi, v.step = niceRange(lo, hi)
	return v
}

func lastValue(pts []Point) float64 {
	if len(pts) == 0 {
		return math.NaN()
	}
	return pts[len(pts)-1].V
}

// generate is the raster's generator: it draws the plot at w×h pixels, or
// hands back the image already drawn if nothing changed since.
func (r *renderer) generate(w, h int) image.Image {
	key := [3]uint64{uint64(w), uint64(h), r.gen}
	if r.img != nil && r.imgKey == key {
		return r.img
	}
	if r.img == nil || r.img.Rect.Dx() != w || r.img.Rect.Dy() != h {
		r.img = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	r.imgKey = key
	if r.v.empty || w <= 0 || h <= 0 {
		clear(r.img.Pix)
		return r.img
	}
	scale := float64(r.scale)
	if rs := r.raster.Size(); rs.Height > 0 {
		scale = float64(h) / float64(rs.Height)
	}
	if len(r.seriesCols) < len(r.c.series) { // data changed without a Refresh
		for i := len(r.seriesCols); i < len(r.c.series); i++ {
			r.seriesCols = append(r.seriesCols, r.col.seriesColor(i, r.c.series[i].Color))
		}
	}
	fill := fillSingle
	if len(r.c.series) > 1 {
		fill = fillMany
	}
	if r.col.dark {
		fill *= 1.5 // the same opacity reads fainter on a dark background
	}
	r.pl.render(r.img, r.c.series, r.seriesCols, plotView{
		t0: r.v.t0, span: r.v.span, lo: r.v.lo, hi: r.v.hi,
		marginPx: rasterMargin * scale,
		lineW:    lineWidth * scale,
		fill:     fill,
	})
	return r.img
}

// updateHover places the crosshair, the dots and the tooltip for the pointer,
// or hides them; refresh repaints just those objects.
func (r *renderer) updateHover(refresh bool) {
	c := r.c
	show := c.hovering && !r.v.empty
	var tStar time.Time
	var x float32
	if show {
		px := c.hoverPos.X - r.plotPos.X
		if px < 0 || px > r.plotSize.Width || c.hoverPos.Y < 0 || c.hoverPos.Y > r.size.Height {
			show = false
		} else {
			at := r.v.t0.Add(time.Duration(float64(px) / float64(r.plotSize.Width) * float64(r.v.span)))
			var ok bool
			tStar, ok = r.nearestTime(at)
			show = ok
			if ok {
				x = r.snap(r.plotPos.X + float32(float64(tStar.Sub(r.v.t0))/float64(r.v.span))*r.plotSize.Width)
			}
		}
	}
	if !show {
		if r.hoverShown || refresh {
			r.cross.Hide()
			r.tipBg.Hide()
			r.tipTime.Hide()
			for i, d := range r.dots {
				d.Hide()
				r.rings[i].Hide()
			}
			for _, e := range r.tipRows {
				e.swatch.Hide()
				e.name.Hide()
				e.value.Hide()
			}
		}
		r.hoverShown = false
		return
	}
	r.hoverShown = true
	th := c.Theme()
	textSize := th.Size(theme.SizeNameCaptionText)

	r.cross.FillColor = r.col.crosshair
	r.cross.Move(fyne.NewPos(x, r.plotPos.Y))
	r.cross.Resize(fyne.NewSize(1/r.scale, r.plotSize.Height))
	r.cross.Show()

	// Values at tStar, and a dot on each line.
	n := len(c.series)
	r.dots = growCircles(r.dots, n)
	r.rings = growCircles(r.rings, n)
	r.tipRows = growEntries(r.tipRows, n)
	pxTime := time.Duration(float64(r.v.span) / float64(r.plotSize.Width))
	r.tipTime.Text = hoverTimeLabel(tStar, r.v.span)
	r.tipTime.TextSize, r.tipTime.Color = textSize, r.col.fg
	ts := fyne.MeasureText(r.tipTime.Text, textSize, r.tipTime.TextStyle)
	r.tipTime.Resize(ts)
	rowH := ts.Height + 3
	nameW, valueW := float32(0), float32(0)
	for i, s := range c.series {
		val, ok := valueAt(s.Points, tStar, pxTime)
		d := r.dots[i]
		if ok && !math.IsNaN(val) && val >= r.v.lo-1e-12 && val <= r.v.hi+1e-12 {
			y := r.plotPos.Y + float32(1-(val-r.v.lo)/(r.v.hi-r.v.lo))*r.plotSize.Height
			ring := r.rings[i]
			ring.FillColor = r.col.bg
			ring.Move(fyne.NewPos(x-dotRadius-1.5, y-dotRadius-1.5))
			ring.Resize(fyne.NewSize(2*dotRadius+3, 2*dotRadius+3))
			ring.Show()
			d.FillColor = r.seriesCols[i]
			d.Move(fyne.NewPos(x-dotRadius, y-dotRadius))
			d.Resize(fyne.NewSize(2*dotRadius, 2*dotRadius))
			d.Show()
		} else {
			d.Hide()
			r.rings[i].Hide()
		}
		e := r.tipRows[i]
		name := s.Name
		if name == "" {
			name = "Series " + itoa(i+1)
		}
		e.name.Text, e.name.TextSize, e.name.Color = name, textSize, r.col.muted
		if ok {
			e.value.Text = c.format(val)
		} else {
			e.value.Text = "–"
		}
		e.value.TextSize, e.value.Color = textSize, r.col.fg
		e.value.TextStyle.Bold = true
		e.swatch.FillColor = r.seriesCols[i]
		e.swatch.CornerRadius = 4
		ns := fyne.MeasureText(e.name.Text, textSize, e.name.TextStyle)
		vs := fyne.MeasureText(e.value.Text, textSize, e.value.TextStyle)
		e.name.Resize(ns)
		e.value.Resize(vs)
		nameW, valueW = max(nameW, ns.Width), max(valueW, vs.Width)
	}
	for i := n; i < len(r.dots); i++ {
		r.dots[i].Hide()
		r.rings[i].Hide()
	}
	for i := n; i < len(r.tipRows); i++ {
		e := r.tipRows[i]
		e.swatch.Hide()
		e.name.Hide()
		e.value.Hide()
	}
	const sw = 8
	rowW := sw + 6 + nameW + 16 + valueW
	tipW := max(ts.Width, rowW) + 2*tipPad
	tipH := ts.Height + float32(n)*rowH + 2*tipPad + 2

	// Beside the pointer, flipped to the other side near the right edge and
	// kept inside the chart.
	tx := x + 14
	if tx+tipW > r.size.Width {
		tx = x - 14 - tipW
	}
	tx = max(tx, 0)
	ty := c.hoverPos.Y - tipH/2
	ty = min(max(ty, 0), r.size.Height-tipH)
	ty = max(ty, 0)
	tx, ty = r.snap(tx), r.snap(ty)

	r.tipBg.FillColor = r.col.overlay
	r.tipBg.StrokeColor = r.col.border
	r.tipBg.StrokeWidth = 1
	r.tipBg.CornerRadius = 6
	r.tipBg.Move(fyne.NewPos(tx, ty))
	r.tipBg.Resize(fyne.NewSize(tipW, tipH))
	r.tipBg.Show()
	r.tipTime.Move(fyne.NewPos(tx+tipPad, ty+tipPad))
	r.tipTime.Show()
	y := ty + tipPad + ts.Height + 2
	for i := 0; i < n; i++ {
		e := r.tipRows[i]
		h := e.name.Size().Height
		e.swatch.Move(fyne.NewPos(tx+tipPad, r.snap(y+rowH/2-sw/2)))
		e.swatch.Resize(fyne.NewSize(sw, sw))
		e.name.Move(fyne.NewPos(tx+tipPad+sw+6, y+(rowH-h)/2))
		e.value.Move(fyne.NewPos(tx+tipW-tipPad-e.value.Size().Width, y+(rowH-h)/2))
		e.swatch.Show()
		e.name.Show()
		e.value.Show()
		y += rowH
	}

	if refresh {
		r.collect()
		canvas.Refresh(r.cross)
		canvas.Refresh(r.tipBg)
		canvas.Refresh(r.tipTime)
		for i, d := range r.dots {
			canvas.Refresh(r.rings[i])
			canvas.Refresh(d)
		}
		for _, e := range r.tipRows {
			canvas.Refresh(e.swatch)
			canvas.Refresh(e.name)
			canvas.Refresh(e.value)
		}
	}
}

// nearestTime is the time of the sample nearest to at, over all series.
func (r *renderer) nearestTime(at time.Time) (time.Time, bool) {
	var best time.Time
	bestD := time.Duration(math.MaxInt64)
	for _, s := range r.c.series {
		pts := s.Points
		k := sort.Search(len(pts), func(i int) bool { return !pts[i].T.Before(at) })
		for _, j := range []int{k - 1, k} {
			if j < 0 || j >= len(pts) {
				continue
			}
			t := pts[j].T
			if t.Before(r.v.t0) || t.After(r.v.t1) {
				continue
			}
			d := absDur(t.Sub(at))
			if d < bestD {
				best, bestD = t, d
			}
		}
	}
	return best, bestD != time.Duration(math.MaxInt64)
}

// valueAt is the value of the sample of pts nearest to t, if one is close
// enough to stand for t: within a few pixels, or half the series' spacing.
func valueAt(pts []Point, t time.Time, pxTime time.Duration) (float64, bool) {
	if len(pts) == 0 {
		return 0, false
	}
	k := sort.Search(len(pts), func(i int) bool { return !pts[i].T.Before(t) })
	j, bestD := -1, time.Duration(math.MaxInt64)
	for _, i := range []int{k - 1, k} {
		if i >= 0 && i < len(pts) {
			if d := absDur(pts[i].T.Sub(t)); d < bestD {
				j, bestD = i, d
			}
		}
	}
	tol := 3 * pxTime
	if n := len(pts); n > 1 {
		spacing := pts[n-1].T.Sub(pts[0].T) / time.Duration(n-1)
		tol = max(tol, spacing/2+spacing/4)
	}
	if bestD > tol {
		return 0, false
	}
	return pts[j].V, !math.IsNaN(pts[j].V)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// snap rounds a coordinate to the pixel grid, so hairlines stay sharp.
func (r *renderer) snap(v float32) float32 {
	return float32(math.Round(float64(v*r.scale))) / r.scale
}

// collect lists the objects back to front: gridlines, the plot, labels,
// the legend, then the hover marks and the tooltip on top.
func (r *renderer) collect() {
	o := r.objects[:0]
	for _, g := range r.gridH {
		o = append(o, g)
	}
	for _, g := range r.gridV {
		o = append(o, g)
	}
	o = append(o, r.raster)
	for _, t := range r.yLabels {
		o = append(o, t)
	}
	for _, t := range r.xLabels {
		o = append(o, t)
	}
	o = append(o, r.title, r.empty)
	for _, e := range r.legend {
		o = append(o, e.swatch, e.name, e.value)
	}
	o = append(o, r.cross)
	for i, d := range r.dots {
		o = append(o, r.rings[i], d)
	}
	o = append(o, r.tipBg, r.tipTime)
	for _, e := range r.tipRows {
		o = append(o, e.swatch, e.name, e.value)
	}
	r.objects = o
}

// The grow helpers keep a pool of n objects, showing the first n and hiding
// the rest, so that a changing number of ticks allocates nothing per frame.

func growTexts(s []*canvas.Text, n int) []*canvas.Text {
	for len(s) < n {
		s = append(s, canvas.NewText("", color.Black))
	}
	for i, t := range s {
		t.Hidden = i >= n
	}
	return s
}

func growRects(s []*canvas.Rectangle, n int) []*canvas.Rectangle {
	for len(s) < n {
		s = append(s, canvas.NewRectangle(color.Transparent))
	}
	for i, t := range s {
		t.Hidden = i >= n
	}
	return s
}

func growCircles(s []*canvas.Circle, n int) []*canvas.Circle {
	for len(s) < n {
		c := canvas.NewCircle(color.Transparent)
		c.Hide()
		s = append(s, c)
	}
	return s
}

func growEntries(s []legendEntry, n int) []legendEntry {
	for len(s) < n {
		e := legendEntry{
			swatch: canvas.NewRectangle(color.Transparent),
			name:   canvas.NewText("", color.Black),
			value:  canvas.NewText("", color.Black),
		}
		s = append(s, e)
	}
	for i, e := range s {
		h := i >= n
		e.swatch.Hidden, e.name.Hidden, e.value.Hidden = h, h, h
	}
	return s
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
