package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/collect"
)

// procRows is how many processes the table shows.
const procRows = 10

// procCol is one column of the processes table.
type procCol struct {
	title   string
	width   float32 // 0: takes the room the others leave
	numeric bool    // right-aligned, sorted largest first
	cell    func(p collect.Process) string
	less    func(a, b collect.Process) int
}

var procCols = []procCol{
	{"Name", 0, false, func(p collect.Process) string { return p.Name },
		func(a, b collect.Process) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) }},
	{"PID", 80, true, func(p collect.Process) string { return strconv.Itoa(p.PID) },
		func(a, b collect.Process) int { return cmp.Compare(a.PID, b.PID) }},
	{"User", 110, false, func(p collect.Process) string { return p.User },
		func(a, b collect.Process) int { return cmp.Compare(a.User, b.User) }},
	{"CPU", 85, true, func(p collect.Process) string { return fmt.Sprintf("%.1f %%", 100*p.CPURatio) },
		func(a, b collect.Process) int { return cmp.Compare(a.CPURatio, b.CPURatio) }},
	{"Memory", 100, true, func(p collect.Process) string { return bytesFormat(float64(p.RSSBytes)) },
		func(a, b collect.Process) int { return cmp.Compare(a.RSSBytes, b.RSSBytes) }},
	{"Read", 110, true, func(p collect.Process) string { return procIO(p, p.ReadBytesPerSec) },
		func(a, b collect.Process) int {
			return cmp.Compare(procIOKey(a, a.ReadBytesPerSec), procIOKey(b, b.ReadBytesPerSec))
		}},
	{"Write", 110, true, func(p collect.Process) string { return procIO(p, p.WriteBytesPerSec) },
		func(a, b collect.Process) int {
			return cmp.Compare(procIOKey(a, a.WriteBytesPerSec), procIOKey(b, b.WriteBytesPerSec))
		}},
}

// procCPUCol is the column sorted by at first.
const procCPUCol = 3

func procIO(p collect.Process, v float64) string {
	if !p.IOKnown {
		return "–"
	}
	if v < 1 {
		return "0"
	}
	return rateFormat(v)
}

// procIOKey sorts unknown I/O below zero.
func procIOKey(p collect.Process, v float64) float64 {
	if !p.IOKnown {
		return -1
	}
	return v
}

// procTable is the top processes: the latest sample's ten first rows in
// the chosen order. Clicking a column title sorts by it; again reverses.
// Its ten rows are plain labels in fixed columns rather than a
// widget.Table: they always fit, so there is nothing to virtualize, and a
// table's own scroller would keep the mouse wheel from scrolling the page.
type procTable struct {
	header []*widget.Button
	cells  [][]*widget.Label // [row][col]
	note   *widget.Label
	object fyne.CanvasObject

	sample  monitor.Processes
	rows    []collect.Process
	sortCol int
	desc    bool
}

func newProcTable() *procTable {
	p := &procTable{sortCol: procCPUCol, desc: true}
	colLayout := &procColLayout{}
	hdr := make([]fyne.CanvasObject, len(procCols))
	for c, col := range procCols {
		b := widget.NewButton(col.title, func() { p.sortBy(c) })
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		if col.numeric {
			b.Alignment = widget.ButtonAlignTrailing
		}
		p.header = append(p.header, b)
		hdr[c] = b
	}
	lines := []fyne.CanvasObject{container.New(colLayout, hdr...), widget.NewSeparator()}
	for range procRows {
		row := make([]*widget.Label, len(procCols))
		objs := make([]fyne.CanvasObject, len(procCols))
		for c, col := range procCols {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			if col.numeric {
				l.Alignment = fyne.TextAlignTrailing
				l.TextStyle = fyne.TextStyle{Monospace: true}
			}
			row[c], objs[c] = l, l
		}
		p.cells = append(p.cells, row)
		lines = append(lines, container.New(colLayout, objs...))
	}
	p.note = mutedLabel()
	p.note.SetText("Waiting for the first sample of the processes…")
	p.object = container.New(layout.NewCustomPaddedVBoxLayout(0), lines...)
	p.styleHeader()
	return p
}

// sortBy sorts by column c: text A to Z, numbers largest first; the same
// column again reverses.
func (p *procTable) sortBy(c int) {
	if c == p.sortCol {
		p.desc = !p.desc
	} else {
		p.sortCol, p.desc = c, procCols[c].numeric
	}
	p.styleHeader()
	p.arrange()
}

// styleHeader marks the sorted column with an arrow.
func (p *procTable) styleHeader() {
	for c, b := range p.header {
		var icon fyne.Resource
		if c == p.sortCol {
			icon = theme.MenuDropUpIcon()
			if p.desc {
				icon = theme.MenuDropDownIcon()
			}
		}
		b.SetIcon(icon)
	}
}

// set shows a sample.
func (p *procTable) set(s monitor.Processes) {
	p.sample = s
	p.note.SetText(fmt.Sprintf("Top %d by CPU and by memory, measured over %s; CPU 100 %% is one core busy. I/O per second, – where the system does not say.",
		procRows, shortDuration(s.Over.Round(100*time.Millisecond))))
	p.arrange()
}

func (p *procTable) arrange() {
	rows := slices.Clone(p.sample.Top)
	col := procCols[p.sortCol]
	slices.SortStableFunc(rows, func(a, b collect.Process) int {
		c := col.less(a, b)
		if p.desc {
			c = -c
		}
		if c == 0 {
			// Ties: the busier process first, then the lower PID.
			c = cmp.Or(-cmp.Compare(a.CPURatio, b.CPURatio), -cmp.Compare(a.RSSBytes, b.RSSBytes), cmp.Compare(a.PID, b.PID))
		}
		return c
	})
	if len(rows) > procRows {
		rows = rows[:procRows]
	}
	p.rows = rows
	for r, cells := range p.cells {
		for c, l := range cells {
			text := ""
			if r < len(rows) {
				text = procCols[c].cell(rows[r])
			}
			if l.Text != text {
				l.SetText(text)
			}
		}
	}
}

// procColLayout places a row's cells in the table's columns: fixed widths,
// and the Name column takes the rest.
type procColLayout struct{}

func (procColLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	w, h := float32(0), float32(0)
	for i, o := range objs {
		if i < len(procCols) {
			w += max(procCols[i].width, 0)
		}
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(w+procNameMin+float32(len(objs)-1)*theme.Padding(), h)
}

// procNameMin is the narrowest the Name column gets.
const procNameMin = 140

func (procColLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	fixed := float32(len(objs)-1) * pad
	for i := range objs {
		fixed += procCols[i].width
	}
	stretch := max(procNameMin, size.Width-fixed)
	x := float32(0)
	for i, o := range objs {
		w := procCols[i].width
		if w == 0 {
			w = stretch
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}
