package repo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	tree := []byte(`{"nodes":[]}`)

	// Write order: the tree must be packed and indexed first.
	sn := &Snapshot{Time: time.Now(), Tree: h(tree), Paths: []string{"/home"}}
	if _, err := r.SaveSnapshot(ctx, sn); err == nil {
		t.Fatal("saved a snapshot whose tree is not indexed")
	}
	p := r.NewPacker()
	p.Add(TreeBlob, h(tree), tree)
	if _, err := r.SaveSnapshot(ctx, sn); err == nil || !strings.Contains(err.Error(), "unfinished") {
		t.Fatalf("saved a snapshot with blobs in flight: %v", err)
	}
	pi, err := p.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.SaveSnapshot(ctx, sn); err == nil {
		t.Fatal("saved a snapshot before its index")
	}
	if _, err := r.SaveIndex(ctx, []PackInfo{pi}); err != nil {
		t.Fatal(err)
	}

	base := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	var saved []*Snapshot
	// 20 snapshots saved out of time order: with 16 hex digits, some
	// one-character prefix is shared.
	for i := 0; i < 20; i++ {
		s := &Snapshot{
			Time:     base.Add(time.Duration((i*7)%20) * time.Hour),
			Hostname: "host", Username: "me",
			Paths: []string{"/home/me", "/etc"}, Tags: []string{"daily"},
			Tree:    h(tree),
			Summary: &Summary{FilesNew: int64(i), TotalBytes: 1 << 40, Duration: 3 * time.Second},
		}
		if i > 0 {
			s.Parent = saved[i-1].ID.String()
		}
		id, err := r.SaveSnapshot(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if id != s.ID || id.IsZero() {
			t.Fatal("SaveSnapshot did not set ID")
		}
		saved = append(saved, s)
	}
	list, err := reopenList(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(saved) {
		t.Fatalf("listed %d snapshots", len(list))
	}
	for i := 1; i < len(list); i++ {
		if list[i].Time.Before(list[i-1].Time) {
			t.Fatal("ListSnapshots not sorted by time")
		}
	}
	for _, s := range saved {
		got, err := r.LoadSnapshot(ctx, s.ID.String())
		if err != nil {
			t.Fatal(err)
		}
		if !got.Time.Equal(s.Time) {
			t.Fatal("time changed")
		}
		got.Time = s.Time
		if !reflect.DeepEqual(got, s) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
		}
		if got, err := r.LoadSnapshot(ctx, s.ID.String()[:12]); err != nil || got.ID != s.ID {
			t.Fatalf("prefix lookup: %v", err)
		}
		if got, err := r.LoadSnapshot(ctx, strings.ToUpper(s.ID.String()[:10])); err != nil || got.ID != s.ID {
			t.Fatalf("upper-case prefix lookup: %v", err)
		}
	}
	counts := map[byte]int{}
	for _, s := range saved {
		counts[s.ID.String()[0]]++
	}
	for c, n := range counts {
		if n > 1 {
			if _, err := r.LoadSnapshot(ctx, string(c)); err == nil || !strings.Contains(err.Error(), "ambiguous") {
				t.Fatalf("ambiguous prefix %c: %v", c, err)
			}
		}
	}
	for _, bad := range []string{"", "xyz", strings.Repeat("a", 65)} {
		if _, err := r.LoadSnapshot(ctx, bad); err == nil {
			t.Fatalf("LoadSnapshot(%q) succeeded", bad)
		}
	}

	if err := r.DeleteSnapshot(ctx, saved[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.LoadSnapshot(ctx, saved[0].ID.String()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted snapshot: %v", err)
	}
	if err := r.DeleteSnapshot(ctx, saved[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("double delete: %v", err)
	}

	// A damaged snapshot is reported; the others still list.
	path := filepath.Join(r.Dir(), "snapshots", saved[1].ID.String())
	makeWritable(t, path)
	b, _ := os.ReadFile(path)
	b[30] ^= 4
	os.WriteFile(path, b, 0o600)
	list, err = r.ListSnapshots(ctx)
	if err == nil || !strings.Contains(err.Error(), saved[1].ID.String()) || len(list) != 18 {
		t.Fatalf("damaged snapshot: %d listed, err %v", len(list), err)
	}
	// A snapshot file renamed to another ID is detected.
	os.Remove(path)
	src := filepath.Join(r.Dir(), "snapshots", saved[2].ID.String())
	data, _ := os.ReadFile(src)
	os.WriteFile(path, data, 0o600)
	if _, err := r.LoadSnapshot(ctx, saved[1].ID.String()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("renamed snapshot: %v", err)
	}
}

// reopenList lists snapshots through a freshly opened repository.
func reopenList(t *testing.T, r *Repository) ([]*Snapshot, error) {
	return reopen(t, r).ListSnapshots(context.Background())
}

func TestDecodeSnapshotHostile(t *testing.T) {
	tree := strings.Repeat("ab", 32)
	cases := []string{
		``,
		`null`,
		`[]`,
		`{"version":2,"time":"2026-01-01T00:00:00Z","tree":"` + tree + `"}`,
		`{"version":1,"tree":"` + tree + `"}`,
		`{"version":1,"time":"2026-01-01T00:00:00Z","tree":"abc"}`,
		`{"version":1,"time":"2026-01-01T00:00:00Z","tree":"` + strings.ToUpper(tree) + `"}`,
		`{"version":1,"time":"2026-01-01T00:00:00Z","tree":"` + tree + `","parent":"zz"}`,
		`{"version":1,"time":"2026-01-01T00:00:00Z","tree":"` + tree + `"} {}`,
		`{"version":1,"time":"2026-01-01T00:00:00Z","tree":"` + tree + `","paths":"x"}`,
	}
	for _, c := range cases {
		if _, err := decodeSnapshot([]byte(c)); err == nil {
			t.Errorf("accepted %q", c)
		}
	}
	ok := `{"version":1,"time":"2026-01-01T00:00:00Z","tree":"` + tree + `","future_field":1}`
	if _, err := decodeSnapshot([]byte(ok)); err != nil {
		t.Fatalf("unknown fields must be tolerated: %v", err)
	}
}
