package ui

import (
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/tasks"
)

// tasksFlushEvery bounds how often the page, the header and the tray take
// the runner's changes: a burst of progress from several tasks becomes
// one update of the rows that changed.
const tasksFlushEvery = 250 * time.Millisecond

// tasksPage is the Tasks page: the table of running and past tasks with
// their row actions and a detail pane, and the Jobs and Statistics tabs.
// It also keeps the header's and the tray's view of the tasks and sends
// the "backup finished" notification, so it follows the runner from the
// start, built or not. Its fields are used on the UI thread only, except
// the feed's (under mu).
//
// Its parts: tasks_model.go (rows, filter, sort), tasks_table.go (the
// table and its cells), tasks_detail.go (the detail pane), tasks_ops.go
// (calls to the engine), tasks_activity.go (header, tray, notification),
// jobs*.go (the Jobs tab) and stats*.go (the Statistics tab).
type tasksPage struct {
	s    *Shell
	page *page
	m    *taskModel

	loaded  bool
	loadErr error
	ready   chan taskList // the list in flight

	// The feed: changes gathered off the UI thread, taken by flush.
	mu          sync.Mutex
	pending     map[tasks.ID]tasks.Changed
	jobsChanged bool
	reload      bool
	flushQueued bool
	lastFlush   time.Time

	selected tasks.ID
	held     bool // Pause all is in force
	jobCount int
	lastTray time.Time

	jobs  *jobsView
	stats *statsView
	// notify shows a desktop notification (the app's; tests listen).
	notify func(*fyne.Notification)

	// widgets, made by build
	root        *fyne.Container
	tabs        *container.AppTabs
	table       *widget.Table
	cells       int // table cells made and shown, for tests
	cellUpdates int // cells drawn, for tests
	stateSel    *widget.Select
	kindSel     *widget.Select
	search      *widget.Entry
	countLabel  *widget.Label
	pauseBtn    *widget.Button
	resumeBtn   *widget.Button
	cancelBtn   *widget.Button
	retryBtn    *widget.Button
	deleteBtn   *widget.Button
	detail      *taskDetail
	listArea    *fyne.Container
	tableArea   fyne.CanvasObject
	emptyTasks  fyne.CanvasObject
	emptyShown  bool
	statusLabel *widget.Label
}

func newTasksPage(s *Shell) *page {
	p := newTasksView(s)
	// A paired peer's tasks show in place of this device's (devices_tasks.go).
	rt := newRemoteTasks(s)
	pg := &page{title: PageTasks, icon: theme.ListIcon(), onStatus: p.onStatus, ref: p,
		build:     func() fyne.CanvasObject { return rt.wrap(p.build()) },
		onVisible: func(v bool) { p.setVisible(v); rt.setVisible(v) },
		heading:   func() string { return s.dev.heading(PageTasks) }}
	p.page = pg
	return pg
}

// newTasksView starts following the runner and loads the history; the
// widgets wait for build.
func newTasksView(s *Shell) *tasksPage {
	p := &tasksPage{s: s, m: newTaskModel(), pending: map[tasks.ID]tasks.Changed{}, notify: s.app.SendNotification}
	p.jobs = newJobsView(p)
	p.stats = newStatsView(p)
	p.follow()
	p.load()
	p.jobs.load()
	return p
}

// tasksViewOf returns the shell's Tasks page, or nil.
func tasksViewOf(s *Shell) *tasksPage {
	for _, pg := range s.pages {
		if p, ok := pg.ref.(*tasksPage); ok {
			return p
		}
	}
	return nil
}

// follow gathers the runner's and the scheduler's changes as they come
// and has flush take them on the UI thread, at most every
// tasksFlushEvery. Events the bus had to drop make the page read the
// whole list again. Live durations tick once a second.
func (p *tasksPage) follow() {
	s := p.s
	sub := s.eng.Bus().Subscribe(1024, tasks.TopicChanged, engine.JobsChanged{}.Topic())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer sub.Close()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var dropped uint64
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-tick.C:
				s.opts.do(p.tickLive)
				continue
			case ev, ok := <-sub.C:
				if !ok {
					return
				}
				p.mu.Lock()
				switch ev := ev.(type) {
				case tasks.Changed:
					p.pending[ev.Task.ID] = ev
				case engine.JobsChanged:
					p.jobsChanged = true
				}
				if d := sub.Dropped(); d != dropped {
					dropped, p.reload = d, true
				}
				p.queueFlushLocked()
				p.mu.Unlock()
			}
		}
	}()
}

func (p *tasksPage) queueFlushLocked() {
	if p.flushQueued {
		return
	}
	p.flushQueued = true
	wait := max(tasksFlushEvery-time.Since(p.lastFlush), 0)
	time.AfterFunc(wait, func() { p.s.opts.do(p.flush) })
}

// load reads the whole list once (and again after the bus dropped
// events); changes that come meanwhile wait in the feed. The answer also
// waits in p.ready, so that build, when it runs first, can take an answer
// that has already come without waiting for the UI queue.
func (p *tasksPage) load() {
	ready := make(chan taskList, 1)
	p.ready = ready
	go func() {
		list, err := p.s.eng.Tasks.List(tasks.Filter{})
		ready <- taskList{list, err}
		p.s.opts.do(func() {
			if p.ready == ready {
				p.takeLoad()
			}
		})
	}()
}

type taskList struct {
	list []tasks.Task
	err  error
}

// takeLoad applies the list read if it has come and was not applied yet.
func (p *tasksPage) takeLoad() {
	if p.ready == nil || p.s.ctx.Err() != nil {
		return
	}
	var a taskList
	select {
	case a = <-p.ready:
	default:
		return
	}
	p.ready = nil
	p.loaded, p.loadErr = true, a.err
	if a.err == nil {
		p.m.set(a.list)
	}
	p.refreshTable()
	p.updateKinds()
	p.updateActivity(true)
	p.mu.Lock()
	p.queueFlushLocked() // changes that came while listing
	p.mu.Unlock()
}

// flush takes the changes gathered since the last one.
func (p *tasksPage) flush() {
	p.mu.Lock()
	p.flushQueued = false
	p.lastFlush = time.Now()
	if !p.loaded || p.s.ctx.Err() != nil {
		p.mu.Unlock()
		return
	}
	batch, jobsChanged, reload := p.pending, p.jobsChanged, p.reload
	p.pending, p.jobsChanged, p.reload = map[tasks.ID]tasks.Changed{}, false, false
	p.mu.Unlock()

	if reload {
		p.loaded = false
		p.load()
		p.jobs.load()
		return
	}
	resort, ended, kinds := false, false, len(p.m.kinds)
	var changed []tasks.ID
	for id, ev := range batch {
		prev := p.m.get(id)
		wasLive := prev != nil && prev.live()
		if p.m.apply(ev) {
			resort = true
		}
		changed = append(changed, id)
		now := p.m.get(id)
		switch {
		case now == nil || now.live():
		case wasLive:
			ended = true
			if now.job != "" {
				jobsChanged = true
			}
			p.taskEnded(now)
		case prev == nil:
			// A task that ran and ended between two batches: it just
			// ended (a reload reads the list, not events), so it counts
			// and is announced like one seen running.
			ended = true
			jobsChanged = jobsChanged || now.job != ""
			p.taskEnded(now)
		}
	}
	if resort {
		p.m.resort()
		p.refreshTable()
	} else {
		for _, id := range changed {
			p.refreshLine(p.m.line(id))
		}
	}
	if len(p.m.kinds) != kinds {
		p.updateKinds()
	}
	if _, ok := batch[p.selected]; ok && p.selected != 0 {
		if p.m.get(p.selected) == nil {
			p.selectTask(0)
		} else {
			p.showDetail(false)
		}
	}
	if jobsChanged {
		p.jobs.load()
	}
	if ended {
		p.stats.stale()
	}
	p.updateActivity(jobsChanged || len(batch) > 0)
}

// tickLive keeps live durations moving.
func (p *tasksPage) tickLive() {
	if p.s.ctx.Err() != nil || !p.loaded {
		return
	}
	live := p.m.live()
	if len(live) == 0 {
		return
	}
	if p.table != nil && p.page != nil && p.page.visible {
		for _, r := range live {
			if line := p.m.line(r.id); line >= 0 {
				p.table.RefreshItem(widget.TableCellID{Row: line, Col: tcDuration})
			}
		}
	}
	if p.detail != nil && p.m.get(p.selected) != nil && p.m.get(p.selected).live() {
		p.detail.tick()
	}
	p.updateActivity(false)
}

// build lays the page out: the tasks with their detail, Jobs, Statistics.
func (p *tasksPage) build() fyne.CanvasObject {
	p.makeTaskWidgets()
	tasksTab := p.buildTasksTab()
	p.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Tasks", theme.ListIcon(), tasksTab),
		container.NewTabItemWithIcon("Jobs", theme.HistoryIcon(), p.jobs.build()),
		container.NewTabItemWithIcon("Statistics", theme.GridIcon(), p.stats.build()),
	)
	p.tabs.OnSelected = func(*container.TabItem) { p.stats.setVisible(p.statsShown()) }
	p.takeLoad() // no "reading…" flash when the list is already here
	p.refreshTable()
	p.updateKinds()
	return container.NewPadded(p.tabs)
}

func (p *tasksPage) statsShown() bool {
	return p.tabs != nil && p.tabs.SelectedIndex() == 2 && p.page != nil && p.page.visible
}

// setVisible hears when the page comes on screen.
func (p *tasksPage) setVisible(bool) { p.stats.setVisible(p.statsShown()) }

// onStatus keeps relative times true.
func (p *tasksPage) onStatus(engine.Status) {
	if p.table == nil {
		return
	}
	p.jobs.refresh()
}

// showTab switches to a tab: 0 tasks, 1 jobs, 2 statistics.
func (p *tasksPage) showTab(i int) {
	if p.tabs != nil {
		p.tabs.SelectIndex(i)
	}
}

// reveal opens the Tasks page on a task.
func (p *tasksPage) reveal(id tasks.ID) {
	p.s.Show()
	p.s.ShowPage(PageTasks)
	p.showTab(0)
	if id == 0 { // "and N more": the tasks not finished
		if p.stateSel != nil {
			p.stateSel.SetSelected(taskStateChoices[1].label)
		}
		return
	}
	if p.m.line(id) < 0 {
		p.setFilter(taskFilter{}) // shown whatever the filter said
		if p.stateSel != nil {
			p.stateSel.SetSelectedIndex(0)
			p.kindSel.SetSelectedIndex(0)
			p.search.SetText("")
		}
	}
	p.selectTask(id)
	if line := p.m.line(id); line >= 0 && p.table != nil {
		p.table.ScrollTo(widget.TableCellID{Row: line, Col: 0})
	}
}

// errorDialog shows what went wrong with an action.
func (p *tasksPage) errorDialog(what string, err error) {
	showErrorDialog(p.s.win, what, err)
}
