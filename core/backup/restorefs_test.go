package backup

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenameNoReplace moves a finished file into place, and refuses (with
// fs.ErrExist) when something already exists there, leaving both alone.
func TestRenameNoReplace(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "tmp"), filepath.Join(dir, "final")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	write(from, "new")
	if err := renameNoReplace(from, to); err != nil {
		t.Fatalf("rename to a free name: %v", err)
	}
	if got := read(to); got != "new" {
		t.Fatalf("moved file holds %q", got)
	}

	write(from, "newer")
	err := renameNoReplace(from, to)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("rename onto an existing file: %v, want fs.ErrExist", err)
	}
	if got := read(to); got != "new" {
		t.Errorf("the existing file was replaced: %q", got)
	}
	if got := read(from); got != "newer" {
		t.Errorf("the source was lost: %q", got)
	}
	if err := renameIfAbsent(from, to); !errors.Is(err, fs.ErrExist) {
		t.Errorf("renameIfAbsent onto an existing file: %v, want fs.ErrExist", err)
	}
}

// TestCreateRestoreTemp makes distinct, empty, private files named as
// restore temporaries, and reports a missing directory by its path.
func TestCreateRestoreTemp(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 50 {
		f, err := createRestoreTemp(dir)
		if err != nil {
			t.Fatal(err)
		}
		name := f.Name()
		if seen[name] || !strings.HasPrefix(filepath.Base(name), restoreTempPrefix) || filepath.Dir(name) != dir {
			t.Fatalf("temporary %q: repeated or misnamed", name)
		}
		seen[name] = true
		if _, err := f.WriteAt([]byte("xyz"), 2); err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != 5 || fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("temporary %q: size %d, mode %v", name, fi.Size(), fi.Mode())
		}
		f.Close()
	}
	missing := filepath.Join(dir, "no-such-dir")
	if _, err := createRestoreTemp(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("temporary in a missing directory: %v", err)
	}
}
