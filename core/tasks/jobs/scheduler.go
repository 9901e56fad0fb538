package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/registry"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks/schedule"
)

// OpVerify is the operation a verify job runs. It is served by the
// consistency engine; until that registers it, verify jobs are refused.
const OpVerify = "consistency.verify"

// Origin tags a task with the job and attempt that started it.
type Origin struct {
	Job     string
	Attempt int
}

// Task outcomes, as the runner names its end states.
const (
	StateSucceeded   = "succeeded"
	StateFailed      = "failed"
	StateCanceled    = "canceled"
	StateInterrupted = "interrupted"
)

// Outcome is how a task ended.
type Outcome struct {
	State string
	// Exit is the work's exit code: 0 done, 1 failed, 3 done with
	// problems found.
	Exit  int
	Error string
}

// Launcher starts tasks: the task runner (core/tasks), seen through the
// little the scheduler needs.
type Launcher interface {
	// Launch starts a task for req and returns its ID at once.
	Launch(ctx context.Context, req control.Request, origin Origin) (string, error)
	// Wait blocks until the task ends.
	Wait(ctx context.Context, id string) (Outcome, error)
}

// Pauser is a launcher that can hold every running task ("Pause all").
type Pauser interface {
	PauseAll()
	ResumeAll()
}

// Canceler is a launcher that can cancel a task (a standalone `jobs run`
// stopped with Ctrl-C).
type Canceler interface {
	Cancel(id string) error
}

// Options configure a Scheduler.
type Options struct {
	// Launcher runs the jobs' work; required.
	Launcher Launcher
	// Repo looks a repository up by name (the backup registry's Get).
	Repo func(name string) (registry.Repo, error)
	// HasOp reports whether the engine serves an operation (for verify).
	HasOp func(op string) bool
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// WakeEvery bounds a sleep: the loop looks at the wall clock at least
	// this often, so a suspend or a clock change is noticed; zero is 30 s.
	WakeEvery time.Duration
	// Log receives the scheduler's records; nil discards them.
	Log *slog.Logger
	// OnChange is called after a job or the hold changed.
	OnChange func()
}

// DefaultWakeEvery is Options.WakeEvery when zero.
const DefaultWakeEvery = 30 * time.Second

// ReanchorAfter: when the last slot run lies further than this in the
// future, the clock went back a long way (it had been set wrong): the job
// is anchored at now instead of waiting for the old future.
const ReanchorAfter = 24 * time.Hour

// Scheduler runs the jobs of one home. It is safe for concurrent use.
type Scheduler struct {
	st   *Store
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	running map[string]*run
	hold    bool
	ctx     context.Context // the scheduler's life, once started
	cancel  context.CancelFunc
	wake    chan struct{}
	wg      sync.WaitGroup
	done    chan struct{}

	lastMono time.Time
}

// run is a job's run in flight.
type run struct {
	id      string
	attempt int
	manual  bool
	done    chan struct{}
	outcome Outcome
}

// New returns the scheduler of the jobs in st. It does not run jobs by
// itself until Start; RunNow works either way.
func New(st *Store, opts Options) (*Scheduler, error) {
	if opts.Launcher == nil {
		return nil, errors.New("jobs: a scheduler needs a launcher")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WakeEvery <= 0 {
		opts.WakeEvery = DefaultWakeEvery
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	hold, err := st.Hold()
	if err != nil {
		return nil, fmt.Errorf("jobs: read hold: %w", err)
	}
	return &Scheduler{st: st, opts: opts, log: log, running: map[string]*run{}, hold: hold, wake: make(chan struct{}, 1)}, nil
}

// Store is where the jobs live.
func (s *Scheduler) Store() *Store { return s.st }

// Name names the service.
func (s *Scheduler) Name() string { return "scheduler" }

// Start recovers runs cut short by the end of the last process, applies a
// persisted hold, and starts the loop.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.ctx != nil {
		s.mu.Unlock()
		return errors.New("scheduler already started")
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	hold := s.hold
	s.mu.Unlock()
	if hold {
		if p, ok := s.opts.Launcher.(Pauser); ok {
			p.PauseAll()
		}
		s.log.Info("schedules are held (pause all); jobs wait until resumed")
	}
	if err := s.recoverInterrupted(s.opts.Now()); err != nil {
		return err
	}
	if d, ok := schedule.MinEveryOverride(); ok {
		s.log.Warn("test setting in force: intervals may be as short as "+d.String(), "env", schedule.TestMinEveryEnv)
	}
	go s.loop()
	return nil
}

// Stop ends the loop. Runs in flight are left to the runner: their jobs
// find them interrupted on the next start.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	idle := make(chan struct{})
	go func() { s.wg.Wait(); close(idle) }()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// recoverInterrupted marks runs that were going when the process ended.
func (s *Scheduler) recoverInterrupted(now time.Time) error {
	all, err := s.st.List(func(err error) { s.log.Error("jobs", "err", err) })
	if err != nil {
		return err
	}
	for _, j := range all {
		if j.RunningTask == "" {
			continue
		}
		j, err := s.st.Update(j.Name, func(j *Job) error {
			j.LastResult = ResultInterrupted
			j.LastError = fmt.Sprintf("Holdfast stopped while task %s ran", j.RunningTask)
			j.RunningTask = ""
			if j.LastEnd.IsZero() || j.LastEnd.Before(j.LastRun) {
				j.LastEnd = now
			}
			if j.OnInterrupted != OnInterruptedWait {
				j.RetryAt, j.Attempt = now, 0
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.log.Warn("job run was interrupted", "job", j.Name, "task", j.LastTaskID, "policy", j.OnInterrupted)
	}
	return nil
}

// Hold reports whether every schedule is held ("Pause all").
func (s *Scheduler) Hold() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hold
}

// SetHold holds every schedule and pauses the running tasks (on), or lets
// them go again (off). It persists: a held home stays held after a
// restart. Slots that pass while held run once when released.
func (s *Scheduler) SetHold(on bool) error {
	if err := s.st.SetHold(on); err != nil {
		return fmt.Errorf("jobs: record hold: %w", err)
	}
	s.mu.Lock()
	s.hold = on
	s.mu.Unlock()
	if p, ok := s.opts.Launcher.(Pauser); ok {
		if on {
			p.PauseAll()
		} else {
			p.ResumeAll()
		}
	}
	s.log.Info("schedules hold changed", "hold", on)
	s.changed()
	return nil
}

func (s *Scheduler) changed() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if s.opts.OnChange != nil {
		s.opts.OnChange()
	}
}

// loop ticks when a job is due and at least every WakeEvery.
func (s *Scheduler) loop() {
	defer close(s.done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
		s.noteClock()
		now := s.opts.Now()
		s.tick(now)
		timer.Reset(s.sleepFor(now))
	}
}

// noteClock logs when the wall clock moved differently from the
// monotonic one since the last wake: a suspend, or the clock being set.
// Nothing else is needed: due runs are found from the wall clock alone.
func (s *Scheduler) noteClock() {
	now := time.Now()
	if !s.lastMono.IsZero() {
		mono := now.Sub(s.lastMono)
		wall := now.Round(0).Sub(s.lastMono.Round(0))
		if d := wall - mono; d > 5*time.Second || d < -5*time.Second {
			s.log.Info("the wall clock moved apart from the elapsed time (suspend or clock change); catching up", "by", d.Round(time.Second))
		}
	}
	s.lastMono = now
}

// sleepFor is how long the loop may sleep after now.
func (s *Scheduler) sleepFor(now time.Time) time.Duration {
	wait := s.opts.WakeEvery
	if s.Hold() {
		return wait
	}
	all, err := s.st.List(nil)
	if err != nil {
		return wait
	}
	for _, j := range all {
		if next := s.nextRun(j, now); !next.IsZero() {
			wait = min(wait, max(next.Sub(now), 10*time.Millisecond))
		}
	}
	return wait
}

// nextRun is when the job runs next if nothing changes: a pending retry or
// the schedule's next slot; zero when it is paused or cannot run.
func (s *Scheduler) nextRun(j Job, now time.Time) time.Time {
	if j.Paused {
		return time.Time{}
	}
	sc, err := schedule.Parse(j.Schedule)
	if err != nil {
		return time.Time{}
	}
	next := sc.Next(anchor(j, now))
	if !j.RetryAt.IsZero() && (next.IsZero() || j.RetryAt.Before(next)) {
		next = j.RetryAt
	}
	return next
}

// anchor is the time after which the job's next slot lies.
func anchor(j Job, now time.Time) time.Time {
	if j.LastSlot.After(now.Add(ReanchorAfter)) {
		return now
	}
	return j.LastSlot
}

// tick starts every job that is due at now.
func (s *Scheduler) tick(now time.Time) {
	if s.Hold() {
		return
	}
	all, err := s.st.List(func(err error) { s.log.Error("jobs", "err", err) })
	if err != nil {
		s.log.Error("list jobs", "err", err)
		return
	}
	for _, j := range all {
		s.consider(j, now)
	}
}

func (s *Scheduler) consider(j Job, now time.Time) {
	if j.Paused {
		return
	}
	sc, err := schedule.Parse(j.Schedule)
	if err != nil {
		s.log.Error("job has a schedule that does not parse; it does not run", "job", j.Name, "schedule", j.Schedule, "err", err)
		return
	}
	if j.LastSlot.After(now.Add(ReanchorAfter)) {
		s.log.Warn("the clock went back a long way; the job is scheduled from now", "job", j.Name, "last_slot", j.LastSlot, "now", now)
		if _, err := s.st.Update(j.Name, func(j *Job) error { j.LastSlot = now; return nil }); err != nil {
			s.log.Error("update job", "job", j.Name, "err", err)
		}
		return
	}
	next := sc.Next(j.LastSlot)
	slotDue := !next.IsZero() && !next.After(now)
	retryDue := !j.RetryAt.IsZero() && !j.RetryAt.After(now)
	s.mu.Lock()
	busy := s.running[j.Name] != nil
	s.mu.Unlock()
	switch {
	case slotDue && busy:
		s.log.Warn("job is still running; this run is skipped", "job", j.Name, "slot", next)
		if _, err := s.st.Update(j.Name, func(j *Job) error { j.LastSlot = now; return nil }); err != nil {
			s.log.Error("update job", "job", j.Name, "err", err)
		}
		s.changed()
	case slotDue:
		if next.Before(now.Add(-time.Minute)) {
			s.log.Info("job missed its time (asleep, off or held); running it once now", "job", j.Name, "missed", next)
		}
		s.start(j, 1, now, false)
	case retryDue && !busy:
		s.start(j, j.Attempt+1, now, false)
	}
}

// ErrRunning means the job already has a run in flight.
var ErrRunning = errors.New("job is already running")

// Run is a run started by RunNow.
type Run struct {
	s *Scheduler
	r *run
}

// TaskID is the run's task.
func (h Run) TaskID() string { return h.r.id }

// Done is closed when the run has ended and its outcome is recorded.
func (h Run) Done() <-chan struct{} { return h.r.done }

// Outcome is how the run ended, once Done is closed; zero when it was
// left to the next start (the process stopped).
func (h Run) Outcome() Outcome {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	return h.r.outcome
}

// RunNow starts the job at once, outside its schedule: it does not use up
// a slot, and its failure is not retried. It fails with ErrRunning when
// the job already runs.
func (s *Scheduler) RunNow(ctx context.Context, name string) (Run, error) {
	j, err := s.st.Get(name)
	if err != nil {
		return Run{}, err
	}
	r, err := s.startCtx(ctx, j, 1, s.opts.Now(), true)
	if err != nil {
		return Run{}, err
	}
	return Run{s: s, r: r}, nil
}

func (s *Scheduler) start(j Job, attempt int, now time.Time, manual bool) {
	if _, err := s.startCtx(context.Background(), j, attempt, now, manual); err != nil && !errors.Is(err, ErrRunning) {
		s.log.Error("job did not start", "job", j.Name, "attempt", attempt, "err", err)
	}
}

// startCtx launches a run. The run lives in the scheduler's context once
// started, else (a standalone CLI, where Ctrl-C cancels it) in ctx.
func (s *Scheduler) startCtx(ctx context.Context, j Job, attempt int, now time.Time, manual bool) (*run, error) {
	r := &run{attempt: attempt, manual: manual, done: make(chan struct{})}
	s.mu.Lock()
	if cur := s.running[j.Name]; cur != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("job %s: %w (task %s)", j.Name, ErrRunning, cur.id)
	}
	s.running[j.Name] = r
	local := s.ctx == nil
	if !local {
		ctx = s.ctx
	}
	s.mu.Unlock()
	fail := func(err error) (*run, error) {
		s.mu.Lock()
		delete(s.running, j.Name)
		s.mu.Unlock()
		s.finish(j, r, now, Outcome{State: StateFailed, Exit: control.ExitError, Error: err.Error()}, !manual && isTransient(err))
		close(r.done)
		return nil, err
	}
	req, err := s.request(j)
	if err != nil {
		return fail(err)
	}
	id, err := s.opts.Launcher.Launch(ctx, req, Origin{Job: j.Name, Attempt: attempt})
	if err != nil {
		return fail(fmt.Errorf("job %s: start %s: %w", j.Name, req.Op, err))
	}
	s.mu.Lock()
	r.id = id
	s.mu.Unlock()
	_, err = s.st.Update(j.Name, func(j *Job) error {
		if !manual {
			j.LastSlot = now
			j.Attempt = attempt
			j.RetryAt = time.Time{}
		}
		j.LastRun, j.LastEnd = now, time.Time{}
		j.LastTaskID, j.RunningTask = id, id
		return nil
	})
	if err != nil {
		s.log.Error("record job start", "job", j.Name, "err", err)
	}
	s.log.Info("job started", "job", j.Name, "task", id, "attempt", attempt, "manual", manual)
	s.changed()
	s.wg.Add(1)
	go s.watch(ctx, j, r, local)
	return r, nil
}

// isTransient: a failure to build the request (bad job, verify missing)
// will not heal by retrying; a failure to launch may.
func isTransient(err error) bool {
	var perm *permanentError
	return !errors.As(err, &perm)
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// watch waits for the run's task, runs retention after a good backup, and
// records the outcome.
func (s *Scheduler) watch(ctx context.Context, j Job, r *run, local bool) {
	defer s.wg.Done()
	if local {
		// A standalone run: Ctrl-C cancels the task, and its end (canceled)
		// is what to record, so the wait itself must outlast ctx.
		ctx = context.WithoutCancel(ctx)
	}
	out, err := s.opts.Launcher.Wait(ctx, r.id)
	if err != nil || s.stopping(ctx, out) {
		// The process is stopping: leave the run marked, so the next start
		// finds it interrupted and applies the job's policy.
		s.mu.Lock()
		delete(s.running, j.Name)
		s.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			s.finish(j, r, s.opts.Now(), Outcome{State: StateFailed, Exit: control.ExitError, Error: err.Error()}, !r.manual)
		}
		close(r.done)
		return
	}
	if out.State == StateSucceeded && j.Action == ActionBackup && !j.Retention.Empty() {
		out = s.applyRetention(ctx, j, r, out)
	}
	s.mu.Lock()
	delete(s.running, j.Name)
	s.mu.Unlock()
	s.finish(j, r, s.opts.Now(), out, !r.manual && out.State == StateFailed)
	close(r.done)
}

// stopping: the task ended because the process is stopping.
func (s *Scheduler) stopping(ctx context.Context, out Outcome) bool {
	return out.State == StateInterrupted || ctx.Err() != nil && out.State == StateCanceled
}

// applyRetention runs forget with the job's rules after a good backup.
func (s *Scheduler) applyRetention(ctx context.Context, j Job, r *run, backupOut Outcome) Outcome {
	ret := j.Retention
	args := backup.ForgetArgs{RepoArgs: backup.RepoArgs{Repo: j.Repo}, KeepLast: ret.KeepLast, KeepHourly: ret.KeepHourly,
		KeepDaily: ret.KeepDaily, KeepWeekly: ret.KeepWeekly, KeepMonthly: ret.KeepMonthly, KeepYearly: ret.KeepYearly, Prune: ret.Prune}
	raw, _ := json.Marshal(args)
	id, err := s.opts.Launcher.Launch(ctx, control.Request{Op: backup.OpForget, Args: raw}, Origin{Job: j.Name, Attempt: r.attempt})
	if err != nil {
		return Outcome{State: StateFailed, Exit: control.ExitError, Error: fmt.Sprintf("backup done; retention (forget) did not start: %v", err)}
	}
	if _, err := s.st.Update(j.Name, func(j *Job) error { j.RunningTask = id; return nil }); err != nil {
		s.log.Error("record job retention", "job", j.Name, "err", err)
	}
	out, err := s.opts.Launcher.Wait(ctx, id)
	switch {
	case err != nil:
		return Outcome{State: StateFailed, Exit: control.ExitError, Error: fmt.Sprintf("backup done; retention (task %s): %v", id, err)}
	case out.State != StateSucceeded:
		out.Error = fmt.Sprintf("backup done; retention (task %s) %s: %s", id, out.State, out.Error)
		return out
	}
	return backupOut
}

// finish records a run's outcome and schedules a retry when asked and
// allowed.
func (s *Scheduler) finish(j Job, r *run, now time.Time, out Outcome, mayRetry bool) {
	s.mu.Lock()
	r.outcome = out
	s.mu.Unlock()
	var retryAt time.Time
	_, err := s.st.Update(j.Name, func(cur *Job) error {
		cur.RunningTask = ""
		cur.LastEnd = now
		cur.LastError = out.Error
		switch {
		case out.State == StateSucceeded && out.Exit == control.ExitFound:
			cur.LastResult = ResultFound
		case out.State == StateSucceeded:
			cur.LastResult = ResultSucceeded
		case out.State == StateCanceled:
			cur.LastResult = ResultCanceled
		default:
			cur.LastResult = ResultFailed
		}
		if out.State == StateSucceeded {
			cur.RetryAt = time.Time{}
		}
		if mayRetry && out.State == StateFailed && r.attempt <= cur.Retries {
			retryAt = now.Add(Backoff(r.attempt))
			cur.RetryAt = retryAt
			cur.Attempt = r.attempt
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.log.Error("record job outcome", "job", j.Name, "err", err)
	}
	lvl := slog.LevelInfo
	if out.State != StateSucceeded {
		lvl = slog.LevelWarn
	}
	s.log.Log(context.Background(), lvl, "job ended", "job", j.Name, "task", r.id, "attempt", r.attempt, "state", out.State, "err", out.Error)
	if !retryAt.IsZero() {
		s.log.Info("job will be retried", "job", j.Name, "attempt", r.attempt+1, "at", retryAt)
	}
	s.changed()
}

// request builds the control request the job's action runs.
func (s *Scheduler) request(j Job) (control.Request, error) {
	var op string
	var args any
	switch j.Action {
	case ActionBackup:
		op, args = backup.OpBackup, backup.BackupArgs{RepoArgs: backup.RepoArgs{Repo: j.Repo}, Paths: j.Sources}
	case ActionCheck:
		op, args = backup.OpCheck, backup.CheckArgs{RepoArgs: backup.RepoArgs{Repo: j.Repo}}
	case ActionVerify:
		if s.opts.HasOp == nil || !s.opts.HasOp(OpVerify) {
			return control.Request{}, &permanentError{ErrNoVerify}
		}
		if len(j.Sources) != 1 {
			return control.Request{}, &permanentError{fmt.Errorf("job %s: a verify job needs one source folder", j.Name)}
		}
		op, args = OpVerify, verifyArgs{RepoArgs: backup.RepoArgs{Repo: j.Repo}, Folder: j.Sources[0]}
	default:
		return control.Request{}, &permanentError{fmt.Errorf("job %s: unknown action %q", j.Name, j.Action)}
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return control.Request{}, &permanentError{err}
	}
	return control.Request{Op: op, Args: raw}, nil
}

// verifyArgs are what a verify job sends (the consistency engine's
// VerifyArgs): the repository, and the folder to prove against its latest
// backup.
type verifyArgs struct {
	backup.RepoArgs
	Folder string `json:"folder"`
}

// ErrNoVerify refuses verify jobs while no engine serves verification.
var ErrNoVerify = errors.New("verify jobs need the consistency engine (not available yet); use --action check for now")
