package consistency

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/content"
)

// benchTree returns a folder for the benchmarks: $HOLDFAST_BENCH_TREE when
// set (e.g. a tree of bench/consistency/gentree), else a generated one of
// 20,000 small files, 25 to a directory, three levels deep.
func benchTree(b *testing.B) string {
	b.Helper()
	if p := os.Getenv("HOLDFAST_BENCH_TREE"); p != "" {
		return p
	}
	root := b.TempDir()
	data := make([]byte, 1024)
	for i := range 20000 {
		d := filepath.Join(root, fmt.Sprintf("d%02d", i%20), fmt.Sprintf("e%02d", i/20%20), fmt.Sprintf("f%d", i/400%2))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		data[0] = byte(i)
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("file-%05d.txt", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

func benchService(b *testing.B) *Service {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := NewService(db, b.TempDir(), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkScanWarm brings the index of an unchanged folder up to date
// (every entry re-stat'ed, nothing read) and builds its Live tree: one side
// of an unwatched compare.
func BenchmarkScanWarm(b *testing.B) {
	root := benchTree(b)
	s := benchService(b)
	ctx := context.Background()
	if _, _, err := s.ScanFolder(ctx, root, false, nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, st, err := s.ScanFolder(ctx, root, false, nil)
		if err != nil {
			b.Fatal(err)
		}
		if st.HashedFiles != 0 {
			b.Fatalf("%d files read on a warm index", st.HashedFiles)
		}
	}
}

// BenchmarkScanFirst indexes a folder on an empty index: every file read.
func BenchmarkScanFirst(b *testing.B) {
	root := benchTree(b)
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := benchService(b)
		b.StartTimer()
		if _, _, err := s.ScanFolder(ctx, root, false, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareLive compares two scanned trees that differ in one file.
func BenchmarkCompareLive(b *testing.B) {
	root := benchTree(b)
	ctx := context.Background()
	ta, _, err := content.Scan(ctx, root, content.ScanOptions{})
	if err != nil {
		b.Fatal(err)
	}
	la := NewLive(ta, nil)
	lb := NewLive(ta, nil)
	for b.Loop() {
		if _, err := Compare(ctx, la, lb, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
