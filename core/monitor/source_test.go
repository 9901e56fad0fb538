package monitor

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/bus"
)

// Aggregate tells the alerts service how far back its samples go, so a
// windowed average over a few seconds of history is not taken for one over
// the whole window.
func TestAggregateReportsOldestSample(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := New(db, bus.New(), Options{Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	ctx := context.Background()
	t0 := time.Now().Truncate(time.Second).Add(-time.Minute)
	for i := 0; i < 4; i++ {
		s.sample(ctx, t0.Add(time.Duration(i)*10*time.Second))
	}
	now := t0.Add(30 * time.Second)
	vals, err := s.Aggregate(ctx, "memory_total_bytes", "avg", 10*time.Minute, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 1 {
		t.Fatalf("memory_total_bytes: %d series, want 1", len(vals))
	}
	if got := vals[0].Since; !got.Equal(t0) {
		t.Errorf("Since = %v, want the first sample's time %v", got, t0)
	}
	if vals[0].V <= 0 {
		t.Errorf("memory_total_bytes avg = %v", vals[0].V)
	}
}
