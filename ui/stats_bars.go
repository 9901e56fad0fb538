package ui

// A small bar chart for the Statistics tab: horizontal bars with a label
// and a value each (per kind), or stacked columns over days. Drawn with
// canvas rectangles and texts in the theme's colours.

import (
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// barSeg is one part of a bar, in a theme colour.
type barSeg struct {
	value float64
	color fyne.ThemeColorName
}

// bar is one bar: its label, its stacked parts and the words after it.
type bar struct {
	label string
	segs  []barSeg
	text  string
}

func (b bar) total() float64 {
	t := 0.0
	for _, s := range b.segs {
		t += s.value
	}
	return t
}

// barChart draws bars side by side (columns, vertical) or one under the
// other (rows, with their labels and texts).
type barChart struct {
	widget.BaseWidget
	vertical bool
	bars     []bar
	// maxText writes the top of a column chart's scale ("12 tasks").
	maxText func(v float64) string
	empty   string
}

func newBarChart(vertical bool) *barChart {
	b := &barChart{vertical: vertical, empty: "No tasks in this period"}
	b.ExtendBaseWidget(b)
	return b
}

func (b *barChart) setBars(bars []bar) {
	b.bars = bars
	b.Refresh()
}

func (b *barChart) CreateRenderer() fyne.WidgetRenderer {
	return &barRenderer{b: b}
}

type barRenderer struct {
	b    *barChart
	objs []fyne.CanvasObject
	size fyne.Size
}

func (r *barRenderer) Destroy() {}

func (r *barRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *barRenderer) textSize() float32 { return theme.CaptionTextSize() }

func (r *barRenderer) rowHeight() float32 { return r.textSize()*1.6 + theme.Padding() }

func (r *barRenderer) MinSize() fyne.Size {
	if r.b.vertical {
		return fyne.NewSize(200, 140)
	}
	return fyne.NewSize(200, max(float32(len(r.b.bars)), 1)*r.rowHeight())
}

func (r *barRenderer) Layout(size fyne.Size) {
	r.size = size
	r.draw()
}

func (r *barRenderer) Refresh() { r.draw() }

func (r *barRenderer) text(s string, c fyne.ThemeColorName) *canvas.Text {
	t := canvas.NewText(s, theme.Color(c))
	t.TextSize = r.textSize()
	return t
}

// draw lays every bar out again; the objects are few (a bar, its parts
// and two texts), and the chart changes only when its data does.
func (r *barRenderer) draw() {
	r.objs = r.objs[:0]
	size := r.size
	if size.Width <= 0 || size.Height <= 0 {
		return
	}
	peak := 0.0
	for _, b := range r.b.bars {
		peak = math.Max(peak, b.total())
	}
	if peak <= 0 {
		t := r.text(r.b.empty, theme.ColorNameDisabled)
		ts := t.MinSize()
		t.Move(fyne.NewPos((size.Width-ts.Width)/2, (size.Height-ts.Height)/2))
		r.objs = append(r.objs, t)
		return
	}
	if r.b.vertical {
		r.drawColumns(size, peak)
	} else {
		r.drawRows(size, peak)
	}
}

func (r *barRenderer) drawRows(size fyne.Size, peak float64) {
	pad := theme.Padding()
	var labelW, textW float32
	for _, b := range r.b.bars {
		labelW = max(labelW, r.text(b.label, theme.ColorNameForeground).MinSize().Width)
		textW = max(textW, r.text(b.text, theme.ColorNameForeground).MinSize().Width)
	}
	rowH := r.rowHeight()
	barH := r.textSize() * 1.1
	area := max(size.Width-labelW-textW-4*pad, 10)
	for i, b := range r.b.bars {
		y := float32(i) * rowH
		l := r.text(b.label, theme.ColorNameForeground)
		l.Move(fyne.NewPos(0, y+(rowH-l.MinSize().Height)/2))
		r.objs = append(r.objs, l)
		x := labelW + 2*pad
		for _, s := range b.segs {
			w := float32(s.value / peak * float64(area))
			if w <= 0 {
				continue
			}
			rect := canvas.NewRectangle(theme.Color(s.color))
			rect.CornerRadius = 2
			rect.Move(fyne.NewPos(x, y+(rowH-barH)/2))
			rect.Resize(fyne.NewSize(w, barH))
			r.objs = append(r.objs, rect)
			x += w
		}
		t := r.text(b.text, theme.ColorNameForeground)
		t.Move(fyne.NewPos(x+pad, y+(rowH-t.MinSize().Height)/2))
		r.objs = append(r.objs, t)
	}
}

func (r *barRenderer) drawColumns(size fyne.Size, peak float64) {
	pad := theme.Padding()
	top := r.text(r.b.scaleText(peak), theme.ColorNameDisabled)
	topH := top.MinSize().Height
	r.objs = append(r.objs, top)
	first := r.text(r.b.bars[0].label, theme.ColorNameDisabled)
	last := r.text(r.b.bars[len(r.b.bars)-1].label, theme.ColorNameDisabled)
	labelH := first.MinSize().Height
	plotTop, plotBottom := topH+pad/2, size.Height-labelH-pad/2
	plotH := max(plotBottom-plotTop, 10)

	grid := canvas.NewLine(theme.Color(theme.ColorNameSeparator))
	grid.Position1, grid.Position2 = fyne.NewPos(0, plotTop), fyne.NewPos(size.Width, plotTop)
	base := canvas.NewLine(theme.Color(theme.ColorNameSeparator))
	base.Position1, base.Position2 = fyne.NewPos(0, plotBottom), fyne.NewPos(size.Width, plotBottom)
	r.objs = append(r.objs, grid, base)

	n := len(r.b.bars)
	slot := size.Width / float32(n)
	gap := min(slot*0.25, 4)
	if slot < 3 {
		gap = 0
	}
	for i, b := range r.b.bars {
		x := float32(i)*slot + gap/2
		y := plotBottom
		for _, s := range b.segs {
			h := float32(s.value / peak * float64(plotH))
			if h <= 0 {
				continue
			}
			rect := canvas.NewRectangle(theme.Color(s.color))
			rect.Move(fyne.NewPos(x, y-h))
			rect.Resize(fyne.NewSize(max(slot-gap, 1), h))
			r.objs = append(r.objs, rect)
			y -= h
		}
	}
	first.Move(fyne.NewPos(0, plotBottom+pad/2))
	last.Move(fyne.NewPos(size.Width-last.MinSize().Width, plotBottom+pad/2))
	r.objs = append(r.objs, first)
	if n > 1 {
		r.objs = append(r.objs, last)
	}
}

func (b *barChart) scaleText(v float64) string {
	if b.maxText != nil {
		return b.maxText(v)
	}
	return alNumber(v)
}
