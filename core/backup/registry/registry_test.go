package registry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdfast/holdfast/core/store"
)

func newRegistry(t *testing.T) (*Registry, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := New(st, dir)
	r.secrets.NoKeyring = true
	return r, dir
}

func TestAddGetListRemove(t *testing.T) {
	r, _ := newRegistry(t)
	if err := r.Add(Repo{Name: "nas", Path: "/mnt/nas/repo", ID: "abc"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(Repo{Name: "nas", Path: "/other"}); err == nil {
		t.Error("added a second repository with the same name")
	}
	for _, bad := range []Repo{{Name: "../x", Path: "/x"}, {Name: "", Path: "/x"}, {Name: "ok", Path: "relative"}} {
		if err := r.Add(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	got, err := r.Get("nas")
	if err != nil || got.Path != "/mnt/nas/repo" || got.Added.IsZero() {
		t.Fatalf("Get: %+v %v", got, err)
	}
	r.Add(Repo{Name: "disk", Path: "/mnt/disk"})
	all, _ := r.List()
	if len(all) != 2 || all[0].Name != "disk" {
		t.Errorf("List: %+v", all)
	}
	if err := r.Remove("nas"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("nas"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after Remove: %v", err)
	}
}

func TestResolve(t *testing.T) {
	r, dir := newRegistry(t)
	repoDir := filepath.Join(dir, "repo")
	r.Add(Repo{Name: "nas", Path: repoDir})
	tests := []struct{ arg, wantName, wantPath string }{
		{"nas", "nas", repoDir},
		{repoDir, "nas", repoDir},
		{"/somewhere/else", "", "/somewhere/else"},
	}
	for _, tt := range tests {
		got, err := r.Resolve(tt.arg, "")
		if err != nil || got.Name != tt.wantName || got.Path != tt.wantPath {
			t.Errorf("Resolve(%q) = %+v, %v", tt.arg, got, err)
		}
	}
	if _, err := r.Resolve("", ""); err == nil {
		t.Error("Resolve accepted an empty argument")
	}
}

func TestRememberedPasswordInPrivateFile(t *testing.T) {
	r, dir := newRegistry(t)
	r.Add(Repo{Name: "nas", Path: "/mnt/nas"})
	repo, _ := r.Get("nas")
	if _, err := r.Password(repo); err == nil || !strings.Contains(err.Error(), "HOLDFAST_PASSWORD") {
		t.Errorf("password before remembering: %v", err)
	}
	where, err := r.RememberPassword("nas", "correct horse")
	if err != nil || where != InFile {
		t.Fatalf("RememberPassword: %q %v", where, err)
	}
	path := filepath.Join(dir, "secrets", "nas")
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", fi, err)
	}
	repo, _ = r.Get("nas")
	if pw, err := r.Password(repo); err != nil || pw != "correct horse" {
		t.Errorf("Password = %q, %v", pw, err)
	}
	os.Chmod(path, 0o644)
	if _, err := r.Password(repo); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("world-readable password file: %v", err)
	}
	if err := r.Remove("nas"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("password file left after Remove")
	}
}
