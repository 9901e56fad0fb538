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

	"github.com/holdfast/holdfast/core/backup"
)

// TestBackupCommandsThroughTheEngine drives the real binary: once with a
// running engine (requests and secrets go over the control socket), once
// without (the CLI works on the home itself).
func TestBackupCommandsThroughTheEngine(t *testing.T) {
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
		t.Run(name, func(t *testing.T) { backupScenario(t, bin, withEngine) })
	}
}

func backupScenario(t *testing.T, bin string, withEngine bool) {
	homeDir := shortTemp(t)
	work := t.TempDir()
	src := filepath.Join(work, "Documents")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("alpha\n"), 0o644)
	os.WriteFile(filepath.Join(src, "sub", "b.txt"), bytes.Repeat([]byte("beta "), 100000), 0o600)
	repoDir := filepath.Join(work, "repo")

	if withEngine {
		serve := exec.Command(bin, "serve", "--home", homeDir)
		// The engine gets no password in its environment: secrets must
		// come with each request.
		serve.Env = append(os.Environ(), "HOLDFAST_PASSWORD=")
		if err := serve.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { serve.Process.Signal(os.Interrupt); serve.Wait() })
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, _ := exec.Command(bin, "status", "--home", homeDir, "--json").Output()
			if bytes.Contains(out, []byte(`"running": true`)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("engine did not start")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	run := func(env string, args ...string) (int, string, string) {
		cmd := exec.Command(bin, append(args, "--home", homeDir)...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), env)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return exitCode(err), stdout.String(), stderr.String()
	}
	pw := "HOLDFAST_PASSWORD=s3cret pass"

	code, out, errOut := run(pw, "init", "--repo", "repo", "--name", "docs", "--remember", "--json")
	if code != 0 {
		t.Fatalf("init: %d %s %s", code, out, errOut)
	}
	var ini backup.InitResult
	json.Unmarshal([]byte(out), &ini)
	if ini.Path != repoDir || ini.Password != "file" && ini.Password != "keyring" {
		t.Errorf("init result %+v", ini)
	}
	code, out, _ = run("", "repos", "--json")
	if code != 0 || !strings.Contains(out, `"name": "docs"`) {
		t.Errorf("repos: %d %s", code, out)
	}

	// Remembered password: no secret needed. Relative paths resolve in
	// the CLI's directory, not the engine's.
	code, out, errOut = run("", "backup", "--repo", "docs", "--json", "--tag", "first", "Documents")
	if code != 0 {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("backup --json is not one line: %q", out)
	}
	var sum backup.BackupSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum.SnapshotID == "" || sum.FilesNew != 2 {
		t.Fatalf("backup summary %q: %v", out, err)
	}

	// Wrong password, by directory: exit 1 with a clear message.
	code, _, errOut = run("HOLDFAST_PASSWORD=wrong", "snapshots", "--repo", repoDir)
	if code != 1 || !strings.Contains(errOut, "wrong password") {
		t.Errorf("wrong password: %d %q", code, errOut)
	}
	code, _, errOut = run(pw, "backup", "--repo", "docs", "no-such-dir")
	if code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("missing path: %d %q", code, errOut)
	}
	code, _, _ = run(pw, "backup", "--repo", "docs")
	if code != 2 {
		t.Errorf("backup without paths: exit %d, want 2", code)
	}

	code, out, _ = run(pw, "snapshots", "--repo", repoDir, "--json")
	var snaps []backup.SnapshotInfo
	if code != 0 || json.Unmarshal([]byte(out), &snaps) != nil || len(snaps) != 1 || snaps[0].Files != 2 || snaps[0].Tags[0] != "first" {
		t.Fatalf("snapshots: %d %s", code, out)
	}
	code, out, _ = run("", "ls", "--repo", "docs", "latest", "Documents/sub", "--json")
	if code != 0 || !strings.Contains(out, `"path": "Documents/sub/b.txt"`) {
		t.Errorf("ls: %d %s", code, out)
	}

	os.WriteFile(filepath.Join(src, "a.txt"), []byte("changed\n"), 0o644)
	code, out, _ = run("", "backup", "--repo", "docs", "--json", "Documents")
	json.Unmarshal([]byte(out), &sum)
	if code != 0 || sum.FilesChanged != 1 || sum.FilesUnmodified != 1 {
		t.Fatalf("second backup: %d %s", code, out)
	}
	code, out, _ = run("", "diff", "--repo", "docs", snaps[0].ShortID, "latest", "--json")
	if code != 3 || !strings.Contains(out, "Documents/a.txt") {
		t.Errorf("diff: %d %s", code, out)
	}

	target := filepath.Join(work, "restored")
	code, out, errOut = run("", "restore", "--repo", "docs", "latest", "--target", "restored", "--verify")
	if code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "Documents", "a.txt")); string(b) != "changed\n" {
		t.Errorf("restored a.txt = %q", b)
	}
	code, out, _ = run("", "check", "--repo", "docs", "--read-data", "--json")
	if code != 0 || !strings.Contains(out, `"sound": true`) {
		t.Errorf("check: %d %s", code, out)
	}
	code, _, _ = run("", "forget", "--repo", "docs")
	if code != 2 {
		t.Errorf("forget without a policy: exit %d, want 2", code)
	}
	code, out, _ = run("", "forget", "--repo", "docs", "--keep-last", "1", "--prune", "--json")
	var fr backup.ForgetResult
	if code != 0 || json.Unmarshal([]byte(out), &fr) != nil || fr.Removed != 1 || fr.Prune == nil {
		t.Errorf("forget: %d %s", code, out)
	}

	// Keys: add a second password, open with it, remove it.
	pwFile := filepath.Join(work, "pw2")
	os.WriteFile(pwFile, []byte("second password\n"), 0o600)
	code, out, errOut = run(pw, "key", "add", "--repo", "docs", "--new-password-file", pwFile, "--json")
	if code != 0 {
		t.Fatalf("key add: %d %s %s", code, out, errOut)
	}
	var added map[string]string
	json.Unmarshal([]byte(out), &added)
	code, out, _ = run("", "key", "list", "--repo", repoDir, "--password-file", pwFile, "--json")
	var keys []backup.KeyInfo
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil || len(keys) != 2 {
		t.Fatalf("key list: %d %s", code, out)
	}
	code, _, errOut = run(pw, "key", "remove", "--repo", repoDir, added["id"])
	if code != 0 {
		t.Errorf("key remove: %d %s", code, errOut)
	}
	code, _, _ = run("", "snapshots", "--repo", repoDir, "--password-file", pwFile)
	if code != 1 {
		t.Errorf("removed password still opens the repository: exit %d", code)
	}

}
