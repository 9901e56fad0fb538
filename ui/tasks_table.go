package ui

// The task table on the Tasks page: filters, sortable headers, cells with
// live progress bars, the row actions, and the split with the detail pane.

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/tasks"
)

// State filter choices, in the order the menu lists them.
var taskStateChoices = []struct {
	label, value string
}{
	{"All states", ""}, {"Not finished", filterLive}, {"Running", string(tasks.Running)},
	{"Paused", string(tasks.Paused)}, {"Queued", string(tasks.Queued)}, {"Succeeded", string(tasks.Succeeded)},
	{"Failed", string(tasks.Failed)}, {"Canceled", string(tasks.Canceled)}, {"Interrupted", string(tasks.Interrupted)},
}

const allKinds = "All kinds"

func (p *tasksPage) makeTaskWidgets() {
	labels := make([]string, len(taskStateChoices))
	for i, c := range taskStateChoices {
		labels[i] = c.label
	}
	p.stateSel = widget.NewSelect(labels, func(label string) {
		f := p.m.filter
		for _, c := range taskStateChoices {
			if c.label == label {
				f.state = c.value
			}
		}
		p.setFilter(f)
	})
	p.stateSel.SetSelectedIndex(0)
	p.kindSel = widget.NewSelect([]string{allKinds}, func(kind string) {
		f := p.m.filter
		f.kind = kind
		if kind == allKinds {
			f.kind = ""
		}
		p.setFilter(f)
	})
	p.kindSel.SetSelectedIndex(0)
	p.search = widget.NewEntry()
	p.search.SetPlaceHolder("Search descriptions, kinds, jobs or #ID")
	p.search.OnChanged = func(text string) {
		f := p.m.filter
		f.search = strings.ToLower(strings.TrimSpace(text))
		p.setFilter(f)
	}
	p.countLabel = widget.NewLabel("")
	p.statusLabel = widget.NewLabel("")
	p.statusLabel.Wrapping = fyne.TextWrapWord

	p.pauseBtn = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() { p.act(taskPause) })
	p.resumeBtn = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), func() { p.act(taskResume) })
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { p.act(taskCancel) })
	p.retryBtn = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() { p.act(taskRetry) })
	p.deleteBtn = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() { p.act(taskDelete) })
	p.table = p.newTaskTable()
	p.detail = newTaskDetail(p)
	p.updateActions()
}

func (p *tasksPage) buildTasksTab() fyne.CanvasObject {
	kind := container.NewGridWrap(fyne.NewSize(130, p.kindSel.MinSize().Height), p.kindSel)
	state := container.NewGridWrap(fyne.NewSize(150, p.stateSel.MinSize().Height), p.stateSel)
	filters := container.NewBorder(nil, nil, container.NewHBox(state, kind), p.countLabel, p.search)
	actions := container.NewHBox(p.pauseBtn, p.resumeBtn, p.cancelBtn, p.retryBtn, p.deleteBtn, layout.NewSpacer())
	top := container.NewVBox(filters, actions)
	fit := container.New(&fitColumn{table: p.table, widths: taskWidths(), col: tcDescription, min: 180}, p.table)
	p.tableArea = container.NewBorder(top, nil, nil, nil, fit)
	split := container.NewVSplit(p.tableArea, p.detail.object)
	split.Offset = 0.62
	p.listArea = container.NewStack(split)
	return p.listArea
}

// taskCell is one cell of the task table: a selection background, a
// state icon, a label and a progress bar, of which each column shows what
// it needs.
type taskCell struct {
	widget.BaseWidget
	bg      *canvas.Rectangle
	icon    *widget.Icon
	iconBox *fyne.Container
	label   *widget.Label
	bar     *widget.ProgressBar
	text    string // the bar's words
	box     *fyne.Container
	used    bool // shown at least once (not only measured as a template)
}

func newTaskCell() *taskCell {
	c := &taskCell{bg: canvas.NewRectangle(color.Transparent), icon: widget.NewIcon(nil), label: widget.NewLabel("")}
	c.label.Truncation = fyne.TextTruncateEllipsis
	c.bar = widget.NewProgressBar()
	c.bar.TextFormatter = func() string { return c.text }
	c.iconBox = container.NewCenter(container.NewGridWrap(fyne.NewSize(theme.IconInlineSize(), theme.IconInlineSize()), c.icon))
	c.box = container.NewStack(c.bg,
		container.NewBorder(nil, nil, c.iconBox, nil, c.label),
		container.New(layout.NewCustomPaddedLayout(4, 4, 2, 2), c.bar))
	c.ExtendBaseWidget(c)
	return c
}

func (c *taskCell) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(c.box) }

func (p *tasksPage) newTaskTable() *widget.Table {
	t := widget.NewTable(
		func() (int, int) { return len(p.m.view), tcCount },
		func() fyne.CanvasObject { return newTaskCell() },
		func(id widget.TableCellID, o fyne.CanvasObject) {
			c := o.(*taskCell)
			p.cellUpdates++
			if !c.used {
				c.used = true
				p.cells++
			}
			p.updateCell(c, id)
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		b := widget.NewButton("", nil)
		b.Importance = widget.LowImportance
		b.Alignment = widget.ButtonAlignLeading
		return b
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		b := o.(*widget.Button)
		if id.Col < 0 || id.Col >= tcCount {
			b.SetText("")
			b.OnTapped = nil
			return
		}
		text := taskColumns[id.Col].title
		if id.Col == p.m.sortCol {
			if p.m.sortDesc {
				text += " ▼"
			} else {
				text += " ▲"
			}
		}
		col := id.Col
		b.OnTapped = func() { p.sortBy(col) }
		b.SetText(text)
	}
	for i, c := range taskColumns {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		if r := p.m.at(id.Row); r != nil {
			p.selectTask(r.id)
		}
		t.UnselectAll() // the whole row shows the choice, not one cell
	}
	return t
}

func (p *tasksPage) updateCell(c *taskCell, id widget.TableCellID) {
	r := p.m.at(id.Row)
	if r == nil {
		c.label.SetText("")
		c.bar.Hide()
		c.iconBox.Hide()
		return
	}
	if r.id == p.selected {
		c.bg.FillColor = theme.Color(theme.ColorNameSelection)
	} else {
		c.bg.FillColor = color.Transparent
	}
	c.bg.Refresh()
	now := time.Now()
	if id.Col == tcProgress {
		c.label.Hide()
		c.iconBox.Hide()
		c.text = taskProgressText(r)
		c.bar.Value = taskProgressValue(r)
		c.bar.Show()
		c.bar.Refresh()
		return
	}
	c.bar.Hide()
	c.label.Show()
	c.label.Importance = widget.MediumImportance
	c.label.TextStyle = fyne.TextStyle{}
	var text string
	switch id.Col {
	case tcState:
		c.icon.SetResource(taskStateIcon(r))
		c.iconBox.Show()
		text = taskStateWord(r)
		c.label.Importance = taskImportance(r)
	case tcKind:
		text = r.kind
	case tcDescription:
		text = r.description
		if r.job != "" {
			text = r.job + ": " + text
		}
	case tcStarted:
		text = taskStarted(r, now)
	case tcDuration:
		text = taskDuration(r, now)
	case tcResult:
		text = taskResult(r)
		if r.state == tasks.Failed || r.state == tasks.Interrupted {
			c.label.Importance = widget.DangerImportance
		}
	}
	if id.Col != tcState {
		c.iconBox.Hide()
	}
	c.label.Text = text
	c.label.Refresh()
}

// taskStateIcon is the icon of a task's state.
func taskStateIcon(r *taskRow) fyne.Resource {
	switch r.state {
	case tasks.Running:
		return theme.MediaPlayIcon()
	case tasks.Paused:
		return theme.MediaPauseIcon()
	case tasks.Queued:
		return theme.HistoryIcon()
	case tasks.Canceling, tasks.Canceled:
		return theme.CancelIcon()
	case tasks.Succeeded:
		if r.exit == 3 || r.warnings > 0 {
			return theme.NewWarningThemedResource(theme.WarningIcon())
		}
		return theme.NewSuccessThemedResource(theme.ConfirmIcon())
	case tasks.Failed:
		return theme.NewErrorThemedResource(theme.ErrorIcon())
	case tasks.Interrupted:
		return theme.NewWarningThemedResource(theme.WarningIcon())
	}
	return theme.QuestionIcon()
}

// taskImportance colours a state's word: green, amber and red sparingly.
func taskImportance(r *taskRow) widget.Importance {
	switch r.state {
	case tasks.Failed:
		return widget.DangerImportance
	case tasks.Interrupted, tasks.Paused:
		return widget.WarningImportance
	case tasks.Succeeded:
		if r.exit == 3 || r.warnings > 0 {
			return widget.WarningImportance
		}
		return widget.SuccessImportance
	}
	return widget.MediumImportance
}

// refreshTable shows the view again: the rows that are on screen are
// drawn again, no cell is made anew.
func (p *tasksPage) refreshTable() {
	if p.table == nil {
		return
	}
	p.table.Refresh()
	p.updateCount()
	p.updateEmpty()
	p.updateActions()
}

// refreshLine draws one line of the table again.
func (p *tasksPage) refreshLine(line int) {
	if p.table == nil || line < 0 {
		return
	}
	for col := range tcCount {
		p.table.RefreshItem(widget.TableCellID{Row: line, Col: col})
	}
	if r := p.m.at(line); r != nil && r.id == p.selected {
		p.updateActions()
	}
}

func (p *tasksPage) updateCount() {
	total, shown := len(p.m.rows), len(p.m.view)
	switch {
	case !p.loaded:
		p.countLabel.SetText("reading…")
	case p.loadErr != nil:
		p.countLabel.SetText("could not read the tasks")
	case shown == total:
		p.countLabel.SetText(alCount(total, "task", "tasks"))
	default:
		p.countLabel.SetText(fmt.Sprintf("%d of %s", shown, alCount(total, "task", "tasks")))
	}
}

// updateEmpty shows a calm empty state while there are no tasks at all.
func (p *tasksPage) updateEmpty() {
	if p.listArea == nil || p.tabs == nil {
		return
	}
	empty := p.loaded && len(p.m.rows) == 0
	if empty == p.emptyShown {
		return
	}
	p.emptyShown = empty
	if empty {
		if p.emptyTasks == nil {
			body := "Every long piece of work — backups, restores, checks, repairs — appears here while it runs, " +
				"with its progress, and afterwards in the history, where you can retry it or read its log."
			if p.loadErr != nil {
				body = "The engine answered: " + p.loadErr.Error()
			}
			jobs := widget.NewButtonWithIcon("Schedule a job", theme.HistoryIcon(), func() { p.showTab(1) })
			p.emptyTasks = bkEmpty(theme.ListIcon(), "No tasks yet", body, jobs)
		}
		p.tabs.Items[0].Content = p.emptyTasks
	} else {
		p.tabs.Items[0].Content = p.listArea
	}
	p.tabs.Refresh()
}

func (p *tasksPage) updateKinds() {
	if p.kindSel == nil {
		return
	}
	p.kindSel.SetOptions(append([]string{allKinds}, p.m.kindList()...))
}

func (p *tasksPage) setFilter(f taskFilter) {
	p.m.filter = f
	p.m.resort()
	p.refreshTable()
}

func (p *tasksPage) sortBy(col int) {
	p.m.setSort(col)
	p.refreshTable()
}

// selectTask shows a task in the detail pane (0: none).
func (p *tasksPage) selectTask(id tasks.ID) {
	if id == p.selected {
		return
	}
	old := p.m.line(p.selected)
	p.selected = id
	p.refreshLine(old)
	p.refreshLine(p.m.line(id))
	p.updateActions()
	p.showDetail(true)
}

// updateActions enables the row actions the selected task's state allows.
func (p *tasksPage) updateActions() {
	if p.pauseBtn == nil {
		return
	}
	r := p.m.get(p.selected)
	set := func(b *widget.Button, on bool) {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
	var st tasks.State
	if r != nil {
		st = r.state
	}
	set(p.pauseBtn, r != nil && st == tasks.Running && !p.held)
	set(p.resumeBtn, r != nil && st == tasks.Paused && !p.held)
	set(p.cancelBtn, r != nil && r.live() && st != tasks.Canceling)
	set(p.retryBtn, r != nil && st.Ended())
	set(p.deleteBtn, r != nil && st.Ended())
}

// fitColumn lays a table out at its full size and gives one column the
// width the others leave, so the table fills its space without a
// horizontal scroll bar while it can.
type fitColumn struct {
	table  *widget.Table
	widths []float32 // every column's width; col's is the least it gets
	col    int
	min    float32
	width  float32 // last set
}

func (f *fitColumn) MinSize(objs []fyne.CanvasObject) fyne.Size { return f.table.MinSize() }

func (f *fitColumn) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	others := float32(0)
	for i, w := range f.widths {
		if i != f.col {
			others += w + theme.Padding()
		}
	}
	// Room for the vertical scroll bar.
	w := max(size.Width-others-theme.Padding()-theme.ScrollBarSize(), f.min)
	if w != f.width {
		f.width = w
		f.table.SetColumnWidth(f.col, w)
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func taskWidths() []float32 {
	out := make([]float32, len(taskColumns))
	for i, c := range taskColumns {
		out[i] = c.width
	}
	return out
}
