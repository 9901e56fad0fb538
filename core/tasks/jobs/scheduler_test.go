package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/registry"
	"github.com/holdfast/holdfast/core/control"
)

// fakeLauncher records launches; each task ends when the test says.
type fakeLauncher struct {
	mu       sync.Mutex
	n        int
	launched []launch
	ends     map[string]chan Outcome
	paused   bool
	launches chan launch
}

type launch struct {
	id     string
	req    control.Request
	origin Origin
}

func newFake() *fakeLauncher {
	return &fakeLauncher{ends: map[string]chan Outcome{}, launches: make(chan launch, 100)}
}

func (f *fakeLauncher) Launch(ctx context.Context, req control.Request, o Origin) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprint(f.n)
	f.ends[id] = make(chan Outcome, 1)
	l := launch{id, req, o}
	f.launched = append(f.launched, l)
	f.launches <- l
	return id, nil
}

func (f *fakeLauncher) Wait(ctx context.Context, id string) (Outcome, error) {
	f.mu.Lock()
	ch := f.ends[id]
	f.mu.Unlock()
	if ch == nil {
		return Outcome{}, errors.New("no such task")
	}
	select {
	case out := <-ch:
		return out, nil
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
}

func (f *fakeLauncher) PauseAll()  { f.mu.Lock(); f.paused = true; f.mu.Unlock() }
func (f *fakeLauncher) ResumeAll() { f.mu.Lock(); f.paused = false; f.mu.Unlock() }

func (f *fakeLauncher) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.launched)
}

func (f *fakeLauncher) last() launch {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.launched[len(f.launched)-1]
}

// end ends task id and waits until the scheduler recorded it (and the
// retention run after it, if any).
func (f *fakeLauncher) end(t *testing.T, s *Scheduler, id string, out Outcome) {
	t.Helper()
	var done chan struct{}
	s.mu.Lock()
	for _, r := range s.running {
		if r.id == id {
			done = r.done
		}
	}
	s.mu.Unlock()
	f.mu.Lock()
	ch := f.ends[id]
	f.mu.Unlock()
	ch <- out
	if done == nil { // a follow-up task (retention): its run is the backup's
		s.wg.Wait()
		return
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("task %s: outcome never recorded", id)
	}
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

var t0 = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC) // on the hour

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "h.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type rig struct {
	t     *testing.T
	db    *bolt.DB
	st    *Store
	s     *Scheduler
	f     *fakeLauncher
	clk   *clock
	hasOp map[string]bool
}

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, db: openDB(t), f: newFake(), clk: &clock{t: t0}, hasOp: map[string]bool{}}
	r.reopen()
	return r
}

// reopen starts a new scheduler on the same database, as a new process
// would.
func (r *rig) reopen() {
	st, err := OpenStore(r.db)
	if err != nil {
		r.t.Fatal(err)
	}
	r.st = st
	s, err := New(st, Options{Launcher: r.f, Now: r.clk.Now, HasOp: func(op string) bool { return r.hasOp[op] },
		Repo: func(name string) (registry.Repo, error) {
			switch name {
			case "nas":
				return registry.Repo{Name: "nas", Path: "/srv/nas", Password: registry.InFile}, nil
			case "nopw":
				return registry.Repo{Name: "nopw", Path: "/srv/nopw"}, nil
			}
			return registry.Repo{}, fmt.Errorf("repository %q: %w", name, registry.ErrNotFound)
		}})
	if err != nil {
		r.t.Fatal(err)
	}
	r.s = s
}

func (r *rig) add(a AddArgs) Info {
	r.t.Helper()
	if a.Repo == "" {
		a.Repo = "nas"
	}
	if a.Action == "" {
		a.Action = ActionBackup
		a.Sources = []string{r.t.TempDir()}
	}
	info, err := r.s.Add(a)
	if err != nil {
		r.t.Fatal(err)
	}
	return info
}

func (r *rig) tickAt(d time.Duration) {
	r.clk.Set(t0.Add(d))
	r.s.tick(r.clk.Now())
}

func (r *rig) job(name string) Job {
	j, err := r.st.Get(name)
	if err != nil {
		r.t.Fatal(err)
	}
	return j
}

var ok = Outcome{State: StateSucceeded}

func TestMissedRunsCoalesceIntoOne(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "every 1h"})
	r.tickAt(30 * time.Minute)
	if r.f.count() != 0 {
		t.Fatal("ran before its first slot")
	}
	// Asleep from 10:30 to 15:30: five slots missed, one run on wake.
	r.tickAt(5*time.Hour + 30*time.Minute)
	if r.f.count() != 1 {
		t.Fatalf("%d runs on wake, want 1", r.f.count())
	}
	r.f.end(t, r.s, r.f.last().id, ok)
	r.tickAt(5*time.Hour + 31*time.Minute)
	if r.f.count() != 1 {
		t.Fatalf("%d runs after the make-up run, want 1", r.f.count())
	}
	r.tickAt(6 * time.Hour)
	if r.f.count() != 2 {
		t.Fatalf("%d runs at the next slot, want 2", r.f.count())
	}
	j := r.job("docs")
	if j.LastResult != ResultSucceeded || j.RunningTask != "2" || j.LastTaskID != "2" || !j.LastEnd.IsZero() {
		t.Errorf("job while running: %+v", j)
	}
	r.f.end(t, r.s, "2", ok)
	if j := r.job("docs"); j.LastResult != ResultSucceeded || j.RunningTask != "" || !j.LastEnd.Equal(t0.Add(6*time.Hour)) {
		t.Errorf("job after run: %+v", j)
	}
}

func TestNoOverlap(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "every 1h"})
	r.tickAt(time.Hour)
	r.tickAt(2 * time.Hour) // the first run still goes: skipped
	r.tickAt(2*time.Hour + time.Minute)
	if r.f.count() != 1 {
		t.Fatalf("%d runs, want 1 (no overlap)", r.f.count())
	}
	if _, err := r.s.RunNow(context.Background(), "docs"); !errors.Is(err, ErrRunning) {
		t.Errorf("run now while running: %v", err)
	}
	r.f.end(t, r.s, "1", ok)
	r.tickAt(2*time.Hour + 2*time.Minute) // the skipped slot is not made up
	if r.f.count() != 1 {
		t.Fatalf("skipped slot ran after all")
	}
	r.tickAt(3 * time.Hour)
	if r.f.count() != 2 {
		t.Fatalf("%d runs at 13:00, want 2", r.f.count())
	}
}

func TestClockJumps(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "at 11:00"})
	r.tickAt(time.Hour) // 11:00
	if r.f.count() != 1 {
		t.Fatal("no run at 11:00")
	}
	r.f.end(t, r.s, "1", ok)
	// The clock goes back to 10:30, then passes 11:00 again: no second run.
	r.tickAt(30 * time.Minute)
	r.tickAt(time.Hour)
	r.tickAt(time.Hour + time.Minute)
	if r.f.count() != 1 {
		t.Fatalf("backward jump: %d runs, want 1", r.f.count())
	}
	// The clock jumps forward three days: the missed slots run once.
	r.tickAt(72*time.Hour + 2*time.Hour)
	r.tickAt(72*time.Hour + 2*time.Hour + time.Second)
	if r.f.count() != 2 {
		t.Fatalf("forward jump: %d runs, want 2", r.f.count())
	}
	r.f.end(t, r.s, "2", ok)
	if next := r.s.nextRun(r.job("docs"), r.clk.Now()); !next.Equal(t0.Add(97 * time.Hour)) {
		t.Errorf("next run %v, want the next 11:00", next)
	}
}

func TestFarBackwardJumpReanchors(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "every 1h"})
	r.tickAt(400 * 24 * time.Hour) // clock set a year ahead by mistake
	r.f.end(t, r.s, "1", ok)
	r.tickAt(time.Hour + time.Minute) // corrected: re-anchored, not frozen for a year
	r.tickAt(2 * time.Hour)
	if r.f.count() != 2 {
		t.Fatalf("%d runs, want 2", r.f.count())
	}
}

func TestRetriesWithBackoff(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "at 11:00", Retries: 2})
	fail := Outcome{State: StateFailed, Exit: 1, Error: "disk full"}
	r.tickAt(time.Hour)
	r.tickAt(time.Hour + 10*time.Second)
	r.f.end(t, r.s, "1", fail)
	j := r.job("docs")
	if j.LastResult != ResultFailed || j.LastError != "disk full" || !j.RetryAt.Equal(t0.Add(time.Hour+10*time.Second+time.Minute)) {
		t.Fatalf("after the first failure: %+v", j)
	}
	r.tickAt(time.Hour + 30*time.Second)
	if r.f.count() != 1 {
		t.Fatal("retried before the backoff")
	}
	r.tickAt(time.Hour + 70*time.Second)
	if r.f.count() != 2 || r.f.last().origin != (Origin{"docs", 2}) {
		t.Fatalf("retry 1: %d launches, %+v", r.f.count(), r.f.last())
	}
	r.f.end(t, r.s, "2", fail)
	if j := r.job("docs"); !j.RetryAt.Equal(t0.Add(time.Hour + 70*time.Second + 5*time.Minute)) {
		t.Fatalf("second backoff: retry at %v", j.RetryAt)
	}
	r.tickAt(time.Hour + 70*time.Second + 5*time.Minute)
	if r.f.last().origin != (Origin{"docs", 3}) {
		t.Fatalf("retry 2: %+v", r.f.last())
	}
	r.f.end(t, r.s, "3", fail)
	if j := r.job("docs"); !j.RetryAt.IsZero() {
		t.Fatalf("retried past --retries 2: %+v", j)
	}
	r.tickAt(2 * time.Hour)
	if r.f.count() != 3 {
		t.Fatalf("%d launches, want 3", r.f.count())
	}
	// The next slot starts over at attempt 1; a canceled run is not retried.
	r.tickAt(25 * time.Hour)
	if r.f.last().origin.Attempt != 1 {
		t.Fatalf("next day: %+v", r.f.last())
	}
	r.f.end(t, r.s, "4", Outcome{State: StateCanceled, Exit: 1, Error: "canceled"})
	if j := r.job("docs"); !j.RetryAt.IsZero() || j.LastResult != ResultCanceled {
		t.Fatalf("canceled: %+v", j)
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 5 * time.Minute, 25 * time.Minute, 25 * time.Minute}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

func TestHold(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "every 1h"})
	if err := r.s.SetHold(true); err != nil {
		t.Fatal(err)
	}
	if !r.f.paused || !r.s.Hold() {
		t.Fatal("hold did not pause the runner")
	}
	r.tickAt(time.Hour)
	r.tickAt(3 * time.Hour)
	if r.f.count() != 0 {
		t.Fatal("ran while held")
	}
	if l, _ := r.s.List(); !l.PausedAll || l.Jobs[0].NextRun != nil {
		t.Errorf("list while held: %+v", l)
	}
	r.reopen() // the hold survives a restart
	if !r.s.Hold() {
		t.Fatal("hold not persisted")
	}
	if err := r.s.SetHold(false); err != nil {
		t.Fatal(err)
	}
	if r.f.paused {
		t.Error("release did not resume the runner")
	}
	r.tickAt(3*time.Hour + time.Minute)
	if r.f.count() != 1 {
		t.Fatalf("%d runs after release, want 1", r.f.count())
	}
}

func TestPausedJob(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "every 1h"})
	r.add(AddArgs{Name: "other", Schedule: "every 1h"})
	if _, err := r.s.SetPaused("docs", true); err != nil {
		t.Fatal(err)
	}
	r.tickAt(time.Hour)
	if r.f.count() != 1 || r.f.last().origin.Job != "other" {
		t.Fatalf("launches %+v", r.f.launched)
	}
}

func TestInterruptedRunFollowsPolicy(t *testing.T) {
	for _, policy := range []string{OnInterruptedRerun, OnInterruptedWait} {
		t.Run(policy, func(t *testing.T) {
			r := newRig(t)
			r.add(AddArgs{Name: "docs", Schedule: "at 11:00", OnInterrupted: policy})
			r.tickAt(time.Hour)
			if r.f.count() != 1 {
				t.Fatal("no run")
			}
			// The process dies mid-run; a new one starts at 11:20.
			r.reopen()
			r.clk.Set(t0.Add(80 * time.Minute))
			if err := r.s.recoverInterrupted(r.clk.Now()); err != nil {
				t.Fatal(err)
			}
			j := r.job("docs")
			if j.LastResult != ResultInterrupted || j.RunningTask != "" || !strings.Contains(j.LastError, "task 1") {
				t.Fatalf("after restart: %+v", j)
			}
			r.s.tick(r.clk.Now())
			want := map[string]int{OnInterruptedRerun: 2, OnInterruptedWait: 1}[policy]
			if r.f.count() != want {
				t.Fatalf("%d launches after restart, want %d", r.f.count(), want)
			}
			if policy == OnInterruptedRerun {
				if o := r.f.last().origin; o != (Origin{"docs", 1}) {
					t.Errorf("rerun origin %+v", o)
				}
				r.f.end(t, r.s, "2", ok)
			}
			r.tickAt(25 * time.Hour) // the next slot runs either way
			if r.f.count() != want+1 {
				t.Fatalf("%d launches the next day", r.f.count())
			}
		})
	}
}

func TestRetentionAfterBackup(t *testing.T) {
	r := newRig(t)
	info := r.add(AddArgs{Name: "docs", Schedule: "every 1h", Retention: Retention{KeepDaily: 7, KeepLast: 2, Prune: true}})
	r.tickAt(time.Hour)
	first := r.f.last()
	if first.req.Op != backup.OpBackup {
		t.Fatalf("op %s", first.req.Op)
	}
	var bargs backup.BackupArgs
	json.Unmarshal(first.req.Args, &bargs)
	if bargs.Repo != "nas" || len(bargs.Paths) != 1 || bargs.Paths[0] != info.Sources[0] {
		t.Fatalf("backup args %+v", bargs)
	}
	f := r.f
	f.mu.Lock()
	f.ends["1"] <- ok
	f.mu.Unlock()
	<-f.launches // the backup
	forget := <-f.launches
	if forget.req.Op != backup.OpForget || forget.origin != (Origin{"docs", 1}) {
		t.Fatalf("after backup: %+v", forget)
	}
	var fargs backup.ForgetArgs
	json.Unmarshal(forget.req.Args, &fargs)
	if fargs.Repo != "nas" || fargs.KeepDaily != 7 || fargs.KeepLast != 2 || !fargs.Prune {
		t.Fatalf("forget args %+v", fargs)
	}
	r.f.end(t, r.s, forget.id, Outcome{State: StateFailed, Exit: 1, Error: "repository is locked"})
	j := r.job("docs")
	if j.LastResult != ResultFailed || !strings.Contains(j.LastError, "retention") {
		t.Fatalf("job after failed retention: %+v", j)
	}
}

func TestCheckAndVerifyJobs(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "weekly-check", Action: ActionCheck, Schedule: "@weekly"})
	folder := t.TempDir()
	if _, err := r.s.Add(AddArgs{Name: "v", Action: ActionVerify, Repo: "nas", Sources: []string{folder}, Schedule: "@daily"}); !errors.Is(err, ErrNoVerify) {
		t.Fatalf("verify without the consistency engine: %v", err)
	}
	r.hasOp[OpVerify] = true
	if _, err := r.s.Add(AddArgs{Name: "v", Action: ActionVerify, Repo: "nas", Schedule: "@daily"}); err == nil || !strings.Contains(err.Error(), "one --source FOLDER") {
		t.Fatalf("verify without a folder: %v", err)
	}
	r.add(AddArgs{Name: "v", Action: ActionVerify, Sources: []string{folder}, Schedule: "@daily"})
	r.tickAt(14 * time.Hour) // past midnight
	if r.f.count() != 1 || r.f.last().req.Op != OpVerify || !strings.Contains(string(r.f.last().req.Args), `"folder":"`+folder+`"`) {
		t.Fatalf("verify launch: %+v", r.f.launched)
	}
	r.tickAt(7 * 24 * time.Hour)
	ops := map[string]bool{}
	for _, l := range r.f.launched {
		ops[l.req.Op] = true
	}
	if !ops[backup.OpCheck] {
		t.Fatalf("check never launched: %+v", r.f.launched)
	}
}

func TestRunNow(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "at 11:00", Retries: 3})
	run, err := r.s.RunNow(context.Background(), "docs")
	if err != nil {
		t.Fatal(err)
	}
	r.f.end(t, r.s, run.TaskID(), Outcome{State: StateFailed, Exit: 1, Error: "boom"})
	<-run.Done()
	if out := run.Outcome(); out.State != StateFailed || out.Error != "boom" {
		t.Fatalf("outcome %+v", out)
	}
	if j := r.job("docs"); !j.RetryAt.IsZero() || !j.LastSlot.Equal(t0) {
		t.Fatalf("a manual run retried or used up a slot: %+v", j)
	}
	r.tickAt(time.Hour)
	if r.f.count() != 2 {
		t.Fatal("the 11:00 slot did not run after a manual run")
	}
	if _, err := r.s.RunNow(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown job: %v", err)
	}
}

func TestAddRejects(t *testing.T) {
	r := newRig(t)
	src := t.TempDir()
	usage := func(err error) bool {
		var u *control.UsageError
		return errors.As(err, &u)
	}
	cases := []struct {
		args  AddArgs
		want  string
		usage bool
	}{
		{AddArgs{Name: "x", Action: ActionBackup, Repo: "nas", Sources: []string{src}, Schedule: "cron 0 0 31 2 *"}, "never runs", true},
		{AddArgs{Name: "x", Action: ActionBackup, Repo: "nas", Sources: []string{src}, Schedule: "at 25:00"}, "no hour 25", true},
		{AddArgs{Name: "x", Action: ActionBackup, Repo: "nas", Sources: []string{src}, Schedule: "every 0s"}, "at least 1m", true},
		{AddArgs{Name: "x", Action: ActionBackup, Repo: "nas", Sources: []string{src}, Schedule: "at 09:00 on mon,tues"}, `unknown day "tues"`, true},
		{AddArgs{Name: "x", Action: ActionBackup, Repo: "nas", Schedule: "@daily"}, "at least one --source", true},
		{AddArgs{Name: "x", Action: ActionBackup, Repo: "nas", Sources: []string{filepath.Join(src, "nope")}, Schedule: "@daily"}, "no such file", true},
		{AddArgs{Name: "x", Action: "sync", Repo: "nas", Schedule: "@daily"}, "unknown action", true},
		{AddArgs{Name: "x", Action: ActionCheck, Repo: "nas", Schedule: "@daily", Retention: Retention{KeepLast: 1}}, "no --keep-*", true},
		{AddArgs{Name: "x y", Action: ActionCheck, Repo: "nas", Schedule: "@daily"}, "job name", true},
		{AddArgs{Name: "x", Action: ActionCheck, Repo: "nas", Schedule: "@daily", Retries: 11}, "--retries 11", true},
		{AddArgs{Name: "x", Action: ActionCheck, Repo: "nas", Schedule: "@daily", OnInterrupted: "later"}, "rerun or wait", true},
		{AddArgs{Name: "x", Action: ActionCheck, Repo: "nopw", Schedule: "@daily"}, "no remembered password", false},
		{AddArgs{Name: "x", Action: ActionCheck, Repo: "attic", Schedule: "@daily"}, "knows no repository", false},
		{AddArgs{Name: "x", Action: ActionCheck, Repo: "/srv/repo", Schedule: "@daily"}, "not a path", false},
	}
	for _, c := range cases {
		_, err := r.s.Add(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) || usage(err) != c.usage {
			t.Errorf("%+v: %v (usage %v), want %q (usage %v)", c.args, err, usage(err), c.want, c.usage)
		}
	}
	r.add(AddArgs{Name: "x", Action: ActionCheck, Schedule: "@daily"})
	if _, err := r.s.Add(AddArgs{Name: "x", Action: ActionCheck, Repo: "nas", Schedule: "@daily"}); !errors.Is(err, ErrExists) {
		t.Errorf("duplicate: %v", err)
	}
}

func TestStoreRoundTrip(t *testing.T) {
	db := openDB(t)
	st, err := OpenStore(db)
	if err != nil {
		t.Fatal(err)
	}
	j := Job{Name: "docs", Action: ActionBackup, Repo: "nas", Sources: []string{"/home/u/Documents"}, Schedule: "at 02:00 on mon-fri",
		Retention: Retention{KeepDaily: 7, KeepWeekly: 4, Prune: true}, Retries: 3, OnInterrupted: OnInterruptedWait, Paused: true,
		Created: t0, LastSlot: t0.Add(time.Hour), LastRun: t0.Add(time.Hour), LastEnd: t0.Add(2 * time.Hour), LastTaskID: "42",
		LastResult: ResultFailed, LastError: "boom", Attempt: 2, RetryAt: t0.Add(3 * time.Hour)}
	if err := st.Add(j); err != nil {
		t.Fatal(err)
	}
	st2, _ := OpenStore(db)
	got, err := st2.Get("docs")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(j)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("round trip:\n%s\n%s", a, b)
	}
	if _, err := st2.Update("docs", func(j *Job) error { j.Paused = false; return nil }); err != nil {
		t.Fatal(err)
	}
	// A corrupt record is reported and skipped, not fatal to the rest.
	db.Update(func(tx *bolt.Tx) error { return tx.Bucket(BucketJobs).Put([]byte("bad"), []byte("{")) })
	var bad []error
	all, err := st2.List(func(err error) { bad = append(bad, err) })
	if err != nil || len(all) != 1 || all[0].Paused || len(bad) != 1 || !strings.Contains(bad[0].Error(), `job "bad"`) {
		t.Errorf("list: %v %+v %v", err, all, bad)
	}
	if err := st2.Remove("docs"); err != nil {
		t.Fatal(err)
	}
	if _, err := st2.Get("docs"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after remove: %v", err)
	}
}

// TestLoopRunsDueJob drives the real loop (real timers) with a clock that
// says a slot has passed: the first wake runs it.
func TestLoopRunsDueJob(t *testing.T) {
	r := newRig(t)
	r.add(AddArgs{Name: "docs", Schedule: "every 1h"})
	r.clk.Set(t0.Add(3 * time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-r.f.launches:
		if l.origin.Job != "docs" {
			t.Fatalf("launch %+v", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the loop did not run the due job")
	}
	stopCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	if err := r.s.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	// Stopped mid-run: the next start finds it interrupted.
	r.reopen()
	if err := r.s.recoverInterrupted(r.clk.Now()); err != nil {
		t.Fatal(err)
	}
	if j := r.job("docs"); j.LastResult != ResultInterrupted {
		t.Errorf("after stop mid-run: %+v", j)
	}
}
