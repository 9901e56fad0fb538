//go:build linux && (amd64 || arm64)

package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// TestReadDirTypesAndOrder lists a directory of every kind of entry, and
// one of more names than one getdents call returns: every name comes once,
// in order, with its type, and . and .. do not.
func TestReadDirTypesAndOrder(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, f func(p string) error) {
		t.Helper()
		if err := f(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("b-file", func(p string) error { return os.WriteFile(p, []byte("x"), 0o644) })
	mk("a-dir", func(p string) error { return os.Mkdir(p, 0o755) })
	mk("c-link", func(p string) error { return os.Symlink("b-file", p) })
	mk("d-fifo", func(p string) error { return syscall.Mkfifo(p, 0o644) })
	want := []dirEntry{{"a-dir", fs.ModeDir}, {"b-file", 0}, {"c-link", fs.ModeSymlink}, {"d-fifo", fs.ModeNamedPipe}}

	var buf []byte
	d, des, err := readDir(dir, &buf)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if !slices.Equal(des, want) {
		t.Errorf("listing %v, want %v", des, want)
	}

	many := filepath.Join(dir, "a-dir")
	var names []string
	for i := range 1500 { // about 60 KiB of dirents: several getdents calls
		name := fmt.Sprintf("file-with-a-rather-long-name-%04d", i)
		names = append(names, name)
		if err := os.WriteFile(filepath.Join(many, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, des, err = readDir(many, &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if len(des) != len(names) {
		t.Fatalf("%d entries, want %d", len(des), len(names))
	}
	for i, de := range des {
		if de.Name() != names[i] || !de.Type().IsRegular() {
			t.Fatalf("entry %d: %q %v, want %q, a file", i, de.Name(), de.Type(), names[i])
		}
	}
	// The descriptor works for lstatAt.
	if fi, err := lstatAt(d, names[7]); err != nil || fi.Size() != 0 || !fi.Mode().IsRegular() {
		t.Errorf("lstatAt: %v, %v", fi, err)
	}

	if _, _, err := readDir(filepath.Join(dir, "b-file"), &buf); err == nil {
		t.Error("a file was listed as a directory")
	}
}

// TestParseDirentsMalformed gives parseDirents records that do not fit:
// an error, never a panic or a name read out of bounds.
func TestParseDirentsMalformed(t *testing.T) {
	d := &openDir{fd: -1, path: "/nowhere"}
	rec := func(reclen uint16, name string) []byte {
		b := make([]byte, 19+len(name)+1)
		b[0] = 1 // inode 1
		b[16], b[17] = byte(reclen), byte(reclen>>8)
		b[18] = 8 // DT_REG
		copy(b[19:], name)
		return b
	}
	good := rec(uint16(19+len("ok")+1), "ok")
	if des, err := parseDirents(d, good, nil); err != nil || len(des) != 1 || des[0].name != "ok" {
		t.Fatalf("a good record: %v, %v", des, err)
	}
	for name, b := range map[string][]byte{
		"truncated header": good[:10],
		"reclen too small": rec(5, "x"),
		"reclen past end":  rec(200, "x"),
	} {
		if _, err := parseDirents(d, b, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestLstatEntryMatchesLstat: the mode and meta lstatEntry gives are
// os.Lstat's and StatMeta's, for a file, a directory and a symbolic link.
func TestLstatEntryMatchesLstat(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("hello"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f", filepath.Join(dir, "l")); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	d, _, err := readDir(dir, &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, name := range []string{"f", "d", "l"} {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		mode, meta, err := lstatEntry(d, name)
		if err != nil {
			t.Fatal(err)
		}
		if mode != fi.Mode() || meta != StatMeta(fi) {
			t.Errorf("%s: %v %+v, want %v %+v", name, mode, meta, fi.Mode(), StatMeta(fi))
		}
	}
	if _, _, err := lstatEntry(d, "missing"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing name: %v", err)
	}
}
