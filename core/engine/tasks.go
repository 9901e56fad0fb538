package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks"
)

// openTasks opens the task runner and its history, declares the long
// operations that run as tasks and wraps their handlers, so a call from
// the CLI, the GUI or a job becomes a task the same way. Every engine has
// one: a standalone CLI command records its task in the same history.
func (e *Engine) openTasks() error {
	run, err := tasks.New(e.store.DB(), e.router.Direct, tasks.Options{
		MaxConcurrent: e.cfg.Tasks.MaxConcurrent,
		HistoryDays:   e.cfg.Tasks.HistoryDays,
		AggregateDays: e.cfg.Tasks.AggregateDays,
		Standalone:    e.mode == ModeLocal,
		Bus:           e.bus,
		Log:           e.log.With("service", "tasks"),
	})
	if err != nil {
		return err
	}
	e.defineTasks(run)
	run.Register(e.router)
	e.Tasks = run
	if e.mode != ModeLocal {
		e.services = append(e.services, run)
	}
	return nil
}

// stopTasks ends the live tasks before the control socket closes, so they
// are recorded as interrupted (for their jobs to run again) rather than
// canceled by a caller.
func (e *Engine) stopTasks() {
	if e.Tasks == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout/2)
	defer cancel()
	if err := e.Tasks.Shutdown(ctx); err != nil {
		e.log.Warn("tasks still stopping", "err", err)
	}
}

// defineTasks declares the operations that run as tasks; a new long
// operation joins them with a Define here.
func (e *Engine) defineTasks(run *tasks.Runner) {
	run.Define(backup.OpBackup, tasks.Spec{
		Kind: "backup",
		Plan: func(req control.Request) (tasks.Plan, error) {
			var a backup.BackupArgs
			if err := decodeTaskArgs(req, &a, &a.RepoArgs); err != nil {
				return tasks.Plan{}, err
			}
			if len(a.Paths) == 0 {
				return tasks.Plan{}, fmt.Errorf("backup: name at least one PATH")
			}
			return tasks.Plan{
				Description: fmt.Sprintf("Back up %s into %s", listPaths(a.Paths), a.Repo),
				Locks:       []tasks.Lock{e.repoLock(a.RepoArgs, true)},
			}, nil
		},
		Outcome: func(data json.RawMessage) tasks.Outcome {
			var s backup.BackupSummary
			if json.Unmarshal(data, &s) != nil {
				return tasks.Outcome{}
			}
			o := tasks.Outcome{Size: s.TotalBytes}
			for _, p := range s.Errors {
				o.Warnings = append(o.Warnings, "left out, unreadable: "+p)
			}
			for _, p := range s.Changed {
				o.Warnings = append(o.Warnings, "changed while it was read: "+p)
			}
			return o
		},
	})
	run.Define(backup.OpRestore, tasks.Spec{
		Kind: "restore",
		Plan: func(req control.Request) (tasks.Plan, error) {
			var a backup.RestoreArgs
			if err := decodeTaskArgs(req, &a, &a.RepoArgs); err != nil {
				return tasks.Plan{}, err
			}
			if a.Snapshot == "" || a.Target == "" {
				return tasks.Plan{}, fmt.Errorf("restore: name a SNAPSHOT (or latest) and --target DIR")
			}
			return tasks.Plan{
				Description: fmt.Sprintf("Restore %s from %s into %s", a.Snapshot, a.Repo, a.Target),
				Locks: []tasks.Lock{e.repoLock(a.RepoArgs, false),
					{Key: "dir:" + filepath.Clean(a.Target), Write: true}},
			}, nil
		},
		Outcome: func(data json.RawMessage) tasks.Outcome {
			var s backup.RestoreSummary
			if json.Unmarshal(data, &s) != nil {
				return tasks.Outcome{}
			}
			o := tasks.Outcome{Size: s.Bytes}
			for _, c := range s.Conflicts {
				o.Warnings = append(o.Warnings, "conflict, left alone: "+c)
			}
			o.Warnings = append(o.Warnings, s.Errors...)
			return o
		},
	})
	run.Define(backup.OpCheck, tasks.Spec{
		Kind: "check",
		Plan: func(req control.Request) (tasks.Plan, error) {
			var a backup.CheckArgs
			if err := decodeTaskArgs(req, &a, &a.RepoArgs); err != nil {
				return tasks.Plan{}, err
			}
			what := "Check " + a.Repo
			switch {
			case a.ReadData:
				what += ", reading all data"
			case a.ReadDataSubset > 0:
				what += fmt.Sprintf(", reading %g%% of the data", a.ReadDataSubset)
			}
			return tasks.Plan{Description: what, Locks: []tasks.Lock{e.repoLock(a.RepoArgs, false)}}, nil
		},
		Outcome: func(data json.RawMessage) tasks.Outcome {
			var s backup.CheckResult
			if json.Unmarshal(data, &s) != nil {
				return tasks.Outcome{}
			}
			o := tasks.Outcome{Size: s.BytesRead}
			for _, p := range s.DamagedPacks {
				o.Warnings = append(o.Warnings, "damaged pack: "+p)
			}
			if s.MissingBlobs > 0 {
				o.Warnings = append(o.Warnings, fmt.Sprintf("%d blobs missing", s.MissingBlobs))
			}
			for _, sn := range s.AffectedSnapshots {
				o.Warnings = append(o.Warnings, "affected snapshot: "+sn)
			}
			o.Warnings = append(o.Warnings, s.Errors...)
			return o
		},
	})
	run.Define(backup.OpForget, tasks.Spec{
		Kind: "forget",
		Plan: func(req control.Request) (tasks.Plan, error) {
			var a backup.ForgetArgs
			if err := decodeTaskArgs(req, &a, &a.RepoArgs); err != nil {
				return tasks.Plan{}, err
			}
			what := "Forget snapshots in " + a.Repo
			if a.Prune {
				what += " and prune"
			}
			if a.DryRun {
				what += " (dry run)"
			}
			return tasks.Plan{Description: what, Locks: []tasks.Lock{e.repoLock(a.RepoArgs, !a.DryRun)}}, nil
		},
	})
	e.defineConsistencyTasks(run)
}

// defineConsistencyTasks declares verify and repair, which read a folder
// against a snapshot (and repair writes it).
func (e *Engine) defineConsistencyTasks(run *tasks.Runner) {
	folderPlan := func(req control.Request, a *backup.RepoArgs, folder string, write bool, what string) (tasks.Plan, error) {
		if folder == "" || !filepath.IsAbs(folder) {
			return tasks.Plan{}, fmt.Errorf("%s: name the FOLDER (absolute path)", req.Op)
		}
		if a.Repo == "" {
			return tasks.Plan{}, fmt.Errorf("%s: no repository given (--repo DIR or NAME)", req.Op)
		}
		return tasks.Plan{Description: what, Locks: []tasks.Lock{{Key: "dir:" + filepath.Clean(folder), Write: write},
			e.repoLock(*a, false)}}, nil
	}
	run.Define(consistency.OpVerify, tasks.Spec{
		Kind: "verify",
		Plan: func(req control.Request) (tasks.Plan, error) {
			var a consistency.VerifyArgs
			if err := json.Unmarshal(req.Args, &a); err != nil {
				return tasks.Plan{}, fmt.Errorf("%s: bad arguments: %v", req.Op, err)
			}
			what := "Verify " + a.Folder
			if a.Deep {
				what += ", reading every file"
			}
			return folderPlan(req, &a.RepoArgs, a.Folder, false, what)
		},
		Outcome: func(data json.RawMessage) tasks.Outcome {
			var v consistency.VerifyResult
			if json.Unmarshal(data, &v) != nil {
				return tasks.Outcome{}
			}
			o := tasks.Outcome{Size: v.HashedBytes}
			for _, x := range v.Corrupt {
				o.Warnings = append(o.Warnings, "corrupt: "+x.Path)
			}
			for _, x := range v.Missing {
				o.Warnings = append(o.Warnings, "missing: "+x.Path)
			}
			for _, x := range v.Errors {
				o.Warnings = append(o.Warnings, x.Path+": "+x.Error)
			}
			return o
		},
	})
	run.Define(consistency.OpRepair, tasks.Spec{
		Kind: "repair",
		Plan: func(req control.Request) (tasks.Plan, error) {
			var a consistency.RepairArgs
			if err := json.Unmarshal(req.Args, &a); err != nil {
				return tasks.Plan{}, fmt.Errorf("%s: bad arguments: %v", req.Op, err)
			}
			what := "Repair " + a.Folder
			if !a.Apply {
				what = "Plan the repair of " + a.Folder
			}
			return folderPlan(req, &a.RepoArgs, a.Folder, a.Apply, what)
		},
	})
}

// decodeTaskArgs decodes a task's arguments and checks it names a
// repository; errors are usage errors.
func decodeTaskArgs(req control.Request, v any, repo *backup.RepoArgs) error {
	if len(req.Args) > 0 {
		if err := json.Unmarshal(req.Args, v); err != nil {
			return fmt.Errorf("%s: bad arguments: %v", req.Op, err)
		}
	}
	if repo.Repo == "" {
		return fmt.Errorf("%s: no repository given (--repo DIR or NAME)", req.Op)
	}
	return nil
}

// repoLock is the lock on the repository args name: by its path, so a
// name and its directory are the same repository.
func (e *Engine) repoLock(a backup.RepoArgs, write bool) tasks.Lock {
	path := a.RepoAbs
	if known, err := e.Backup.Registry.Resolve(a.Repo, a.RepoAbs); err == nil {
		path = known.Path
	}
	if path == "" {
		path = a.Repo
	}
	return tasks.Lock{Key: "repo:" + filepath.Clean(path), Write: write}
}

func listPaths(paths []string) string {
	if len(paths) <= 3 {
		return strings.Join(paths, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(paths[:2], ", "), len(paths)-2)
}
