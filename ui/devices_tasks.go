package ui

// The Tasks page of a paired peer: its running and past tasks, read
// through the engine's peers service every few seconds while shown (a
// peer's tasks.changed events stay on the peer), with Pause, Resume and
// Cancel where the peer grants this device control. The local page goes
// on following this device's runner underneath, for the header and the
// tray; its Jobs and Statistics tabs are this device's.

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/peers/trust"
)

// tasksRemoteRefresh is how often a peer's tasks are read while shown.
const tasksRemoteRefresh = 2 * time.Second

// remoteTasks shows the peer's tasks in place of the local page.
type remoteTasks struct {
	s       *Shell
	tgt     target
	m       *taskModel
	loaded  bool
	err     error
	busy    map[tasks.ID]bool
	visible bool
	stop    context.CancelFunc

	stack  *fyne.Container
	local  fyne.CanvasObject
	view   fyne.CanvasObject
	list   *widget.List
	status *widget.Label
	empty  fyne.CanvasObject
	area   *fyne.Container
}

func newRemoteTasks(s *Shell) *remoteTasks {
	r := &remoteTasks{s: s, m: newTaskModel(), busy: map[tasks.ID]bool{}}
	s.dev.follow(r.setTarget, func(target) { r.load() })
	return r
}

// wrap puts the local page and the peer's view in one place.
func (r *remoteTasks) wrap(local fyne.CanvasObject) fyne.CanvasObject {
	r.local = local
	r.status = mutedLabel()
	r.list = widget.NewList(
		func() int { return len(r.m.view) },
		func() fyne.CanvasObject { return newRemoteTaskRow(r) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if row := r.m.at(id); row != nil {
				o.(*remoteTaskRow).set(*row, r.busy[row.id], time.Now())
			}
		})
	r.list.OnSelected = func(widget.ListItemID) { r.list.UnselectAll() }
	r.empty = emptyState(theme.ListIcon(), "No tasks on this device yet",
		"Its backups, restores, checks and repairs will be listed here while they run and afterwards.")
	r.area = container.NewStack(r.list)
	r.view = container.NewPadded(container.NewBorder(r.status, nil, nil, nil, r.area))
	r.stack = container.NewStack(local, r.view)
	r.show()
	return r.stack
}

// setVisible starts and stops reading the peer's tasks with the page.
func (r *remoteTasks) setVisible(v bool) {
	r.visible = v
	r.follow()
}

// setTarget shows another device's tasks.
func (r *remoteTasks) setTarget(t target) {
	r.tgt = t
	r.m.set(nil)
	r.loaded, r.err = false, nil
	r.show()
	r.follow()
}

// follow reads the peer's tasks every few seconds while it is shown.
func (r *remoteTasks) follow() {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	if r.tgt.local() || !r.visible {
		return
	}
	ctx, cancel := context.WithCancel(r.s.ctx)
	r.stop = cancel
	r.load()
	go func() {
		tk := time.NewTicker(tasksRemoteRefresh)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				r.s.opts.do(func() {
					if ctx.Err() == nil {
						r.load()
					}
				})
			}
		}
	}()
}

// load reads the peer's tasks and what it grants this device.
func (r *remoteTasks) load() {
	t := r.tgt
	if t.local() {
		return
	}
	go func() {
		var list []tasks.Task
		err := r.s.dev.call(r.s.ctx, t, tasks.OpList, tasks.ListArgs{}, &list)
		g, gerr := r.s.eng.Peers.Granted(r.s.ctx, t.id)
		r.s.opts.do(func() {
			if t != r.tgt || r.s.ctx.Err() != nil {
				return
			}
			if gerr == nil {
				r.s.dev.setGranted(t.id, g)
			}
			r.err = err
			if err == nil {
				r.loaded = true
				r.m.set(list)
			}
			r.show()
		})
	}()
}

// show puts the view that fits the device on top and fills it.
func (r *remoteTasks) show() {
	if r.stack == nil {
		return
	}
	if r.tgt.local() {
		r.local.Show()
		r.view.Hide()
		return
	}
	r.local.Hide()
	r.view.Show()
	live := len(r.m.live())
	switch {
	case r.err != nil:
		r.status.SetText("Could not read the tasks of " + r.tgt.name + ": " + r.err.Error())
	case !r.loaded:
		r.status.SetText("Reading the tasks of " + r.tgt.name + "…")
	default:
		text := fmt.Sprintf("%s on %s · %d running", alCount(len(r.m.view), "task", "tasks"), r.tgt.name, live)
		if !r.s.dev.can(r.tgt, trust.Control) {
			text += " · watch only: " + r.tgt.name + " has not granted this device control"
		}
		r.status.SetText(text)
	}
	var o fyne.CanvasObject = r.list
	if r.loaded && len(r.m.view) == 0 {
		o = r.empty
	}
	if len(r.area.Objects) != 1 || r.area.Objects[0] != o {
		r.area.Objects = []fyne.CanvasObject{o}
		r.area.Refresh()
	}
	r.list.Refresh()
}

// act runs one task action on the peer.
func (r *remoteTasks) act(id tasks.ID, op, what string) {
	if r.busy[id] {
		return
	}
	r.busy[id] = true
	r.list.Refresh()
	t := r.tgt
	go func() {
		err := r.s.dev.call(r.s.ctx, t, op, tasks.IDArgs{ID: id}, nil)
		r.s.opts.do(func() {
			delete(r.busy, id)
			if err != nil {
				dialog.ShowError(fmt.Errorf("Could not %s the task on %s: %w", what, t.name, err), r.s.win)
			}
			r.load()
		})
	}()
}

// remoteTaskRow is one of the peer's tasks: its state, what it is, how
// far it got, and its actions.
type remoteTaskRow struct {
	widget.BaseWidget
	r   *remoteTasks
	row taskRow

	icon                  *widget.Icon
	title, meta, progress *widget.Label
	pause, resume, cancel *widget.Button
	content               fyne.CanvasObject
}

func newRemoteTaskRow(r *remoteTasks) *remoteTaskRow {
	w := &remoteTaskRow{
		r:        r,
		icon:     widget.NewIcon(nil),
		title:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		meta:     alCaption(fyne.TextAlignLeading),
		progress: widget.NewLabel(""),
	}
	w.title.Truncation = fyne.TextTruncateEllipsis
	w.progress.Alignment = fyne.TextAlignTrailing
	w.pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() { r.act(w.row.id, tasks.OpPause, "pause") })
	w.resume = widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), func() { r.act(w.row.id, tasks.OpResume, "resume") })
	w.cancel = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { r.act(w.row.id, tasks.OpCancel, "cancel") })
	actions := container.NewHBox(alColumn(200, w.progress), w.pause, w.resume, w.cancel)
	w.content = container.NewBorder(nil, nil, w.icon, actions, alTight(w.title, w.meta))
	w.ExtendBaseWidget(w)
	return w
}

func (w *remoteTaskRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(w.content)
}

func (w *remoteTaskRow) set(row taskRow, busy bool, now time.Time) {
	w.row = row
	w.icon.SetResource(taskStateIcon(&row))
	w.title.SetText(row.description)
	meta := taskStateWord(&row) + " · " + row.kind
	if s := taskStarted(&row, now); s != "" {
		meta += " · " + s
	}
	if !row.started.IsZero() {
		meta += " · " + taskDuration(&row, now)
	}
	if res := taskResult(&row); res != "" && !row.live() {
		meta += " · " + res
	}
	w.meta.SetText(meta)
	w.progress.SetText(taskProgressText(&row))
	ctrl := w.r.s.dev.can(w.r.tgt, trust.Control)
	showIf(w.pause, ctrl && (row.state == tasks.Running || row.state == tasks.Queued))
	showIf(w.resume, ctrl && row.state == tasks.Paused)
	showIf(w.cancel, ctrl && row.live() && row.state != tasks.Canceling)
	for _, b := range []*widget.Button{w.pause, w.resume, w.cancel} {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}
