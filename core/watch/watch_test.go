package watch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/content"
)

func newService(t *testing.T, opts Options) (*Service, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "test.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := content.OpenIndex(db, []byte("index"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(db, x, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

// settle waits until the watched tree of dir equals a fresh scan of it,
// every directory hash and every entry's mtime alike.
func settle(t *testing.T, s *Service, dir, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		fresh, _, err := content.Scan(context.Background(), dir, content.ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tree, _, ok := s.Tree(dir)
		if ok && sameTree(tree, fresh) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the watched tree did not catch up (ok=%v)", what, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sameTree(a, b *content.Tree) bool {
	if len(a.Dirs) != len(b.Dirs) {
		return false
	}
	for p, da := range a.Dirs {
		db := b.Dirs[p]
		if db == nil || da.Hash != db.Hash || da.Path != p || len(da.Entries) != len(db.Entries) {
			return false
		}
		for i := range da.Entries {
			if da.Entries[i].ModTime != db.Entries[i].ModTime && da.Entries[i].Type != content.TypeDir {
				return false
			}
		}
		if da.Hash != content.DirHash(da.Entries) {
			return false
		}
	}
	return true
}

func TestWatchKeepsTheTreeCurrent(t *testing.T) {
	s, _ := newService(t, Options{Rescan: -1})
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755)
	os.WriteFile(filepath.Join(dir, "a", "b", "f"), []byte("f"), 0o644)
	os.WriteFile(filepath.Join(dir, "top"), []byte("top"), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(context.Background())
	if err := s.Add(dir); err != nil {
		t.Fatal(err)
	}
	settle(t, s, dir, "first scan")

	steps := []struct {
		what string
		do   func()
	}{
		{"write deep", func() { os.WriteFile(filepath.Join(dir, "a", "b", "f"), []byte("changed"), 0o644) }},
		{"new nested directories", func() {
			os.MkdirAll(filepath.Join(dir, "n1", "n2", "n3"), 0o755)
			os.WriteFile(filepath.Join(dir, "n1", "n2", "n3", "g"), []byte("g"), 0o644)
		}},
		{"write in a new directory", func() { os.WriteFile(filepath.Join(dir, "n1", "n2", "n3", "h"), []byte("h"), 0o644) }},
		{"rename a directory", func() { os.Rename(filepath.Join(dir, "n1"), filepath.Join(dir, "a", "moved")) }},
		{"write in a renamed directory", func() { os.WriteFile(filepath.Join(dir, "a", "moved", "n2", "i"), []byte("i"), 0o644) }},
		{"chmod a directory", func() { os.Chmod(filepath.Join(dir, "a", "moved"), 0o700) }},
		{"remove a tree", func() { os.RemoveAll(filepath.Join(dir, "a", "b")) }},
		{"a burst", func() {
			for i := range 300 {
				os.WriteFile(filepath.Join(dir, "a", "burst"+string(rune('a'+i%26))), []byte{byte(i)}, 0o644)
			}
		}},
		{"file replaced by a directory", func() {
			os.Remove(filepath.Join(dir, "top"))
			os.MkdirAll(filepath.Join(dir, "top", "x"), 0o755)
		}},
		{"symlink", func() { os.Symlink("top", filepath.Join(dir, "link")) }},
	}
	for _, st := range steps {
		st.do()
		settle(t, s, dir, st.what)
	}

	recs, _ := s.List()
	if len(recs) != 1 || recs[0].Path != dir {
		t.Errorf("records %+v", recs)
	}
	if found, err := s.Remove(dir); !found || err != nil {
		t.Errorf("remove: %v %v", found, err)
	}
	if _, _, ok := s.Tree(dir); ok {
		t.Error("still watched after Remove")
	}
}

func TestWatchPersistsAndRestarts(t *testing.T) {
	s, db := newService(t, Options{Rescan: -1})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("f"), 0o644)
	// Added while not running: recorded, watched once started.
	if err := s.Add(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(filepath.Join(dir, "f")); err == nil {
		t.Error("a file was accepted as a folder")
	}
	if _, _, ok := s.Tree(dir); ok {
		t.Error("a stopped service has a tree")
	}
	x, _ := content.OpenIndex(db, []byte("index"))
	s2, err := New(db, x, Options{Rescan: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s2.Stop(context.Background())
	settle(t, s2, dir, "restart")
	os.WriteFile(filepath.Join(dir, "g"), []byte("g"), 0o644)
	settle(t, s2, dir, "write after restart")
}
