package chart

import (
	"math"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

var base = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func ramp(n int, step time.Duration, f func(i int) float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		pts[i] = Point{T: base.Add(time.Duration(i) * step), V: f(i)}
	}
	return pts
}

func newTestChart(t testing.TB, w, h float32) (*Chart, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	c := New()
	win := test.NewWindow(c)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	t.Cleanup(win.Close)
	return c, win
}

func TestEmptyState(t *testing.T) {
	c, _ := newTestChart(t, 400, 200)
	r := c.r
	if r.empty.Hidden || r.empty.Text != "No data yet" {
		t.Fatalf("empty text hidden=%v %q", r.empty.Hidden, r.empty.Text)
	}
	if !r.raster.Hidden {
		t.Fatal("raster shown without data")
	}
	c.SetSeries([]Series{{Name: "cpu", Points: ramp(10, time.Second, func(i int) float64 { return math.NaN() })}})
	if r.empty.Hidden {
		t.Fatal("all-NaN data is still no data")
	}
	c.Append(0, Point{T: base.Add(time.Minute), V: 1})
	if !r.empty.Hidden || r.raster.Hidden {
		t.Fatal("data shown as empty")
	}
}

func TestHoverReadout(t *testing.T) {
	c, win := newTestChart(t, 600, 240)
	c.SetFormat(func(v float64) string { return trimFloat(v, 3) + " u" })
	c.SetSeries([]Series{
		{Name: "a", Points: ramp(61, time.Second, func(i int) float64 { return float64(i) })},
		{Name: "b", Points: ramp(61, time.Second, func(i int) float64 { return 2 * float64(i) })},
	})
	r := c.r
	// The pointer a third of the way across the plot: sample 20.
	x := r.plotPos.X + r.plotSize.Width*20/60
	y := r.plotPos.Y + r.plotSize.Height/2
	c.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y)}})
	if r.tipBg.Hidden || r.cross.Hidden {
		t.Fatal("tooltip not shown")
	}
	if got, want := r.tipTime.Text, hoverTimeLabel(base.Add(20*time.Second), time.Minute); got != want {
		t.Errorf("time %q, want %q", got, want)
	}
	if got := r.tipRows[0].value.Text; got != "20 u" {
		t.Errorf("a = %q", got)
	}
	if got := r.tipRows[1].value.Text; got != "40 u" {
		t.Errorf("b = %q", got)
	}
	// Moving on: the nearest sample to the pointer, not the pointer's time.
	x = r.plotPos.X + r.plotSize.Width*40.3/60
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y)}})
	if a, b := r.tipRows[0].value.Text, r.tipRows[1].value.Text; a != "40 u" || b != "80 u" {
		t.Errorf("at sample 40: a = %q, b = %q", a, b)
	}
	wantX := r.snap(r.plotPos.X + r.plotSize.Width*40/60)
	if got := r.cross.Position().X; got != wantX {
		t.Errorf("crosshair at %g, want %g", got, wantX)
	}

	// A gap reads as a dash.
	pts := ramp(61, time.Second, func(i int) float64 { return float64(i) })
	pts[40].V = math.NaN()
	c.SetSeries([]Series{{Name: "a", Points: pts}, {Name: "b", Points: ramp(61, time.Second, func(i int) float64 { return 1 })}})
	x = r.plotPos.X + r.plotSize.Width*40.3/60 // the y labels' width changed with the data
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y)}})
	if a, b := r.tipRows[0].value.Text, r.tipRows[1].value.Text; a != "–" || b != "1 u" {
		t.Errorf("over a gap: a = %q, b = %q", a, b)
	}

	// Outside the plot, nothing.
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(2, y)}})
	if !r.tipBg.Hidden {
		t.Error("tooltip shown left of the plot")
	}
	c.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(x, y)}})

	// The test driver's own pointer: leaving the chart hides the readout.
	test.MoveMouse(win.Canvas(), fyne.NewPos(x, y))
	if r.tipBg.Hidden {
		t.Fatal("tooltip hidden while the pointer is on the chart")
	}
	c.MouseOut()
	if !r.tipBg.Hidden || !r.cross.Hidden {
		t.Fatal("tooltip still shown after mouse out")
	}
}
