package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOpenCreatesVersionedDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "holdfast.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Version()
	if err != nil || v != SchemaVersion {
		t.Fatalf("Version() = %d, %v", v, err)
	}
	s.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s.Close()
}

func TestOpenBadFilesLeavesThemUntouched(t *testing.T) {
	page := 4096
	garbage := bytes.Repeat([]byte("not a database "), 2*page/15+1)
	tests := []struct {
		name    string
		content func(t *testing.T) []byte
		want    string
	}{
		{"garbage", func(t *testing.T) []byte { return garbage }, "corrupt"},
		{"short", func(t *testing.T) []byte { return []byte("xyz") }, "corrupt"},
		{"newer", func(t *testing.T) []byte { return dbWithVersion(t, SchemaVersion+1) }, "schema version 2"},
		{"foreign", func(t *testing.T) []byte { return foreignDB(t) }, "corrupt"},
		{"bad meta page", func(t *testing.T) []byte {
			b := validDB(t)
			for i := 16; i < 2*page; i++ {
				b[i] ^= 0x5a
			}
			return b
		}, "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "holdfast.db")
			content := tt.content(t)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			before, _ := os.Stat(path)
			s, err := Open(path, Options{Timeout: 200 * time.Millisecond})
			if err == nil {
				s.Close()
				t.Fatal("opened a bad database without error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, content) {
				t.Error("the file was modified")
			}
			st, _ := os.Stat(path)
			if !st.ModTime().Equal(before.ModTime()) {
				t.Error("the file's mtime changed")
			}
		})
	}
}

func TestOpenTimesOutWhenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "holdfast.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, err = Open(path, Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("open did not honour its timeout")
	}
}

func validDB(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	b, _ := os.ReadFile(path)
	return b
}

func dbWithVersion(t *testing.T, v int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Update(func(tx *bolt.Tx) error { return putVersion(tx.Bucket(metaBucket), v) })
	s.Close()
	b, _ := os.ReadFile(path)
	return b
}

func foreignDB(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket([]byte("someone-else"))
		return b.Put([]byte("k"), []byte("v"))
	})
	db.Close()
	b, _ := os.ReadFile(path)
	return b
}

func TestEnsureBucketsWritesOnlyWhatIsMissing(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "holdfast.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.DB()
	a, b := []byte("a"), []byte("b")
	if !Missing(db, a, b) {
		t.Fatal("Missing(a, b) = false on a new database")
	}
	before := TxID(db)
	if err := EnsureBuckets(db, a, b); err != nil {
		t.Fatal(err)
	}
	if got := TxID(db); got != before+1 {
		t.Fatalf("creating two buckets committed %d transactions, want 1", got-before)
	}
	if Missing(db, a, b) {
		t.Fatal("Missing(a, b) = true after EnsureBuckets")
	}
	before = TxID(db)
	if err := EnsureBuckets(db, a, b); err != nil {
		t.Fatal(err)
	}
	if got := TxID(db); got != before {
		t.Fatalf("EnsureBuckets of existing buckets committed %d transactions, want none", got-before)
	}
	if err := EnsureBuckets(db, a, []byte("c")); err != nil {
		t.Fatal(err)
	}
	if Missing(db, a, b, []byte("c")) {
		t.Fatal("bucket c was not created next to existing ones")
	}
}
