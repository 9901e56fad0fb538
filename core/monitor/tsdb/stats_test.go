package tsdb

import (
	"context"
	"math"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestBlockStats(t *testing.T) {
	env := newEnv(t, Options{})
	constant := MustKey("size_bytes")
	counter := MustKey("reads_total")
	float := MustKey("temp", Label{"sensor", "a"})
	start := t0 - t0%600 // a raw window boundary, so 1200 samples fill two blocks
	const n = 1200
	for i := int64(0); i < n; i++ {
		ts := start + i
		env.append(constant, Gauge, ts, 1e9)
		env.append(counter, Counter, ts, float64(i*i))
		env.append(float, Gauge, ts, math.Sin(float64(i)/7)) // full-precision floats: XOR
	}
	env.clock.Set(start + n)
	env.flush()

	// Independent sums straight from bbolt.
	var want [numTiers]struct{ blocks, bytes, keys int64 }
	_ = env.bolt.View(func(tx *bolt.Tx) error {
		for tier := range numTiers {
			_ = tx.Bucket(tierBuckets[tier]).ForEach(func(k, v []byte) error {
				want[tier].blocks++
				want[tier].bytes += int64(len(v))
				want[tier].keys += int64(len(k))
				return nil
			})
		}
		return nil
	})

	stats, err := env.db.BlockStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		series string
		tier   Tier
	}
	got := map[key]BlockStat{}
	var sums [numTiers]struct{ blocks, bytes, keys int64 }
	for _, s := range stats {
		got[key{s.Series, s.Tier}] = s
		sums[s.Tier].blocks += int64(s.Blocks)
		sums[s.Tier].bytes += s.Bytes
		sums[s.Tier].keys += s.KeyBytes
	}
	if len(stats) != 3*int(numTiers) {
		t.Fatalf("%d stats, want one per series and tier (9): %+v", len(stats), stats)
	}
	if sums != want {
		t.Fatalf("sums per tier %+v, bbolt has %+v", sums, want)
	}
	tests := []struct {
		k      Key
		kind   Kind
		tier   Tier
		points int
		blocks int
		codec  int // the codec of every value column
	}{
		{constant, Gauge, TierRaw, n, 2, codecIntDelta},
		{counter, Counter, TierRaw, n, 2, -1},
		{float, Gauge, TierRaw, n, 2, codecXOR},
		{constant, Gauge, TierMinute, n / 60, 1, -1},
		{float, Gauge, TierMinute, n / 60, 1, -1},
		{counter, Counter, TierHour, 1, 1, -1},
	}
	for _, tc := range tests {
		s, ok := got[key{tc.k.String(), tc.tier}]
		if !ok {
			t.Errorf("no stat for %s in %s", tc.k, tc.tier)
			continue
		}
		if s.Kind != tc.kind || s.Points != tc.points || s.Blocks != tc.blocks || s.Corrupt != 0 {
			t.Errorf("%s %s: %+v, want kind %s, %d points in %d blocks", tc.k, tc.tier, s, tc.kind, tc.points, tc.blocks)
		}
		cols := 1
		if tc.tier != TierRaw {
			cols = numRollupCols
		}
		total := 0
		for _, c := range s.Codecs {
			total += c
		}
		if total != cols*s.Blocks {
			t.Errorf("%s %s: codecs %v count %d columns, want %d", tc.k, tc.tier, s.Codecs, total, cols*s.Blocks)
		}
		if tc.codec >= 0 && s.Codecs[tc.codec] != total {
			t.Errorf("%s %s: codecs %v, want all %d", tc.k, tc.tier, s.Codecs, tc.codec)
		}
	}

	// A corrupt block is counted as such and left out of the sizes.
	var victim []byte
	_ = env.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(tierBuckets[TierRaw])
		k, v := b.Cursor().First()
		victim = append([]byte(nil), v...)
		bad := append([]byte(nil), v...)
		bad[len(bad)/2] ^= 0xff
		return b.Put(append([]byte(nil), k...), bad)
	})
	stats, err = env.db.BlockStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	corrupt, bytes := 0, int64(0)
	for _, s := range stats {
		corrupt += s.Corrupt
		if s.Tier == TierRaw {
			bytes += s.Bytes
		}
	}
	if corrupt != 1 || bytes != want[TierRaw].bytes-int64(len(victim)) {
		t.Fatalf("after corrupting one block: %d corrupt, %d raw bytes (want 1 and %d)", corrupt, bytes, want[TierRaw].bytes-int64(len(victim)))
	}
}

// TestBlockStatsReadOnly reads the statistics of a file another process
// wrote, through a read-only bbolt handle, as bench/monitor's tool does.
func TestBlockStatsReadOnly(t *testing.T) {
	env := newEnv(t, Options{})
	k := MustKey("load1")
	for i := int64(0); i < 90; i++ {
		env.append(k, Gauge, t0+i, float64(i%7)/100)
	}
	env.flush()
	if err := env.db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := env.bolt.Close(); err != nil {
		t.Fatal(err)
	}
	env.db, env.bolt = nil, nil
	b, err := bolt.Open(env.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	db, err := Open(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stats, err := db.BlockStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	points := 0
	for _, s := range stats {
		if s.Series != k.String() {
			t.Fatalf("unexpected series %q", s.Series)
		}
		if s.Tier == TierRaw {
			points += s.Points
		}
	}
	if points != 90 {
		t.Fatalf("%d raw points, want 90", points)
	}
}
