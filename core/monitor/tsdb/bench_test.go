package tsdb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openBench(b *testing.B, opts Options) (*DB, *bolt.DB) {
	b.Helper()
	bdb, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), 0o600, &bolt.Options{NoSync: true, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = -1
	}
	db, err := Open(bdb, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = db.Close()
		_ = bdb.Close()
	})
	return db, bdb
}

// dashboardKeys expands dashboardSet into its 40 keys.
func dashboardKeys() (keys []Key, kinds []Kind, gens []genFunc) {
	for _, g := range dashboardSet {
		for i := 0; i < g.count; i++ {
			keys = append(keys, MustKey(g.name, Label{"instance", fmt.Sprint(i)}))
			kinds = append(kinds, g.kind)
			gens = append(gens, g.gen)
		}
	}
	return
}

// BenchmarkAppend measures the collector's tick: one op appends a sample to
// each of 200 series. Flushes (every 60 ticks) happen outside the timer.
func BenchmarkAppend(b *testing.B) {
	db, _ := openBench(b, Options{})
	keys := make([]Key, 200)
	for i := range keys {
		keys[i] = MustKey("bench_series", Label{"n", fmt.Sprint(i)})
	}
	// A minute of warm-up and a flush: the steady state.
	for s := int64(0); s < 60; s++ {
		for _, k := range keys {
			if err := db.Append(k, Gauge, time.Unix(t0-60+s, 0), 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ts := time.Unix(t0+int64(i), 0)
		for k, key := range keys {
			if err := db.Append(key, Gauge, ts, float64(i*k)); err != nil {
				b.Fatal(err)
			}
		}
		if i%60 == 59 {
			b.StopTimer()
			if err := db.Flush(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/append")
}

// BenchmarkFlush measures one regular flush: 60 s of samples for the 40
// dashboard series, merged into their open raw, minute and hour blocks.
func BenchmarkFlush(b *testing.B) {
	keys, kinds, gens := dashboardKeys()
	r := rand.New(rand.NewPCG(1, 1))
	const minutes = 240
	vals := make([][]float64, len(keys))
	for i, g := range gens {
		vals[i] = g(r, minutes*60)
	}
	now := t0
	db, _ := openBench(b, Options{Now: func() time.Time { return time.Unix(now, 0) }})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for s := 0; s < 60; s++ {
			now++
			for k := range keys {
				if err := db.Append(keys[k], kinds[k], time.Unix(now, 0), vals[k][int(now-t0)%len(vals[k])]); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.StartTimer()
		if err := db.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// buildWeek stores 7 days of 1 s samples for the 40 dashboard series and
// returns the DB with its clock at the end of the week.
func buildWeek(b *testing.B) (*DB, int64) {
	keys, kinds, gens := dashboardKeys()
	r := rand.New(rand.NewPCG(2, 2))
	const week = 7 * 86400
	start := t0 - t0%86400
	end := start + week
	db, _ := openBench(b, Options{Now: func() time.Time { return time.Unix(end, 0) }})
	for k := range keys {
		vals := gens[k](r, week)
		for i, v := range vals {
			if err := db.Append(keys[k], kinds[k], time.Unix(start+int64(i), 0), v); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	return db, end
}

// BenchmarkQuery7Days is the dashboard's 7-day view: all 40 series, auto
// step (15 min from the minute tier), for each aggregation.
func BenchmarkQuery7Days(b *testing.B) {
	db, end := buildWeek(b)
	for _, agg := range []Agg{Avg, Max} {
		b.Run(agg.String(), func(b *testing.B) {
			req := QueryRequest{Start: time.Unix(end-7*86400, 0), End: time.Unix(end, 0), Agg: agg}
			var st QueryStats
			runtime.GC() // not the week's garbage
			b.ReportAllocs()
			b.ResetTimer()
			c0, ok0 := processCPU()
			for i := 0; i < b.N; i++ {
				res, s, err := db.Query(context.Background(), req)
				if err != nil || len(res) != 40 {
					b.Fatalf("%d series, %v", len(res), err)
				}
				st = s
			}
			b.StopTimer()
			// CPU time per op: on a busy machine ns/op also counts the
			// time spent waiting for a processor.
			if c1, ok1 := processCPU(); ok0 && ok1 {
				b.ReportMetric(float64(c1-c0)/float64(b.N)/1e6, "cpu-ms/op")
			}
			if st.Tier != TierMinute || st.Step != 15*time.Minute {
				b.Fatalf("tier %s step %s", st.Tier, st.Step)
			}
			b.ReportMetric(float64(st.Points)/40, "points/series")
		})
	}
}

// BenchmarkEncode encodes the raw blocks of an hour of the dashboard's 40
// series (one op is the whole hour, 144,000 samples) and reports the stored
// size per sample.
func BenchmarkEncode(b *testing.B) {
	keys, _, gens := dashboardKeys()
	r := rand.New(rand.NewPCG(3, 3))
	const hour = 3600
	blocks := [][]sample{}
	for k := range keys {
		vals := gens[k](r, hour)
		for w := 0; w < hour; w += 600 {
			s := make([]sample, 600)
			for i := range s {
				s[i] = sample{t0 - t0%600 + int64(w+i), vals[w+i]}
			}
			blocks = append(blocks, s)
		}
	}
	var e encoder
	buf := make([]byte, 0, 1<<16)
	var size, samples int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range blocks {
			buf = e.encodeRaw(buf[:0], 1, s)
			size += len(buf) + 12 // value and key
			samples += len(s)
		}
	}
	b.ReportMetric(float64(size)/float64(samples), "bytes/sample")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(samples), "ns/sample")
}

// BenchmarkDecode decodes a 10-minute raw block of each of the 40 series
// per op.
func BenchmarkDecode(b *testing.B) {
	keys, _, gens := dashboardKeys()
	r := rand.New(rand.NewPCG(3, 3))
	var e encoder
	var encoded [][]byte
	for k := range keys {
		vals := gens[k](r, 600)
		s := make([]sample, 600)
		for i := range s {
			s[i] = sample{t0 + int64(i), vals[i]}
		}
		encoded = append(encoded, e.encodeRaw(nil, 1, s))
	}
	var blk block
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, enc := range encoded {
			if err := decodeBlock(enc, allCols, &blk); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*600*len(encoded)), "ns/sample")
}
