package ui

// The Tasks page's data: a compact row per task, kept in memory from one
// list of the history and the runner's tasks.changed events, and the
// filtered, sorted view the table shows. Nothing here touches a widget.

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/tasks"
)

// taskRow is what the table needs of one task: a few words and numbers,
// not the task's arguments, log or counters (the detail pane reads those).
type taskRow struct {
	id          tasks.ID
	kind        string
	description string
	lower       string // description, kind and job in lower case, for search
	job         string
	attempt     int
	state       tasks.State
	held        bool
	percent     float64
	eta         float64
	message     string
	created     time.Time
	started     time.Time // zero while queued
	ended       time.Time // zero while live
	exit        int
	err         string
	warnings    int
	size        int64
}

func newTaskRow(t tasks.Task) taskRow {
	r := taskRow{
		id: t.ID, kind: t.Kind, description: t.Description, job: t.Job, attempt: t.Attempt,
		state: t.State, held: t.Held, percent: t.Progress.Percent, eta: t.Progress.ETASeconds,
		message: t.Progress.Message, created: t.Created, exit: t.Exit, err: t.Error,
		warnings: len(t.Warnings), size: t.Size,
	}
	r.lower = strings.ToLower(t.Description + "\x00" + t.Kind + "\x00" + t.Job)
	if t.Started != nil {
		r.started = *t.Started
	}
	if t.Ended != nil {
		r.ended = *t.Ended
	}
	return r
}

func (r *taskRow) live() bool { return !r.state.Ended() }

// duration is how long the task ran, up to now while it is live.
func (r *taskRow) duration(now time.Time) time.Duration {
	if r.started.IsZero() {
		return 0
	}
	end := now
	if !r.ended.IsZero() {
		end = r.ended
	}
	return end.Sub(r.started)
}

// Columns of the task table.
const (
	tcState = iota
	tcKind
	tcDescription
	tcProgress
	tcStarted
	tcDuration
	tcResult
	tcCount
)

var taskColumns = [tcCount]struct {
	title string
	width float32
}{
	{"State", 115}, {"Kind", 70}, {"Description", 240}, {"Progress", 140},
	{"Started", 100}, {"Duration", 75}, {"Result", 170},
}

// taskFilter selects the rows shown: a state ("" all, "live" for the
// ones not ended), a kind ("" all) and words to search for.
type taskFilter struct {
	state  string
	kind   string
	search string // lower case
}

const filterLive = "live"

func (f taskFilter) match(r *taskRow) bool {
	switch f.state {
	case "":
	case filterLive:
		if !r.live() {
			return false
		}
	default:
		if string(r.state) != f.state {
			return false
		}
	}
	if f.kind != "" && r.kind != f.kind {
		return false
	}
	if f.search != "" && !strings.Contains(r.lower, f.search) && r.id.String() != strings.TrimPrefix(f.search, "#") {
		return false
	}
	return true
}

// taskModel holds every task's row and the view of them the table shows.
// It is used on the UI thread only.
type taskModel struct {
	rows  []taskRow // by ID, ascending
	index map[tasks.ID]int
	kinds map[string]int // tasks per kind, for the kind filter

	filter   taskFilter
	sortCol  int
	sortDesc bool
	view     []int // indexes into rows, filtered and sorted
	pos      map[tasks.ID]int
	now      func() time.Time
}

func newTaskModel() *taskModel {
	return &taskModel{index: map[tasks.ID]int{}, kinds: map[string]int{}, pos: map[tasks.ID]int{},
		sortCol: tcStarted, sortDesc: true, now: time.Now}
}

// set replaces every row with the tasks given (in any order).
func (m *taskModel) set(list []tasks.Task) {
	m.rows = make([]taskRow, 0, len(list))
	for _, t := range list {
		m.rows = append(m.rows, newTaskRow(t))
	}
	slices.SortFunc(m.rows, func(a, b taskRow) int { return cmp.Compare(a.id, b.id) })
	m.rows = slices.CompactFunc(m.rows, func(a, b taskRow) bool { return a.id == b.id })
	m.reindex()
	m.resort()
}

func (m *taskModel) reindex() {
	clear(m.index)
	clear(m.kinds)
	for i := range m.rows {
		m.index[m.rows[i].id] = i
		m.kinds[m.rows[i].kind]++
	}
}

// get returns the row of a task, or nil.
func (m *taskModel) get(id tasks.ID) *taskRow {
	if i, ok := m.index[id]; ok {
		return &m.rows[i]
	}
	return nil
}

// at returns the row shown on line i of the table, or nil.
func (m *taskModel) at(i int) *taskRow {
	if i < 0 || i >= len(m.view) {
		return nil
	}
	return &m.rows[m.view[i]]
}

// line is where the task shows in the table, or -1.
func (m *taskModel) line(id tasks.ID) int {
	if i, ok := m.pos[id]; ok {
		return i
	}
	return -1
}

// apply takes one change from the bus. It reports whether the view's
// order or membership may have changed (a re-sort is due); when it has
// not, only the task's own line needs drawing again.
func (m *taskModel) apply(ev tasks.Changed) (resort bool) {
	id := ev.Task.ID
	i, known := m.index[id]
	if ev.Deleted {
		if !known {
			return false
		}
		m.rows = slices.Delete(m.rows, i, i+1)
		m.reindex()
		return true
	}
	row := newTaskRow(ev.Task)
	if !known {
		// New tasks have the highest IDs: appending keeps the order.
		if n := len(m.rows); n > 0 && m.rows[n-1].id > id {
			m.rows = append(m.rows, row)
			slices.SortFunc(m.rows, func(a, b taskRow) int { return cmp.Compare(a.id, b.id) })
			m.reindex()
		} else {
			m.index[id] = len(m.rows)
			m.rows = append(m.rows, row)
			m.kinds[row.kind]++
		}
		return true
	}
	old := m.rows[i]
	m.rows[i] = row
	if m.filter.match(&old) != m.filter.match(&row) {
		return true
	}
	return m.sortKeyChanged(&old, &row)
}

func (m *taskModel) sortKeyChanged(a, b *taskRow) bool {
	switch m.sortCol {
	case tcState, tcResult:
		return a.state != b.state || a.exit != b.exit || a.held != b.held
	case tcProgress:
		return a.percent != b.percent
	case tcStarted:
		return !a.started.Equal(b.started)
	case tcDuration:
		return a.live() || b.live() || !a.ended.Equal(b.ended)
	}
	return false
}

// setSort sorts by a column; the same column again flips the order.
func (m *taskModel) setSort(col int) {
	if col == m.sortCol {
		m.sortDesc = !m.sortDesc
	} else {
		m.sortCol = col
		// Times, durations and progress read best largest first.
		m.sortDesc = col == tcStarted || col == tcDuration || col == tcProgress
	}
	m.resort()
}

// resort filters and sorts the view again.
func (m *taskModel) resort() {
	m.view = m.view[:0]
	for i := range m.rows {
		if m.filter.match(&m.rows[i]) {
			m.view = append(m.view, i)
		}
	}
	now := m.now()
	less := m.compare(now)
	slices.SortFunc(m.view, func(a, b int) int {
		c := less(&m.rows[a], &m.rows[b])
		if c == 0 {
			c = cmp.Compare(m.rows[a].id, m.rows[b].id)
		}
		if m.sortDesc {
			return -c
		}
		return c
	})
	clear(m.pos)
	for line, i := range m.view {
		m.pos[m.rows[i].id] = line
	}
}

// stateRank orders states: live ones first when sorting by state, live
// first, then failed, interrupted, canceled, succeeded.
var stateRank = map[tasks.State]int{
	tasks.Running: 7, tasks.Paused: 6, tasks.Canceling: 5, tasks.Queued: 4,
	tasks.Failed: 3, tasks.Interrupted: 2, tasks.Canceled: 1, tasks.Succeeded: 0,
}

func (m *taskModel) compare(now time.Time) func(a, b *taskRow) int {
	switch m.sortCol {
	case tcState:
		return func(a, b *taskRow) int { return cmp.Compare(stateRank[a.state], stateRank[b.state]) }
	case tcKind:
		return func(a, b *taskRow) int { return strings.Compare(a.kind, b.kind) }
	case tcDescription:
		return func(a, b *taskRow) int { return strings.Compare(a.lower, b.lower) }
	case tcProgress:
		return func(a, b *taskRow) int { return cmp.Compare(taskProgressValue(a), taskProgressValue(b)) }
	case tcDuration:
		return func(a, b *taskRow) int { return cmp.Compare(a.duration(now), b.duration(now)) }
	case tcResult:
		return func(a, b *taskRow) int {
			if c := cmp.Compare(stateRank[a.state], stateRank[b.state]); c != 0 {
				return c
			}
			return cmp.Compare(a.exit, b.exit)
		}
	}
	return func(a, b *taskRow) int { // started; queued tasks by creation
		at, bt := a.started, b.started
		if at.IsZero() {
			at = a.created
		}
		if bt.IsZero() {
			bt = b.created
		}
		return at.Compare(bt)
	}
}

// taskProgressValue is the fraction done a bar shows: an ended task that
// succeeded is full.
func taskProgressValue(r *taskRow) float64 {
	if r.state == tasks.Succeeded {
		return 1
	}
	return r.percent / 100
}

// kindList is the kinds seen, sorted.
func (m *taskModel) kindList() []string {
	out := make([]string, 0, len(m.kinds))
	for k, n := range m.kinds {
		if n > 0 && k != "" {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// live returns the tasks not ended, oldest first.
func (m *taskModel) live() []taskRow {
	var out []taskRow
	for i := range m.rows {
		if m.rows[i].live() {
			out = append(out, m.rows[i])
		}
	}
	return out
}

// Words the table writes.

var stateWords = map[tasks.State]string{
	tasks.Queued: "Queued", tasks.Running: "Running", tasks.Paused: "Paused", tasks.Canceling: "Canceling",
	tasks.Canceled: "Canceled", tasks.Succeeded: "Succeeded", tasks.Failed: "Failed", tasks.Interrupted: "Interrupted",
}

func taskStateWord(r *taskRow) string {
	w := stateWords[r.state]
	if w == "" {
		w = string(r.state)
	}
	switch {
	case r.state == tasks.Paused && !r.held:
		w = "Pausing…"
	case r.state == tasks.Succeeded && (r.exit == 3 || r.warnings > 0):
		w = "Warnings"
	}
	return w
}

// taskProgressText is the words on a task's progress bar: "42 % · 3 min
// left" while it runs.
func taskProgressText(r *taskRow) string {
	switch {
	case r.state == tasks.Queued:
		return "waiting"
	case r.state.Ended():
		if r.state == tasks.Succeeded {
			return "done"
		}
		if r.percent > 0 {
			return fmt.Sprintf("stopped at %.0f %%", r.percent)
		}
		return "—"
	case r.percent <= 0:
		if r.state == tasks.Paused {
			return "paused"
		}
		return "working…"
	}
	text := fmt.Sprintf("%.0f %%", r.percent)
	if r.state == tasks.Paused {
		return text + " · paused"
	}
	if r.eta >= 1 {
		text += " · " + taskETA(r.eta) + " left"
	}
	return text
}

func taskETA(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()+0.5))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

// taskStarted writes when a task started (or was created, while queued).
func taskStarted(r *taskRow, now time.Time) string {
	t := r.started
	if t.IsZero() {
		t = r.created
	}
	if t.IsZero() {
		return ""
	}
	return alClock(t, now)
}

// taskDuration writes how long a task ran.
func taskDuration(r *taskRow, now time.Time) string {
	d := r.duration(now)
	if r.started.IsZero() {
		return "—"
	}
	return bkSeconds(d.Seconds())
}

// taskResult says how a task ended, in a line: its error, its warnings,
// what it processed.
func taskResult(r *taskRow) string {
	switch r.state {
	case tasks.Failed, tasks.Interrupted:
		if r.err != "" {
			return firstLine(r.err)
		}
		return stateWords[r.state]
	case tasks.Canceled:
		return "Canceled; what it wrote is valid"
	case tasks.Succeeded:
		var parts []string
		if r.size > 0 {
			parts = append(parts, backup.HumanBytes(r.size))
		}
		if r.warnings > 0 {
			parts = append(parts, alCount(r.warnings, "warning", "warnings"))
		} else if r.exit == 3 {
			parts = append(parts, "problems found")
		}
		if len(parts) == 0 {
			return "OK"
		}
		return strings.Join(parts, " · ")
	}
	if r.message != "" {
		return r.message
	}
	return ""
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
