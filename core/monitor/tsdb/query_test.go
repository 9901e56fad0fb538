package tsdb

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	env := newEnv(t, Options{})
	now := t0
	h, d := int64(3600), int64(86400)
	cases := []struct {
		name       string
		start, end int64
		step       time.Duration
		tier       Tier
		wantStep   int64
	}{
		{"last hour", now - h, now, 0, TierRaw, 0},
		{"last 6 hours", now - 6*h, now, 0, TierRaw, 30},
		{"last day", now - d, now, 0, TierMinute, 120},
		{"last 7 days", now - 7*d, now, 0, TierMinute, 900},
		{"last 30 days", now - 30*d, now, 0, TierHour, 3600},
		{"last year", now - 365*d, now, 0, TierHour, 43200},
		{"last 2 years", now - 730*d, now, 0, TierHour, 86400},
		{"last 3 years", now - 3*365*d, now, 0, TierHour, 2 * 86400},
		{"an hour 2 days ago", now - 2*d, now - 2*d + h, 0, TierMinute, 60},
		{"an hour 100 days ago", now - 100*d, now - 100*d + h, 0, TierHour, 3600},
		{"step 1m", now - d, now, time.Minute, TierMinute, 60},
		{"step 90s", now - 6*h, now, 90 * time.Second, TierRaw, 90},
		{"step 90s, 3 days ago", now - 3*d, now, 90 * time.Second, TierMinute, 120},
		{"step 2h", now - 7*d, now, 2 * time.Hour, TierHour, 7200},
		{"step 1m, 100 days ago", now - 100*d, now, time.Minute, TierHour, 3600},
		{"step 1.5s rounds up", now - h, now, 1500 * time.Millisecond, TierRaw, 2},
	}
	for _, c := range cases {
		tier, step := env.db.plan(c.start, c.end, c.step, now)
		if tier != c.tier || step != c.wantStep {
			t.Errorf("%s: tier %s step %d, want %s %d", c.name, tier, step, c.tier, c.wantStep)
		}
		if c.step == 0 && step > 0 && (c.end-c.start)/step > maxAutoPoints {
			t.Errorf("%s: %d points", c.name, (c.end-c.start)/step)
		}
	}
}

// refRates is an independent computation of counter rates: per-second
// deltas, a decrease counting as a reset to zero.
func refRates(s []sample) []sample {
	var out []sample
	var prev *sample
	for i := range s {
		x := s[i]
		if math.IsNaN(x.v) {
			continue
		}
		if prev != nil {
			d := x.v - prev.v
			if d < 0 {
				d = x.v
			}
			out = append(out, sample{x.t, d / float64(x.t-prev.t)})
		}
		prev = &s[i]
	}
	return out
}

type refStat struct {
	min, max, sum float64
	n             int
}

// refSteps aggregates values into aligned steps.
func refSteps(vals []sample, step, from, to int64) map[int64]*refStat {
	out := map[int64]*refStat{}
	for _, x := range vals {
		if math.IsNaN(x.v) || x.t < from || x.t > to {
			continue
		}
		b := x.t - x.t%step
		st := out[b]
		if st == nil {
			st = &refStat{min: x.v, max: x.v}
			out[b] = st
		}
		st.min = min(st.min, x.v)
		st.max = max(st.max, x.v)
		st.sum += x.v
		st.n++
	}
	return out
}

// TestTiersMatchRaw writes seven hours of three series with gaps, a NaN
// and a counter reset, flushing at intervals unrelated to the tiers'
// buckets and leaving the last samples unflushed, then checks min, max and
// avg from each tier against values computed from the raw samples.
func TestTiersMatchRaw(t *testing.T) {
	env := newEnv(t, Options{RawRetention: 30 * 24 * time.Hour})
	r := rand.New(rand.NewPCG(11, 12))
	cpu := MustKey("cpu_busy_ratio", Label{"core", "total"})
	mem := MustKey("memory_bytes", Label{"kind", "used"})
	net := MustKey("net_bytes_total", Label{"dir", "rx"})
	kinds := map[string]Kind{cpu.String(): Gauge, mem.String(): Gauge, net.String(): Counter}
	raw := map[string][]sample{}
	start := t0 + 1234 // not aligned to anything
	end := start + 7*3600
	cpuVals, memVals, netVals := genCPU(cpuTicks)(r, int(end-start)), genMemory(r, int(end-start)), genCounterBytes(r, int(end-start))
	off := netVals[20000] - 1000
	for i := range netVals[20000:] {
		netVals[20000+i] -= off // a reset to near zero
	}
	var last int64
	for ts := start; ts < end; ts++ {
		i := ts - start
		if r.IntN(20) == 0 || (i > 9000 && i < 9600) {
			continue // missed samples and a 10-minute gap
		}
		vals := map[Key]float64{cpu: cpuVals[i], mem: memVals[i], net: netVals[i]}
		if i == 15000 {
			vals[cpu] = math.NaN()
			vals[net] = math.NaN()
		}
		for k, v := range vals {
			env.append(k, kinds[k.String()], ts, v)
			raw[k.String()] = append(raw[k.String()], sample{ts, v})
		}
		last = ts
		if i%45 == 0 && ts < end-100 {
			env.clock.Set(ts)
			env.flush()
		}
	}
	env.clock.Set(end)
	for canon, s := range raw {
		if kinds[canon] == Counter {
			raw[canon] = refRates(s)
		}
	}

	check := func(name string, req QueryRequest, tier Tier, step int64) {
		t.Helper()
		for _, agg := range []Agg{Avg, Min, Max} {
			req.Agg = agg
			res, st := env.query(req)
			if st.Tier != tier || st.Step != time.Duration(step)*time.Second {
				t.Fatalf("%s: tier %s step %s, want %s %ds", name, st.Tier, st.Step, tier, step)
			}
			if len(res) != 3 || st.SkippedBlocks != 0 {
				t.Fatalf("%s: %d series, %d skipped", name, len(res), st.SkippedBlocks)
			}
			if st.HeadSamples == 0 {
				t.Fatalf("%s: the head was not included", name)
			}
			from := req.Start.Unix()
			if tier != TierRaw {
				from -= from % tier.resolution()
			}
			for _, s := range res {
				canon := MustKey(s.Name, s.Labels...).String()
				ref := refSteps(raw[canon], step, from, req.End.Unix())
				if len(s.Points) != len(ref) {
					t.Fatalf("%s %s %s: %d points, want %d", name, canon, agg, len(s.Points), len(ref))
				}
				for _, p := range s.Points {
					rs := ref[p.T]
					if rs == nil {
						t.Fatalf("%s %s: unexpected point at %d", name, canon, p.T)
					}
					want := map[Agg]float64{Avg: rs.sum / float64(rs.n), Min: rs.min, Max: rs.max}[agg]
					if agg != Avg && p.V != want || math.Abs(p.V-want) > 1e-9*math.Max(1, math.Abs(want)) {
						t.Fatalf("%s %s %s at %d: %v, want %v", name, canon, agg, p.T, p.V, want)
					}
				}
			}
		}
	}
	s, e := time.Unix(start-start%3600, 0), time.Unix(last, 0)
	check("hour tier", QueryRequest{Start: s, End: e, Step: time.Hour}, TierHour, 3600)
	check("minute tier", QueryRequest{Start: s, End: e, Step: 10 * time.Minute}, TierMinute, 600)
	check("minute tier 1m", QueryRequest{Start: s, End: e, Step: time.Minute}, TierMinute, 60)
	check("raw tier", QueryRequest{Start: time.Unix(start+100, 0), End: e, Step: 90 * time.Second}, TierRaw, 90)
	check("7 days", QueryRequest{Start: time.Unix(end-7*86400, 0), End: time.Unix(end, 0)}, TierMinute, 900)
	check("30 days", QueryRequest{Start: time.Unix(end-30*86400, 0), End: time.Unix(end, 0)}, TierHour, 3600)

	// The same after everything is flushed and the store reopened.
	env.reopen()
	res, st := env.query(QueryRequest{Start: s, End: e, Step: time.Hour, Agg: Max})
	if st.HeadSamples != 0 || len(res) != 3 {
		t.Fatalf("after reopen: %+v", st)
	}
	// 1 h → raw: every sample.
	res, st = env.query(QueryRequest{Match: Matcher{Name: "memory_bytes"}, Start: time.Unix(last-3600, 0), End: time.Unix(last, 0)})
	if st.Tier != TierRaw || st.Step != 0 || len(res) != 1 {
		t.Fatalf("1 h: %+v", st)
	}
	n := 0
	for _, x := range raw[mem.String()] {
		if x.t >= last-3600 {
			n++
		}
	}
	if len(res[0].Points) != n {
		t.Fatalf("1 h raw: %d points, want %d", len(res[0].Points), n)
	}
}

func TestQueryMatchAndJSON(t *testing.T) {
	env := newEnv(t, Options{})
	a := MustKey("disk_used_bytes", Label{"mount", "/"}, Label{"dev", "sda1"})
	b := MustKey("disk_used_bytes", Label{"mount", "/home"}, Label{"dev", "sda2"})
	c := MustKey("net_bytes_total", Label{"iface", "eth0"})
	for i := int64(0); i < 10; i++ {
		env.append(a, Gauge, t0+i, 1)
		env.append(b, Gauge, t0+i, 2)
		env.append(c, Counter, t0+i, float64(i*10))
	}
	env.clock.Set(t0 + 10)
	count := func(m string) int {
		mt, err := ParseMatcher(m)
		if err != nil {
			t.Fatal(err)
		}
		res, _ := env.query(QueryRequest{Match: mt})
		return len(res)
	}
	for m, want := range map[string]int{"": 3, "disk_used_bytes": 2, `disk_used_bytes{mount="/home"}`: 1,
		`{dev="sda1"}`: 1, `disk_used_bytes{mount="/var"}`: 0, "cpu": 0, `{iface="eth0"}`: 1} {
		if got := count(m); got != want {
			t.Errorf("match %s: %d series, want %d", m, got, want)
		}
	}
	res, st := env.query(QueryRequest{Match: Matcher{Name: "net_bytes_total"}})
	js, err := json.Marshal(struct {
		Series []Series
		Stats  QueryStats
	}{res, st})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"labels":{"iface":"eth0"}`, `"kind":"counter"`, `{"t":1700000001,"v":10}`, `"tier":"raw"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("JSON lacks %s: %s", want, js)
		}
	}
	if _, _, err := env.db.Query(context.Background(), QueryRequest{Start: time.Unix(t0, 0), End: time.Unix(t0-1, 0)}); err == nil {
		t.Error("start after end accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := env.db.Query(ctx, QueryRequest{}); err == nil {
		t.Error("cancelled context ignored")
	}
}
