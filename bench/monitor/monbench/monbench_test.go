package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

func TestStorageClasses(t *testing.T) {
	bdb, err := bolt.Open(filepath.Join(t.TempDir(), "holdfast.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	db, err := tsdb.Open(bdb, tsdb.Options{FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	series := []struct {
		key   tsdb.Key
		kind  tsdb.Kind
		value func(i int) float64
		class string
	}{
		{tsdb.MustKey("memory_total_bytes"), tsdb.Gauge, func(int) float64 { return 8 << 30 }, "constant"},
		{tsdb.MustKey("rx_total", tsdb.Label{Name: "interface", Value: "idle0"}), tsdb.Counter, func(int) float64 { return 42 }, "constant"},
		{tsdb.MustKey("steady_total"), tsdb.Counter, func(i int) float64 { return float64(10 * i) }, "constant"}, // rate always 10
		{tsdb.MustKey("reads_total"), tsdb.Counter, func(i int) float64 { return float64(i * i) }, "counter"},
		{tsdb.MustKey("cpu_usage_ratio"), tsdb.Gauge, func(i int) float64 { return float64(i%7) / 13 }, "ratio"},
		{tsdb.MustKey("load1"), tsdb.Gauge, func(i int) float64 { return float64(i%5) / 100 }, "gauge"},
	}
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	const n = 300
	for i := range n {
		for _, s := range series {
			if err := db.Append(s.key, s.kind, start.Add(time.Duration(i)*time.Second), s.value(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	rep, err := storage(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, s := range series {
		want[s.class]++
	}
	for _, c := range rep.Classes {
		if c.Series != want[c.Class] || c.Samples != want[c.Class]*n {
			t.Errorf("class %s: %d series, %d samples; want %d series of %d samples", c.Class, c.Series, c.Samples, want[c.Class], n)
		}
		if c.Series > 0 && (c.Bytes <= 0 || c.BytesPerSample != float64(c.Bytes)/float64(c.Samples)) {
			t.Errorf("class %s: %d bytes, %.3f per sample", c.Class, c.Bytes, c.BytesPerSample)
		}
	}
	if rep.Total.Series != len(series) || rep.Total.Samples != len(series)*n {
		t.Errorf("total %+v", rep.Total)
	}
	if !rep.First.Equal(start.UTC()) || !rep.Last.Equal(start.Add((n-1)*time.Second).UTC()) {
		t.Errorf("span %s..%s, want %s..%s", rep.First, rep.Last, start.UTC(), start.Add((n-1)*time.Second).UTC())
	}
	for _, r := range rep.Series {
		for _, s := range series {
			if r.Series == s.key.String() && r.Class != s.class {
				t.Errorf("%s classified %s, want %s", r.Series, r.Class, s.class)
			}
		}
	}
}

func TestReadStatAndTree(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	self := os.Getpid()
	s, err := readStat(self)
	if err != nil {
		t.Fatal(err)
	}
	if s.ppid != os.Getppid() || s.rssKB <= 0 || s.hwmKB < s.rssKB || s.threads < 1 || s.startTicks <= 0 {
		t.Fatalf("readStat(self) = %+v", s)
	}
	parents := map[int]int{1: 0, 10: 1, 11: 10, 12: 11, 20: 1, 21: 20}
	got := tree(10, parents)
	if len(got) != 3 || got[0] != 10 || got[1] != 11 || got[2] != 12 {
		t.Fatalf("tree(10) = %v, want [10 11 12]", got)
	}
}
