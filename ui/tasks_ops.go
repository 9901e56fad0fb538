package ui

// The Tasks page's calls to the engine: the runner's row actions and
// "Pause all". Each runs in a goroutine; its answer comes back through
// the shell's do. The runner publishes the change itself, so the table
// follows from the bus, not from these answers.

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/tasks"
)

// taskAction is a row action.
type taskAction int

const (
	taskPause taskAction = iota
	taskResume
	taskCancel
	taskRetry
	taskDelete
)

var taskActionWords = map[taskAction]string{
	taskPause: "pause", taskResume: "resume", taskCancel: "cancel", taskRetry: "retry", taskDelete: "delete",
}

// act runs a row action on the selected task; deleting asks first.
func (p *tasksPage) act(a taskAction) {
	r := p.m.get(p.selected)
	if r == nil {
		return
	}
	id := r.id
	if a == taskDelete {
		dialog.ShowConfirm(fmt.Sprintf("Delete task #%d?", id),
			"It is removed from the history, with its log. What it did stays done.",
			func(ok bool) {
				if ok {
					p.runAction(id, a)
				}
			}, p.s.win)
		return
	}
	p.runAction(id, a)
}

// runAction asks the runner; a retry selects the new task.
func (p *tasksPage) runAction(id tasks.ID, a taskAction) {
	run := p.s.eng.Tasks
	go func() {
		var err error
		var newID tasks.ID
		switch a {
		case taskPause:
			_, err = run.Pause(id)
		case taskResume:
			_, err = run.Resume(id)
		case taskCancel:
			_, err = run.Cancel(id)
		case taskRetry:
			// Secrets are not kept with tasks: the remembered password
			// opens the repository again.
			newID, err = run.LaunchRetry(context.Background(), id, nil)
		case taskDelete:
			err = run.Delete(id)
		}
		p.s.opts.do(func() {
			if p.s.ctx.Err() != nil {
				return
			}
			if err != nil {
				p.errorDialog(fmt.Sprintf("Could not %s task #%d", taskActionWords[a], id), err)
				return
			}
			if newID != 0 {
				p.pendingSelect(newID)
			}
		})
	}()
}

// pendingSelect selects a task now if it is listed, or as soon as the
// bus brings it.
func (p *tasksPage) pendingSelect(id tasks.ID) {
	if p.m.get(id) == nil {
		if t, err := p.s.eng.Tasks.Get(id); err == nil {
			p.m.apply(tasks.Changed{Task: t.Brief()})
			p.m.resort()
			p.refreshTable()
		}
	}
	p.selectTask(id)
	if line := p.m.line(id); line >= 0 && p.table != nil {
		p.table.ScrollTo(widget.TableCellID{Row: line, Col: 0})
	}
}

// setHold holds every schedule and pauses the running tasks ("Pause
// all"), or lets them go.
func (p *tasksPage) setHold(on bool) {
	sch := p.s.eng.Jobs
	go func() {
		var err error
		if sch == nil {
			err = errors.New("this engine runs no scheduler")
		} else {
			err = sch.SetHold(on)
		}
		p.s.opts.do(func() {
			if err != nil && p.s.ctx.Err() == nil {
				word := map[bool]string{true: "pause", false: "resume"}[on]
				p.errorDialog("Could not "+word+" all tasks and schedules", err)
			}
		})
	}()
}

// showErrorDialog says what failed and why.
func showErrorDialog(win fyne.Window, what string, err error) {
	dialog.ShowError(fmt.Errorf("%s: %w", what, err), win)
}
