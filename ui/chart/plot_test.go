package chart

import (
	"image"
	"image/color"
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
)

func TestBinMinMax(t *testing.T) {
	// 100 samples, one a second, into 10 columns of 10 s: a saw tooth.
	pts := ramp(100, time.Second, func(i int) float64 { return float64(i%10) + float64(i/10)*100 })
	var b binned
	bin(pts, base, 100*time.Second, 10, &b)
	for c, col := range b.cols {
		off := float64(c) * 100
		if col.n != 10 || col.min != off || col.max != off+9 || col.first != off || col.last != off+9 || col.brk {
			t.Errorf("column %d: %+v", c, col)
		}
	}
	if b.hasBefore || b.hasAfter || b.trailBreak {
		t.Errorf("edges: %+v", b)
	}

	// A window in the middle: the neighbours outside are kept for the line.
	bin(pts, base.Add(20*time.Second), 30*time.Second, 3, &b)
	if !b.hasBefore || b.before.V != pts[19].V || !b.hasAfter || b.after.V != pts[51].V {
		t.Errorf("neighbours: before %v %+v after %v %+v", b.hasBefore, b.before, b.hasAfter, b.after)
	}
	if b.cols[0].first != pts[20].V || b.cols[2].last != pts[50].V {
		t.Errorf("window columns: %+v", b.cols)
	}
}

func TestBinGaps(t *testing.T) {
	// Samples 0..19; 6..9 missing (NaN): columns 3 and 4 (2 s each) are empty,
	// and column 5 must not be joined to column 2.
	pts := ramp(20, time.Second, func(i int) float64 {
		if i >= 6 && i <= 9 {
			return math.NaN()
		}
		return float64(i)
	})
	var b binned
	bin(pts, base, 20*time.Second, 10, &b)
	for c, col := range b.cols {
		switch {
		case c == 3 || c == 4:
			if col.n != 0 {
				t.Errorf("column %d should be empty: %+v", c, col)
			}
		case c == 5:
			if !col.brk || col.n != 2 || col.min != 10 || col.max != 11 {
				t.Errorf("column 5 after the gap: %+v", col)
			}
		default:
			if col.brk || col.n != 2 {
				t.Errorf("column %d: %+v", c, col)
			}
		}
	}
	segs := buildSegs(nil, &b, func(tt time.Time) float64 { return float64(tt.Sub(base)) / float64(2*time.Second) },
		func(v float64) float64 { return v })
	for _, s := range segs {
		if (s.x0 < 5 && s.x1 > 5) || (s.x1 < 5 && s.x0 > 5) || (s.x0 > 3 && s.x0 < 5) {
			t.Errorf("segment across the gap: %+v", s)
		}
	}

	// A gap at the end, and a NaN neighbour outside the window: no line out.
	pts = append(pts, Point{T: base.Add(20 * time.Second), V: math.NaN()}, Point{T: base.Add(30 * time.Second), V: 1})
	bin(pts, base, 20*time.Second, 10, &b)
	if !b.trailBreak {
		t.Error("trailing gap not seen")
	}
	segs = buildSegs(nil, &b, func(tt time.Time) float64 { return float64(tt.Sub(base)) / float64(2*time.Second) },
		func(v float64) float64 { return v })
	for _, s := range segs {
		if s.x1 > 10 || s.x0 > 10 {
			t.Errorf("segment into the gap after the window: %+v", s)
		}
	}
}

func near(c, want color.NRGBA, tol int) bool {
	d := func(a, b uint8) bool { return int(a)-int(b) <= tol && int(b)-int(a) <= tol }
	return d(c.R, want.R) && d(c.G, want.G) && d(c.B, want.B) && d(c.A, want.A)
}

func at(img *image.RGBA, x, y int) color.NRGBA {
	return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
}

func TestRenderPixels(t *testing.T) {
	red := color.NRGBA{0xe0, 0x20, 0x20, 0xff}
	// A flat line at 0.5 over 0..1 for 0..60 s, with a gap from 20 to 30 s.
	pts := ramp(61, time.Second, func(i int) float64 {
		if i > 20 && i < 30 {
			return math.NaN()
		}
		return 0.5
	})
	const w, h, margin = 200, 100, 2
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	var pl plotter
	pl.render(img, []Series{{Points: pts}}, []color.NRGBA{red}, plotView{
		t0: base, span: time.Minute, lo: 0, hi: 1, marginPx: margin, lineW: 2, fill: 0.3,
	})
	lineY := margin + (h-2*margin)/2 // y of 0.5
	for _, x := range []int{10, 50, 120, 190} {
		if c := at(img, x, lineY); !near(c, red, 8) {
			t.Errorf("(%d,%d) = %v, want the line colour %v", x, lineY, c, red)
		}
		// Above the line: nothing; below: the translucent fill.
		if c := at(img, x, lineY-10); c.A != 0 {
			t.Errorf("(%d,%d) above the line = %v, want transparent", x, lineY-10, c)
		}
		if c := at(img, x, lineY+10); c.A == 0 || c.A > 0x80 || c.R < c.G {
			t.Errorf("(%d,%d) below the line = %v, want a light fill of the colour", x, lineY+10, c)
		}
	}
	// The gap (21..29 s ≈ x 70..97) is neither drawn nor filled.
	for x := 74; x <= 93; x++ {
		for y := 0; y < h; y++ {
			if c := at(img, x, y); c.A != 0 {
				t.Fatalf("(%d,%d) in the gap = %v", x, y, c)
			}
		}
	}
	// Anti-aliasing: the line's edge has partial coverage.
	partial := false
	for x := 0; x < w; x++ {
		for y := lineY - 3; y <= lineY+3; y++ {
			if a := at(img, x, y).A; a > 0x10 && a < 0xe0 && y < lineY {
				partial = true
			}
		}
	}
	if !partial {
		t.Error("no partially covered pixels along the line: not anti-aliased?")
	}
}

// The whole widget, painted by the test driver, shows the series colour
// where the line is.
func TestWidgetPaintsLine(t *testing.T) {
	c, win := newTestChart(t, 420, 220)
	green := color.NRGBA{0x10, 0xb0, 0x40, 0xff}
	c.SetYRange(0, 1)
	c.SetSeries([]Series{{Name: "x", Color: green, Points: ramp(3600, time.Second, func(i int) float64 { return 0.75 })}})
	img := win.Canvas().Capture()
	r := c.r
	y := int(math.Round(float64(r.plotPos.Y + r.plotSize.Height/4)))
	found := 0
	for x := int(r.plotPos.X) + 5; x < int(r.plotPos.X+r.plotSize.Width)-5; x += 10 {
		best := 1 << 30
		for dy := -1; dy <= 1; dy++ {
			p := color.NRGBAModel.Convert(img.At(x, y+dy)).(color.NRGBA)
			d := abs(int(p.R)-int(green.R)) + abs(int(p.G)-int(green.G)) + abs(int(p.B)-int(green.B))
			best = min(best, d)
		}
		if best < 24 {
			found++
		} else {
			t.Errorf("no line colour near (%d,%d)", x, y)
		}
	}
	if found == 0 {
		t.Fatal("line not painted")
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestAppendDropsOld(t *testing.T) {
	c, _ := newTestChart(t, 300, 150)
	c.SetWindow(time.Minute)
	for i := 0; i < 300; i++ {
		c.Append(0, Point{T: base.Add(time.Duration(i) * time.Second), V: float64(i)})
	}
	pts := c.series[0].Points
	latest := base.Add(299 * time.Second)
	if len(pts) != 62 {
		t.Errorf("kept %d points, want 61 in the window and one before it", len(pts))
	}
	if !pts[0].T.Before(latest.Add(-time.Minute)) || pts[1].T.Before(latest.Add(-time.Minute)) {
		t.Errorf("first kept %v, second %v; window starts %v", pts[0].T, pts[1].T, latest.Add(-time.Minute))
	}
	if c.r.v.t0 != latest.Add(-time.Minute) || c.r.v.t1 != latest {
		t.Errorf("view %v..%v", c.r.v.t0, c.r.v.t1)
	}

	// Without a window, the bound is the point count.
	c.SetWindow(0)
	c.SetMaxPoints(100)
	for i := 300; i < 500; i++ {
		c.Append(1, Point{T: base.Add(time.Duration(i) * time.Second), V: 1})
	}
	if n := len(c.series[1].Points); n != 100 {
		t.Errorf("series 1 kept %d points, want 100", n)
	}

	// One tick of several series at once.
	c.AppendValues(base.Add(600*time.Second), 7, 8, 9, 10)
	if len(c.series) != 4 || c.series[3].Points[0].V != 10 || lastValue(c.series[0].Points) != 7 {
		t.Errorf("AppendValues: %d series", len(c.series))
	}
	c.series = c.series[:2]

	// Out of order and duplicate times.
	c.Append(2, Point{T: base.Add(2 * time.Second), V: 2})
	c.Append(2, Point{T: base, V: 0})
	c.Append(2, Point{T: base.Add(time.Second), V: 1})
	c.Append(2, Point{T: base.Add(time.Second), V: 10})
	got := c.series[2].Points
	if len(got) != 3 || got[0].V != 0 || got[1].V != 10 || got[2].V != 2 {
		t.Errorf("series 2: %+v", got)
	}
}

func TestSetSeriesCopies(t *testing.T) {
	c, _ := newTestChart(t, 300, 150)
	c.SetWindow(10 * time.Second)
	pts := ramp(20, time.Second, func(i int) float64 { return float64(i) })
	mine := append([]Point(nil), pts...)
	c.SetSeries([]Series{{Points: pts}})
	c.Append(0, Point{T: base.Add(100 * time.Second), V: 1})
	for i := range pts {
		if pts[i] != mine[i] {
			t.Fatalf("caller's points changed at %d: %+v", i, pts[i])
		}
	}
}

func TestThemeChange(t *testing.T) {
	c, _ := newTestChart(t, 300, 150)
	c.SetSeries([]Series{{Name: "a", Points: ramp(10, time.Second, func(i int) float64 { return float64(i) })}})
	app := fyne.CurrentApp()
	app.Settings().SetTheme(theme.LightTheme())
	c.Refresh()
	light := c.r.yLabels[0].Color
	lightLine := c.r.seriesCols[0]
	gen := c.r.gen
	app.Settings().SetTheme(theme.DarkTheme())
	c.Refresh()
	if c.r.yLabels[0].Color == light {
		t.Error("axis labels kept the light theme's colour")
	}
	if !c.r.col.dark || c.r.gen == gen {
		t.Errorf("dark %v, plot redrawn %v", c.r.col.dark, c.r.gen != gen)
	}
	_ = lightLine
}

func TestLegendShowsLatest(t *testing.T) {
	c, _ := newTestChart(t, 500, 200)
	c.SetFormat(func(v float64) string { return trimFloat(v, 3) + " %" })
	c.SetSeries([]Series{{Name: "CPU", Points: ramp(10, time.Second, func(i int) float64 { return float64(i) })}})
	e := c.r.legend[0]
	if e.name.Text != "CPU" || e.value.Text != "9 %" || e.name.Hidden {
		t.Errorf("legend %q %q hidden %v", e.name.Text, e.value.Text, e.name.Hidden)
	}
	c.SetTitle("Processor")
	if c.r.title.Text != "Processor" || c.r.title.Hidden {
		t.Errorf("title %q hidden %v", c.r.title.Text, c.r.title.Hidden)
	}
}

func noisy(n int, seed int64) []Point {
	rng := rand.New(rand.NewSource(seed))
	v := 50.0
	return ramp(n, time.Second, func(int) float64 {
		v += rng.NormFloat64() * 3
		v = math.Max(0, math.Min(100, v))
		return v + rng.Float64()*10
	})
}

func benchPlot(b *testing.B, nSeries int) {
	series := make([]Series, nSeries)
	cols := make([]color.NRGBA, nSeries)
	for i := range series {
		series[i] = Series{Points: noisy(3600, int64(i))}
		cols[i] = paletteLight[i]
	}
	img := image.NewRGBA(image.Rect(0, 0, 800, 240))
	var pl plotter
	fill := fillSingle
	if nSeries > 1 {
		fill = fillMany
	}
	v := plotView{t0: base, span: time.Hour, lo: 0, hi: 125, marginPx: 3, lineW: 1.5, fill: fill}
	b.ReportAllocs()
	measureCPU(b, func() { pl.render(img, series, cols, v) })
}

// measureCPU runs f in the benchmark loop and, where it can, also reports
// the CPU time of the loop's thread per op (cpu-ms/op): on a loaded machine
// ns/op includes the time spent waiting for a processor.
func measureCPU(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f() // warm the buffers
	c0, ok := threadCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if c1, ok1 := threadCPU(); ok && ok1 && n > 0 {
		b.ReportMetric(float64(c1-c0)/float64(n)/1e6, "cpu-ms/op")
	}
}

// BenchmarkRefresh3600 draws one series of 3,600 points into an 800×240 px
// plot from scratch: binning, fill and anti-aliased line.
func BenchmarkRefresh3600(b *testing.B) { benchPlot(b, 1) }

// BenchmarkRefresh3600x4 is the same with four series.
func BenchmarkRefresh3600x4(b *testing.B) { benchPlot(b, 4) }

// BenchmarkWidgetRefresh3600x4 is the whole renderer refresh of a chart with
// four series of 3,600 points: ranges, ticks, labels, legend, layout and the
// plot raster at about 800×240 px.
func BenchmarkWidgetRefresh3600x4(b *testing.B) {
	c, _ := newTestChart(b, 830, 280)
	series := make([]Series, 4)
	for i := range series {
		series[i] = Series{Name: "s", Points: noisy(3600, int64(i))}
	}
	c.SetWindow(time.Hour)
	c.SetSeries(series)
	r := c.r
	w := int(r.raster.Size().Width)
	h := int(r.raster.Size().Height)
	if w < 780 || w > 820 || h < 230 || h > 260 {
		b.Fatalf("plot raster %d×%d px, want about 800×240", w, h)
	}
	b.ReportAllocs()
	measureCPU(b, func() {
		r.Refresh()
		r.generate(w, h)
	})
}

// BenchmarkHover moves the pointer over a chart: a few objects move, the plot
// is not drawn again.
func BenchmarkHover(b *testing.B) {
	c, _ := newTestChart(b, 860, 280)
	c.SetSeries([]Series{{Name: "a", Points: noisy(3600, 1)}, {Name: "b", Points: noisy(3600, 2)}})
	gen := c.r.gen
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		x := c.r.plotPos.X + float32(i%800)
		c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, 100)}})
		i++
	}
	if c.r.gen != gen {
		b.Fatal("hovering redrew the plot")
	}
}

func TestSeriesColors(t *testing.T) {
	for _, dark := range []bool{false, true} {
		for _, primary := range []color.NRGBA{{0x29, 0x6f, 0xf6, 0xff}, {0x12, 0x8c, 0x82, 0xff}, {0x80, 0x80, 0x80, 0xff}} {
			c := colors{dark: dark, primary: primary}
			if got := c.seriesColor(0, nil); got != primary {
				t.Errorf("series 0 = %v, want the primary %v", got, primary)
			}
			hp, _ := hue(primary)
			seen := map[color.NRGBA]bool{primary: true}
			for i := 1; i < 6; i++ {
				got := c.seriesColor(i, nil)
				if seen[got] {
					t.Errorf("dark %v primary %v: series %d repeats %v", dark, primary, i, got)
				}
				seen[got] = true
				if h, _ := hue(got); primary.R != primary.G && hueDist(h, hp) < 30 {
					t.Errorf("dark %v: series %d %v looks like the primary %v", dark, i, got, primary)
				}
			}
		}
	}
	own := color.NRGBA{1, 2, 3, 255}
	if got := (colors{}).seriesColor(3, own); got != own {
		t.Errorf("own colour ignored: %v", got)
	}
}
