package ui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/watch"
)

// The Consistency page talks to the engine only through these calls. Each
// one blocks, so it runs in a goroutine; its answer comes back to the UI
// thread through p.do. Nothing here touches a widget.

// cnFolders is the engine's answer to watch.list and consistency.checks.
type cnFolders struct {
	folders []watch.FolderInfo
	checks  []consistency.CheckRecord
	err     error
}

// loadFolders asks for the watched folders and their last checks. While
// an answer is on its way, more asks make one more afterwards, so a burst
// of changes costs two calls. The answer waits in p.ready as well as
// going through p.do, so that build, when it runs first, can take an
// answer that has already come without waiting for the UI queue.
func (p *consistencyPage) loadFolders() {
	if p.ready != nil {
		p.loadAgain = true
		return
	}
	ready := make(chan cnFolders, 1)
	p.ready = ready
	go func() {
		var a cnFolders
		_, a.err = p.s.engineCall(context.Background(), watch.OpList, struct{}{}, "", nil, &a.folders)
		if a.err == nil {
			_, a.err = p.s.engineCall(context.Background(), consistency.OpChecks, struct{}{}, "", nil, &a.checks)
		}
		ready <- a
		p.do(func() {
			if p.ready == ready {
				p.takeFolders()
			}
		})
	}()
}

// takeFolders applies the answer in flight if it has come.
func (p *consistencyPage) takeFolders() {
	if p.ready == nil {
		return
	}
	select {
	case a := <-p.ready:
		p.ready = nil
		p.gotFolders(a.folders, a.checks, a.err)
		if p.loadAgain {
			p.loadAgain = false
			p.loadFolders()
		}
	default:
	}
}

// gotFolders takes the engine's list of watched folders.
func (p *consistencyPage) gotFolders(folders []watch.FolderInfo, checks []consistency.CheckRecord, err error) {
	p.loaded, p.loadErr = true, err
	if err == nil {
		sort.Slice(folders, func(i, j int) bool { return folders[i].Path < folders[j].Path })
		p.folders = folders
		p.checks = map[string]consistency.CheckRecord{}
		for _, c := range checks {
			p.checks[c.Folder] = c
		}
		if _, ok := p.folderInfo(p.selected); !ok {
			p.selected = ""
		}
		if p.selected == "" && len(folders) > 0 {
			p.selected = folders[0].Path
		}
		for i, f := range folders {
			if f.Path == p.selected {
				p.list.Select(i)
			}
		}
	}
	p.refreshAll()
	if err == nil {
		p.showLastCompare()
	}
}

// loadRepos asks which repositories the home knows, for the dialogs.
func (p *consistencyPage) loadRepos() {
	p.reposAsked = time.Now()
	go func() {
		var repos []backup.RepoInfo
		_, err := p.s.engineCall(context.Background(), backup.OpRepos, struct{}{}, "", nil, &repos)
		if err != nil {
			return // the dialogs ask again when opened
		}
		sort.Slice(repos, func(i, j int) bool { return repos[i].Name < repos[j].Name })
		p.do(func() { p.repos = repos })
	}()
}

// addFolder starts watching a folder; done, when set, hears the outcome.
func (p *consistencyPage) addFolder(path string, done func(error)) {
	go func() {
		var info watch.FolderInfo
		_, err := p.s.engineCall(context.Background(), watch.OpAdd, watch.Args{Path: path}, "", nil, &info)
		p.do(func() {
			if err == nil {
				p.selected = info.Path
				p.loadFolders()
			}
			if done != nil {
				done(err)
			} else if err != nil {
				p.showError("Could not watch "+path, err)
			}
		})
	}()
}

// removeFolder stops watching a folder; its files are not touched.
func (p *consistencyPage) removeFolder(path string, done func(error)) {
	go func() {
		_, err := p.s.engineCall(context.Background(), watch.OpRemove, watch.Args{Path: path}, "", nil, nil)
		p.do(func() {
			if err == nil {
				delete(p.results, path)
				p.loadFolders()
			}
			if done != nil {
				done(err)
			} else if err != nil {
				p.showError("Could not stop watching "+path, err)
			}
		})
	}()
}

// cnRun is the one piece of work in flight.
type cnRun struct {
	folder string
	title  string
	cancel func()
}

// start runs work in a goroutine with progress shown under the result's
// title; done gets its outcome on the UI thread. Only one runs at a time.
func (p *consistencyPage) start(folder, title string, work func(ctx context.Context, sink control.Sink) error, done func(err error, cancelled bool)) bool {
	if p.run != nil {
		p.showError("Busy", fmt.Errorf("%s is still running; wait for it or cancel it first", p.run.title))
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &cnRun{folder: folder, title: title, cancel: cancel}
	p.run = r
	p.showProgress(control.Progress{Message: title + "…"})
	p.showResult()
	sink := bkSink(func(pr control.Progress) {
		p.do(func() {
			if p.run == r {
				p.showProgress(pr)
			}
		})
	})
	go func() {
		err := work(ctx, sink)
		cancelled := ctx.Err() != nil
		cancel()
		p.do(func() {
			if p.run == r {
				p.run = nil
			}
			p.hideProgress()
			if cancelled && err != nil {
				err = errors.New("cancelled")
			}
			done(err, cancelled)
			p.updateStatus()
		})
	}()
	p.updateStatus()
	return true
}

func (p *consistencyPage) cancelRun() {
	if p.run != nil {
		p.run.cancel()
		p.progressMsg.SetText("Cancelling…")
	}
}

// verify runs consistency.verify of folder against the latest snapshot of
// the repository that holds it, and shows the outcome.
func (p *consistencyPage) verify(folder, repoName string, deep bool) {
	args := consistency.VerifyArgs{RepoArgs: backup.RepoArgs{Repo: repoName}, Folder: folder, Deep: deep}
	pw := p.passwords[repoName]
	title := "Verifying " + folder + " against " + repoName
	if deep {
		title = "Reading every file of " + folder + " to verify it against " + repoName
	}
	var v consistency.VerifyResult
	var exit int
	p.selected = folder
	p.start(folder, title, func(ctx context.Context, sink control.Sink) error {
		var err error
		exit, err = p.s.engineCall(ctx, consistency.OpVerify, args, pw, sink, &v)
		return err
	}, func(err error, cancelled bool) {
		prev := p.results[folder]
		r := &cnResult{folder: folder, kind: "verify", repo: repoName, deep: deep, at: time.Now(), exit: exit, err: err}
		if err == nil {
			r.verify = &v
		}
		if prev != nil && prev.repair != nil && !prev.repairUndone {
			r.repair, r.repairUndone = prev.repair, prev.repairUndone // Undo stays at hand
		}
		p.results[folder] = r
		p.loadFolders()
		p.showResult()
	})
}

// compare runs consistency.compare of folder with other (a folder or
// snapshot:ID[:PATH] of repoName).
func (p *consistencyPage) compare(folder, other, repoName string) {
	args := consistency.CompareArgs{RepoArgs: backup.RepoArgs{Repo: repoName}, A: folder, B: other}
	pw := p.passwords[repoName]
	var rep consistency.Report
	var exit int
	p.selected = folder
	p.start(folder, "Comparing "+folder+" with "+cnOperand(other), func(ctx context.Context, sink control.Sink) error {
		var err error
		exit, err = p.s.engineCall(ctx, consistency.OpCompare, args, pw, sink, &rep)
		return err
	}, func(err error, cancelled bool) {
		r := &cnResult{folder: folder, kind: "compare", other: other, repo: repoName, at: time.Now(), exit: exit, err: err}
		if err == nil {
			r.compare = &rep
		}
		p.results[folder] = r
		p.loadFolders()
		p.showResult()
	})
}

// planRepair asks for a repair plan (nothing changes) in the background.
func (p *consistencyPage) planRepair(ctx context.Context, args consistency.RepairArgs, done func(consistency.RepairResult, error)) {
	args.Apply = false
	pw := p.passwords[args.Repo]
	go func() {
		var res consistency.RepairResult
		_, err := p.s.engineCall(ctx, consistency.OpRepair, args, pw, nil, &res)
		p.do(func() { done(res, err) })
	}()
}

// applyRepair carries a repair out, then verifies the folder again so the
// tree shows what is left.
func (p *consistencyPage) applyRepair(args consistency.RepairArgs, deep bool) {
	args.Apply = true
	pw := p.passwords[args.Repo]
	var res consistency.RepairResult
	p.start(args.Folder, "Repairing "+args.Folder, func(ctx context.Context, sink control.Sink) error {
		_, err := p.s.engineCall(ctx, consistency.OpRepair, args, pw, sink, &res)
		return err
	}, func(err error, cancelled bool) {
		r := p.results[args.Folder]
		if res.ID != "" && r != nil {
			r.repair, r.repairUndone = &res, false
		}
		p.trash.load()
		if err != nil {
			p.showError("The repair stopped", err)
		} else if res.Failed > 0 {
			p.showError("Some files could not be repaired", fmt.Errorf("%d of %d steps failed; the rest was done and can be undone. %s",
				res.Failed, len(res.Steps), cnFailedSteps(res.Steps)))
		}
		p.afterWatcher(args.Folder, func() {
			if p.run == nil {
				p.verify(args.Folder, args.Repo, deep)
			}
		})
	})
}

// cnSettle bounds how long a check after a repair waits for the watcher.
const cnSettle = 2 * time.Second

// afterWatcher runs fn once the watcher has seen the folder change, or
// after cnSettle at the latest: a verify right after a repair or an undo
// must not use the tree from before it.
func (p *consistencyPage) afterWatcher(folder string, fn func()) {
	if f, ok := p.folderInfo(folder); !ok || !f.Watching {
		fn() // not watched: a check reads the folder itself
		return
	}
	fired := false
	once := func() {
		if !fired {
			fired = true
			fn()
		}
	}
	p.waiters[folder] = append(p.waiters[folder], once)
	p.setStatus(statusBusy, "Waiting for the watcher to see the changes in "+folder+"…")
	time.AfterFunc(cnSettle, func() { p.do(once) })
}

// watcherChanged hears that a watched folder's tree changed.
func (p *consistencyPage) watcherChanged(folder string) {
	ws := p.waiters[folder]
	delete(p.waiters, folder)
	for _, w := range ws {
		w()
	}
	p.loadFolders()
}

// cnFailedSteps names the steps that failed.
func cnFailedSteps(steps []consistency.PlanStep) string {
	var out []string
	for _, st := range steps {
		if st.Error != "" {
			out = append(out, st.Path+": "+st.Error)
		}
	}
	return bkFirst(out, 3)
}

// undoRepair puts back everything a repair changed, then verifies again
// when the result came from a verify.
func (p *consistencyPage) undoRepair(id string, done func(consistency.UndoResult, error)) {
	go func() {
		var res consistency.UndoResult
		_, err := p.s.engineCall(context.Background(), consistency.OpRepairUndo, consistency.UndoArgs{ID: id}, "", nil, &res)
		p.do(func() {
			for _, r := range p.results {
				if r.repair != nil && r.repair.ID == id && err == nil {
					r.repairUndone = true
				}
			}
			p.trash.load()
			done(res, err)
		})
	}()
}
