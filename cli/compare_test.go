package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/consistency"
)

// TestConsistencyCommands drives compare and verify through the real
// binary, with and without a running engine.
func TestConsistencyCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "holdfast")
	build := exec.Command("go", "build", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, withEngine := range []bool{true, false} {
		name := "standalone"
		if withEngine {
			name = "engine"
		}
		t.Run(name, func(t *testing.T) { consistencyScenario(t, bin, withEngine) })
	}
}

// hf runs the binary on one home.
type hf struct {
	t    *testing.T
	bin  string
	home string
	dir  string
}

func (h hf) run(args ...string) (int, string, string) {
	cmd := exec.Command(h.bin, append(args, "--home", h.home)...)
	cmd.Dir = h.dir
	cmd.Env = append(os.Environ(), "HOLDFAST_PASSWORD=pw")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return exitCode(err), stdout.String(), stderr.String()
}

func (h hf) serve() {
	serve := exec.Command(h.bin, "serve", "--home", h.home)
	serve.Env = append(os.Environ(), "HOLDFAST_PASSWORD=")
	if err := serve.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { serve.Process.Signal(os.Interrupt); serve.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.Command(h.bin, "status", "--home", h.home, "--json").Output()
		if bytes.Contains(out, []byte(`"running": true`)) {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatal("engine did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func consistencyScenario(t *testing.T, bin string, withEngine bool) {
	work := t.TempDir()
	h := hf{t: t, bin: bin, home: shortTemp(t), dir: work}
	docs := filepath.Join(work, "Docs")
	os.MkdirAll(filepath.Join(docs, "sub"), 0o755)
	os.WriteFile(filepath.Join(docs, "a.txt"), []byte("alpha"), 0o644)
	os.WriteFile(filepath.Join(docs, "sub", "b.txt"), []byte("bravo"), 0o644)
	os.WriteFile(filepath.Join(docs, "n\xe9e"), []byte("latin-1"), 0o644)
	if out, err := exec.Command("cp", "-a", docs, filepath.Join(work, "Copy")).CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	if withEngine {
		h.serve()
	}

	code, out, errOut := h.run("compare", "Docs", "Copy")
	if code != 0 || !strings.Contains(out, "Identical: 4 entries") {
		t.Errorf("compare of copies: %d %q %q", code, out, errOut)
	}
	os.WriteFile(filepath.Join(work, "Copy", "n\xe9e"), []byte("changed"), 0o644)
	os.Remove(filepath.Join(work, "Copy", "a.txt"))
	code, out, _ = h.run("compare", "Docs", "Copy", "--json")
	var rep consistency.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 3 {
		t.Fatalf("compare --json: %d %v %s", code, err, out)
	}
	if len(rep.Missing) != 1 || rep.Missing[0].Path != "a.txt" || len(rep.Modified) != 1 || rep.Modified[0].PathB64 == "" || rep.Score >= 100 {
		t.Errorf("compare report %s", out)
	}
	code, _, _ = h.run("compare", "Docs")
	if code != 2 {
		t.Errorf("compare with one operand: exit %d", code)
	}
	code, _, errOut = h.run("compare", "Docs", "snapshot:latest")
	if code != 2 || !strings.Contains(errOut, "--repo") {
		t.Errorf("snapshot without --repo: exit %d %q", code, errOut)
	}

	if code, out, errOut := h.run("init", "--repo", "repo"); code != 0 {
		t.Fatalf("init: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := h.run("backup", "--repo", "repo", "Docs"); code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	code, out, _ = h.run("compare", "Docs", "snapshot:latest", "--repo", "repo")
	if code != 0 {
		t.Errorf("folder vs its snapshot: %d %s", code, out)
	}
	code, out, _ = h.run("verify", "--repo", "repo", "Docs")
	if code != 0 || !strings.Contains(out, "0 corrupt, 0 missing") {
		t.Errorf("verify clean: %d %s", code, out)
	}

	fa := filepath.Join(docs, "a.txt")
	fi, _ := os.Stat(fa)
	os.WriteFile(fa, []byte("ALPHA"), 0o644)
	os.Chtimes(fa, fi.ModTime(), fi.ModTime())
	os.Remove(filepath.Join(docs, "sub", "b.txt"))
	code, out, _ = h.run("verify", "--repo", "repo", "Docs")
	if code != 3 || !strings.Contains(out, "corrupt   a.txt") || !strings.Contains(out, "missing   sub/b.txt") {
		t.Errorf("verify: %d %s", code, out)
	}
	code, out, _ = h.run("alerts", "--json")
	if !strings.Contains(out, `"source": "consistency"`) {
		t.Errorf("no consistency alert: %d %s", code, out)
	}
	code, out, _ = h.run("verify", "--repo", "repo", "Docs", "--deep", "--json")
	var v consistency.VerifyResult
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 3 || len(v.Corrupt) != 1 || len(v.Missing) != 1 || v.HashedFiles != 2 {
		t.Errorf("verify --deep --json: %d %v %s", code, err, out)
	}

	// Repair: a plan first, then the corrupt and missing files, undone.
	code, out, _ = h.run("repair", "--repo", "repo", "Docs", "--missing")
	if code != 0 || !strings.Contains(out, "Plan: 2 steps") {
		t.Errorf("repair plan: %d %s", code, out)
	}
	if b, _ := os.ReadFile(fa); string(b) != "ALPHA" {
		t.Fatalf("the plan changed a.txt: %q", b)
	}
	code, out, errOut = h.run("repair", "--repo", "repo", "Docs", "--missing", "--apply", "--json")
	var rr consistency.RepairResult
	if err := json.Unmarshal([]byte(out), &rr); err != nil || code != 0 || !rr.Applied || rr.Failed != 0 {
		t.Fatalf("repair --apply: %d %v %s %s", code, err, out, errOut)
	}
	if code, out, _ = h.run("verify", "--repo", "repo", "Docs"); code != 0 {
		t.Errorf("verify after repair: %d %s", code, out)
	}
	code, out, _ = h.run("trash", "list")
	if code != 0 || !strings.Contains(out, rr.ID) {
		t.Errorf("trash list: %d %s", code, out)
	}
	code, out, _ = h.run("repair", "undo", rr.ID)
	if code != 0 || !strings.Contains(out, "2 put back") {
		t.Errorf("repair undo: %d %s", code, out)
	}
	if b, _ := os.ReadFile(fa); string(b) != "ALPHA" {
		t.Errorf("undo did not put the corrupt a.txt back: %q", b)
	}
	code, out, _ = h.run("trash", "empty", "--json")
	if code != 0 || !strings.Contains(out, rr.ID) {
		t.Errorf("trash empty: %d %s", code, out)
	}

	// Watched folders: through a running engine compare uses the tree the
	// watcher keeps, without reading anything.
	code, out, errOut = h.run("watch", "add", "Docs")
	if code != 0 {
		t.Fatalf("watch add: %d %s %s", code, out, errOut)
	}
	code, _, _ = h.run("watch", "add", "no-such-dir")
	if code != 1 {
		t.Errorf("watch add of a missing folder: exit %d", code)
	}
	code, out, _ = h.run("watch", "list", "--json")
	if code != 0 || !strings.Contains(out, docs) {
		t.Errorf("watch list: %d %s", code, out)
	}
	if withEngine {
		os.WriteFile(filepath.Join(docs, "fresh.txt"), []byte("fresh"), 0o644)
		deadline := time.Now().Add(15 * time.Second)
		for {
			_, out, _ = h.run("compare", "Docs", "Copy", "--json")
			var rep consistency.Report
			json.Unmarshal([]byte(out), &rep)
			seen := false
			for _, e := range rep.Missing {
				seen = seen || e.Path == "fresh.txt"
			}
			if seen {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the watched tree never showed fresh.txt: %s", out)
			}
			time.Sleep(100 * time.Millisecond)
		}
		code, out, _ = h.run("compare", "Docs", "Docs", "--json")
		var rep consistency.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.HashedFiles != 0 {
			t.Errorf("compare of a watched folder read files: %d %s", code, out)
		}
	}
	code, out, _ = h.run("watch", "remove", "Docs")
	if code != 0 {
		t.Errorf("watch remove: %d %s", code, out)
	}
	code, _, _ = h.run("watch", "remove", "Docs")
	if code != 2 {
		t.Errorf("watch remove of an unwatched folder: exit %d", code)
	}
}
