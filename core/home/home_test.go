package home

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenCreatesPrivateDirs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "home")
	h, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(h.LogsPath())
	if err != nil || !fi.IsDir() {
		t.Fatalf("logs dir: %v", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("logs dir mode %v is not private", fi.Mode().Perm())
	}
}

func TestOpenRejectsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := Open(f); err == nil {
		t.Fatal("opened a regular file as a home")
	}
}

func TestLockIsExclusiveAndNamesHolder(t *testing.T) {
	h, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if pid := h.Holder(); pid != 0 {
		t.Fatalf("fresh home held by %d", pid)
	}
	l, err := h.Lock()
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file description, so a second open in
	// the same process conflicts just as another process would.
	_, err = h.Lock()
	var inUse *InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrInUse) {
		t.Fatalf("second lock: %v", err)
	}
	if inUse.PID != os.Getpid() {
		t.Errorf("holder PID %d, want %d", inUse.PID, os.Getpid())
	}
	if got := h.Holder(); got != os.Getpid() {
		t.Errorf("Holder() = %d", got)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if pid := h.Holder(); pid != 0 {
		t.Fatalf("released home still held by %d", pid)
	}
	l2, err := h.Lock()
	if err != nil {
		t.Fatalf("relock: %v", err)
	}
	l2.Release()
}

func TestDefaultDirFollowsXDG(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/tmp/xdg-state")
	d, err := DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(d) != "holdfast" && filepath.Base(d) != "Holdfast" {
		t.Errorf("DefaultDir() = %s", d)
	}
}
