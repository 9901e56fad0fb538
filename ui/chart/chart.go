// Package chart is Holdfast's time-series chart: a Fyne widget that draws one
// or more lines over time with crisp axes, gridlines, a legend with the
// latest values and a hover readout (a crosshair at the nearest sample and a
// tooltip with each series' value there).
//
// The plot itself (lines and the translucent fill under them) is drawn into a
// raster at the real pixel size of the screen: points are first binned into
// pixel columns (minimum, maximum, first and last per column), so a series of
// thousands of points costs about as much as the plot is wide, and the lines
// are anti-aliased by pixel coverage. Text stays canvas.Text, so labels are
// as sharp as the rest of the interface. The raster is only drawn again when
// the data, the size or the theme change; hovering moves a few light objects
// and never redraws the plot.
//
// Threading: a Chart is a Fyne widget, and like every widget its methods must
// be called on the Fyne goroutine — from event callbacks directly, and from
// any other goroutine through fyne.Do. The Chart keeps no locks of its own.
package chart // import "github.com/holdfast/holdfast/ui/chart"

import (
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Point is one sample; NaN V is a gap (not drawn, not interpolated across).
type Point struct {
	T time.Time
	V float64
}

// Series is one line.
type Series struct {
	Name   string      // shown in the legend and the hover tooltip
	Color  color.Color // nil: a palette colour chosen by index, theme-aware
	Points []Point     // ascending T
}

// DefaultMaxPoints bounds each series fed with Append when no window is set
// (SetWindow(0)); with a window, points older than it are dropped instead.
const DefaultMaxPoints = 100_000

// Chart is a Fyne widget: a line chart over time with axes, gridlines, a
// legend and a hover readout.
//
// All methods must be called on the Fyne goroutine (use fyne.Do from others).
type Chart struct {
	widget.BaseWidget

	title     string
	format    func(v float64) string
	yFixed    bool
	yMin      float64
	yMax      float64
	window    time.Duration
	maxPoints int
	series    []Series

	hovering bool
	hoverPos fyne.Position

	r *renderer // the current renderer, once created
}

var (
	_ fyne.Widget       = (*Chart)(nil)
	_ desktop.Hoverable = (*Chart)(nil)
)

// New returns an empty chart: y from 0 to a nice number above the data,
// x fitted to the data, values formatted by a compact %g.
func New() *Chart {
	c := &Chart{format: DefaultFormat, maxPoints: DefaultMaxPoints}
	c.ExtendBaseWidget(c)
	return c
}

// SetFormat sets how y-axis ticks, legend values and hover values are
// written (e.g. "42 %", "3.1 MB/s"); nil restores DefaultFormat.
func (c *Chart) SetFormat(format func(v float64) string) {
	if format == nil {
		format = DefaultFormat
	}
	c.format = format
	c.Refresh()
}

// SetYRange fixes the y axis to [min, max] (e.g. 0..1 for ratios). If it is
// never called, the axis runs from 0 to a nice number at or above the
// largest value in view (and below 0 if the data goes there).
func (c *Chart) SetYRange(min, max float64) {
	if math.IsNaN(min) || math.IsNaN(max) || max <= min {
		c.yFixed = false
	} else {
		c.yFixed, c.yMin, c.yMax = true, min, max
	}
	c.Refresh()
}

// SetWindow makes the x axis show [latest-d, latest], sliding as points are
// appended, where latest is the newest point of any series; 0 fits the axis
// to the data.
func (c *Chart) SetWindow(d time.Duration) {
	if d < 0 {
		d = 0
	}
	c.window = d
	c.Refresh()
}

// SetMaxPoints bounds the points kept per series by Append when no window is
// set (default DefaultMaxPoints).
func (c *Chart) SetMaxPoints(n int) {
	if n <= 0 {
		n = DefaultMaxPoints
	}
	c.maxPoints = n
}

// SetSeries replaces all data and refreshes. The points are copied, so the
// caller may reuse its slices.
func (c *Chart) SetSeries(s []Series) {
	ns := make([]Series, len(s))
	for i, x := range s {
		ns[i] = Series{Name: x.Name, Color: x.Color, Points: append([]Point(nil), x.Points...)}
	}
	c.series = ns
	c.Refresh()
}

// Series returns a copy of the chart's series (the points are shared and must
// not be modified).
func (c *Chart) Series() []Series {
	return append([]Series(nil), c.series...)
}

// Append adds p to series i (live mode) and refreshes. Series up to i are
// created (unnamed) if they do not exist yet. With a window set, points
// older than the window are dropped (one is kept just before it so the line
// reaches the left edge); without one, at most SetMaxPoints points are kept.
// A point older than the series' last is inserted in order; one at the same
// time replaces it.
func (c *Chart) Append(i int, p Point) {
	if i < 0 {
		return
	}
	c.add(i, p)
	c.Refresh()
}

// AppendValues appends one point at t to each series, values[i] to series
// i, with a single refresh: the live tick of a chart of several series.
func (c *Chart) AppendValues(t time.Time, values ...float64) {
	for i, v := range values {
		c.add(i, Point{T: t, V: v})
	}
	c.Refresh()
}

func (c *Chart) add(i int, p Point) {
	for len(c.series) <= i {
		c.series = append(c.series, Series{})
	}
	s := &c.series[i]
	pts := s.Points
	n := len(pts)
	switch {
	case n == 0 || pts[n-1].T.Before(p.T):
		pts = append(pts, p)
	default:
		k := sort.Search(n, func(j int) bool { return !pts[j].T.Before(p.T) })
		if pts[k].T.Equal(p.T) {
			pts[k] = p
		} else {
			pts = append(pts, Point{})
			copy(pts[k+1:], pts[k:])
			pts[k] = p
		}
	}
	s.Points = pts
	s.Points = c.trim(pts)
}

// trim drops the points that can no longer be seen: older than the window
// (but the last one before it), or beyond maxPoints.
func (c *Chart) trim(pts []Point) []Point {
	drop := 0
	if c.window > 0 {
		start := c.latest().Add(-c.window)
		k := sort.Search(len(pts), func(j int) bool { return !pts[j].T.Before(start) })
		drop = k - 1
	}
	if max := c.maxPoints; max > 0 && len(pts)-drop > max {
		drop = len(pts) - max
	}
	if drop <= 0 {
		return pts
	}
	n := copy(pts, pts[drop:])
	clear(pts[n:])
	return pts[:n]
}

// latest is the time of the newest point of any series (zero if none).
func (c *Chart) latest() time.Time {
	var t time.Time
	for _, s := range c.series {
		if n := len(s.Points); n > 0 && s.Points[n-1].T.After(t) {
			t = s.Points[n-1].T
		}
	}
	return t
}

// SetTitle sets the small title drawn top-left; "" draws none.
func (c *Chart) SetTitle(title string) {
	c.title = title
	c.Refresh()
}

// MinSize is small enough for a dashboard card and big enough for axes.
func (c *Chart) MinSize() fyne.Size {
	c.ExtendBaseWidget(c)
	return c.BaseWidget.MinSize()
}

// CreateRenderer is part of fyne.Widget.
func (c *Chart) CreateRenderer() fyne.WidgetRenderer {
	c.ExtendBaseWidget(c)
	r := newRenderer(c)
	c.r = r
	return r
}

// MouseIn is part of desktop.Hoverable: the readout follows the pointer.
func (c *Chart) MouseIn(e *desktop.MouseEvent) { c.MouseMoved(e) }

// MouseMoved is part of desktop.Hoverable.
func (c *Chart) MouseMoved(e *desktop.MouseEvent) {
	c.hovering, c.hoverPos = true, e.Position
	if c.r != nil {
		c.r.updateHover(true)
	}
}

// MouseOut is part of desktop.Hoverable: the readout is hidden.
func (c *Chart) MouseOut() {
	c.hovering = false
	if c.r != nil {
		c.r.updateHover(true)
	}
}

// DefaultFormat writes v compactly: up to three significant decimals below
// ten thousand, then with k, M, G, T suffixes ("12.3k", "3.1M").
func DefaultFormat(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	a := math.Abs(v)
	suffix := ""
	for _, u := range []struct {
		f float64
		s string
	}{{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e4, "k"}} {
		if a >= u.f {
			if u.s == "k" {
				v, suffix = v/1e3, "k"
			} else {
				v, suffix = v/u.f, u.s
			}
			break
		}
	}
	return trimFloat(v, 3) + suffix
}

// trimFloat writes v with at most three significant digits after the point,
// without trailing zeros.
func trimFloat(v float64, sig int) string {
	a := math.Abs(v)
	dec := 0
	switch {
	case a == 0:
		dec = 0
	case a < 1:
		dec = sig - 1 - int(math.Floor(math.Log10(a)))
		if dec > 9 {
			dec = 9
		}
	case a < 10:
		dec = 2
	case a < 100:
		dec = 1
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
