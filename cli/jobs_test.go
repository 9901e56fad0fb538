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
	"github.com/holdfast/holdfast/core/tasks/jobs"
	"github.com/holdfast/holdfast/core/tasks/schedule"
)

// TestJobsEndToEnd drives the real binary: jobs are added and rejected
// with no engine running, then `holdfast serve` runs a backup job on its
// schedule, and `jobs run`, `jobs pause --all` act through the engine.
//
// The job runs every 2s, below the 1m minimum a person gets: the test sets
// HOLDFAST_TEST_MIN_EVERY, which lowers it (and which the engine announces
// in its log).
func TestJobsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "holdfast")
	build := exec.Command("go", "build", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	homeDir := shortTemp(t)
	work := t.TempDir()
	src := filepath.Join(work, "Documents")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "a.txt"), []byte("alpha\n"), 0o644)
	env := []string{schedule.TestMinEveryEnv + "=1s", "HOLDFAST_PASSWORD="}
	run := func(extra string, args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--home", homeDir)...)
		cmd.Dir = work
		cmd.Env = append(append(os.Environ(), env...), extra)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return exitCode(err), stdout.String(), stderr.String()
	}
	if code, out, errOut := run("HOLDFAST_PASSWORD=pw", "init", "--repo", "repo", "--name", "nas", "--remember"); code != 0 {
		t.Fatalf("init: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run("HOLDFAST_PASSWORD=pw", "init", "--repo", "repo2", "--name", "plain"); code != 0 {
		t.Fatalf("init: %d %s %s", code, out, errOut)
	}

	// Bad input: exit 2 and the reason, and no job is created.
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--cron", "0 0 31 2 *"}, "never runs: day 31 never occurs in February"},
		{[]string{"--at", "25:00"}, "there is no hour 25"},
		{[]string{"--every", "0s"}, "at least 1s"},
		{[]string{"--at", "09:00", "--days", "mon,caturday"}, `unknown day "caturday"`},
		{[]string{"--every", "1h", "--at", "09:00"}, "exactly one of"},
		{[]string{"--days", "mon"}, "exactly one of"},
		{[]string{}, "exactly one of"},
	}
	for _, b := range bad {
		args := append([]string{"jobs", "add", "x", "--action", "backup", "--repo", "nas", "--source", "Documents"}, b.args...)
		code, _, errOut := run("", args...)
		if code != 2 || !strings.Contains(errOut, b.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", b.args, code, errOut, b.want)
		}
	}
	if code, _, errOut := run("", "jobs", "add", "x", "--action", "backup", "--repo", "plain", "--source", "Documents", "--every", "1h"); code != 1 || !strings.Contains(errOut, "no remembered password") {
		t.Errorf("repository without a remembered password: %d %q", code, errOut)
	}

	// Added with no engine running: the CLI writes the database itself.
	code, out, errOut := run("", "jobs", "add", "docs", "--action", "backup", "--repo", "nas", "--source", "Documents",
		"--every", "2s", "--keep-last", "2", "--retries", "1", "--json")
	if code != 0 {
		t.Fatalf("jobs add: %d %s %s", code, out, errOut)
	}
	var added jobs.Info
	if err := json.Unmarshal([]byte(out), &added); err != nil || added.Description != "every 2s" || len(added.NextRuns) != 3 ||
		added.Sources[0] != src || added.Retention.KeepLast != 2 {
		t.Fatalf("jobs add --json: %v %s", err, out)
	}
	code, out, _ = run("", "jobs", "add", "check", "--action", "check", "--repo", "nas", "--at", "03:30", "--days", "sun")
	if code != 0 || !strings.Contains(out, "Sun at 03:30") || strings.Count(out, "Sun 20") != 3 {
		t.Errorf("jobs add check: %d %s", code, out)
	}
	code, out, _ = run("", "jobs", "list")
	if code != 0 || !strings.Contains(out, "every 2s") || !strings.Contains(out, "Sun at 03:30") {
		t.Errorf("jobs list: %d %s", code, out)
	}

	// The engine runs the job on its schedule.
	serve := exec.Command(bin, "serve", "--home", homeDir)
	serve.Env = append(os.Environ(), env...)
	var serveLog bytes.Buffer
	serve.Stderr = &serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			serve.Process.Signal(os.Interrupt)
			serve.Wait()
		}
	}
	t.Cleanup(stop)
	list := func() jobs.ListResult {
		t.Helper()
		code, out, errOut := run("", "jobs", "list", "--json")
		var l jobs.ListResult
		if code != 0 || json.Unmarshal([]byte(out), &l) != nil {
			t.Fatalf("jobs list --json: %d %s %s", code, out, errOut)
		}
		return l
	}
	find := func(l jobs.ListResult, name string) jobs.Info {
		for _, j := range l.Jobs {
			if j.Name == name {
				return j
			}
		}
		t.Fatalf("no job %s in %+v", name, l)
		return jobs.Info{}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		j := find(list(), "docs")
		if j.LastResult == jobs.ResultSucceeded {
			break
		}
		if j.LastResult == jobs.ResultFailed {
			t.Fatalf("scheduled backup failed: %s\n%s", j.LastError, serveLog.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled backup never ran: %+v\n%s", j, serveLog.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, out, errOut = run("HOLDFAST_PASSWORD=pw", "snapshots", "--repo", "nas", "--json")
	var snaps []backup.SnapshotInfo
	if code != 0 || json.Unmarshal([]byte(out), &snaps) != nil || len(snaps) == 0 || snaps[0].Paths[0] != src {
		t.Fatalf("snapshots after the scheduled run: %d %s %s", code, out, errOut)
	}

	// The run is a task of the home's runner, tagged with its job.
	code, out, _ = run("", "tasks", "--json")
	var tl []struct {
		ID    uint64 `json:"id"`
		Kind  string `json:"kind"`
		State string `json:"state"`
		Job   string `json:"job"`
	}
	json.Unmarshal([]byte(out), &tl)
	tagged := false
	for _, tk := range tl {
		if tk.Job == "docs" && tk.Kind == "backup" && tk.State == "succeeded" {
			tagged = true
		}
	}
	if code != 0 || !tagged {
		t.Errorf("no succeeded backup task of job docs in tasks --json: %d %s", code, out)
	}

	// Pause all: nothing new starts; resume lets the schedule go again.
	if code, out, errOut := run("", "jobs", "pause", "--all"); code != 0 || !strings.Contains(out, "paused") {
		t.Fatalf("pause --all: %d %s %s", code, out, errOut)
	}
	// A run going now is paused with the tasks; no new one starts.
	l := list()
	if !l.PausedAll || find(l, "docs").NextRun != nil {
		t.Errorf("after pause --all: %+v", l)
	}
	before := find(l, "docs").LastTaskID
	time.Sleep(3 * time.Second) // a slot passes while held
	if after := find(list(), "docs").LastTaskID; after != before {
		t.Errorf("a held job ran: task %s after %s", after, before)
	}
	code, out, _ = run("", "jobs", "list")
	if !strings.Contains(out, "All schedules are paused") || !strings.Contains(out, "held") {
		t.Errorf("jobs list while held: %s", out)
	}

	if code, _, _ := run("", "jobs", "resume", "--all"); code != 0 {
		t.Errorf("resume --all: %d", code)
	}
	// A manual run goes through the engine and prints its task and exits with its code.
	code, out, errOut = run("", "jobs", "run", "check")
	if code != 0 || !strings.Contains(errOut, "task ") || !strings.Contains(out, "succeeded") {
		t.Errorf("jobs run check: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := run("", "jobs", "run", "nope"); code != 1 || !strings.Contains(errOut, "no job by that name") {
		t.Errorf("jobs run nope: %d %s", code, errOut)
	}
	if code, _, _ := run("", "jobs", "pause", "docs"); code != 0 || !find(list(), "docs").Paused {
		t.Errorf("pause docs: %d", code)
	}
	if code, _, _ := run("", "jobs", "remove", "docs"); code != 0 {
		t.Errorf("remove: %d", code)
	}
	if code, _, errOut := run("", "jobs", "remove", "docs"); code != 1 || !strings.Contains(errOut, "no job by that name") {
		t.Errorf("remove twice: %d %s", code, errOut)
	}
	stop()
	if !strings.Contains(serveLog.String(), schedule.TestMinEveryEnv) {
		t.Errorf("the engine did not announce the test setting:\n%s", serveLog.String())
	}

	// With no engine, `jobs run` runs the job in this process and waits.
	code, out, errOut = run("", "jobs", "run", "check", "--json")
	var rr jobs.RunResult
	if code != 0 || json.Unmarshal([]byte(out), &rr) != nil || rr.State != jobs.StateSucceeded || rr.TaskID == "" {
		t.Errorf("standalone jobs run: %d %s %s", code, out, errOut)
	}
}
