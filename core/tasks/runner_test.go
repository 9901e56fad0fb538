package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
	hfstore "github.com/holdfast/holdfast/core/store"
)

// workArgs drive the test operation "test.work".
type workArgs struct {
	Name     string `json:"name"`
	Resource string `json:"resource,omitempty"`
	Write    bool   `json:"write,omitempty"`
	// Block: wait for release (or cancel), passing a checkpoint and
	// reporting a step each time round.
	Block bool `json:"block,omitempty"`
	// Outcome when not blocking (or once released).
	Fail      bool `json:"fail,omitempty"`
	Found     bool `json:"found,omitempty"`
	LateUsage bool `json:"late_usage,omitempty"`
	Logs      int  `json:"logs,omitempty"`
	// Takes moves the fake clock on while it works.
	Takes time.Duration `json:"takes,omitempty"`
}

type harness struct {
	t      testing.TB
	db     *bolt.DB
	path   string
	router *control.Router
	runner *Runner
	bus    *bus.Bus
	clock  *fakeClock

	mu       sync.Mutex
	started  chan string
	steps    map[string]chan int
	releases map[string]chan struct{}
	proceeds map[string]chan struct{}
	secrets  map[string]map[string]string
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newHarness(t testing.TB, opts Options) *harness {
	t.Helper()
	path := filepath.Join(t.TempDir(), "holdfast.db")
	st, err := hfstore.Open(path, hfstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, db: st.DB(), path: path, bus: bus.New(),
		clock:   &fakeClock{now: time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)},
		started: make(chan string, 16), steps: map[string]chan int{}, releases: map[string]chan struct{}{},
		proceeds: map[string]chan struct{}{},
		secrets:  map[string]map[string]string{},
	}
	h.open(opts)
	return h
}

// open starts a new runner on the harness's database, as a new process
// would.
func (h *harness) open(opts Options) {
	h.t.Helper()
	h.router = control.NewRouter(nil)
	h.router.Handle("test.work", h.work)
	h.router.Handle("test.other", func(ctx context.Context, c *control.Call) (any, error) { return "plain", nil })
	if opts.Bus == nil {
		opts.Bus = h.bus
	}
	opts.Now = h.clock.Now
	opts.Location = time.UTC
	r, err := New(h.db, h.router.Direct, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	r.Define("test.work", Spec{
		Kind: "work",
		Plan: func(req control.Request) (Plan, error) {
			var a workArgs
			if err := json.Unmarshal(req.Args, &a); err != nil {
				return Plan{}, fmt.Errorf("bad arguments: %w", err)
			}
			if a.Name == "" {
				return Plan{}, errors.New("test.work: name is required")
			}
			p := Plan{Description: "work " + a.Name}
			if a.Resource != "" {
				p.Locks = []Lock{{Key: a.Resource, Write: a.Write}}
			}
			return p, nil
		},
		Outcome: func(data json.RawMessage) Outcome {
			var res struct {
				Size     int64    `json:"size"`
				Problems []string `json:"problems"`
			}
			json.Unmarshal(data, &res)
			return Outcome{Size: res.Size, Warnings: res.Problems}
		},
	})
	r.Register(h.router)
	h.runner = r
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
}

func (h *harness) step(name string) chan int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.steps[name] == nil {
		h.steps[name] = make(chan int)
	}
	return h.steps[name]
}

// proceed lets a blocking task past its step: it goes round to its
// checkpoint and reports its next step.
func (h *harness) proceed(name string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.proceeds[name] == nil {
		h.proceeds[name] = make(chan struct{})
	}
	return h.proceeds[name]
}

func (h *harness) release(name string) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.releases[name] == nil {
		h.releases[name] = make(chan struct{})
	}
	return h.releases[name]
}

func (h *harness) work(ctx context.Context, c *control.Call) (any, error) {
	var a workArgs
	if err := c.Decode(&a); err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.secrets[a.Name] = c.Secrets
	h.mu.Unlock()
	h.started <- a.Name
	h.clock.Add(a.Takes)
	for i := range a.Logs {
		c.Logf("line %d", i)
	}
	if a.Block {
		for n := 1; ; n++ {
			if err := Checkpoint(ctx); err != nil {
				return nil, fmt.Errorf("work %s: %w", a.Name, err)
			}
			c.Progress(control.Progress{Message: "working", Done: int64(n), Total: 100, Unit: "steps"})
			// Report the step, then wait for the test to let it go on.
			for _, ch := range []chan int{h.step(a.Name), nil} {
				var send chan int
				var proceed chan struct{}
				if ch != nil {
					send = ch
				} else {
					proceed = h.proceed(a.Name)
				}
				select {
				case send <- n:
				case <-proceed:
				case <-h.release(a.Name):
					return map[string]any{"size": n}, nil
				case <-ctx.Done():
					return nil, fmt.Errorf("work %s: %w", a.Name, ctx.Err())
				}
			}
		}
	}
	switch {
	case a.LateUsage:
		return nil, control.Usagef("test.work: found late that the arguments are wrong")
	case a.Fail:
		return nil, errors.New("it broke")
	case a.Found:
		c.Found()
		return map[string]any{"size": 7, "problems": []string{"file x unreadable"}}, nil
	}
	return map[string]any{"size": 42}, nil
}

func req(a workArgs) control.Request {
	raw, _ := json.Marshal(a)
	return control.Request{Op: "test.work", Args: raw}
}

func (h *harness) launch(a workArgs) ID {
	h.t.Helper()
	id, err := h.runner.Launch(context.Background(), req(a), Origin{})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) waitStarted(names ...string) {
	h.t.Helper()
	var got []string
	for len(got) < len(names) {
		select {
		case n := <-h.started:
			got = append(got, n)
		case <-time.After(10 * time.Second):
			h.t.Fatalf("started %v, want %v", got, names)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(names))
	if !slices.Equal(got, want) {
		h.t.Fatalf("started %v, want %v", got, want)
	}
}

func (h *harness) noneStarted() {
	h.t.Helper()
	select {
	case n := <-h.started:
		h.t.Fatalf("%s started", n)
	default:
	}
}

func (h *harness) get(id ID) Task {
	h.t.Helper()
	t, err := h.runner.Get(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

func (h *harness) wait(id ID) Task {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t, err := h.runner.Wait(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

// until waits for cond on the task's record; the work it waits for is
// already under way, so this only bounds a hang.
func (h *harness) until(id ID, what string, cond func(Task) bool) Task {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		t := h.get(id)
		if cond(t) {
			return t
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("task %d never %s: %+v", id, what, t)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunMapsOutcomes(t *testing.T) {
	h := newHarness(t, Options{})
	tests := []struct {
		name     string
		args     workArgs
		exit     int
		state    State
		size     int64
		warnings []string
		err      string
	}{
		{"ok", workArgs{Name: "ok"}, 0, Succeeded, 42, nil, ""},
		{"failed", workArgs{Name: "fail", Fail: true}, 1, Failed, 0, nil, "it broke"},
		{"found", workArgs{Name: "found", Found: true}, 3, Succeeded, 7, []string{"file x unreadable"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.router.Dispatch(context.Background(), req(tt.args), nil)
			<-h.started
			if res.Exit != tt.exit || res.TaskID == 0 || !strings.Contains(res.Error, tt.err) {
				t.Fatalf("result %+v", res)
			}
			task := h.get(ID(res.TaskID))
			if task.State != tt.state || task.Exit != tt.exit || task.Size != tt.size || !slices.Equal(task.Warnings, tt.warnings) ||
				task.Error != res.Error || task.Started == nil || task.Ended == nil || task.Kind != "work" || task.Description != "work "+tt.args.Name {
				t.Errorf("task %+v", task)
			}
		})
	}
}

func TestUsageErrorsCreateNoTask(t *testing.T) {
	h := newHarness(t, Options{})
	for _, r := range []control.Request{
		{Op: "test.work", Args: json.RawMessage(`{"name":""}`)},
		{Op: "test.work", Args: json.RawMessage(`[1]`)},
		req(workArgs{Name: "late", LateUsage: true}),
	} {
		res := h.router.Dispatch(context.Background(), r, nil)
		if res.Exit != control.ExitUsage || res.TaskID != 0 {
			t.Errorf("%s: result %+v", r.Args, res)
		}
	}
	if _, err := h.runner.Launch(context.Background(), control.Request{Op: "test.work", Args: json.RawMessage(`{}`)}, Origin{}); err == nil {
		t.Error("Launch accepted bad arguments")
	} else if ue := (*control.UsageError)(nil); !errors.As(err, &ue) {
		t.Errorf("Launch error %v is not a usage error", err)
	}
	if _, err := h.runner.Launch(context.Background(), control.Request{Op: "test.other"}, Origin{}); err == nil {
		t.Error("Launch ran an operation that is not a task")
	}
	list, err := h.runner.List(Filter{})
	if err != nil || len(list) != 0 {
		t.Errorf("tasks after usage errors: %+v %v", list, err)
	}
	// Operations that are not tasks pass through untouched.
	if res := h.router.Dispatch(context.Background(), control.Request{Op: "test.other"}, nil); res.Exit != 0 || res.TaskID != 0 {
		t.Errorf("plain op: %+v", res)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	h := newHarness(t, Options{MaxConcurrent: 2})
	a := h.launch(workArgs{Name: "a", Block: true})
	b := h.launch(workArgs{Name: "b", Block: true})
	h.waitStarted("a", "b")
	c := h.launch(workArgs{Name: "c", Block: true})
	if got := h.get(c); got.State != Queued || got.Started != nil {
		t.Fatalf("third task %+v, want queued", got)
	}
	h.noneStarted()
	close(h.release("a"))
	if got := h.wait(a); got.State != Succeeded {
		t.Fatalf("a: %+v", got)
	}
	h.waitStarted("c")
	close(h.release("b"))
	close(h.release("c"))
	for _, id := range []ID{b, c} {
		if got := h.wait(id); got.State != Succeeded {
			t.Errorf("%d: %+v", id, got)
		}
	}
}

func TestOneWriterPerRepository(t *testing.T) {
	h := newHarness(t, Options{MaxConcurrent: 8})
	w1 := h.launch(workArgs{Name: "w1", Resource: "/repo1", Write: true, Block: true})
	h.waitStarted("w1")
	w2 := h.launch(workArgs{Name: "w2", Resource: "/repo1", Write: true, Block: true})
	r1 := h.launch(workArgs{Name: "r1", Resource: "/repo1", Block: true})
	other := h.launch(workArgs{Name: "other", Resource: "/repo2", Write: true, Block: true})
	h.waitStarted("other")
	for _, id := range []ID{w2, r1} {
		if got := h.get(id); got.State != Queued {
			t.Fatalf("task %d %s while a writer holds its repository", id, got.State)
		}
	}
	close(h.release("w1"))
	h.wait(w1)
	// The second writer goes first; the reader queued behind it waits.
	h.waitStarted("w2")
	if got := h.get(r1); got.State != Queued {
		t.Fatalf("reader %s while the second writer runs", got.State)
	}
	close(h.release("w2"))
	h.wait(w2)
	h.waitStarted("r1")
	r2 := h.launch(workArgs{Name: "r2", Resource: "/repo1", Block: true})
	h.waitStarted("r2") // readers share
	for _, n := range []string{"r1", "r2", "other"} {
		close(h.release(n))
	}
	for _, id := range []ID{r1, r2, other} {
		h.wait(id)
	}
	if got := h.get(w2); got.Resources[0] != "/repo1" {
		t.Errorf("resources %v", got.Resources)
	}
}

func TestPauseHoldsAtCheckpointUntilResumed(t *testing.T) {
	h := newHarness(t, Options{})
	id := h.launch(workArgs{Name: "p", Block: true})
	h.waitStarted("p")
	if n := <-h.step("p"); n != 1 {
		t.Fatalf("step %d", n)
	}
	task, err := h.runner.Pause(id)
	if err != nil || task.State != Paused {
		t.Fatalf("Pause: %+v %v", task, err)
	}
	h.proceed("p") <- struct{}{}
	h.until(id, "held at its checkpoint", func(t Task) bool { return t.Held })
	select {
	case n := <-h.step("p"):
		t.Fatalf("step %d made while paused", n)
	default:
	}
	if _, err := h.runner.Resume(id); err != nil {
		t.Fatal(err)
	}
	if n := <-h.step("p"); n != 2 {
		t.Fatalf("step after resume %d", n)
	}
	if got := h.get(id); got.State != Running || got.Held {
		t.Errorf("after resume %+v", got)
	}
	if _, err := h.runner.Resume(id); err == nil {
		t.Error("resumed a running task")
	}
	close(h.release("p"))
	if got := h.wait(id); got.State != Succeeded || got.Progress.Percent != 100 {
		t.Errorf("final %+v", got)
	}
	if _, err := h.runner.Pause(id); err == nil || !strings.Contains(err.Error(), "already ended") {
		t.Errorf("pause an ended task: %v", err)
	}
}

func TestPauseAll(t *testing.T) {
	h := newHarness(t, Options{MaxConcurrent: 4})
	a := h.launch(workArgs{Name: "a", Block: true})
	b := h.launch(workArgs{Name: "b", Block: true})
	h.waitStarted("a", "b")
	<-h.step("a")
	<-h.step("b")
	h.runner.PauseAll()
	if !h.runner.Paused() {
		t.Fatal("Paused() false after PauseAll")
	}
	h.proceed("a") <- struct{}{}
	h.proceed("b") <- struct{}{}
	for _, id := range []ID{a, b} {
		h.until(id, "held", func(t Task) bool { return t.State == Paused && t.Held })
	}
	c := h.launch(workArgs{Name: "c", Block: true})
	if got := h.get(c); got.State != Queued {
		t.Fatalf("a task started while all are paused: %+v", got)
	}
	// One paused alone stays paused when all are resumed.
	if _, err := h.runner.Pause(a); err != nil {
		t.Fatal(err)
	}
	if _, err := h.runner.Resume(b); err == nil {
		t.Error("resumed one task while all are paused")
	}
	h.runner.ResumeAll()
	h.waitStarted("c")
	if n := <-h.step("b"); n != 2 {
		t.Fatalf("b step %d", n)
	}
	if got := h.get(a); got.State != Paused {
		t.Errorf("a after ResumeAll: %s", got.State)
	}
	h.runner.Resume(a)
	for _, n := range []string{"a", "b", "c"} {
		close(h.release(n))
	}
	for _, id := range []ID{a, b, c} {
		if got := h.wait(id); got.State != Succeeded {
			t.Errorf("%d %+v", id, got)
		}
	}
}

// Tasks launched one after another start in that order: Launch queues a
// task before it returns its ID.
func TestLaunchedTasksStartInOrder(t *testing.T) {
	h := newHarness(t, Options{MaxConcurrent: 1})
	var names []string
	for i := range 12 {
		name := fmt.Sprintf("t%02d", i)
		names = append(names, name)
		h.launch(workArgs{Name: name, Block: true})
	}
	for _, want := range names {
		select {
		case got := <-h.started:
			if got != want {
				t.Fatalf("%s started before %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s never started", want)
		}
		close(h.release(want))
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t, Options{MaxConcurrent: 1})
	run := h.launch(workArgs{Name: "run", Block: true})
	h.waitStarted("run")
	queued := h.launch(workArgs{Name: "queued", Block: true})
	paused := h.launch(workArgs{Name: "paused", Block: true})

	if got, err := h.runner.Cancel(queued); err != nil || got.State != Canceling {
		t.Fatalf("cancel queued: %+v %v", got, err)
	}
	if got := h.wait(queued); got.State != Canceled || got.Started != nil || got.Exit != 1 {
		t.Errorf("canceled while queued: %+v", got)
	}
	<-h.step("run")
	if _, err := h.runner.Cancel(run); err != nil {
		t.Fatal(err)
	}
	if got := h.wait(run); got.State != Canceled || !strings.Contains(got.Error, "canceled") {
		t.Errorf("canceled while running: %+v", got)
	}
	h.waitStarted("paused")
	<-h.step("paused")
	h.runner.Pause(paused)
	h.proceed("paused") <- struct{}{}
	h.until(paused, "held", func(t Task) bool { return t.Held })
	h.runner.Cancel(paused)
	if got := h.wait(paused); got.State != Canceled {
		t.Errorf("canceled while paused: %+v", got)
	}
	if _, err := h.runner.Cancel(paused); err == nil {
		t.Error("canceled an ended task")
	}
	if _, err := h.runner.Cancel(999); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel unknown: %v", err)
	}
}

func TestCallerCancelCancelsTask(t *testing.T) {
	h := newHarness(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan control.Result)
	go func() { done <- h.router.Dispatch(ctx, req(workArgs{Name: "cli", Block: true}), nil) }()
	h.waitStarted("cli")
	<-h.step("cli")
	cancel() // Ctrl-C in a CLI that runs the task itself
	res := <-done
	if res.Exit != 1 {
		t.Fatalf("result %+v", res)
	}
	if got := h.get(ID(res.TaskID)); got.State != Canceled {
		t.Errorf("task %+v", got)
	}
}

type recSink struct {
	mu       sync.Mutex
	progress []control.Progress
	logs     []string
}

func (s *recSink) Progress(p control.Progress) {
	s.mu.Lock()
	s.progress = append(s.progress, p)
	s.mu.Unlock()
}
func (s *recSink) Log(l string) { s.mu.Lock(); s.logs = append(s.logs, l); s.mu.Unlock() }

func TestRetryRunsTheSameInputsAgain(t *testing.T) {
	h := newHarness(t, Options{})
	r := req(workArgs{Name: "flaky", Fail: true})
	r.Secrets = map[string]string{"password": "first"}
	res := h.router.Dispatch(context.Background(), r, nil)
	<-h.started
	first := h.get(ID(res.TaskID))
	if first.State != Failed {
		t.Fatalf("first run %+v", first)
	}
	raw, _ := json.Marshal(first)
	if strings.Contains(string(raw), "first") && strings.Contains(string(raw), "password") {
		t.Errorf("the secret was stored: %s", raw)
	}
	sink := &recSink{}
	retryArgs, _ := json.Marshal(IDArgs{ID: first.ID})
	res = h.router.Dispatch(context.Background(), control.Request{Op: OpRetry, Args: retryArgs, Secrets: map[string]string{"password": "again"}}, sink)
	<-h.started
	if res.Exit != 1 || res.TaskID == 0 || ID(res.TaskID) == first.ID {
		t.Fatalf("retry result %+v", res)
	}
	second := h.get(ID(res.TaskID))
	if second.RetryOf != first.ID || string(second.Args) != string(first.Args) || second.Op != first.Op {
		t.Errorf("retry task %+v", second)
	}
	if h.secrets["flaky"]["password"] != "again" {
		t.Errorf("retry secrets %v", h.secrets["flaky"])
	}
	if len(sink.progress) == 0 || sink.progress[0].TaskID != res.TaskID {
		t.Errorf("the caller was not told the task: %+v", sink.progress)
	}
	// Async retry, as the GUI does it.
	id, err := h.runner.LaunchRetry(context.Background(), first.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-h.started
	if got := h.wait(id); got.RetryOf != first.ID || got.State != Failed {
		t.Errorf("launched retry %+v", got)
	}
	bad, _ := json.Marshal(IDArgs{ID: 12345})
	if res := h.router.Dispatch(context.Background(), control.Request{Op: OpRetry, Args: bad}, nil); res.Exit != 1 || !strings.Contains(res.Error, "no such task") {
		t.Errorf("retry of unknown task: %+v", res)
	}
}

func TestProgressLogAndEvents(t *testing.T) {
	h := newHarness(t, Options{LogLines: 5})
	sub := h.bus.Subscribe(256, TopicChanged)
	defer sub.Close()
	sink := &recSink{}
	res := h.router.Dispatch(context.Background(), req(workArgs{Name: "chatty", Logs: 20}), sink)
	<-h.started
	task := h.get(ID(res.TaskID))
	if want := []string{"line 15", "line 16", "line 17", "line 18", "line 19"}; !slices.Equal(task.Log, want) {
		t.Errorf("log %q, want %q", task.Log, want)
	}
	if len(sink.logs) != 20 {
		t.Errorf("caller got %d log lines", len(sink.logs))
	}
	var states []State
	for len(states) < 3 {
		select {
		case ev := <-sub.C:
			c := ev.(Changed)
			if c.Task.Log != nil || c.Task.Args != nil {
				t.Error("event carries the log or the arguments")
			}
			states = append(states, c.Task.State)
		case <-time.After(5 * time.Second):
			t.Fatalf("events: %v", states)
		}
	}
	if !slices.Equal(states, []State{Queued, Running, Succeeded}) {
		t.Errorf("event states %v", states)
	}

	// Progress: counters and percent from a running task.
	id := h.launch(workArgs{Name: "prog", Block: true})
	h.waitStarted("prog")
	<-h.step("prog")
	h.proceed("prog") <- struct{}{}
	<-h.step("prog")
	got := h.until(id, "reported progress", func(t Task) bool { return len(t.Progress.Counters) == 1 && t.Progress.Counters[0].Value >= 2 })
	c := got.Progress.Counters[0]
	if c.Name != "steps" || c.Total != 100 || c.Unit != "steps" || got.Progress.Percent < 2 || got.Progress.Message != "working" {
		t.Errorf("progress %+v", got.Progress)
	}
	close(h.release("prog"))
	h.wait(id)
}

func TestFilterAndDelete(t *testing.T) {
	h := newHarness(t, Options{})
	h.router.Dispatch(context.Background(), req(workArgs{Name: "a"}), nil)
	res := h.router.Dispatch(context.Background(), req(workArgs{Name: "b", Fail: true}), nil)
	<-h.started
	<-h.started
	failed, _ := h.runner.List(Filter{State: Failed})
	if len(failed) != 1 || failed[0].ID != ID(res.TaskID) || failed[0].Log != nil || failed[0].Args != nil {
		t.Fatalf("failed tasks %+v", failed)
	}
	if all, _ := h.runner.List(Filter{Kind: "work"}); len(all) != 2 {
		t.Errorf("by kind: %d", len(all))
	}
	if none, _ := h.runner.List(Filter{Kind: "backup"}); len(none) != 0 {
		t.Errorf("other kind: %d", len(none))
	}
	id := h.launch(workArgs{Name: "live", Block: true})
	h.waitStarted("live")
	if err := h.runner.Delete(id); err == nil {
		t.Error("deleted a running task")
	}
	close(h.release("live"))
	h.wait(id)
	if err := h.runner.Delete(ID(res.TaskID)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.runner.Get(ID(res.TaskID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted task still there: %v", err)
	}
	if err := h.runner.Delete(ID(res.TaskID)); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

// TestInterruptedOnRestart leaves records as a process killed mid-task
// does (live states, committed), then opens a new runner on them.
func TestInterruptedOnRestart(t *testing.T) {
	h := newHarness(t, Options{})
	h.router.Dispatch(context.Background(), req(workArgs{Name: "done"}), nil)
	<-h.started
	started := h.clock.Now()
	err := h.db.Update(func(tx *bolt.Tx) error {
		for _, s := range []State{Running, Paused, Queued, Canceling} {
			t := Task{Kind: "work", Op: "test.work", Description: string(s), State: s, Created: started, Updated: started.Add(time.Minute)}
			if s != Queued {
				t.Started = &started
			}
			seq, _ := tx.Bucket(BucketTasks).NextSequence()
			t.ID = ID(seq)
			if err := putTask(tx, &t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A CLI without an engine sees them interrupted but leaves them for
	// the engine's jobs.
	h.clock.Add(time.Hour)
	h.open(Options{Standalone: true})
	if n := len(h.runner.Interrupted()); n != 0 {
		t.Errorf("standalone runner took %d interrupted tasks", n)
	}
	list, _ := h.runner.List(Filter{State: Interrupted})
	if len(list) != 4 {
		t.Fatalf("interrupted %+v", list)
	}
	for _, task := range list {
		if task.Ended == nil || !task.Ended.Equal(started.Add(time.Minute)) || !strings.Contains(task.Error, "while it was "+task.Description) {
			t.Errorf("interrupted task %+v", task)
		}
	}
	if _, err := h.runner.Pause(list[0].ID); !errors.Is(err, errNeedsEngine) {
		t.Errorf("standalone pause: %v", err)
	}
	h.open(Options{})
	if got := h.runner.Interrupted(); len(got) != 4 || got[0].State != Interrupted {
		t.Errorf("engine's Interrupted() = %+v", got)
	}
	h.open(Options{})
	if got := h.runner.Interrupted(); len(got) != 0 {
		t.Errorf("Interrupted() handed out twice: %+v", got)
	}
	if done, _ := h.runner.List(Filter{State: Succeeded}); len(done) != 1 {
		t.Errorf("finished history lost: %+v", done)
	}
}

func TestShutdownInterruptsLiveTasks(t *testing.T) {
	h := newHarness(t, Options{MaxConcurrent: 1})
	run := h.launch(workArgs{Name: "run", Block: true})
	h.waitStarted("run")
	queued := h.launch(workArgs{Name: "queued", Block: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.runner.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []ID{run, queued} {
		if got := h.get(id); got.State != Interrupted {
			t.Errorf("%d after shutdown: %+v", id, got)
		}
	}
	if _, err := h.runner.Launch(context.Background(), req(workArgs{Name: "late"}), Origin{}); err == nil {
		t.Error("launched a task after shutdown")
	}
	h.open(Options{})
	if got := h.runner.Interrupted(); len(got) != 2 {
		t.Errorf("Interrupted() after a clean stop: %+v", got)
	}
}

func TestLaunchTagsAndWait(t *testing.T) {
	h := newHarness(t, Options{})
	id, err := h.runner.Launch(context.Background(), req(workArgs{Name: "job"}), Origin{Job: "nightly", Attempt: 2})
	if err != nil {
		t.Fatal(err)
	}
	<-h.started
	got := h.wait(id)
	if got.Job != "nightly" || got.Attempt != 2 || got.State != Succeeded {
		t.Errorf("task %+v", got)
	}
	if byJob, _ := h.runner.List(Filter{Job: "nightly"}); len(byJob) != 1 {
		t.Errorf("by job %+v", byJob)
	}
}
