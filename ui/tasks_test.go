package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/tasks"
)

// opSlow is a test operation that runs as a task: it reports a step,
// stops at a checkpoint and logs, until released or canceled.
const opSlow = "test.slow"

// addSlowOp registers opSlow on the engine and declares it a task.
// Closing the returned channel lets every run of it finish.
func addSlowOp(t *testing.T, eng *engine.Engine) chan struct{} {
	t.Helper()
	release := make(chan struct{})
	eng.Handle(opSlow, func(ctx context.Context, c *control.Call) (any, error) {
		for n := 1; ; n++ {
			if err := tasks.Checkpoint(ctx); err != nil {
				return nil, fmt.Errorf("slow work: %w", err)
			}
			c.Progress(control.Progress{Message: "working", Percent: float64(min(n, 990)) / 10,
				Counters: []control.Counter{{Name: "steps", Value: int64(n), Unit: "steps"}, {Name: "bytes", Value: int64(n) << 20, Unit: "bytes"}}})
			c.Logf("step %d", n)
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("slow work: %w", ctx.Err())
			case <-release:
				return map[string]int{"steps": n}, nil
			case <-time.After(3 * time.Millisecond):
			}
		}
	})
	eng.Tasks.Define(opSlow, tasks.Spec{Kind: "slow", Plan: func(control.Request) (tasks.Plan, error) {
		return tasks.Plan{Description: "Slow test work"}, nil
	}})
	return release
}

// showTasksPage opens the shell's Tasks page in its window, on screen.
func showTasksPage(t *testing.T, s *Shell) *tasksPage {
	t.Helper()
	var p *tasksPage
	uiDo(func() {
		s.Window().Resize(fyne.NewSize(1200, 820))
		s.Show()
		s.ShowPage(PageTasks)
		p = tasksViewOf(s)
	})
	if p == nil {
		t.Fatal("no Tasks page")
	}
	waitUI(t, "the task list", func() bool { return p.loaded })
	return p
}

// drawnTexts collects the text drawn under o as it is on screen: unlike
// texts, it walks the renderers the window uses (test.LaidOutObjects
// makes new ones, which would cut a table off from its cells). Progress
// bars give their words.
func drawnTexts(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		switch v := o.(type) {
		case *widget.Label:
			b.WriteString(v.Text + "\n")
			return
		case *widget.ProgressBar:
			if v.TextFormatter != nil {
				b.WriteString(v.TextFormatter() + "\n")
			}
			return
		case *canvas.Text:
			b.WriteString(v.Text + "\n")
			return
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
			return
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// tapButton taps the button with the given text in the window's top
// dialog.
func tapButton(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	var found *widget.Button
	uiDo(func() {
		top := w.Canvas().Overlays().Top()
		if top == nil {
			return
		}
		for _, o := range test.LaidOutObjects(top) {
			if b, ok := o.(*widget.Button); ok && b.Text == text {
				found = b
			}
		}
	})
	if found == nil {
		t.Fatalf("no %q button in a dialog", text)
	}
	uiDo(func() { test.Tap(found) })
}

func initRepo(t *testing.T, eng *engine.Engine, dir, name, password string) {
	t.Helper()
	raw, _ := json.Marshal(backup.InitArgs{RepoArgs: backup.RepoArgs{Repo: dir, RepoAbs: dir}, Name: name, Remember: true})
	res := eng.Dispatch(context.Background(), control.Request{Op: backup.OpInit, Args: raw,
		Secrets: map[string]string{backup.SecretPassword: password}}, nil)
	if err := res.Err(); err != nil {
		t.Fatalf("init %s: %v", name, err)
	}
}

func TestTasksPageShowsABackupRun(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	eng.Backup.KDF = repo.TestKDFParams()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "docs")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		data := bytes.Repeat([]byte{byte(i)}, 50000+i)
		if err := os.WriteFile(filepath.Join(src, fmt.Sprintf("f%02d", i)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	initRepo(t, eng, filepath.Join(tmp, "repo"), "demo", "pw")

	p := showTasksPage(t, s)
	var mu sync.Mutex
	var notes []*fyne.Notification
	uiDo(func() {
		p.notify = func(n *fyne.Notification) { mu.Lock(); notes = append(notes, n); mu.Unlock() }
	})
	waitUI(t, "the empty state", func() bool { return strings.Contains(drawnTexts(s.Window().Content()), "No tasks yet") })

	raw, _ := json.Marshal(backup.BackupArgs{RepoArgs: backup.RepoArgs{Repo: "demo"}, Paths: []string{src}})
	id, err := eng.Tasks.Launch(context.Background(), control.Request{Op: backup.OpBackup, Args: raw}, tasks.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the backup in the table", func() bool { return p.m.get(id) != nil })
	waitUI(t, "the backup to succeed", func() bool {
		r := p.m.get(id)
		return r.state == tasks.Succeeded && strings.Contains(drawnTexts(s.Window().Content()), "Succeeded")
	})
	uiDo(func() {
		got := drawnTexts(s.Window().Content())
		for _, want := range []string{"backup", "Back up " + src + " into demo", "done", "1 task"} {
			if !strings.Contains(got, want) {
				t.Errorf("the table does not show %q:\n%s", want, got)
			}
		}
		r := p.m.get(id)
		if r.size != 20*50000+190 || taskProgressValue(r) != 1 {
			t.Errorf("row %+v", *r)
		}
		if !p.retryBtn.Disabled() || !p.pauseBtn.Disabled() {
			t.Error("row actions enabled with nothing selected")
		}
		p.selectTask(id)
	})
	// The detail pane: the named counters with their units, and the log.
	waitUI(t, "the detail pane", func() bool {
		got := texts(p.detail.object)
		return strings.Contains(got, "files") && strings.Contains(got, "20 of 20 files (100 %)") &&
			strings.Contains(got, "#"+id.String())
	})
	uiDo(func() {
		if p.pauseBtn.Disabled() == false || p.cancelBtn.Disabled() == false || p.retryBtn.Disabled() || p.deleteBtn.Disabled() {
			t.Error("an ended task offers pause or cancel, or no retry or delete")
		}
	})
	// A backup that succeeded tells the desktop once.
	waitUI(t, "the notification", func() bool { mu.Lock(); defer mu.Unlock(); return len(notes) == 1 })
	if n := notes[0]; n.Title != "Backup finished" || !strings.Contains(n.Content, "Back up "+src) {
		t.Errorf("notification %+v", n)
	}
}

func TestTasksPageActsOnARunningTask(t *testing.T) {
	s, a, eng := newTestShell(t, Options{TrayHost: true})
	release := addSlowOp(t, eng)
	p := showTasksPage(t, s)

	id, err := eng.Tasks.Launch(context.Background(), control.Request{Op: opSlow}, tasks.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the task running with progress", func() bool {
		r := p.m.get(id)
		return r != nil && r.state == tasks.Running && r.percent > 0 &&
			strings.Contains(drawnTexts(p.tableArea), "Running")
	})
	// The sidebar counts it; the tray lists it; Pause all is offered.
	waitUI(t, "the tray line", func() bool {
		var running, pause bool
		for _, it := range a.menu.Items {
			running = running || strings.HasPrefix(it.Label, "Running: slow Slow test work")
			pause = pause || it.Label == "Pause all"
		}
		return running && pause && p.page.badge == "1" && s.header.pause.Visible()
	})

	uiDo(func() { p.selectTask(id) })
	waitUI(t, "the log in the detail pane", func() bool { return strings.Contains(p.detail.log.Text(), "step 1") })
	uiDo(func() {
		if p.pauseBtn.Disabled() || !p.resumeBtn.Disabled() || p.cancelBtn.Disabled() || !p.retryBtn.Disabled() {
			t.Error("a running task should offer pause and cancel only")
		}
		test.Tap(p.pauseBtn)
	})
	waitUI(t, "the task held", func() bool {
		r := p.m.get(id)
		return r.state == tasks.Paused && r.held && !p.resumeBtn.Disabled()
	})
	if got, _ := eng.Tasks.Get(id); got.State != tasks.Paused {
		t.Fatalf("runner says %s", got.State)
	}
	uiDo(func() { test.Tap(p.resumeBtn) })
	waitUI(t, "the task running again", func() bool { return p.m.get(id).state == tasks.Running })

	// Pause all, from the header: schedules held, the task paused, the
	// header and the tray say so.
	uiDo(func() { test.Tap(s.header.pause) })
	waitUI(t, "everything held", func() bool {
		var resume bool
		for _, it := range a.menu.Items {
			resume = resume || it.Label == "Resume all"
		}
		return p.held && eng.Jobs.Hold() && p.m.get(id).state == tasks.Paused && resume &&
			strings.HasPrefix(s.header.state.Text, "Paused · schedules held, 1 task on hold") &&
			s.header.pause.Text == "Resume all"
	})
	uiDo(func() { test.Tap(s.header.pause) })
	waitUI(t, "everything going again", func() bool {
		return !p.held && !eng.Jobs.Hold() && p.m.get(id).state == tasks.Running && s.header.pause.Text == "Pause all"
	})

	uiDo(func() { test.Tap(p.cancelBtn) })
	waitUI(t, "the task canceled", func() bool { return p.m.get(id).state == tasks.Canceled && !p.retryBtn.Disabled() })

	// Retry starts a new task with the same inputs, and selects it.
	uiDo(func() { test.Tap(p.retryBtn) })
	var retry tasks.ID
	waitUI(t, "the retry running", func() bool {
		r := p.m.get(p.selected)
		if r == nil || r.id == id || r.state != tasks.Running {
			return false
		}
		retry = r.id
		return true
	})
	close(release)
	waitUI(t, "the retry done", func() bool { return p.m.get(retry).state == tasks.Succeeded })
	if got, _ := eng.Tasks.Get(retry); got.RetryOf != id {
		t.Errorf("retry of %d, want %d", got.RetryOf, id)
	}

	// Delete asks first, then the task leaves the table.
	uiDo(func() { p.selectTask(id); test.Tap(p.deleteBtn) })
	tapButton(t, s.Window(), "Yes")
	waitUI(t, "the task gone", func() bool { return p.m.get(id) == nil && p.m.line(id) < 0 && len(p.m.view) == 1 })
	if _, err := eng.Tasks.Get(id); err == nil {
		t.Error("the task is still in the history")
	}
	waitUI(t, "the tray without running tasks", func() bool {
		for _, it := range a.menu.Items {
			if strings.Contains(it.Label, "slow") {
				return false
			}
		}
		return p.page.badge == ""
	})
}

// fakeHistory is n ended tasks over the last days, of a few kinds.
func fakeHistory(n int) []tasks.Task {
	kinds := []string{"backup", "check", "forget", "restore"}
	states := []tasks.State{tasks.Succeeded, tasks.Succeeded, tasks.Succeeded, tasks.Failed, tasks.Canceled}
	now := time.Now()
	out := make([]tasks.Task, n)
	for i := range out {
		start := now.Add(-time.Duration(n-i) * time.Minute)
		end := start.Add(time.Duration(i%90) * time.Second)
		out[i] = tasks.Task{ID: tasks.ID(i + 1), Kind: kinds[i%len(kinds)], State: states[i%len(states)],
			Description: fmt.Sprintf("Back up /home/me/folder-%d into nas", i), Created: start, Started: &start,
			Ended: &end, Size: int64(i) << 10}
		if out[i].State == tasks.Failed {
			out[i].Error = "repository nas: no route to host"
		}
	}
	return out
}

func TestTasksTableWithTenThousandRowsReusesCells(t *testing.T) {
	s, _, _ := newTestShell(t, Options{})
	p := showTasksPage(t, s)
	const n = 10000
	uiDo(func() {
		p.m.set(fakeHistory(n))
		p.refreshTable()
		p.updateEmpty()
	})
	var built int
	waitUI(t, "the rows drawn", func() bool {
		built = p.cells
		return strings.Contains(drawnTexts(p.tableArea), "folder-9999") && strings.Contains(p.countLabel.Text, "10000 tasks")
	})
	if built == 0 || built > 60*tcCount {
		t.Fatalf("%d cells made for the first screen of %d rows", built, n)
	}
	for range 3 {
		for _, row := range []int{100, 5000, n - 1, 0, 7777} {
			uiDo(func() { p.table.ScrollTo(widget.TableCellID{Row: row, Col: 0}) })
			want := fmt.Sprintf("folder-%d", n-1-row) // newest first
			waitUI(t, "row "+want, func() bool { return strings.Contains(drawnTexts(p.tableArea), want) })
		}
		// Progress of a task on screen redraws its line only.
		uiDo(func() {
			r := p.m.at(7778)
			before := p.cellUpdates
			for i := range 50 {
				tk := tasks.Task{ID: r.id, Kind: r.kind, Description: r.description, State: tasks.Running,
					Created: r.created, Started: &r.started, Progress: tasks.Progress{Percent: float64(i)}}
				if p.m.apply(tasks.Changed{Task: tk}) {
					t.Fatalf("progress alone re-sorts")
				}
				p.refreshLine(p.m.line(r.id))
			}
			if got := p.cellUpdates - before; got == 0 || got > 50*tcCount {
				t.Errorf("50 progress events drew %d cells; want at most %d (one line each)", got, 50*tcCount)
			}
			if !strings.Contains(drawnTexts(p.tableArea), "49 % · ") && !strings.Contains(drawnTexts(p.tableArea), "49 %") {
				t.Errorf("the line does not show its progress:\n%s", drawnTexts(p.tableArea))
			}
			// A re-sort and a filter redraw what is on screen.
			p.sortBy(tcKind)
			p.sortBy(tcStarted)
			p.search.SetText("folder-12")
			p.search.SetText("")
		})
	}
	// Cells are pooled, and the pool may lose some to the garbage collector
	// (under -race sync.Pool drops a quarter of what is put back, on
	// purpose): their number follows the screen and the redraws, not the
	// rows — a table that made a cell per row would have made 10000×columns.
	if p.cells > 20*built {
		t.Errorf("%d cells made for %d rows; the first screen took %d", p.cells, n, built)
	}
}

func TestTaskModelFilterAndSort(t *testing.T) {
	m := newTaskModel()
	m.set(fakeHistory(100))
	if len(m.view) != 100 || m.at(0).id != 100 {
		t.Fatalf("default view: %d rows, first %d", len(m.view), m.at(0).id)
	}
	for _, tc := range []struct {
		f    taskFilter
		want int
	}{
		{taskFilter{kind: "check"}, 25},
		{taskFilter{state: string(tasks.Failed)}, 20},
		{taskFilter{state: filterLive}, 0},
		{taskFilter{search: "folder-42 "}, 1},
		{taskFilter{search: "#42"}, 1},
		{taskFilter{search: "folder-4"}, 11},
		{taskFilter{kind: "backup", state: string(tasks.Canceled)}, 5},
	} {
		m.filter = tc.f
		m.resort()
		if len(m.view) != tc.want {
			t.Errorf("%+v: %d rows, want %d", tc.f, len(m.view), tc.want)
		}
	}
	m.filter = taskFilter{}
	m.setSort(tcDuration)
	if d0, d1 := m.at(0).duration(time.Now()), m.at(99).duration(time.Now()); !m.sortDesc || d0 < d1 {
		t.Errorf("by duration: %v first, %v last", d0, d1)
	}
	m.setSort(tcDuration)
	if d0, d1 := m.at(0).duration(time.Now()), m.at(99).duration(time.Now()); m.sortDesc || d0 > d1 {
		t.Errorf("by duration, ascending: %v first, %v last", d0, d1)
	}
	// A new live task comes first by start; a deleted one goes.
	m.setSort(tcStarted)
	now := time.Now()
	if !m.apply(tasks.Changed{Task: tasks.Task{ID: 101, Kind: "verify", State: tasks.Running, Created: now, Started: &now}}) {
		t.Error("a new task needs a re-sort")
	}
	m.resort()
	if m.at(0).id != 101 || len(m.live()) != 1 || m.kindList()[4] != "verify" {
		t.Errorf("first %d, %d live, kinds %v", m.at(0).id, len(m.live()), m.kindList())
	}
	if m.apply(tasks.Changed{Task: tasks.Task{ID: 101, Kind: "verify", State: tasks.Running, Created: now, Started: &now,
		Progress: tasks.Progress{Percent: 50}}}) {
		t.Error("progress alone should not re-sort by start")
	}
	m.apply(tasks.Changed{Task: tasks.Task{ID: 50}, Deleted: true})
	m.resort()
	if m.get(50) != nil || m.line(50) >= 0 || len(m.view) != 100 || m.get(51).id != 51 {
		t.Error("delete")
	}
}

func TestTaskWords(t *testing.T) {
	now := time.Now()
	start := now.Add(-90 * time.Second)
	for _, tc := range []struct {
		r                     taskRow
		state, progress, text string
	}{
		{taskRow{state: tasks.Running, percent: 42, eta: 150, started: start}, "Running", "42 % · 3 min left", ""},
		{taskRow{state: tasks.Paused, percent: 42, held: true, started: start}, "Paused", "42 % · paused", ""},
		{taskRow{state: tasks.Paused, percent: 42, started: start}, "Pausing…", "42 % · paused", ""},
		{taskRow{state: tasks.Queued}, "Queued", "waiting", ""},
		{taskRow{state: tasks.Succeeded, size: 3 << 20, warnings: 2}, "Warnings", "done", "3.0 MiB · 2 warnings"},
		{taskRow{state: tasks.Failed, percent: 10, err: "disk full\nmore"}, "Failed", "stopped at 10 %", "disk full …"},
		{taskRow{state: tasks.Canceled}, "Canceled", "—", "Canceled; what it wrote is valid"},
	} {
		if got := taskStateWord(&tc.r); got != tc.state {
			t.Errorf("%+v: state %q, want %q", tc.r, got, tc.state)
		}
		if got := taskProgressText(&tc.r); got != tc.progress {
			t.Errorf("%+v: progress %q, want %q", tc.r, got, tc.progress)
		}
		if got := taskResult(&tc.r); tc.text != "" && got != tc.text {
			t.Errorf("%+v: result %q, want %q", tc.r, got, tc.text)
		}
	}
	for _, tc := range []struct {
		c    control.Counter
		want string
	}{
		{control.Counter{Name: "files", Value: 1204, Total: 5000, Unit: "files"}, "1,204 of 5,000 files (24 %)"},
		{control.Counter{Name: "bytes", Value: 3 << 30, Unit: "bytes"}, "3.0 GiB"},
		{control.Counter{Name: "errors", Value: 3}, "3"},
	} {
		if got := counterText(tc.c); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
	if got := trayTaskLine(taskRow{state: tasks.Running, kind: "backup", job: "docs", percent: 42.4}); got != "Running: backup docs 42 %" {
		t.Errorf("tray line %q", got)
	}
}

// BenchmarkTasksProgressEvent is one progress event for a task among
// 10,000 rows: the model takes it and the table redraws its line.
func BenchmarkTasksProgressEvent(b *testing.B) {
	a := test.NewTempApp(b)
	_ = a
	p := &tasksPage{m: newTaskModel(), pending: map[tasks.ID]tasks.Changed{}}
	p.m.set(fakeHistory(10000))
	p.table = p.newTaskTable()
	w := test.NewWindow(p.table)
	defer w.Close()
	w.Resize(fyne.NewSize(1200, 600))
	r := *p.m.at(3)
	b.ResetTimer()
	for i := range b.N {
		ev := tasks.Changed{Task: tasks.Task{ID: r.id, Kind: r.kind, Description: r.description, State: tasks.Running,
			Created: r.created, Started: &r.started, Progress: tasks.Progress{Percent: math.Mod(float64(i), 100)}}}
		if p.m.apply(ev) {
			p.m.resort()
			p.table.Refresh()
		} else {
			line := p.m.line(r.id)
			for col := range tcCount {
				p.table.RefreshItem(widget.TableCellID{Row: line, Col: col})
			}
		}
	}
}

// BenchmarkTasksResort filters and sorts 10,000 rows (a new task, a
// filter or a sort).
func BenchmarkTasksResort(b *testing.B) {
	m := newTaskModel()
	m.set(fakeHistory(10000))
	m.sortCol = tcDuration
	for b.Loop() {
		m.resort()
	}
}
