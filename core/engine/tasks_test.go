package engine

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks"
)

// TestLongOperationsRunAsTasks: the declared operations become tasks
// with their kind, description and repository lock; their usage errors
// create none.
func TestLongOperationsRunAsTasks(t *testing.T) {
	e, err := Open(testHome(t), Options{Mode: ModeLocal})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	repoDir := filepath.Join(t.TempDir(), "repo")
	call := func(op string, args any) control.Result {
		raw, _ := json.Marshal(args)
		return e.Dispatch(context.Background(), control.Request{Op: op, Args: raw}, nil)
	}
	missing := filepath.Join(t.TempDir(), "gone")
	res := call(backup.OpBackup, backup.BackupArgs{RepoArgs: backup.RepoArgs{Repo: repoDir}, Paths: []string{missing}})
	if res.Exit != control.ExitError || res.TaskID == 0 {
		t.Fatalf("backup of a missing folder: %+v", res)
	}
	task, err := e.Tasks.Get(tasks.ID(res.TaskID))
	if err != nil {
		t.Fatal(err)
	}
	if task.Kind != "backup" || task.State != tasks.Failed || task.Description != "Back up "+missing+" into "+repoDir ||
		len(task.Resources) != 1 || task.Resources[0] != "repo:"+repoDir {
		t.Errorf("task %+v", task)
	}
	for _, tt := range []struct {
		op   string
		args any
	}{
		{backup.OpBackup, backup.BackupArgs{RepoArgs: backup.RepoArgs{Repo: repoDir}}},                       // no paths
		{backup.OpRestore, backup.RestoreArgs{RepoArgs: backup.RepoArgs{Repo: repoDir}, Snapshot: "latest"}}, // no target
		{backup.OpCheck, backup.CheckArgs{}},                                                                 // no repository
		{backup.OpForget, backup.ForgetArgs{RepoArgs: backup.RepoArgs{Repo: repoDir}}},                       // no policy: the handler says so
		{backup.OpCheck, backup.CheckArgs{RepoArgs: backup.RepoArgs{Repo: repoDir}, ReadDataSubset: 250}},    // out of range: the handler says so
	} {
		if res := call(tt.op, tt.args); res.Exit != control.ExitUsage || res.TaskID != 0 {
			t.Errorf("%s %+v: %+v", tt.op, tt.args, res)
		}
	}
	if res := call(consistency.OpVerify, consistency.VerifyArgs{Folder: "relative/dir"}); res.Exit != control.ExitUsage || res.TaskID != 0 {
		t.Errorf("verify of a relative folder: %+v", res)
	}
	folder := t.TempDir()
	if res := call(consistency.OpVerify, consistency.VerifyArgs{Folder: folder}); res.Exit != control.ExitUsage || res.TaskID != 0 {
		t.Errorf("verify without a repository: %+v", res)
	}
	if res := call(consistency.OpVerify, consistency.VerifyArgs{RepoArgs: backup.RepoArgs{Repo: repoDir}, Folder: folder}); res.TaskID == 0 {
		t.Errorf("verify did not run as a task: %+v", res)
	} else if got, _ := e.Tasks.Get(tasks.ID(res.TaskID)); got.Kind != "verify" || got.Resources[0] != "dir:"+folder || got.State != tasks.Failed {
		t.Errorf("verify task %+v", got)
	}
	if list, _ := e.Tasks.List(tasks.Filter{Kind: "backup"}); len(list) != 1 {
		t.Errorf("usage errors left tasks: %+v", list)
	}
	// Retry through the control operation re-runs the same arguments.
	raw, _ := json.Marshal(tasks.IDArgs{ID: tasks.ID(res.TaskID)})
	again := e.Dispatch(context.Background(), control.Request{Op: tasks.OpRetry, Args: raw}, nil)
	if got, _ := e.Tasks.Get(tasks.ID(again.TaskID)); got.RetryOf != tasks.ID(res.TaskID) || got.State != tasks.Failed {
		t.Errorf("retry %+v: %+v", again, got)
	}
}
