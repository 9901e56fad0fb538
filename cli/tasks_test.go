package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/tasks"
)

// taskHome drives the real binary on one home.
type taskHome struct {
	t    *testing.T
	bin  string
	home string
	work string
}

func newTaskHome(t *testing.T) *taskHome {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "holdfast")
	build := exec.Command("go", "build", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	h := &taskHome{t: t, bin: bin, home: shortTemp(t), work: t.TempDir()}
	os.MkdirAll(filepath.Join(h.work, "Documents"), 0o755)
	os.WriteFile(filepath.Join(h.work, "Documents", "a.txt"), []byte("alpha\n"), 0o644)
	return h
}

func (h *taskHome) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command(h.bin, append(args, "--home", h.home)...)
	cmd.Dir = h.work
	cmd.Env = append(os.Environ(), "HOLDFAST_PASSWORD=s3cret pass")
	return cmd
}

func (h *taskHome) run(args ...string) (int, string, string) {
	h.t.Helper()
	cmd := h.cmd(args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return exitCode(err), stdout.String(), stderr.String()
}

// serve starts the engine and waits for it to answer.
func (h *taskHome) serve() *exec.Cmd {
	h.t.Helper()
	serve := exec.Command(h.bin, "serve", "--home", h.home)
	serve.Env = append(os.Environ(), "HOLDFAST_PASSWORD=")
	if err := serve.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out, _ := h.run("status", "--json")
		if strings.Contains(out, `"running": true`) {
			return serve
		}
		if time.Now().After(deadline) {
			h.t.Fatal("engine did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *taskHome) list(args ...string) []tasks.Task {
	h.t.Helper()
	code, out, errOut := h.run(append([]string{"tasks", "--json"}, args...)...)
	if code != 0 {
		h.t.Fatalf("tasks --json %v: exit %d %s", args, code, errOut)
	}
	var list []tasks.Task
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		h.t.Fatalf("tasks --json: %v\n%s", err, out)
	}
	return list
}

func (h *taskHome) show(id tasks.ID) tasks.Task {
	h.t.Helper()
	code, out, errOut := h.run("task", "show", id.String(), "--json")
	if code != 0 {
		h.t.Fatalf("task show %d: exit %d %s", id, code, errOut)
	}
	var t tasks.Task
	if err := json.Unmarshal([]byte(out), &t); err != nil {
		h.t.Fatalf("task show --json: %v\n%s", err, out)
	}
	return t
}

// until polls the task until cond holds; the work it waits for is under
// way, the deadline only bounds a hang.
func (h *taskHome) until(id tasks.ID, what string, cond func(tasks.Task) bool) tasks.Task {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		t := h.show(id)
		if cond(t) {
			return t
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("task %d never %s: %+v", id, what, t)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var taskLine = regexp.MustCompile(`(?m)^task (\d+)$`)

// slowBackup starts a backup of a large file in the background and
// returns its task ID, read from the "task N" line on its stderr, as
// soon as the task exists (its key derivation alone takes about half a
// second, before the first file is read).
func (h *taskHome) slowBackup() (tasks.ID, *exec.Cmd, *syncBuffer) {
	h.t.Helper()
	big := filepath.Join(h.work, "Big")
	if _, err := os.Stat(big); err != nil {
		os.MkdirAll(big, 0o755)
		f, err := os.Create(filepath.Join(big, "data.bin"))
		if err != nil {
			h.t.Fatal(err)
		}
		io.Copy(f, io.LimitReader(rand.NewChaCha8([32]byte{1}), 96<<20))
		f.Close()
	}
	cmd := h.cmd("backup", "--repo", "docs", "Big")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := taskLine.FindStringSubmatch(stderr.String()); m != nil {
			n, _ := strconv.ParseUint(m[1], 10, 64)
			return tasks.ID(n), cmd, stderr
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("backup never said its task: %s", stderr.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestTasksThroughTheEngine: backups through a running engine become
// tasks; a missing folder is a failed task; usage errors create none;
// a slow backup is paused, resumed and canceled from other commands and
// leaves the repository sound; stats sum it up.
func TestTasksThroughTheEngine(t *testing.T) {
	h := newTaskHome(t)
	h.serve()
	if code, _, errOut := h.run("init", "--repo", "repo", "--name", "docs", "--remember"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	code, out, errOut := h.run("backup", "--repo", "docs", "--json", "Documents")
	if code != 0 || !taskLine.MatchString(errOut) {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(out), &sum); err != nil || sum["task_id"] == nil || sum["snapshot_id"] == nil {
		t.Fatalf("backup --json lacks task_id: %s", out)
	}
	first := tasks.ID(sum["task_id"].(float64))

	code, _, errOut = h.run("backup", "--repo", "docs", "no-such-folder")
	if code != 1 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("missing folder: exit %d %s", code, errOut)
	}
	before := len(h.list())
	for _, args := range [][]string{
		{"backup", "--repo", "docs"},     // no PATH: refused by the CLI
		{"forget", "--repo", "docs"},     // no policy: refused by the handler
		{"tasks", "--state", "sleeping"}, // not a state
		{"task", "show", "x1"},           // not an ID
		{"stats", "--days", "0"},         // out of range
	} {
		if code, _, errOut := h.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, errOut)
		}
	}
	if after := len(h.list()); after != before {
		t.Errorf("usage errors created %d tasks", after-before)
	}

	list := h.list()
	if len(list) != 2 {
		t.Fatalf("tasks: %+v", list)
	}
	ok, failed := list[0], list[1]
	if ok.ID != first || ok.Kind != "backup" || ok.State != tasks.Succeeded || ok.Started == nil || ok.Ended == nil ||
		ok.Size == 0 || !strings.Contains(ok.Description, "Documents") || ok.Progress.Percent != 100 {
		t.Errorf("backup task %+v", ok)
	}
	if failed.State != tasks.Failed || failed.Exit != 1 || !strings.Contains(failed.Error, "does not exist") {
		t.Errorf("failed task %+v", failed)
	}
	if got := h.list("--state", "failed"); len(got) != 1 || got[0].ID != failed.ID {
		t.Errorf("--state failed: %+v", got)
	}
	if got := h.list("--kind", "restore"); len(got) != 0 {
		t.Errorf("--kind restore: %+v", got)
	}
	// The list's JSON has the documented fields.
	_, out, _ = h.run("tasks", "--json")
	var raw []map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"id", "kind", "state", "description", "started", "ended", "progress", "error"} {
		if _, ok := raw[1][k]; !ok {
			t.Errorf("tasks --json lacks %q: %v", k, raw[1])
		}
	}

	// Pause, resume, pause again and cancel a slow backup.
	id, backupCmd, backupErr := h.slowBackup()
	if code, out, errOut := h.run("task", "pause", id.String()); code != 0 || !strings.Contains(out, "paused") {
		t.Fatalf("pause: %d %s %s", code, out, errOut)
	}
	paused := h.until(id, "held", func(t tasks.Task) bool { return t.State == tasks.Paused && t.Held })
	if code, _, _ := h.run("task", "resume", id.String()); code != 0 {
		t.Fatalf("resume: exit %d", code)
	}
	h.until(id, "running again", func(t tasks.Task) bool { return t.State == tasks.Running && !t.Held })
	if code, _, errOut := h.run("task", "pause", id.String()); code != 0 {
		t.Fatalf("second pause: %d %s", code, errOut)
	}
	h.until(id, "held again", func(t tasks.Task) bool { return t.Held })
	if code, _, errOut := h.run("task", "delete", id.String()); code != 1 || !strings.Contains(errOut, "cancel it") {
		t.Errorf("delete a live task: %d %s", code, errOut)
	}
	if code, out, errOut := h.run("task", "cancel", id.String(), "--json"); code != 0 || !strings.Contains(out, `"canceling"`) {
		t.Fatalf("cancel: %d %s %s", code, out, errOut)
	}
	backupCmd.Wait()
	if code := backupCmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("canceled backup exit %d: %s", code, backupErr.String())
	}
	canceled := h.show(id)
	if canceled.State != tasks.Canceled || canceled.Ended == nil || len(canceled.Progress.Counters) == 0 {
		t.Errorf("canceled task %+v", canceled)
	}
	if paused.Progress.Percent >= 100 {
		t.Errorf("the backup had finished before it was paused: %+v", paused.Progress)
	}
	if code, out, errOut := h.run("check", "--repo", "docs", "--json"); code != 0 || !strings.Contains(out, `"sound": true`) {
		t.Errorf("check after cancel: %d %s %s", code, out, errOut)
	}

	// Retry the failed backup: a new task with the same inputs.
	code, out, _ = h.run("task", "retry", failed.ID.String(), "--json")
	var rr retryResult
	if err := json.Unmarshal([]byte(out), &rr); err != nil || code != 1 || rr.RetryOf != failed.ID || rr.TaskID == 0 {
		t.Errorf("retry: %d %s", code, out)
	} else if got := h.show(rr.TaskID); got.RetryOf != failed.ID || got.State != tasks.Failed || string(got.Args) != string(h.show(failed.ID).Args) {
		t.Errorf("retry task %+v", got)
	}
	if code, out, _ := h.run("task", "delete", failed.ID.String()); code != 0 || !strings.Contains(out, "deleted") {
		t.Errorf("delete: %d %s", code, out)
	}

	code, out, _ = h.run("stats", "--json", "--days", "7")
	var st map[string]json.RawMessage
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil {
		t.Fatalf("stats: %d %s", code, out)
	}
	var ov map[string]float64
	json.Unmarshal(st["overview"], &ov)
	for _, k := range []string{"total_tasks", "successful_tasks", "failed_tasks", "success_rate", "avg_duration", "total_size"} {
		if _, ok := ov[k]; !ok {
			t.Errorf("overview lacks %q: %s", k, st["overview"])
		}
	}
	// Left: the first backup, the canceled one, the check and the failed
	// retry (the failed original was deleted).
	if ov["total_tasks"] != 4 || ov["successful_tasks"] != 2 || ov["failed_tasks"] != 1 || ov["total_size"] != 6 {
		t.Errorf("overview %s", st["overview"])
	}
	var daily []map[string]any
	json.Unmarshal(st["daily_stats"], &daily)
	var types []map[string]any
	json.Unmarshal(st["type_stats"], &types)
	if len(daily) != 7 || daily[6]["tasks"] != 4.0 || daily[6]["date"] == nil || daily[6]["success_rate"] == nil || daily[6]["successful"] == nil {
		t.Errorf("daily_stats %s", st["daily_stats"])
	}
	if len(types) != 2 || types[0]["type"] != "backup" || types[0]["count"] != 3.0 || types[1]["type"] != "check" || types[0]["avg_duration"] == nil {
		t.Errorf("type_stats %s", st["type_stats"])
	}
}

// TestKilledEngineKeepsFinishedHistory: SIGKILL the engine while a task
// is live; the finished tasks are all there afterwards, the live one is
// interrupted, and the CLI alone records its own tasks in the same
// history.
func TestKilledEngineKeepsFinishedHistory(t *testing.T) {
	h := newTaskHome(t)
	serve := h.serve()
	if code, _, errOut := h.run("init", "--repo", "repo", "--name", "docs", "--remember"); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	if code, _, errOut := h.run("backup", "--repo", "docs", "Documents"); code != 0 {
		t.Fatalf("backup: %d %s", code, errOut)
	}
	id, backupCmd, _ := h.slowBackup()
	h.run("task", "pause", id.String())
	h.until(id, "held", func(t tasks.Task) bool { return t.Held })
	serve.Process.Kill()
	serve.Wait()
	backupCmd.Wait()

	list := h.list() // no engine now: read from the database
	if len(list) != 2 || list[0].State != tasks.Succeeded || list[1].ID != id || list[1].State != tasks.Interrupted || list[1].Ended == nil {
		t.Fatalf("after SIGKILL: %+v", list)
	}
	if code, _, errOut := h.run("task", "pause", id.String()); code != 1 || !strings.Contains(errOut, "running engine") {
		t.Errorf("pause without an engine: %d %s", code, errOut)
	}
	code, out, errOut := h.run("backup", "--repo", "docs", "--json", "Documents")
	if code != 0 || !taskLine.MatchString(errOut) || !strings.Contains(out, `"task_id":3`) {
		t.Errorf("standalone backup: %d %s %s", code, out, errOut)
	}
	if list := h.list("--state", "succeeded"); len(list) != 2 {
		t.Errorf("standalone task not in the history: %+v", list)
	}
}
