package tsdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// t0 is the fake clock's start: 2023-11-14 22:13:20 UTC.
const t0 = int64(1_700_000_000)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(unix int64) *fakeClock { return &fakeClock{t: time.Unix(unix, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(unix int64) {
	c.mu.Lock()
	c.t = time.Unix(unix, 0)
	c.mu.Unlock()
}

type testEnv struct {
	t     *testing.T
	path  string
	bolt  *bolt.DB
	db    *DB
	clock *fakeClock
	opts  Options
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv opens a fresh bolt file and a DB with the background flusher off
// and a fake clock, unless opts says otherwise.
func newEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	env := &testEnv{t: t, path: filepath.Join(t.TempDir(), "state.db"), clock: newClock(t0), logs: &syncBuffer{}}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = -1
	}
	if opts.Now == nil {
		opts.Now = env.clock.Now
	}
	opts.Log = slog.New(slog.NewTextHandler(env.logs, nil))
	env.opts = opts
	env.open()
	t.Cleanup(func() {
		if env.db != nil {
			_ = env.db.Close()
		}
		if env.bolt != nil {
			_ = env.bolt.Close()
		}
	})
	return env
}

func (env *testEnv) open() {
	env.t.Helper()
	b, err := bolt.Open(env.path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		env.t.Fatal(err)
	}
	env.bolt = b
	db, err := Open(b, env.opts)
	if err != nil {
		env.t.Fatal(err)
	}
	env.db = db
}

// reopen closes the DB and the bolt file and opens both again.
func (env *testEnv) reopen() {
	env.t.Helper()
	if err := env.db.Close(); err != nil {
		env.t.Fatal(err)
	}
	if err := env.bolt.Close(); err != nil {
		env.t.Fatal(err)
	}
	env.open()
}

func (env *testEnv) append(k Key, kind Kind, ts int64, v float64) {
	env.t.Helper()
	if err := env.db.Append(k, kind, time.Unix(ts, 0), v); err != nil {
		env.t.Fatalf("Append(%s, %d, %v): %v", k, ts, v, err)
	}
}

func (env *testEnv) flush() {
	env.t.Helper()
	if err := env.db.Flush(); err != nil {
		env.t.Fatal(err)
	}
}

func (env *testEnv) query(req QueryRequest) ([]Series, QueryStats) {
	env.t.Helper()
	res, st, err := env.db.Query(context.Background(), req)
	if err != nil {
		env.t.Fatal(err)
	}
	return res, st
}

// one returns the only series of a query.
func (env *testEnv) one(req QueryRequest) ([]Point, QueryStats) {
	env.t.Helper()
	res, st := env.query(req)
	if len(res) != 1 {
		env.t.Fatalf("query %+v returned %d series, want 1", req.Match, len(res))
	}
	return res[0].Points, st
}

// countKeys counts the blocks stored in a tier.
func (env *testEnv) countKeys(t Tier) int {
	n := 0
	_ = env.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(tierBuckets[t]).ForEach(func(k, v []byte) error { n++; return nil })
	})
	return n
}

func match(k Key) Matcher { return Matcher{Name: k.Name(), Labels: k.Labels()} }

func rng(a, b int64) (time.Time, time.Time) { return time.Unix(a, 0), time.Unix(b, 0) }

func TestAppendRules(t *testing.T) {
	env := newEnv(t, Options{})
	k := MustKey("cpu_busy_ratio", Label{"core", "0"})
	env.append(k, Gauge, t0, 0.5)
	cases := []struct {
		name string
		err  error
		call func() error
	}{
		{"duplicate second", ErrOutOfOrder, func() error { return env.db.Append(k, Gauge, time.Unix(t0, 5e8), 1) }},
		{"older", ErrOutOfOrder, func() error { return env.db.Append(k, Gauge, time.Unix(t0-10, 0), 1) }},
		{"other kind", ErrKindMismatch, func() error { return env.db.Append(k, Counter, time.Unix(t0+1, 0), 1) }},
		{"zero key", ErrInvalidKey, func() error { return env.db.Append(Key{}, Gauge, time.Unix(t0+1, 0), 1) }},
		{"bad kind", ErrBadKind, func() error { return env.db.Append(k, Kind(0), time.Unix(t0+1, 0), 1) }},
		{"before 1970", ErrBadTime, func() error { return env.db.Append(MustKey("x"), Gauge, time.Unix(-5, 0), 1) }},
	}
	for _, c := range cases {
		if err := c.call(); !errors.Is(err, c.err) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.err)
		}
	}
	env.append(k, Gauge, t0+1, 0.25)
	pts, _ := env.one(QueryRequest{Match: match(k), Start: time.Unix(t0-5, 0), End: time.Unix(t0+5, 0)})
	want := []Point{{t0, 0.5}, {t0 + 1, 0.25}}
	if !equalPoints(pts, want) {
		t.Fatalf("points %v, want %v (dropped samples must not appear)", pts, want)
	}
	// The ordering rule holds across a flush and a reopen too.
	env.flush()
	if err := env.db.Append(k, Gauge, time.Unix(t0+1, 0), 9); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("after flush: %v", err)
	}
	env.reopen()
	if err := env.db.Append(k, Gauge, time.Unix(t0, 0), 9); !errors.Is(err, ErrOutOfOrder) {
		t.Fatalf("after reopen: %v", err)
	}
	if err := env.db.Append(k, Counter, time.Unix(t0+9, 0), 9); !errors.Is(err, ErrKindMismatch) {
		t.Fatalf("kind after reopen: %v", err)
	}
	if err := env.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := env.db.Append(k, Gauge, time.Unix(t0+10, 0), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if _, _, err := env.db.Query(context.Background(), QueryRequest{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("query after Close: %v", err)
	}
	env.db = nil
}

func equalPoints(a, b []Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].T != b[i].T || !(a[i].V == b[i].V || math.IsNaN(a[i].V) && math.IsNaN(b[i].V)) {
			return false
		}
	}
	return true
}

func TestHeadIncludedInQueries(t *testing.T) {
	env := newEnv(t, Options{})
	k := MustKey("memory_bytes", Label{"kind", "used"})
	for i := int64(0); i < 100; i++ {
		env.append(k, Gauge, t0+i, float64(i*4096))
	}
	env.clock.Set(t0 + 100)
	start, end := rng(t0, t0+99)
	pts, st := env.one(QueryRequest{Match: match(k), Start: start, End: end})
	if len(pts) != 100 || st.HeadSamples != 100 || st.BlocksRead != 0 || st.Tier != TierRaw || st.Step != 0 {
		t.Fatalf("unflushed: %d points, stats %+v", len(pts), st)
	}
	env.flush()
	for i := int64(100); i < 150; i++ {
		env.append(k, Gauge, t0+i, float64(i*4096))
	}
	env.clock.Set(t0 + 150)
	pts, st = env.one(QueryRequest{Match: match(k), Start: time.Unix(t0, 0), End: time.Unix(t0+149, 0)})
	if len(pts) != 150 || st.HeadSamples != 50 || st.BlocksRead == 0 {
		t.Fatalf("half flushed: %d points, stats %+v", len(pts), st)
	}
	for i, p := range pts {
		if p.T != t0+int64(i) || p.V != float64(i*4096) {
			t.Fatalf("point %d = %+v", i, p)
		}
	}
	// A minute-tier query merges the flushed rollups with the head's.
	pts, st = env.one(QueryRequest{Match: match(k), Start: time.Unix(t0-t0%60, 0), End: time.Unix(t0+149, 0), Step: time.Minute, Agg: Max})
	if st.Tier != TierMinute {
		t.Fatalf("tier %s", st.Tier)
	}
	last := pts[len(pts)-1]
	if last.V != 149*4096 {
		t.Fatalf("max of the last minute = %v, want the head's %v", last.V, 149*4096)
	}
	var sum, n float64
	bucket := (t0 + 149) - (t0+149)%60
	for i := int64(0); i < 150; i++ {
		if t0+i >= bucket {
			sum += float64(i * 4096)
			n++
		}
	}
	pts, _ = env.one(QueryRequest{Match: match(k), Start: time.Unix(t0-t0%60, 0), End: time.Unix(t0+149, 0), Step: time.Minute})
	if got := pts[len(pts)-1]; got.T != bucket || got.V != sum/n {
		t.Fatalf("avg of the last minute = %+v, want {%d %v}", got, bucket, sum/n)
	}
}

func TestFlushPersistence(t *testing.T) {
	env := newEnv(t, Options{})
	g := MustKey("temperature_celsius", Label{"sensor", "cpu"})
	c := MustKey("net_bytes_total", Label{"dir", "rx"}, Label{"iface", "eth0"})
	for i := int64(0); i < 1500; i++ { // crosses two raw block windows
		env.append(g, Gauge, t0+i, float64(40+i%7))
		env.append(c, Counter, t0+i, float64(1000*i))
		if i == 700 {
			env.flush()
		}
	}
	env.clock.Set(t0 + 1500)
	start, end := rng(t0+1500-3600, t0+1500)
	before, _ := env.query(QueryRequest{Start: start, End: end})
	env.reopen() // Close flushes the rest
	after, st := env.query(QueryRequest{Start: start, End: end})
	if st.HeadSamples != 0 {
		t.Fatalf("head after reopen: %d samples", st.HeadSamples)
	}
	if len(before) != 2 || len(after) != 2 {
		t.Fatalf("series before %d, after %d", len(before), len(after))
	}
	for i := range before {
		if before[i].Name != after[i].Name || !equalPoints(before[i].Points, after[i].Points) {
			t.Fatalf("series %s differs after reopen", before[i].Name)
		}
	}
	if n := len(after[0].Points); n != 1499 { // counter: the first sample has no rate
		t.Fatalf("counter has %d points", n)
	}
	if n := len(after[1].Points); n != 1500 {
		t.Fatalf("gauge has %d points", n)
	}
	// The counter's rate carries across the restart: the first sample
	// after it is measured against the last one before.
	env.append(c, Counter, t0+1502, 1000*1499+6000)
	env.clock.Set(t0 + 1502)
	pts, _ := env.one(QueryRequest{Match: match(c), Start: time.Unix(t0+1400, 0), End: time.Unix(t0+1502, 0)})
	if last := pts[len(pts)-1]; last.T != t0+1502 || last.V != 2000 {
		t.Fatalf("rate across reopen = %+v, want {%d 2000}", last, t0+1502)
	}
	// The minute tier survived the reopen too, and its rate is consistent.
	env.flush()
	pts, st = env.one(QueryRequest{Match: match(c), Start: time.Unix(t0, 0), End: time.Unix(t0+1502, 0), Step: time.Minute, Agg: Max})
	if st.Tier != TierMinute || pts[len(pts)-1].V != 2000 || pts[0].V != 1000 {
		t.Fatalf("minute tier after reopen: first %+v last %+v (%s)", pts[0], pts[len(pts)-1], st.Tier)
	}
	infos, err := env.db.Series(context.Background())
	if err != nil || len(infos) != 2 || infos[0].Kind != Counter || infos[1].Kind != Gauge ||
		infos[1].Labels.Get("sensor") != "cpu" || infos[0].Last.Unix() != t0+1502 {
		t.Fatalf("Series() = %+v, %v", infos, err)
	}
}

func TestCounterRate(t *testing.T) {
	env := newEnv(t, Options{})
	k := MustKey("disk_ops_total")
	base := t0 - t0%60 + 60 // minute-aligned
	vals := []struct {
		dt int64
		v  float64
	}{{0, 100}, {1, 110}, {2, 130}, {3, 5}, {4, 15}, {5, 15}, {6, 40}, {10, 80}, {11, math.NaN()}, {12, 90}, {13, 0}, {14, 2}}
	want := []Point{{base + 1, 10}, {base + 2, 20}, {base + 3, 5}, {base + 4, 10}, {base + 5, 0}, {base + 6, 25},
		{base + 10, 10}, {base + 12, 5}, {base + 13, 0}, {base + 14, 2}}
	for _, x := range vals {
		env.append(k, Counter, base+x.dt, x.v)
	}
	env.clock.Set(base + 30)
	check := func(when string) {
		start, end := rng(base, base+30)
		pts, _ := env.one(QueryRequest{Match: match(k), Start: start, End: end})
		if !equalPoints(pts, want) {
			t.Fatalf("%s: rates %v\nwant %v", when, pts, want)
		}
		for _, agg := range []Agg{Min, Max, Avg} {
			pts, st := env.one(QueryRequest{Match: match(k), Start: start, End: end, Step: time.Minute, Agg: agg})
			wantV := map[Agg]float64{Min: 0, Max: 25, Avg: 87.0 / 10}[agg]
			if st.Tier != TierMinute || len(pts) != 1 || pts[0].T != base || pts[0].V != wantV {
				t.Fatalf("%s: minute %s = %v (%s), want %v", when, agg, pts, st.Tier, wantV)
			}
		}
	}
	check("head")
	env.flush()
	check("flushed")
	env.reopen()
	check("reopened")
}

func TestCorruptBlockSkipped(t *testing.T) {
	env := newEnv(t, Options{})
	k := MustKey("cpu_busy_ratio")
	other := MustKey("processes")
	start := t0 - t0%600 // three whole raw windows
	for i := int64(0); i < 1800; i++ {
		env.append(k, Gauge, start+i, Round(float64(i%100)/100, 2))
		env.append(other, Gauge, start+i, float64(i))
	}
	env.flush()
	env.clock.Set(start + 1800)
	var series uint32
	env.db.mu.Lock()
	series = env.db.series[k.String()].id
	env.db.mu.Unlock()
	// Flip one byte in the middle of the second raw block of k.
	victim := blockKey(series, start+600)
	err := env.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(tierBuckets[TierRaw])
		v := bytes.Clone(b.Get(victim))
		if v == nil {
			t.Fatal("no block at the expected key")
		}
		v[len(v)/2] ^= 0x40
		return b.Put(victim, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	s, e := rng(start, start+1799)
	res, st := env.query(QueryRequest{Start: s, End: e})
	if st.SkippedBlocks != 1 || len(st.Errors) != 1 {
		t.Fatalf("stats %+v, want one skipped block", st)
	}
	var be *BlockError
	if !errors.As(st.Errors[0], &be) || !errors.Is(be, ErrCorruptBlock) || be.Series != k.String() || be.Start.Unix() != start+600 || be.Tier != TierRaw {
		t.Fatalf("error %v", st.Errors[0])
	}
	if len(res) != 2 || len(res[0].Points) != 1200 || len(res[1].Points) != 1800 {
		t.Fatalf("got %d series; points %d and %d", len(res), len(res[0].Points), len(res[1].Points))
	}
	for _, p := range res[0].Points {
		if p.T >= start+600 && p.T < start+1200 {
			t.Fatalf("point %v from the corrupt block", p)
		}
	}
	if !bytes.Contains([]byte(env.logs.String()), []byte("corrupt block")) {
		t.Fatalf("corrupt block not logged: %s", env.logs.String())
	}
	// Corrupt the newest block: later flushes start a new block beside it
	// and the new data still reads.
	err = env.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(tierBuckets[TierRaw])
		key := blockKey(series, start+1200)
		v := bytes.Clone(b.Get(key))
		v[3] ^= 0xff
		return b.Put(key, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(1800); i < 1810; i++ {
		env.append(k, Gauge, start+i, 0.5)
	}
	env.flush()
	env.clock.Set(start + 1810)
	pts, st := env.one(QueryRequest{Match: match(k), Start: time.Unix(start, 0), End: time.Unix(start+1809, 0)})
	if st.SkippedBlocks != 2 || len(pts) != 600+10 {
		t.Fatalf("after second corruption: %d points, stats %+v", len(pts), st)
	}
}

func TestRetention(t *testing.T) {
	env := newEnv(t, Options{})
	old := MustKey("disk_used_bytes", Label{"mount", "/old"})
	live := MustKey("disk_used_bytes", Label{"mount", "/"})
	// Three days of samples every 30 s, flushed every 10 minutes.
	end := t0 + 3*86400
	for ts := t0; ts < end; ts += 30 {
		env.append(old, Gauge, ts, float64(ts))
		env.append(live, Gauge, ts, float64(ts))
		if (ts-t0)%600 == 0 {
			env.clock.Set(ts)
			env.flush()
		}
	}
	env.clock.Set(end)
	env.flush()
	checkOldest := func(tier Tier, now int64) {
		t.Helper()
		_ = env.bolt.View(func(tx *bolt.Tx) error {
			return tx.Bucket(tierBuckets[tier]).ForEach(func(k, v []byte) error {
				_, start, _ := parseBlockKey(k)
				if w := tier.window(); start-start%w+w <= now-env.db.keep[tier] {
					t.Errorf("%s block at %d outlived retention (now %d)", tier, start, now)
				}
				return nil
			})
		})
	}
	checkOldest(TierRaw, end)
	// 24 h of raw data in 10-minute blocks for two series, not three days.
	if n := env.countKeys(TierRaw); n > 2*(144+2) || n < 2*144 {
		t.Fatalf("%d raw blocks after 3 days", n)
	}
	minuteBlocks := env.countKeys(TierMinute)
	if minuteBlocks < 2*18 {
		t.Fatalf("minute tier lost data: %d blocks", minuteBlocks)
	}
	// An old range now comes from the minute tier.
	pts, st := env.one(QueryRequest{Match: match(live), Start: time.Unix(t0, 0), End: time.Unix(t0+3600, 0)})
	if st.Tier != TierMinute || len(pts) != 61 {
		t.Fatalf("old hour: tier %s, %d points", st.Tier, len(pts))
	}

	// 100 days later the minute tier has dropped the three days; the hour
	// tier still has them.
	now := end + 100*86400
	env.clock.Set(now)
	env.append(live, Gauge, now, 1)
	env.flush()
	checkOldest(TierRaw, now)
	checkOldest(TierMinute, now)
	if n := env.countKeys(TierMinute); n != 1 {
		t.Fatalf("%d minute blocks after 100 days, want only the new one", n)
	}
	pts, st = env.one(QueryRequest{Match: match(old), Start: time.Unix(t0, 0), End: time.Unix(end, 0)})
	if st.Tier != TierHour || len(pts) != 73 {
		t.Fatalf("hour tier: %s, %d points", st.Tier, len(pts))
	}

	// After the hour tier's two years the old series is gone entirely.
	now += 3 * 365 * 86400
	env.clock.Set(now)
	env.append(live, Gauge, now, 2)
	env.flush()
	for tier := range numTiers {
		checkOldest(tier, now)
	}
	infos, _ := env.db.Series(context.Background())
	if len(infos) != 1 || infos[0].Labels.Get("mount") != "/" {
		t.Fatalf("series after expiry: %+v", infos)
	}
	_ = env.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketSeries).Get([]byte(old.String())) != nil {
			t.Error("expired series still in tsdb.series")
		}
		return nil
	})
	if n := env.countKeys(TierRaw) + env.countKeys(TierMinute) + env.countKeys(TierHour); n != 3 {
		t.Fatalf("%d blocks left, want one per tier", n)
	}
	// A pruned series comes back as new when it is appended again.
	env.append(old, Gauge, now+1, 5)
	env.flush()
	env.reopen()
	if pts, _ := env.one(QueryRequest{Match: match(old), Start: time.Unix(now-10, 0), End: time.Unix(now+1, 0)}); len(pts) != 1 {
		t.Fatalf("re-created series: %v", pts)
	}
}

func TestReadOnly(t *testing.T) {
	env := newEnv(t, Options{})
	k := MustKey("load_average")
	env.append(k, Gauge, t0, 1.5)
	if err := env.db.Close(); err != nil {
		t.Fatal(err)
	}
	env.db = nil
	_ = env.bolt.Close()
	b, err := bolt.Open(env.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	env.bolt = b
	db, err := Open(b, env.opts)
	if err != nil {
		t.Fatal(err)
	}
	env.db = db
	pts, _ := env.one(QueryRequest{Match: match(k), Start: time.Unix(t0, 0), End: time.Unix(t0, 0)})
	if len(pts) != 1 || pts[0].V != 1.5 {
		t.Fatalf("read-only query: %v", pts)
	}
	if err := db.Append(k, Gauge, time.Unix(t0+1, 0), 1); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Append on read-only: %v", err)
	}
}

// TestConcurrent appends, flushes (background and explicit), lists and
// queries at once. Every query must see a gap-free prefix of what was
// appended: nothing lost or doubled between the head, a flush in progress
// and the disk.
func TestConcurrent(t *testing.T) {
	env := newEnv(t, Options{FlushInterval: 3 * time.Millisecond, Now: time.Now})
	base := time.Now().Unix() - 3000
	keys := []Key{MustKey("a"), MustKey("b", Label{"x", "1"}), MustKey("c")}
	const n = 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // the collector
		defer wg.Done()
		defer close(stop)
		for i := int64(0); i < n; i++ {
			for j, k := range keys {
				kind := Gauge
				if j == 2 {
					kind = Counter
				}
				if err := env.db.Append(k, kind, time.Unix(base+i, 0), float64(i)); err != nil {
					t.Error(err)
					return
				}
			}
			if i%97 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	errc := make(chan error, 8)
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				switch w {
				case 0:
					if err := env.db.Flush(); err != nil {
						errc <- err
						return
					}
					time.Sleep(2 * time.Millisecond)
				case 1:
					if _, err := env.db.Series(context.Background()); err != nil {
						errc <- err
						return
					}
				}
				if err := checkMinutes(env.db, keys[0], base, n); err != nil {
					errc <- err
					return
				}
				res, st, err := env.db.Query(context.Background(), QueryRequest{Start: time.Unix(base, 0), End: time.Unix(base+n, 0)})
				if err != nil {
					errc <- err
					return
				}
				if st.SkippedBlocks != 0 {
					errc <- errors.New("skipped blocks")
					return
				}
				for _, s := range res {
					first := int64(0)
					if s.Kind == Counter {
						first = 1
					}
					for i, p := range s.Points {
						want := Point{base + first + int64(i), float64(first + int64(i))}
						if s.Kind == Counter {
							want.V = 1
						}
						if p != want {
							errc <- errors.New("series " + s.Name + ": gap, duplicate or wrong value")
							return
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	env.reopen()
	res, _ := env.query(QueryRequest{Start: time.Unix(base, 0), End: time.Unix(base+n, 0)})
	if len(res) != 3 || len(res[0].Points) != n || len(res[1].Points) != n || len(res[2].Points) != n-1 {
		t.Fatalf("after reopen: %d series", len(res))
	}
}

// checkMinutes queries the minute tier of a gauge whose value at base+i is
// i: every full minute must average the middle of its range, and the last
// (partial) minute the middle of a prefix of it.
func checkMinutes(db *DB, k Key, base, n int64) error {
	res, st, err := db.Query(context.Background(), QueryRequest{Match: match(k), Start: time.Unix(base, 0), End: time.Unix(base+n, 0), Step: time.Minute})
	if err != nil {
		return err
	}
	if st.Tier != TierMinute {
		return errors.New("not the minute tier")
	}
	if len(res) == 0 {
		return nil
	}
	pts := res[0].Points
	for i, p := range pts {
		lo := float64(max(p.T, base) - base)
		hi := float64(p.T + 59 - base)
		if i == len(pts)-1 {
			hi = 2*p.V - lo // whatever prefix was visible
			if hi != math.Trunc(hi) || hi < lo || hi > float64(p.T+59-base) {
				return fmt.Errorf("last minute %d averages %v", p.T, p.V)
			}
		}
		if p.V != (lo+hi)/2 {
			return fmt.Errorf("minute %d averages %v, want %v: samples lost or doubled", p.T, p.V, (lo+hi)/2)
		}
	}
	return nil
}
