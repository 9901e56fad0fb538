package monitor

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/monitor/collect"
)

// fakeProcs is a process table that changes on every reading: call k
// reports one process with PID k and a CPU ratio of k.
type fakeProcs struct {
	mu    sync.Mutex
	calls int
}

func (f *fakeProcs) Processes(ctx context.Context, n int) ([]collect.Process, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	p := collect.Process{PID: f.calls, Name: "p", User: "u", CPURatio: float64(f.calls), RSSBytes: 4096}
	if f.calls%2 == 0 {
		p.IOKnown, p.ReadBytesPerSec, p.WriteBytesPerSec = true, 10, 20
	}
	return []collect.Process{p}, nil
}

func (f *fakeProcs) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// fakeClock hands every timer the sampler starts to the test, which fires
// it after moving the time on.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers chan fakeTimer
}

type fakeTimer struct {
	d time.Duration
	c chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Unix(1_800_000_000, 0), timers: make(chan fakeTimer, 16)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := fakeTimer{d: d, c: make(chan time.Time, 1)}
	f.timers <- t
	return t.c, func() {}
}

// next returns the timer the sampler waits on now.
func (f *fakeClock) next(t *testing.T) fakeTimer {
	t.Helper()
	select {
	case tm := <-f.timers:
		return tm
	case <-time.After(10 * time.Second):
		t.Fatal("the sampler started no timer")
		return fakeTimer{}
	}
}

// fire moves the time on by the timer's duration and fires it.
func (f *fakeClock) fire(tm fakeTimer) {
	f.mu.Lock()
	f.now = f.now.Add(tm.d)
	now := f.now
	f.mu.Unlock()
	tm.c <- now
}

func newTestService(t *testing.T, procs ProcessSource) (*Service, *bus.Bus) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := bus.New()
	// The machine's own ticks are left at an hour apart: this test is
	// about processes.
	s, err := New(db, b, Options{Interval: time.Hour, ProcessSource: procs})
	if err != nil {
		t.Fatal(err)
	}
	return s, b
}

func startService(t *testing.T, s *Service) {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
}

func nextProcesses(t *testing.T, sub *bus.Subscription) Processes {
	t.Helper()
	select {
	case ev := <-sub.C:
		return ev.(Processes)
	case <-time.After(10 * time.Second):
		t.Fatal("no monitor.processes event")
		return Processes{}
	}
}

// TestProcessSamplingPace walks the sampler through its pace changes with
// a fake clock: 1 s to the first sample, then 5 s, then 1 s while anyone
// watches, and 5 s again once every watcher has gone.
func TestProcessSamplingPace(t *testing.T) {
	procs := &fakeProcs{}
	s, b := newTestService(t, procs)
	fc := newFakeClock()
	s.clock = fc
	sub := b.Subscribe(8, Processes{}.Topic())
	defer sub.Close()
	startService(t, s)

	expect := func(step string, want time.Duration) fakeTimer {
		t.Helper()
		tm := fc.next(t)
		if tm.d != want {
			t.Fatalf("%s: the sampler waits %v, want %v", step, tm.d, want)
		}
		return tm
	}

	tm := expect("after priming", time.Second)
	if got := procs.count(); got != 1 {
		t.Fatalf("priming read the table %d times", got)
	}
	if got := s.LatestProcesses(); !got.At.IsZero() {
		t.Fatalf("the priming reading was published: %+v", got)
	}
	fc.fire(tm)
	ev := nextProcesses(t, sub)
	if ev.Over != time.Second || len(ev.Top) != 1 || ev.Top[0].PID != 2 {
		t.Fatalf("first sample %+v", ev)
	}
	tm = expect("unwatched", DefaultProcessInterval)

	w1 := s.WatchProcesses()
	w2 := s.WatchProcesses()
	// The first watcher wakes the sampler, which works the wait out again.
	tm = expect("first watcher", time.Second)
	fc.fire(tm)
	if ev := nextProcesses(t, sub); ev.Top[0].PID != 3 || ev.Over != time.Second {
		t.Fatalf("watched sample %+v", ev)
	}
	tm = expect("two watchers", time.Second)
	w1()
	w1() // a second release of the same watcher changes nothing
	fc.fire(tm)
	nextProcesses(t, sub)
	tm = expect("one watcher left", time.Second)
	if n := s.ProcessWatchers(); n != 1 {
		t.Errorf("%d watchers, want 1", n)
	}
	w2()
	// The 1 s wait ends with nobody watching: the sampler waits out the
	// rest of the 5 s since the last sample.
	fc.fire(tm)
	tm = expect("no watcher left", DefaultProcessInterval-time.Second)
	select {
	case ev := <-sub.C:
		t.Fatalf("sampled at the watched pace after the last watcher left: %+v", ev)
	default:
	}
	fc.fire(tm)
	last := nextProcesses(t, sub)
	expect("unwatched again", DefaultProcessInterval)
	if got := s.LatestProcesses(); !got.At.Equal(last.At) || got.Top[0].PID != last.Top[0].PID {
		t.Errorf("LatestProcesses %+v, last event %+v", got, last)
	}
}

// TestProcessesOpReturnsLatestSample reads the op's JSON after a sample.
func TestProcessesOpReturnsLatestSample(t *testing.T) {
	procs := &fakeProcs{}
	s, b := newTestService(t, procs)
	fc := newFakeClock()
	s.clock = fc
	sub := b.Subscribe(8, Processes{}.Topic())
	defer sub.Close()
	startService(t, s)
	fc.fire(fc.next(t))
	want := nextProcesses(t, sub)

	out, err := s.handleProcesses(context.Background(), &control.Call{Request: control.Request{Op: OpProcesses}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var got ProcessesJSON
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if !got.At.Equal(want.At) || got.OverSeconds != 1 || len(got.Processes) != 1 {
		t.Fatalf("op returned %s, want the sample at %v", raw, want.At)
	}
	p := got.Processes[0]
	if p.PID != 2 || p.CPURatio != 2 || p.RSSBytes != 4096 || p.User != "u" {
		t.Errorf("process %+v", p)
	}
	if p.ReadBytesPerSecond == nil || *p.ReadBytesPerSecond != 10 || *p.WriteBytesPerSecond != 20 {
		t.Errorf("I/O rates %s", raw)
	}
}

// TestProcessesWithoutEngineMeasuresOnce covers a home with no running
// engine: the op reads the table twice, one watch interval apart.
func TestProcessesWithoutEngineMeasuresOnce(t *testing.T) {
	procs := &fakeProcs{}
	s, _ := newTestService(t, procs)
	fc := newFakeClock()
	s.clock = fc
	go func() {
		tm := <-fc.timers
		fc.fire(tm)
	}()
	p, err := s.CurrentProcesses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if procs.count() != 2 || p.Over != time.Second || p.Top[0].PID != 2 {
		t.Errorf("measured %+v after %d readings", p, procs.count())
	}
	// The I/O rates of an odd reading are unknown and left out.
	j := NewProcessesJSON(Processes{Top: []collect.Process{{PID: 1}}})
	raw, _ := json.Marshal(j)
	var m map[string][]map[string]any
	json.Unmarshal(raw, &m)
	if _, ok := m["processes"][0]["read_bytes_per_second"]; ok {
		t.Errorf("unknown I/O rates are printed: %s", raw)
	}
}
