package logs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotationKeepsBoundedFiles(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenRotating(dir, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 39) + "\n")
	for i := 0; i < 20; i++ {
		if _, err := r.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, _ := e.Info()
		if fi.Size() > 100 {
			t.Errorf("%s is %d bytes, over the limit", e.Name(), fi.Size())
		}
	}
	if strings.Join(names, ",") != "holdfast.log,holdfast.log.1,holdfast.log.2" {
		t.Errorf("files %v", names)
	}
}

func TestLoggerWritesEverywhere(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenRotating(dir, 1<<20, 3)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	lvl, err := ParseLevel("info")
	if err != nil {
		t.Fatal(err)
	}
	log := New(lvl, &buf, r)
	log.Debug("hidden")
	log.With("home", "/x").Info("engine started", "pid", 1)
	r.Close()
	file, _ := os.ReadFile(filepath.Join(dir, FileName))
	for _, out := range []string{buf.String(), string(file)} {
		if !strings.Contains(out, "engine started") || !strings.Contains(out, "home=/x") || strings.Contains(out, "hidden") {
			t.Errorf("log output %q", out)
		}
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Error("ParseLevel accepted a bad level")
	}
}
