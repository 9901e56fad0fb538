package ui

// The detail pane of the Tasks page: the selected task's record in full —
// its timing, named counters, warnings, error — and its log.

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks"
)

// maxShownWarnings bounds the warnings listed; the rest are counted.
const maxShownWarnings = 50

type taskDetail struct {
	p      *tasksPage
	object fyne.CanvasObject

	task    tasks.Task // the full record last read
	has     bool
	gen     int // answers to older reads are dropped
	loading bool

	title    *widget.Label
	meta     *widget.Label
	message  *widget.Label
	counters *fyne.Container
	warnings *widget.Label
	errText  *widget.Label
	log      *widget.TextGrid
	logLines int
	logWrap  *container.Scroll
	info     *fyne.Container
	empty    fyne.CanvasObject
	body     *fyne.Container
}

func newTaskDetail(p *tasksPage) *taskDetail {
	d := &taskDetail{p: p}
	d.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.title.Wrapping = fyne.TextWrapWord
	d.meta = widget.NewLabel("")
	d.meta.Wrapping = fyne.TextWrapWord
	d.message = widget.NewLabel("")
	d.message.Wrapping = fyne.TextWrapWord
	d.counters = container.New(newCounterGridLayout())
	d.warnings = widget.NewLabel("")
	d.warnings.Wrapping = fyne.TextWrapWord
	d.warnings.Importance = widget.WarningImportance
	d.errText = widget.NewLabel("")
	d.errText.Wrapping = fyne.TextWrapWord
	d.errText.Importance = widget.DangerImportance
	d.log = widget.NewTextGrid()
	d.log.ShowLineNumbers = false
	d.logWrap = container.NewScroll(d.log)

	d.info = container.NewVBox(d.title, d.meta, d.message, d.counters, d.errText, d.warnings)
	logTitle := widget.NewLabelWithStyle("Log", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	logPane := container.NewBorder(logTitle, nil, nil, nil, d.logWrap)
	split := container.NewHSplit(container.NewVScroll(d.info), logPane)
	split.Offset = 0.45
	d.empty = container.NewCenter(widget.NewLabel("Select a task to see its counters, warnings and log."))
	d.body = container.NewStack(d.empty)
	d.object = container.NewStack(d.body)
	d.bodyFor(split)
	return d
}

// bodyFor keeps the pane's two faces: nothing selected, or a task.
func (d *taskDetail) bodyFor(split fyne.CanvasObject) {
	d.body.Objects = []fyne.CanvasObject{d.empty, split}
	split.Hide()
}

func (d *taskDetail) setShown(on bool) {
	if on {
		d.empty.Hide()
		d.body.Objects[1].Show()
	} else {
		d.body.Objects[1].Hide()
		d.empty.Show()
	}
	d.body.Refresh()
}

// showDetail reads the selected task's full record (with its log) and
// shows it; fresh is true when the selection changed.
func (p *tasksPage) showDetail(fresh bool) {
	d := p.detail
	if d == nil {
		return
	}
	id := p.selected
	d.gen++
	gen := d.gen
	if id == 0 {
		d.has = false
		d.setShown(false)
		return
	}
	if fresh {
		d.has = false
		d.logLines = -1
	}
	go func() {
		t, err := p.s.eng.Tasks.Get(id)
		p.s.opts.do(func() {
			if gen != d.gen || p.s.ctx.Err() != nil {
				return
			}
			if err != nil {
				d.has = false
				d.setShown(true)
				d.title.SetText(fmt.Sprintf("Task %d", id))
				d.meta.SetText("Could not read this task: " + err.Error())
				return
			}
			d.show(t)
		})
	}()
}

// show fills the pane with a task's record.
func (d *taskDetail) show(t tasks.Task) {
	d.task, d.has = t, true
	r := newTaskRow(t)
	d.setShown(true)
	d.title.SetText(fmt.Sprintf("#%d · %s — %s", t.ID, t.Description, taskStateWord(&r)))
	d.tick()
	d.message.SetText(t.Progress.Message)
	if t.Progress.Message == "" {
		d.message.Hide()
	} else {
		d.message.Show()
	}
	d.showCounters(t.Progress.Counters)

	d.errText.SetText(t.Error)
	if t.Error == "" {
		d.errText.Hide()
	} else {
		d.errText.Show()
	}
	if n := len(t.Warnings); n > 0 {
		shown := t.Warnings[:min(n, maxShownWarnings)]
		text := alCount(n, "warning", "warnings") + ":\n• " + strings.Join(shown, "\n• ")
		if n > len(shown) {
			text += fmt.Sprintf("\n… and %d more", n-len(shown))
		}
		d.warnings.SetText(text)
		d.warnings.Show()
	} else {
		d.warnings.Hide()
	}
	d.showLog(t)
	d.info.Refresh()
}

// tick writes the timing line again (a live task's duration moves).
func (d *taskDetail) tick() {
	if !d.has {
		return
	}
	t := d.task
	now := time.Now()
	var parts []string
	switch {
	case t.Started != nil:
		parts = append(parts, "started "+alClock(*t.Started, now))
		parts = append(parts, "ran "+bkSeconds(t.Duration(now).Seconds()))
	default:
		parts = append(parts, "queued since "+alClock(t.Created, now))
	}
	if t.Ended != nil {
		parts = append(parts, "ended "+alClock(*t.Ended, now))
	}
	if live := d.p.m.get(t.ID); live != nil && live.live() && live.eta >= 1 {
		parts = append(parts, "about "+taskETA(live.eta)+" left")
	}
	if t.Job != "" {
		job := "job " + t.Job
		if t.Attempt > 1 {
			job += fmt.Sprintf(", attempt %d", t.Attempt)
		}
		parts = append(parts, job)
	}
	if t.RetryOf != 0 {
		parts = append(parts, fmt.Sprintf("retry of #%d", t.RetryOf))
	}
	if t.Size > 0 {
		parts = append(parts, backup.HumanBytes(t.Size)+" processed")
	}
	if t.Exit != 0 && t.State.Ended() {
		parts = append(parts, fmt.Sprintf("exit %d", t.Exit))
	}
	d.meta.SetText(strings.Join(parts, " · "))
}

// showCounters lays the named counters out as "name  value / total unit".
func (d *taskDetail) showCounters(cs []control.Counter) {
	objs := make([]fyne.CanvasObject, 0, 2*len(cs))
	for _, c := range cs {
		name := widget.NewLabel(c.Name)
		name.TextStyle.Bold = true
		value := widget.NewLabel(counterText(c))
		value.TextStyle.Monospace = true
		switch c.Level {
		case "warning", "notice":
			value.Importance = widget.WarningImportance
		case "error":
			value.Importance = widget.DangerImportance
		}
		objs = append(objs, name, value)
	}
	d.counters.Objects = objs
	d.counters.Refresh()
}

// counterText writes a counter with its unit: "1.2 GiB of 3.4 GiB",
// "1,204 of 5,000 files", "3 errors".
func counterText(c control.Counter) string {
	num := func(v int64) string {
		if c.Unit == "bytes" || c.Unit == "B" {
			return backup.HumanBytes(v)
		}
		return groupDigits(v)
	}
	unit := ""
	if c.Unit != "" && c.Unit != "bytes" && c.Unit != "B" {
		unit = " " + c.Unit
	}
	if c.Total > 0 {
		pct := 100 * float64(c.Value) / float64(c.Total)
		return fmt.Sprintf("%s of %s%s (%.0f %%)", num(c.Value), num(c.Total), unit, pct)
	}
	return num(c.Value) + unit
}

// groupDigits writes 1234567 as "1,234,567".
func groupDigits(v int64) string {
	s := fmt.Sprint(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// showLog shows the task's bounded log in monospace; while the task runs
// it follows the end, unless the log did not change.
func (d *taskDetail) showLog(t tasks.Task) {
	if len(t.Log) == d.logLines && d.logLines > 0 {
		return
	}
	first := d.logLines < 0
	d.logLines = len(t.Log)
	if len(t.Log) == 0 {
		d.log.SetText("(no log lines)")
	} else {
		d.log.SetText(strings.Join(t.Log, "\n"))
	}
	if !t.State.Ended() || first {
		d.logWrap.ScrollToBottom()
	}
}

// counterGrid lays counters out in two columns: names as wide as the
// widest, values after them.
type counterGrid struct{}

func newCounterGridLayout() fyne.Layout { return counterGrid{} }

func (counterGrid) widths(objs []fyne.CanvasObject) (name, value, row float32) {
	for i := 0; i+1 < len(objs); i += 2 {
		n, v := objs[i].MinSize(), objs[i+1].MinSize()
		name, value = max(name, n.Width), max(value, v.Width)
		row = max(row, n.Height, v.Height)
	}
	return name, value, row
}

func (g counterGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	name, value, row := g.widths(objs)
	rows := float32(len(objs) / 2)
	if rows == 0 {
		return fyne.NewSize(0, 0)
	}
	return fyne.NewSize(name+value+theme.Padding(), rows*row)
}

func (g counterGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	name, _, row := g.widths(objs)
	for i := 0; i+1 < len(objs); i += 2 {
		y := float32(i/2) * row
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(name, row))
		objs[i+1].Move(fyne.NewPos(name+theme.Padding(), y))
		objs[i+1].Resize(fyne.NewSize(max(size.Width-name-theme.Padding(), 0), row))
	}
}
