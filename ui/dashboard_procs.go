package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
type procTable struct {
	table  *widget.Table
	note   *widget.Label
	object fyne.CanvasObject

	sample  monitor.Processes
	rows    []collect.Process
	sortCol int
	desc    bool
}

func newProcTable() *procTable {
	p := &procTable{sortCol: procCPUCol, desc: true}
	p.table = widget.NewTable(
		func() (int, int) { return len(p.rows), len(procCols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			col := procCols[id.Col]
			l.Alignment = fyne.TextAlignLeading
			if col.numeric {
				l.Alignment = fyne.TextAlignTrailing
			}
			l.TextStyle = fyne.TextStyle{Monospace: col.numeric}
			if id.Row >= len(p.rows) {
				l.SetText("")
				return
			}
			l.SetText(col.cell(p.rows[id.Row]))
		})
	p.table.ShowHeaderRow = true
	p.table.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		return b
	}
	p.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 || id.Col >= len(procCols) {
			b.SetText("")
			b.OnTapped = nil
			return
		}
		col := procCols[id.Col]
		b.Alignment = widget.ButtonAlignLeading
		if col.numeric {
			b.Alignment = widget.ButtonAlignTrailing
		}
		b.Icon = nil
		if id.Col == p.sortCol {
			b.Icon = theme.MenuDropUpIcon()
			if p.desc {
				b.Icon = theme.MenuDropDownIcon()
			}
		}
		c := id.Col
		b.OnTapped = func() { p.sortBy(c) }
		b.SetText(col.title)
	}
	p.table.OnSelected = func(widget.TableCellID) { p.table.UnselectAll() }
	for i, c := range procCols {
		if c.width > 0 {
			p.table.SetColumnWidth(i, c.width)
		}
	}
	p.note = mutedLabel()
	p.note.SetText("Waiting for the first sample of the processes…")
	p.object = container.New(&procLayout{p: p}, p.table)
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
	p.arrange()
}

// set shows a sample.
func (p *procTable) set(s monitor.Processes) {
	p.sample = s
	p.note.SetText(fmt.Sprintf("Top %d by CPU and by memory, measured over %s; CPU 100 %% is one core busy. I/O per second, – where the system does not say.",
		procRows, shortDuration(s.Over.Round(100_000_000))))
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
	p.table.Refresh()
}

// procLayout gives the table the height of its rows and the Name column
// the width the others leave.
type procLayout struct {
	p     *procTable
	nameW float32
}

func (l *procLayout) fixedWidth() float32 {
	w := float32(0)
	for _, c := range procCols {
		w += c.width
	}
	// Table cells are a padding apart.
	return w + float32(len(procCols)+1)*theme.Padding()
}

func (l *procLayout) rowHeight() float32 {
	return widget.NewLabel("0").MinSize().Height + theme.Padding()
}

func (l *procLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	hdr := widget.NewButton("CPU", nil).MinSize().Height + theme.Padding()
	return fyne.NewSize(l.fixedWidth()+160, hdr+procRows*l.rowHeight()+theme.Padding())
}

func (l *procLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	w := max(160, size.Width-l.fixedWidth())
	if w != l.nameW {
		l.nameW = w
		l.p.table.SetColumnWidth(0, w)
	}
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}
