package ui

// The Jobs tab of the Tasks page: every job with its schedule in words,
// its next and last runs, and the actions on it — add, edit, run now,
// pause or resume, delete. Every change goes through the scheduler, with
// the same checks as `holdfast jobs`.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/core/tasks/jobs"
)

type jobsView struct {
	p *tasksPage

	list     []jobs.Info
	held     bool
	loaded   bool
	err      error
	gen      int
	selected string
	dialog   *jobDialog // open, if any
	// onChange hears every new list (the Backups page's sources).
	onChange []func(list []jobs.Info, held bool)

	root      *fyne.Container
	table     *widget.Table
	state     *widget.Label
	editBtn   *widget.Button
	runBtn    *widget.Button
	pauseBtn  *widget.Button
	deleteBtn *widget.Button
	main      fyne.CanvasObject
	empty     fyne.CanvasObject
}

func newJobsView(p *tasksPage) *jobsView { return &jobsView{p: p} }

// Columns of the jobs table.
var jobColumns = []struct {
	title string
	width float32
}{
	{"Job", 110}, {"Action", 70}, {"Repository", 100}, {"Sources", 160}, {"Schedule", 150},
	{"Next run", 120}, {"Last run", 110}, {"Result", 170},
}

func (v *jobsView) build() fyne.CanvasObject {
	add := widget.NewButtonWithIcon("Add job", theme.ContentAddIcon(), func() { v.showDialog(nil) })
	add.Importance = widget.HighImportance
	v.editBtn = widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() {
		if j := v.job(v.selected); j != nil {
			v.showDialog(&j.Job)
		}
	})
	v.runBtn = widget.NewButtonWithIcon("Run now", theme.MediaPlayIcon(), func() { v.runNow(v.selected) })
	v.pauseBtn = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() {
		if j := v.job(v.selected); j != nil {
			v.setPaused(j.Name, !j.Paused)
		}
	})
	v.deleteBtn = widget.NewButtonWithIcon("Delete", theme.DeleteIcon(), func() { v.confirmDelete(v.selected) })
	v.state = widget.NewLabel("")
	v.state.Wrapping = fyne.TextWrapWord

	v.table = widget.NewTable(
		func() (int, int) { return len(v.list), len(jobColumns) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			if id.Row >= len(v.list) {
				l.SetText("")
				return
			}
			j := v.list[id.Row]
			l.TextStyle.Bold = j.Name == v.selected
			l.Importance = widget.MediumImportance
			if id.Col == 7 && (j.LastResult == jobs.ResultFailed || j.LastResult == jobs.ResultInterrupted) {
				l.Importance = widget.DangerImportance
			}
			l.SetText(jobCell(j, id.Col, v.held, time.Now()))
		})
	v.table.ShowHeaderRow = true
	v.table.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	v.table.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Col >= 0 && id.Col < len(jobColumns) {
			l.SetText(jobColumns[id.Col].title)
		} else {
			l.SetText("")
		}
	}
	for i, c := range jobColumns {
		v.table.SetColumnWidth(i, c.width)
	}
	v.table.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(v.list) {
			v.selected = v.list[id.Row].Name
		}
		v.table.UnselectAll()
		v.table.Refresh()
		v.updateActions()
	}

	actions := container.NewHBox(add, v.editBtn, v.runBtn, v.pauseBtn, v.deleteBtn, layout.NewSpacer())
	widths := make([]float32, len(jobColumns))
	for i, c := range jobColumns {
		widths[i] = c.width
	}
	fit := container.New(&fitColumn{table: v.table, widths: widths, col: 3, min: 120}, v.table)
	v.main = container.NewBorder(container.NewVBox(v.state, actions), nil, nil, nil, fit)
	addFirst := widget.NewButtonWithIcon("Add job", theme.ContentAddIcon(), func() { v.showDialog(nil) })
	addFirst.Importance = widget.HighImportance
	v.empty = bkEmpty(theme.HistoryIcon(), "No jobs yet",
		"A job backs up folders into a repository, checks a repository, or verifies a folder against its backup — "+
			"every few hours, at a time of day, or on a cron schedule. Jobs run from the tray while the window is closed, "+
			"a run missed while the machine slept runs once when it wakes, and a failed run can be retried.", addFirst)
	v.root = container.NewStack()
	v.refresh()
	return v.root
}

// jobCell is the text of one cell of the jobs table.
func jobCell(j jobs.Info, col int, held bool, now time.Time) string {
	switch col {
	case 0:
		return j.Name
	case 1:
		return string(j.Action)
	case 2:
		return j.Repo
	case 3:
		if len(j.Sources) == 0 {
			return "whole repository"
		}
		return strings.Join(j.Sources, ", ")
	case 4:
		return j.Description
	case 5:
		switch {
		case j.RunningTask != "":
			return "running now"
		case j.Paused:
			return "paused"
		case held:
			return "held (Pause all)"
		case !j.RetryAt.IsZero() && j.RetryAt.After(now):
			return "retry " + alClock(j.RetryAt, now)
		case j.NextRun != nil:
			return alClock(*j.NextRun, now)
		}
		return "never"
	case 6:
		if j.LastRun.IsZero() {
			return "never"
		}
		return alClock(j.LastRun, now)
	case 7:
		switch {
		case j.RunningTask != "":
			return "task #" + j.RunningTask + " running"
		case j.LastResult == "":
			return "—"
		case j.LastError != "":
			return j.LastResult + ": " + firstLine(j.LastError)
		}
		return j.LastResult
	}
	return ""
}

// load asks the scheduler for the jobs.
func (v *jobsView) load() {
	sch := v.p.s.eng.Jobs
	v.gen++
	gen := v.gen
	go func() {
		var res jobs.ListResult
		err := errors.New("this engine runs no scheduler")
		if sch != nil {
			res, err = sch.List()
		}
		v.p.s.opts.do(func() {
			if gen != v.gen || v.p.s.ctx.Err() != nil {
				return
			}
			v.loaded, v.err = true, err
			if err == nil {
				v.list, v.held = res.Jobs, res.PausedAll
			}
			v.p.jobCount = len(v.list)
			for _, fn := range v.onChange {
				fn(v.list, v.held)
			}
			v.refresh()
			v.p.updateActivity(true)
			if v.dialog != nil {
				v.dialog.preview()
			}
		})
	}()
}

func (v *jobsView) job(name string) *jobs.Info {
	for i := range v.list {
		if v.list[i].Name == name {
			return &v.list[i]
		}
	}
	return nil
}

// refresh shows the jobs as last read.
func (v *jobsView) refresh() {
	if v.root == nil {
		return
	}
	var want fyne.CanvasObject = v.main
	switch {
	case !v.loaded:
		want = container.NewCenter(widget.NewLabel("Reading the jobs…"))
	case v.err != nil:
		want = bkEmpty(theme.ErrorIcon(), "Could not read the jobs", "The scheduler answered: "+v.err.Error(),
			widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), v.load))
	case len(v.list) == 0:
		want = v.empty
	}
	if len(v.root.Objects) != 1 || v.root.Objects[0] != want {
		v.root.Objects = []fyne.CanvasObject{want}
		v.root.Refresh()
	}
	if v.job(v.selected) == nil {
		v.selected = ""
	}
	v.state.SetText(v.stateLine())
	v.table.Refresh()
	v.updateActions()
}

// stateLine sums the jobs up: how many, which run next, which failed.
func (v *jobsView) stateLine() string {
	if v.held {
		return "Every schedule is held (Pause all): no job starts until you resume all."
	}
	var failed []string
	var next *jobs.Info
	for i, j := range v.list {
		if j.LastResult == jobs.ResultFailed && j.RunningTask == "" {
			failed = append(failed, j.Name)
		}
		if j.NextRun != nil && (next == nil || j.NextRun.Before(*next.NextRun)) {
			next = &v.list[i]
		}
	}
	text := alCount(len(v.list), "job", "jobs")
	if next != nil {
		text += fmt.Sprintf(" · next: %s %s", next.Name, alClock(*next.NextRun, time.Now()))
	}
	if len(failed) > 0 {
		text += fmt.Sprintf(" · last run failed: %s", bkFirst(failed, 3))
	}
	return text
}

func (v *jobsView) updateActions() {
	if v.editBtn == nil {
		return
	}
	j := v.job(v.selected)
	for _, b := range []*widget.Button{v.editBtn, v.runBtn, v.pauseBtn, v.deleteBtn} {
		if j == nil {
			b.Disable()
		} else {
			b.Enable()
		}
	}
	if j != nil && j.RunningTask != "" {
		v.runBtn.Disable()
	}
	if j != nil && j.Paused {
		v.pauseBtn.SetText("Resume")
		v.pauseBtn.SetIcon(theme.MediaPlayIcon())
	} else {
		v.pauseBtn.SetText("Pause")
		v.pauseBtn.SetIcon(theme.MediaPauseIcon())
	}
}

// runNow starts a job outside its schedule and shows its task.
func (v *jobsView) runNow(name string) {
	sch := v.p.s.eng.Jobs
	if sch == nil || name == "" {
		return
	}
	go func() {
		run, err := sch.RunNow(context.Background(), name)
		v.p.s.opts.do(func() {
			if v.p.s.ctx.Err() != nil {
				return
			}
			if err != nil {
				v.p.errorDialog("Could not run job "+name, err)
				return
			}
			if id, err := tasks.ParseID(run.TaskID()); err == nil {
				v.p.showTab(0)
				v.p.pendingSelect(id)
			}
		})
	}()
}

func (v *jobsView) setPaused(name string, paused bool) {
	sch := v.p.s.eng.Jobs
	go func() {
		_, err := sch.SetPaused(name, paused)
		v.p.s.opts.do(func() {
			if err != nil && v.p.s.ctx.Err() == nil {
				v.p.errorDialog("Could not change job "+name, err)
			}
		})
	}()
}

func (v *jobsView) confirmDelete(name string) {
	if name == "" {
		return
	}
	dialog.ShowConfirm("Delete job "+name+"?",
		"It stops running on its schedule. Its past tasks stay in the history, and a run in progress goes on to its end.",
		func(ok bool) {
			if !ok {
				return
			}
			sch := v.p.s.eng.Jobs
			go func() {
				err := sch.Remove(name)
				v.p.s.opts.do(func() {
					if err != nil && v.p.s.ctx.Err() == nil {
						v.p.errorDialog("Could not delete job "+name, err)
					}
				})
			}()
		}, v.p.s.win)
}

// editJob opens the Jobs tab with a job's dialog (from the Backups page).
func (v *jobsView) editJob(name string) {
	v.p.s.ShowPage(PageTasks)
	v.p.showTab(1)
	v.selected = name
	v.refresh()
	if j := v.job(name); j != nil {
		v.showDialog(&j.Job)
	}
}
