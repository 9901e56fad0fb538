package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
)

// Lock is a resource a task needs while it runs. A write lock excludes
// every other lock on its key; read locks share the key with each other.
type Lock struct {
	Key   string
	Write bool
}

// Plan is what a request will do as a task, worked out before the task
// is created.
type Plan struct {
	Description string
	Locks       []Lock
}

// Outcome is what a finished task's result data says beyond its exit code.
type Outcome struct {
	Size     int64
	Warnings []string
}

// Spec declares an operation that runs as a task.
type Spec struct {
	Kind string
	// Plan checks the request's arguments and describes the task. An
	// error means the arguments are wrong: the call ends with ExitUsage
	// and no task is created.
	Plan func(req control.Request) (Plan, error)
	// Outcome reads a finished task's result data; it may be nil.
	Outcome func(data json.RawMessage) Outcome
}

// Defaults of Options.
const (
	DefaultMaxConcurrent = 2
	DefaultHistoryDays   = 90
	DefaultAggregateDays = 365
	DefaultLogLines      = 500
	maxLogLine           = 2000
	progressEvery        = 250 * time.Millisecond // bus events per task: 4/s
	defaultSaveEvery     = 10 * time.Second
	foldEvery            = time.Hour
)

// Options configure a Runner.
type Options struct {
	// MaxConcurrent is how many tasks run at once.
	MaxConcurrent int
	// HistoryDays is how long finished tasks are kept in full;
	// AggregateDays how long their daily totals are kept.
	HistoryDays, AggregateDays int
	// Standalone is a CLI working on the home because no engine runs: it
	// cannot pause tasks, and leaves the interrupted tasks it finds for
	// the next engine's Interrupted.
	Standalone bool
	// Bus receives Changed events; nil publishes nothing.
	Bus *bus.Bus
	Log *slog.Logger
	// Now and Location are the clock and the time zone of days (tests).
	Now      func() time.Time
	Location *time.Location
	// LogLines bounds each task's kept log.
	LogLines int
	// SaveEvery is how often progress alone is written to the database
	// (state changes are written at once).
	SaveEvery time.Duration
}

// Runner runs tasks within their limits and keeps their history.
type Runner struct {
	opts   Options
	st     *store
	direct control.DispatchFunc
	log    *slog.Logger
	now    func() time.Time

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // launched tasks and the history folder

	mu          sync.Mutex
	specs       map[string]Spec
	live        map[ID]*live
	queue       []*live
	running     int
	locks       map[string]*lockState
	allPaused   bool
	closing     bool
	idle        *sync.Cond // signalled when a live task ends
	interrupted []Task
	started     bool
}

type lockState struct {
	readers int
	writer  bool
}

// live is a task that has not ended.
type live struct {
	task     Task // guarded by Runner.mu
	req      control.Request
	plan     Plan
	spec     Spec
	gate     *gate
	cancel   context.CancelFunc
	admitted chan struct{}
	done     chan struct{}

	inQueue    bool
	holding    bool // holds a slot and its locks
	userPaused bool
	canceled   bool // a person or a job asked it to stop

	pausedAt  time.Time
	pausedFor time.Duration

	version    int64
	saveMu     sync.Mutex
	saved      int64 // guarded by saveMu
	lastSave   time.Time
	lastPub    time.Time
	pubPending bool
}

// New opens the task history in db and returns a runner that runs tasks
// through direct (the control router's handlers, without wrappers).
// Tasks a dead process left live are marked interrupted.
func New(db *bolt.DB, direct control.DispatchFunc, opts Options) (*Runner, error) {
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.HistoryDays <= 0 {
		opts.HistoryDays = DefaultHistoryDays
	}
	if opts.AggregateDays <= 0 {
		opts.AggregateDays = DefaultAggregateDays
	}
	if opts.LogLines <= 0 {
		opts.LogLines = DefaultLogLines
	}
	if opts.SaveEvery <= 0 {
		opts.SaveEvery = defaultSaveEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	st, err := openStore(db)
	if err != nil {
		return nil, err
	}
	r := &Runner{
		opts: opts, st: st, direct: direct, log: opts.Log, now: opts.Now,
		specs: map[string]Spec{}, live: map[ID]*live{}, locks: map[string]*lockState{},
	}
	r.idle = sync.NewCond(&r.mu)
	r.base, r.cancel = context.WithCancel(context.Background())
	found, err := st.interruptLive(r.now())
	if err != nil {
		return nil, err
	}
	for _, t := range found {
		r.log.Warn("task was interrupted when its process stopped", "task", t.ID, "kind", t.Kind, "description", t.Description)
	}
	if !opts.Standalone {
		if r.interrupted, err = st.takePending(); err != nil {
			return nil, fmt.Errorf("tasks: %w", err)
		}
	}
	if _, _, err := r.Fold(); err != nil {
		r.log.Error("fold task history", "err", err)
	}
	return r, nil
}

// Define declares op as an operation that runs as a task.
func (r *Runner) Define(op string, spec Spec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.specs[op] = spec
}

// Wrapper returns the control wrapper that makes every call of a defined
// operation a task: register it with Router.Wrap for each op defined.
func (r *Runner) Wrapper() control.Wrapper {
	return func(ctx context.Context, req control.Request, sink control.Sink, next control.DispatchFunc) control.Result {
		return r.run(ctx, req, Origin{}, 0, sink, next)
	}
}

// Ops lists the operations defined as tasks.
func (r *Runner) Ops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := make([]string, 0, len(r.specs))
	for op := range r.specs {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// Run runs req as a task and waits for its result, streaming its progress
// and log to sink. Canceling ctx cancels the task.
func (r *Runner) Run(ctx context.Context, req control.Request, origin Origin, sink control.Sink) control.Result {
	return r.run(ctx, req, origin, 0, sink, r.direct)
}

// Launch starts a task for req on the runner and returns its ID at once
// (queued or running). The origin tags the task. The task's life is the
// runner's, not ctx's.
func (r *Runner) Launch(ctx context.Context, req control.Request, origin Origin) (ID, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l, res := r.start(req, origin, 0)
	if l == nil {
		if res.Exit == control.ExitUsage {
			return 0, &control.UsageError{Msg: res.Error}
		}
		return 0, errors.New(res.Error)
	}
	run := r.enqueue(r.base, l)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		run(nil, r.direct)
	}()
	return l.task.ID, nil
}

// Wait blocks until the task ends and returns its final record.
func (r *Runner) Wait(ctx context.Context, id ID) (Task, error) {
	r.mu.Lock()
	l := r.live[id]
	r.mu.Unlock()
	if l != nil {
		select {
		case <-l.done:
		case <-ctx.Done():
			return Task{}, ctx.Err()
		}
	}
	return r.st.get(id)
}

// Interrupted returns the tasks that were live when the engine last
// stopped or died: its jobs decide whether they run again.
func (r *Runner) Interrupted() []Task {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.interrupted)
}

// run is one task from request to result.
func (r *Runner) run(ctx context.Context, req control.Request, origin Origin, retryOf ID, sink control.Sink, next control.DispatchFunc) control.Result {
	l, res := r.start(req, origin, retryOf)
	if l == nil {
		return res
	}
	if sink != nil {
		sink.Progress(control.Progress{TaskID: uint64(l.task.ID)})
	}
	return r.execute(ctx, l, sink, next)
}

// start plans and records a new task; without a task it returns the
// result to give instead.
func (r *Runner) start(req control.Request, origin Origin, retryOf ID) (*live, control.Result) {
	r.mu.Lock()
	spec, ok := r.specs[req.Op]
	closing := r.closing
	r.mu.Unlock()
	if !ok {
		return nil, control.Result{Exit: control.ExitUsage, Error: fmt.Sprintf("%q is not an operation that runs as a task", req.Op)}
	}
	if closing {
		return nil, control.Result{Exit: control.ExitError, Error: "the engine is stopping: no new tasks"}
	}
	plan, err := spec.Plan(req)
	if err != nil {
		return nil, control.Result{Exit: control.ExitUsage, Error: err.Error()}
	}
	now := r.now()
	l := &live{
		req: req, plan: plan, spec: spec,
		admitted: make(chan struct{}), done: make(chan struct{}),
		task: Task{
			Kind: spec.Kind, Op: req.Op, Description: plan.Description, State: Queued,
			Job: origin.Job, Attempt: origin.Attempt, RetryOf: retryOf,
			Created: now, Updated: now, Args: req.Args,
			Progress: Progress{Counters: []control.Counter{}},
		},
	}
	for _, lk := range plan.Locks {
		l.task.Resources = append(l.task.Resources, lk.Key)
	}
	if err := r.st.create(&l.task); err != nil {
		r.log.Error("create task", "op", req.Op, "err", err)
		return nil, control.Result{Exit: control.ExitError, Error: err.Error()}
	}
	r.mu.Lock()
	l.gate = newGate(false, func() { r.heldChanged(l) })
	r.live[l.task.ID] = l
	r.publishLocked(l)
	r.mu.Unlock()
	r.log.Info("task created", "task", l.task.ID, "kind", spec.Kind, "description", plan.Description, "job", origin.Job)
	return l, control.Result{}
}

// execute queues, runs and finishes a created task.
func (r *Runner) execute(ctx context.Context, l *live, sink control.Sink, next control.DispatchFunc) control.Result {
	return r.enqueue(ctx, l)(sink, next)
}

// enqueue puts a created task in the queue now and returns what runs and
// finishes it. Launch queues before it returns, so tasks launched one
// after another are admitted in that order.
func (r *Runner) enqueue(ctx context.Context, l *live) func(control.Sink, control.DispatchFunc) control.Result {
	tctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(r.base, cancel)

	r.mu.Lock()
	l.cancel = cancel
	if l.canceled {
		cancel()
	}
	l.inQueue = true
	r.queue = append(r.queue, l)
	r.scheduleLocked()
	r.mu.Unlock()

	return func(sink control.Sink, next control.DispatchFunc) control.Result {
		defer cancel()
		defer stop()
		return r.admitAndRun(ctx, tctx, l, sink, next)
	}
}

// admitAndRun waits for a queued task's turn, runs it and records its end.
func (r *Runner) admitAndRun(ctx, tctx context.Context, l *live, sink control.Sink, next control.DispatchFunc) control.Result {
	select {
	case <-l.admitted:
	case <-tctx.Done():
	}
	r.mu.Lock()
	if !l.holding {
		// Canceled while queued.
		r.removeQueuedLocked(l)
		r.mu.Unlock()
		res := control.Result{Exit: control.ExitError, Error: "canceled while queued"}
		r.finish(ctx, l, res)
		res.TaskID = uint64(l.task.ID)
		return res
	}
	now := r.now()
	l.task.State, l.task.Started, l.task.Updated = Running, &now, now
	if paused, all := l.gate.state(); paused || all {
		l.task.State, l.pausedAt = Paused, now
	}
	r.changedLocked(l)
	r.mu.Unlock()
	r.save(l)

	res := next(withGate(tctx, l.gate), l.req, &tee{r: r, l: l, next: sink})

	r.mu.Lock()
	r.releaseLocked(l)
	r.scheduleLocked()
	r.mu.Unlock()
	r.finish(ctx, l, res)
	if res.Exit != control.ExitUsage {
		res.TaskID = uint64(l.task.ID)
	}
	return res
}

// finish records how the task ended (or deletes it when the handler found
// its arguments wrong after all) and wakes its waiters.
func (r *Runner) finish(ctx context.Context, l *live, res control.Result) {
	r.mu.Lock()
	t := &l.task
	now := r.now()
	if t.State == Paused {
		l.pausedFor += now.Sub(l.pausedAt)
	}
	usage := res.Exit == control.ExitUsage
	shutdown := false
	switch {
	case usage:
	case res.Exit == control.ExitOK || res.Exit == control.ExitFound:
		t.State = Succeeded
	case l.canceled:
		t.State = Canceled
	case r.closing:
		t.State = Interrupted
		shutdown = true
	case ctx.Err() != nil:
		t.State = Canceled // the caller went away or pressed Ctrl-C
	default:
		t.State = Failed
	}
	if !usage {
		t.Exit = res.Exit
		if t.Exit == control.ExitUsage {
			t.Exit = control.ExitError
		}
		t.Error = res.Error
		if t.State == Canceled && t.Error == "" {
			t.Error = "canceled"
		}
		if raw, err := res.JSON(); l.spec.Outcome != nil && err == nil && len(raw) > 0 {
			o := l.spec.Outcome(raw)
			t.Size = o.Size
			t.Warnings = append(t.Warnings, o.Warnings...)
		}
		if res.Exit == control.ExitFound && len(t.Warnings) == 0 {
			t.Warnings = []string{"finished and found problems"}
		}
		if t.State == Succeeded && t.Progress.Percent > 0 {
			t.Progress.Percent = 100
		}
		t.Progress.ETASeconds = 0
		t.Held = false
		t.Ended, t.Updated = &now, now
	}
	id := t.ID
	if !usage {
		r.changedLocked(l)
	}
	r.mu.Unlock()

	// The record is final in the database before the task stops being
	// live, so whoever sees it gone reads the end.
	if usage {
		if err := r.st.delete(id); err != nil {
			r.log.Error("delete task refused by its handler", "task", id, "err", err)
		}
	} else {
		r.save(l)
		if shutdown {
			if err := r.st.addPending(id); err != nil {
				r.log.Error("note interrupted task", "task", id, "err", err)
			}
		}
	}
	r.mu.Lock()
	delete(r.live, id)
	r.idle.Broadcast()
	if usage && r.opts.Bus != nil {
		r.opts.Bus.Publish(Changed{Task: l.task.Brief(), Deleted: true})
	}
	final := l.task.clone()
	r.mu.Unlock()
	if !usage {
		r.log.Info("task ended", "task", id, "kind", final.Kind, "state", final.State, "err", final.Error)
	}
	close(l.done)
}

// scheduleLocked admits queued tasks, oldest first, while slots are free
// and their locks can be taken. A task that must wait also holds back
// later tasks that want its resources, so writers are not starved.
func (r *Runner) scheduleLocked() {
	if r.allPaused || r.closing {
		return
	}
	claimed := map[string]bool{} // key -> claimed for writing by an earlier waiter
	var rest []*live
	for _, l := range r.queue {
		ok := r.running < r.opts.MaxConcurrent && !l.canceled
		for _, lk := range l.plan.Locks {
			if w, seen := claimed[lk.Key]; seen && (w || lk.Write) {
				ok = false
			}
			if s := r.locks[lk.Key]; s != nil && (s.writer || lk.Write && s.readers > 0) {
				ok = false
			}
		}
		if !ok {
			for _, lk := range l.plan.Locks {
				claimed[lk.Key] = claimed[lk.Key] || lk.Write
			}
			rest = append(rest, l)
			continue
		}
		for _, lk := range l.plan.Locks {
			s := r.locks[lk.Key]
			if s == nil {
				s = &lockState{}
				r.locks[lk.Key] = s
			}
			if lk.Write {
				s.writer = true
			} else {
				s.readers++
			}
		}
		r.running++
		l.inQueue, l.holding = false, true
		close(l.admitted)
	}
	r.queue = rest
}

func (r *Runner) removeQueuedLocked(l *live) {
	if !l.inQueue {
		return
	}
	l.inQueue = false
	r.queue = slices.DeleteFunc(r.queue, func(q *live) bool { return q == l })
	r.scheduleLocked() // it may have held others back
}

func (r *Runner) releaseLocked(l *live) {
	if !l.holding {
		return
	}
	l.holding = false
	r.running--
	for _, lk := range l.plan.Locks {
		s := r.locks[lk.Key]
		if s == nil {
			continue
		}
		if lk.Write {
			s.writer = false
		} else {
			s.readers--
		}
		if !s.writer && s.readers == 0 {
			delete(r.locks, lk.Key)
		}
	}
}

// changedLocked notes a change of state: published at once; the caller
// saves it.
func (r *Runner) changedLocked(l *live) {
	l.version++
	l.lastPub = time.Now()
	r.publishLocked(l)
}

func (r *Runner) publishLocked(l *live) {
	if r.opts.Bus != nil {
		r.opts.Bus.Publish(Changed{Task: l.task.clone().Brief()})
	}
}

// save writes the task's record unless a newer one is already written.
func (r *Runner) save(l *live) {
	r.mu.Lock()
	snap, v := l.task.clone(), l.version
	r.mu.Unlock()
	l.saveMu.Lock()
	defer l.saveMu.Unlock()
	if v <= l.saved && v != 0 {
		return
	}
	if err := r.st.put(&snap); err != nil {
		r.log.Error("save task", "task", snap.ID, "err", err)
		return
	}
	l.saved = v
	r.mu.Lock()
	l.lastSave = time.Now()
	r.mu.Unlock()
}

func (r *Runner) heldChanged(l *live) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if held := l.gate.holding(); held != l.task.Held {
		l.task.Held = held
		r.changedLocked(l)
	}
}

// tee passes a task's stream on to its caller and into its record.
type tee struct {
	r    *Runner
	l    *live
	next control.Sink
}

func (t *tee) Progress(p control.Progress) {
	if t.next != nil {
		t.next.Progress(p)
	}
	t.r.progress(t.l, p)
}

func (t *tee) Log(line string) {
	if t.next != nil {
		t.next.Log(line)
	}
	t.r.logLine(t.l, line)
}

func (r *Runner) progress(l *live, p control.Progress) {
	r.mu.Lock()
	tp := &l.task.Progress
	if p.Message != "" {
		tp.Message = p.Message
	}
	pct := p.Percent
	if pct == 0 && p.Total > 0 {
		pct = 100 * float64(p.Done) / float64(p.Total)
	}
	if pct > 0 {
		tp.Percent = min(pct, 100)
	}
	counters := p.Counters
	if len(counters) == 0 && (p.Done > 0 || p.Total > 0) {
		name := p.Unit
		if name == "" {
			name = "done"
		}
		counters = []control.Counter{{Name: name, Value: p.Done, Total: p.Total, Unit: p.Unit}}
	}
	for _, c := range counters {
		if i := slices.IndexFunc(tp.Counters, func(o control.Counter) bool { return o.Name == c.Name }); i >= 0 {
			tp.Counters[i] = c
		} else {
			tp.Counters = append(tp.Counters, c)
		}
	}
	now := r.now()
	tp.ETASeconds = 0
	if l.task.Started != nil && tp.Percent > 0 && tp.Percent < 100 {
		ran := now.Sub(*l.task.Started) - l.pausedFor
		if l.task.State == Paused {
			ran -= now.Sub(l.pausedAt)
		}
		if ran > 0 {
			tp.ETASeconds = (ran.Seconds() * (100 - tp.Percent) / tp.Percent)
		}
	}
	l.task.Updated = now
	l.version++
	r.throttledPublishLocked(l)
	due := time.Since(l.lastSave) >= r.opts.SaveEvery
	r.mu.Unlock()
	if due {
		r.save(l)
	}
}

func (r *Runner) logLine(l *live, line string) {
	if len(line) > maxLogLine {
		line = line[:maxLogLine] + "…"
	}
	r.mu.Lock()
	l.task.Log = append(l.task.Log, line)
	if over := len(l.task.Log) - r.opts.LogLines; over > 0 {
		l.task.Log = slices.Delete(l.task.Log, 0, over)
	}
	l.version++
	due := time.Since(l.lastSave) >= r.opts.SaveEvery
	r.mu.Unlock()
	if due {
		r.save(l)
	}
}

// throttledPublishLocked publishes progress at most every progressEvery
// per task; the last change is always published.
func (r *Runner) throttledPublishLocked(l *live) {
	wait := progressEvery - time.Since(l.lastPub)
	if wait <= 0 {
		l.lastPub = time.Now()
		r.publishLocked(l)
		return
	}
	if l.pubPending {
		return
	}
	l.pubPending = true
	time.AfterFunc(wait, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		l.pubPending = false
		if r.live[l.task.ID] == l {
			l.lastPub = time.Now()
			r.publishLocked(l)
		}
	})
}

// lookupLive returns the live task id, or an error saying why it is not
// live.
func (r *Runner) lookupLiveLocked(id ID) (*live, error) {
	if l := r.live[id]; l != nil {
		return l, nil
	}
	t, err := r.st.get(id)
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("task %d has already ended (%s)", id, t.State)
}

// errNeedsEngine is returned by pause and resume in a standalone CLI.
var errNeedsEngine = errors.New("pausing and resuming need a running engine for this home (holdfast serve or the desktop app); a task run by the CLI alone stops with Ctrl-C")

// Pause holds a running task at its next checkpoint.
func (r *Runner) Pause(id ID) (Task, error) {
	if r.opts.Standalone {
		return Task{}, errNeedsEngine
	}
	r.mu.Lock()
	l, err := r.lookupLiveLocked(id)
	if err != nil {
		r.mu.Unlock()
		return Task{}, err
	}
	switch l.task.State {
	case Running, Paused:
	case Queued:
		r.mu.Unlock()
		return Task{}, fmt.Errorf("task %d is queued, not running yet: cancel it, or pause it once it runs", id)
	default:
		r.mu.Unlock()
		return Task{}, fmt.Errorf("task %d is %s", id, l.task.State)
	}
	if !l.userPaused {
		l.userPaused = true
		l.gate.set(true, r.allPaused)
		if l.task.State == Running {
			l.task.State, l.pausedAt = Paused, r.now()
		}
		l.task.Updated = r.now()
		r.changedLocked(l)
	}
	snap := l.task.clone()
	r.mu.Unlock()
	r.save(l)
	r.log.Info("task paused", "task", id)
	return snap.Brief(), nil
}

// Resume lets a paused task go on.
func (r *Runner) Resume(id ID) (Task, error) {
	if r.opts.Standalone {
		return Task{}, errNeedsEngine
	}
	r.mu.Lock()
	l, err := r.lookupLiveLocked(id)
	if err != nil {
		r.mu.Unlock()
		return Task{}, err
	}
	if !l.userPaused {
		r.mu.Unlock()
		if r.Paused() {
			return Task{}, fmt.Errorf("task %d was paused with all tasks: resume all of them", id)
		}
		return Task{}, fmt.Errorf("task %d is %s, not paused", id, l.task.State)
	}
	l.userPaused = false
	r.unpauseLocked(l)
	snap := l.task.clone()
	r.mu.Unlock()
	r.save(l)
	r.log.Info("task resumed", "task", id)
	return snap.Brief(), nil
}

// unpauseLocked opens l's gate if nothing else holds it.
func (r *Runner) unpauseLocked(l *live) {
	if held := l.gate.set(l.userPaused, r.allPaused); !held && l.task.State == Paused {
		now := r.now()
		l.pausedFor += now.Sub(l.pausedAt)
		l.task.State, l.task.Updated = Running, now
	}
	r.changedLocked(l)
}

// PauseAll holds every running task at its next checkpoint and starts no
// queued task until ResumeAll.
func (r *Runner) PauseAll() {
	r.mu.Lock()
	r.allPaused = true
	var changed []*live
	for _, l := range r.live {
		if l.task.State != Running && l.task.State != Paused {
			continue
		}
		l.gate.set(l.userPaused, true)
		if l.task.State == Running {
			l.task.State, l.pausedAt, l.task.Updated = Paused, r.now(), r.now()
			r.changedLocked(l)
			changed = append(changed, l)
		}
	}
	r.mu.Unlock()
	for _, l := range changed {
		r.save(l)
	}
	r.log.Info("all tasks paused")
}

// ResumeAll undoes PauseAll; tasks paused one by one stay paused.
func (r *Runner) ResumeAll() {
	r.mu.Lock()
	r.allPaused = false
	var changed []*live
	for _, l := range r.live {
		if l.task.State == Paused {
			r.unpauseLocked(l)
			changed = append(changed, l)
		}
	}
	r.scheduleLocked()
	r.mu.Unlock()
	for _, l := range changed {
		r.save(l)
	}
	r.log.Info("all tasks resumed")
}

// Paused reports whether PauseAll holds the tasks.
func (r *Runner) Paused() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.allPaused
}

// Cancel stops a live task through its context: a queued task ends at
// once, a running or paused one after its work winds down (canceling,
// then canceled).
func (r *Runner) Cancel(id ID) (Task, error) {
	r.mu.Lock()
	l, err := r.lookupLiveLocked(id)
	if err != nil {
		r.mu.Unlock()
		return Task{}, err
	}
	if !l.canceled {
		l.canceled = true
		if l.task.State == Paused {
			l.pausedFor += r.now().Sub(l.pausedAt)
		}
		l.task.State, l.task.Updated = Canceling, r.now()
		r.changedLocked(l)
		if l.cancel != nil {
			l.cancel()
		}
	}
	snap := l.task.clone()
	r.mu.Unlock()
	r.save(l)
	r.log.Info("task canceled", "task", id)
	return snap.Brief(), nil
}

// Delete removes an ended task from the history.
func (r *Runner) Delete(id ID) error {
	r.mu.Lock()
	l := r.live[id]
	r.mu.Unlock()
	if l != nil {
		return fmt.Errorf("task %d is %s: cancel it before deleting it", id, l.task.State)
	}
	if err := r.st.delete(id); err != nil {
		return err
	}
	if r.opts.Bus != nil {
		r.opts.Bus.Publish(Changed{Task: Task{ID: id}, Deleted: true})
	}
	return nil
}

// Get returns a task's full record, live or from the history.
func (r *Runner) Get(id ID) (Task, error) {
	r.mu.Lock()
	if l := r.live[id]; l != nil {
		t := l.task.clone()
		r.mu.Unlock()
		return t, nil
	}
	r.mu.Unlock()
	return r.st.get(id)
}

// Filter selects tasks in List; empty fields select all.
type Filter struct {
	State State  `json:"state,omitempty"`
	Kind  string `json:"kind,omitempty"`
	Job   string `json:"job,omitempty"`
}

func (f Filter) match(t Task) bool {
	return (f.State == "" || t.State == f.State) && (f.Kind == "" || t.Kind == f.Kind) && (f.Job == "" || t.Job == f.Job)
}

// List returns the tasks of the full history, live ones as they are now,
// oldest first, without their arguments and logs.
func (r *Runner) List(f Filter) ([]Task, error) {
	r.mu.Lock()
	live := make(map[ID]Task, len(r.live))
	for id, l := range r.live {
		live[id] = l.task.clone().Brief()
	}
	r.mu.Unlock()
	out := []Task{}
	err := r.st.each(func(t Task) {
		if lt, ok := live[t.ID]; ok {
			t = lt
			delete(live, t.ID)
		}
		if f.match(t) {
			out = append(out, t.Brief())
		}
	}, func(err error) { r.log.Warn("skipping unreadable task record", "err", err) })
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	for _, t := range live { // created after the read began
		if f.match(t) {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// retryRequest rebuilds the request of an ended task, with new secrets.
func (r *Runner) retryRequest(id ID, secrets map[string]string) (control.Request, Task, error) {
	r.mu.Lock()
	l := r.live[id]
	r.mu.Unlock()
	if l != nil {
		return control.Request{}, Task{}, fmt.Errorf("task %d is still %s: only an ended task can be retried", id, l.task.State)
	}
	t, err := r.st.get(id)
	if err != nil {
		return control.Request{}, Task{}, err
	}
	return control.Request{Op: t.Op, Args: t.Args, Secrets: secrets}, t, nil
}

// Retry runs an ended task again with the same inputs, as a new task,
// and waits for it like Run. Secrets are not kept with tasks: the caller
// passes them again (or the remembered password is used).
func (r *Runner) Retry(ctx context.Context, id ID, secrets map[string]string, sink control.Sink) control.Result {
	req, t, err := r.retryRequest(id, secrets)
	if err != nil {
		return control.Result{Exit: control.ExitError, Error: err.Error()}
	}
	return r.run(ctx, req, Origin{Job: t.Job, Attempt: t.Attempt}, id, sink, r.direct)
}

// LaunchRetry starts an ended task again, like Retry, and returns the new
// task's ID at once.
func (r *Runner) LaunchRetry(ctx context.Context, id ID, secrets map[string]string) (ID, error) {
	req, t, err := r.retryRequest(id, secrets)
	if err != nil {
		return 0, err
	}
	l, res := r.start(req, Origin{Job: t.Job, Attempt: t.Attempt}, id)
	if l == nil {
		return 0, errors.New(res.Error)
	}
	run := r.enqueue(r.base, l)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		run(nil, r.direct)
	}()
	return l.task.ID, nil
}

// Fold moves the tasks older than the full history into daily totals and
// drops the totals older than their own limit.
func (r *Runner) Fold() (folded, dropped int, err error) {
	now := r.now()
	cutoff := now.AddDate(0, 0, -r.opts.HistoryDays)
	aggCutoff := now.In(r.opts.Location).AddDate(0, 0, -r.opts.AggregateDays).Format(time.DateOnly)
	folded, dropped, err = r.st.fold(cutoff, aggCutoff, r.opts.Location)
	if err == nil && folded+dropped > 0 {
		r.log.Info("task history folded", "tasks_folded", folded, "days_dropped", dropped)
	}
	return folded, dropped, err
}

// Name implements the engine's Service.
func (r *Runner) Name() string { return "tasks" }

// Start folds the history every hour until Stop.
func (r *Runner) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return errors.New("task runner already started")
	}
	r.started = true
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(foldEvery)
		defer t.Stop()
		for {
			select {
			case <-r.base.Done():
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if _, _, err := r.Fold(); err != nil {
					r.log.Error("fold task history", "err", err)
				}
			}
		}
	}()
	return nil
}

// Stop is Shutdown for the engine's Service list.
func (r *Runner) Stop(ctx context.Context) error { return r.Shutdown(ctx) }

// Shutdown starts no more tasks, stops the live ones (they end as
// interrupted, for their jobs to run again) and waits for them to record
// it, until ctx ends. It is safe to call more than once.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	r.cancel()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		r.mu.Lock()
		for len(r.live) > 0 {
			r.idle.Wait()
		}
		r.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		r.mu.Lock()
		n := len(r.live)
		r.mu.Unlock()
		return fmt.Errorf("tasks: %d tasks still stopping: %w", n, ctx.Err())
	}
}
