package alerts

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fakeSource answers from tables set by the test. Aggregates are keyed by
// metric (any agg), slopes by metric.
type fakeSource struct {
	mu     sync.Mutex
	aggs   map[string][]Value
	slopes map[string][]Value
	err    map[string]error
	calls  []string
}

func newFakeSource() *fakeSource {
	return &fakeSource{aggs: map[string][]Value{}, slopes: map[string][]Value{}, err: map[string]error{}}
}

func (f *fakeSource) set(metric string, vals ...Value) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aggs[metric] = vals
}

func (f *fakeSource) setSlope(metric string, vals ...Value) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slopes[metric] = vals
}

func (f *fakeSource) fail(metric string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.err, metric)
	} else {
		f.err[metric] = err
	}
}

func cloneValues(vs []Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = Value{Labels: copyLabels(v.Labels), V: v.V, Since: v.Since}
	}
	return out
}

func (f *fakeSource) Aggregate(ctx context.Context, metric, agg string, window time.Duration, now time.Time) ([]Value, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%s(%s,%v)", agg, metric, window))
	if err := f.err[metric]; err != nil {
		return nil, err
	}
	return cloneValues(f.aggs[metric]), nil
}

func (f *fakeSource) Slope(ctx context.Context, metric string, window time.Duration, now time.Time) ([]Value, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("slope(%s,%v)", metric, window))
	if err := f.err[metric]; err != nil {
		return nil, err
	}
	return cloneValues(f.slopes[metric]), nil
}

// v builds a Value from a value and label pairs.
func v(val float64, kv ...string) Value {
	var l map[string]string
	if len(kv) > 0 {
		l = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
	}
	return Value{Labels: l, V: val}
}

// recorder is a Notifier that keeps what it was sent.
type recorder struct {
	mu    sync.Mutex
	got   []Notification
	err   error
	name  string
	calls int
}

func (r *recorder) Name() string {
	if r.name == "" {
		return "recorder"
	}
	return r.name
}

func (r *recorder) Notify(ctx context.Context, n Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.err != nil {
		return r.err
	}
	r.got = append(r.got, n)
	return nil
}

// take returns and forgets what was received.
func (r *recorder) take() []Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.got
	r.got = nil
	return g
}

// clock is a settable clock safe to read from other goroutines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// t0 is 2025-03-04 12:00 UTC, a Tuesday noon.
var t0 = time.Date(2025, 3, 4, 12, 0, 0, 0, time.UTC)

type harness struct {
	t    *testing.T
	path string
	db   *bolt.DB
	src  *fakeSource
	rec  *recorder
	clk  *clock
	svc  *Service
	opts Options
}

func openDB(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// newHarness opens a service on a fresh database with a fake source,
// a recording notifier and a fake clock at t0.
func newHarness(t *testing.T, rules []Rule, tweak func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "holdfast.db"), src: newFakeSource(), rec: &recorder{}, clk: &clock{t: t0}}
	h.opts = Options{
		Source:    h.src,
		Notifiers: []Notifier{h.rec},
		Rules:     rules,
		Hostname:  "testhost",
		Now:       h.clk.Now,
	}
	if tweak != nil {
		tweak(&h.opts)
	}
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *harness) open() {
	h.t.Helper()
	h.db = openDB(h.t, h.path)
	svc, err := New(h.db, h.opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.svc = svc
}

func (h *harness) close() {
	if h.svc != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = h.svc.Stop(ctx)
		cancel()
		h.svc = nil
	}
	if h.db != nil {
		_ = h.db.Close()
		h.db = nil
	}
}

// reopen closes the service and database and opens them again.
func (h *harness) reopen() {
	h.t.Helper()
	h.close()
	h.open()
}

// eval advances the clock by step, evaluates, waits for notifications and
// returns them.
func (h *harness) eval(step time.Duration) []Notification {
	h.t.Helper()
	now := h.clk.Add(step)
	if err := h.svc.Evaluate(context.Background(), now); err != nil {
		h.t.Fatalf("Evaluate: %v", err)
	}
	return h.flush()
}

func (h *harness) flush() []Notification {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.svc.Flush(ctx); err != nil {
		h.t.Fatalf("Flush: %v", err)
	}
	return h.rec.take()
}

// only returns the single active alert, failing otherwise.
func (h *harness) only() Alert {
	h.t.Helper()
	act := h.svc.Active()
	if len(act) != 1 {
		h.t.Fatalf("want 1 active alert, have %d: %+v", len(act), act)
	}
	return act[0]
}

func transitions(ns []Notification) []string {
	var out []string
	for _, n := range ns {
		s := string(n.Transition)
		if n.Repeat {
			s += "(repeat)"
		}
		out = append(out, s)
	}
	return out
}

func fmtStrings(ss []string) string { return fmt.Sprintf("%q", ss) }

var errBoom = errors.New("boom")
