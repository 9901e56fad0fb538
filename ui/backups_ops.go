package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

// The Backups page talks to the engine only through these calls. Each
// one blocks, so it runs in a goroutine; its answer comes back to the UI
// thread through p.do. Nothing here touches a widget.

// bkSink hands progress to a function; log lines are not shown.
type bkSink func(control.Progress)

func (f bkSink) Progress(pr control.Progress) { f(pr) }
func (f bkSink) Log(string)                   {}

// reposAnswer is the engine's answer to backup.repos.
type reposAnswer struct {
	repos []backup.RepoInfo
	err   error
}

// loadRepos asks the engine which repositories the home knows. The
// answer waits in p.reposReady as well as going through p.do, so that
// build, when it runs first, can take an answer that has already come
// without waiting for the UI queue (it never waits for the engine).
func (p *backupsPage) loadRepos() {
	p.reposAsked = time.Now()
	ready := make(chan reposAnswer, 1)
	p.reposReady = ready
	go func() {
		var a reposAnswer
		_, a.err = p.s.engineCall(context.Background(), backup.OpRepos, struct{}{}, "", nil, &a.repos)
		ready <- a
		p.do(func() {
			if p.reposReady == ready {
				p.takeRepos()
			}
		})
	}()
}

// takeRepos applies the latest answer to backup.repos if it has come
// and was not applied yet.
func (p *backupsPage) takeRepos() {
	if p.reposReady == nil {
		return
	}
	select {
	case a := <-p.reposReady:
		p.reposReady = nil
		p.gotRepos(a.repos, a.err)
	default:
	}
}

// loadSnapshots opens a repository and lists its snapshots, with the
// password typed this session or, failing that, the remembered one.
// then, when set, runs on the UI thread after a successful answer.
func (p *backupsPage) loadSnapshots(name string, then func()) {
	st := p.stat(name)
	if p.locked(name) {
		st.state, st.err = repoLocked, ""
		p.refreshRepos()
		return
	}
	st.gen++
	gen := st.gen
	st.state = repoLoading
	p.refreshRepos()
	pw := p.passwords[name]
	go func() {
		var snaps []backup.SnapshotInfo
		_, err := p.s.engineCall(context.Background(), backup.OpSnapshots, backup.SnapshotsArgs{RepoArgs: backup.RepoArgs{Repo: name}}, pw, nil, &snaps)
		p.do(func() {
			if p.stat(name).gen != gen {
				return // a newer answer is on its way
			}
			p.gotSnapshots(name, snaps, err)
			if err == nil && then != nil {
				then()
			}
		})
	}()
}

// unlock tries a typed password by listing the repository's snapshots
// with it; only a password that opens the repository is kept, in memory,
// for this session.
func (p *backupsPage) unlock(name, password string, then func()) {
	st := p.stat(name)
	st.gen++
	gen := st.gen
	st.state = repoLoading
	p.refreshRepos()
	go func() {
		var snaps []backup.SnapshotInfo
		_, err := p.s.engineCall(context.Background(), backup.OpSnapshots, backup.SnapshotsArgs{RepoArgs: backup.RepoArgs{Repo: name}}, password, nil, &snaps)
		p.do(func() {
			if p.stat(name).gen != gen {
				return
			}
			if err != nil {
				if p.locked(name) {
					st.state = repoLocked
				}
				p.refreshRepos()
				p.showError("Could not open "+name, err)
				return
			}
			p.passwords[name] = password
			p.gotSnapshots(name, snaps, nil)
			if then != nil {
				then()
			}
		})
	}()
}

// addRepository creates a repository with backup.init and makes the home
// know it by name. done, when set, gets the engine's error (nil on
// success) on the UI thread; without it an error is shown in a dialog.
func (p *backupsPage) addRepository(dir, name, password string, remember bool, done func(error)) {
	dir = bkExpandHome(strings.TrimSpace(dir))
	name = strings.TrimSpace(name)
	abs, err := filepath.Abs(dir)
	if dir == "" || err != nil {
		abs = ""
	}
	p.setStatus(statusBusy, "Creating the repository "+name+"…")
	go func() {
		args := backup.InitArgs{RepoArgs: backup.RepoArgs{Repo: dir, RepoAbs: abs}, Name: name, Remember: remember}
		var res backup.InitResult
		_, err := p.s.engineCall(context.Background(), backup.OpInit, args, password, nil, &res)
		p.do(func() {
			if err == nil {
				// Kept for this session, so a password that is not
				// remembered need not be typed again right away.
				p.passwords[name] = password
				p.pendingSelect = name
				p.loadRepos()
			}
			p.updateStatus()
			if done != nil {
				done(err)
			} else if err != nil {
				p.showError("Could not create the repository", err)
			}
		})
	}()
}

// startBackup runs backup.run of folder into the named repository, with
// live progress; Cancel stops it through its context.
func (p *backupsPage) startBackup(folder, repoName string) {
	if p.backupCancel != nil {
		return
	}
	folder = bkExpandHome(strings.TrimSpace(folder))
	if folder == "" {
		p.showError("Nothing to back up", errors.New("choose the folder to back up first"))
		return
	}
	if !filepath.IsAbs(folder) {
		abs, err := filepath.Abs(folder)
		if err != nil {
			p.showError("Nothing to back up", err)
			return
		}
		folder = abs
	}
	if repoName == "" {
		p.showError("Nowhere to back up to", errors.New("choose the repository to back up into"))
		return
	}
	if p.locked(repoName) {
		p.askPassword(repoName, func() { p.startBackup(folder, repoName) })
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.backupCancel = cancel
	p.backupGen++
	gen := p.backupGen
	p.lastRun = nil
	p.backupStarted(folder, repoName)
	sink := bkSink(func(pr control.Progress) {
		p.do(func() {
			if gen == p.backupGen && p.backupCancel != nil {
				p.backupProgress(pr)
			}
		})
	})
	pw := p.passwords[repoName]
	go func() {
		args := backup.BackupArgs{RepoArgs: backup.RepoArgs{Repo: repoName}, Paths: []string{folder}}
		var sum backup.BackupSummary
		exit, err := p.s.engineCall(ctx, backup.OpBackup, args, pw, sink, &sum)
		cancelled := ctx.Err() != nil
		cancel()
		p.do(func() {
			if gen != p.backupGen {
				return
			}
			p.backupCancel = nil
			p.backupFinished(bkRun{folder: folder, repo: repoName, at: time.Now(), sum: sum, exit: exit, err: err, cancelled: cancelled})
		})
	}()
}

// cancelBackup stops the running backup; nothing is saved.
func (p *backupsPage) cancelBackup() {
	if p.backupCancel != nil {
		p.backupCancel()
		p.progressText.SetText("Cancelling…")
	}
}

// startRestore runs backup.restore; progress and the outcome come back on
// the UI thread.
func (p *backupsPage) startRestore(ctx context.Context, repoName string, args backup.RestoreArgs, progress func(control.Progress), done func(backup.RestoreSummary, int, error)) {
	args.RepoArgs = backup.RepoArgs{Repo: repoName}
	pw := p.passwords[repoName]
	var finished bool // UI thread only
	sink := bkSink(func(pr control.Progress) {
		p.do(func() {
			if !finished {
				progress(pr)
			}
		})
	})
	go func() {
		var sum backup.RestoreSummary
		exit, err := p.s.engineCall(ctx, backup.OpRestore, args, pw, sink, &sum)
		if err != nil && ctx.Err() != nil {
			err = errors.New("the restore was cancelled; files already written were kept")
		}
		p.do(func() {
			finished = true
			done(sum, exit, err)
		})
	}()
}

// loadHealth asks backup.stats for a repository's size on disk, its
// deduplication and its last check, for its row.
func (p *backupsPage) loadHealth(name string) {
	if p.locked(name) {
		return
	}
	st := p.stat(name)
	st.healthGen++
	gen := st.healthGen
	pw := p.passwords[name]
	go func() {
		var h backup.RepoStats
		_, err := p.s.engineCall(context.Background(), backup.OpStats, backup.RepoArgs{Repo: name}, pw, nil, &h)
		p.do(func() {
			if p.stats[name] != st || st.healthGen != gen {
				return // forgotten, or a newer answer is on its way
			}
			if err != nil {
				st.healthErr = err.Error()
			} else {
				st.health, st.healthErr = &h, ""
			}
			p.refreshRepos()
		})
	}()
}

// startCheck runs backup.check, reading every pack back when readData is
// set; progress and the outcome come back on the UI thread, and the
// repository's health is asked again afterwards, since the engine
// records the outcome.
func (p *backupsPage) startCheck(ctx context.Context, repoName string, readData bool, progress func(control.Progress), done func(backup.CheckResult, int, error)) {
	args := backup.CheckArgs{RepoArgs: backup.RepoArgs{Repo: repoName}, ReadData: readData}
	pw := p.passwords[repoName]
	var finished bool // UI thread only
	sink := bkSink(func(pr control.Progress) {
		p.do(func() {
			if !finished {
				progress(pr)
			}
		})
	})
	go func() {
		var res backup.CheckResult
		exit, err := p.s.engineCall(ctx, backup.OpCheck, args, pw, sink, &res)
		if err != nil && ctx.Err() != nil {
			err = errors.New("the check was cancelled before it finished")
		}
		p.do(func() {
			finished = true
			done(res, exit, err)
			p.loadHealth(repoName)
		})
	}()
}

// loadDir lists one directory of the snapshot being browsed.
func (p *backupsPage) loadDir(dir string) {
	if p.loading[dir] || p.browse.ID == "" {
		return
	}
	p.loading[dir] = true
	gen, repoName, snap, pw := p.browseGen, p.selected, p.browse.ID, p.passwords[p.selected]
	go func() {
		var res backup.LsResult
		_, err := p.s.engineCall(context.Background(), backup.OpLs, backup.LsArgs{RepoArgs: backup.RepoArgs{Repo: repoName}, Snapshot: snap, Path: dir}, pw, nil, &res)
		p.do(func() {
			if gen != p.browseGen {
				return // another snapshot is shown now
			}
			delete(p.loading, dir)
			p.gotDir(dir, res.Entries, err)
		})
	}()
}

// bkSortEntries puts directories first, then names in order.
func bkSortEntries(entries []backup.Entry) {
	sort.SliceStable(entries, func(i, j int) bool {
		di, dj := entries[i].Type == "dir", entries[j].Type == "dir"
		if di != dj {
			return di
		}
		return strings.ToLower(entries[i].Path) < strings.ToLower(entries[j].Path)
	})
}

// bkExpandHome turns a leading ~ into the user's home directory.
func bkExpandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}

// bkIncludePattern is the restore include pattern that selects exactly
// one path of a snapshot: glob characters in names are escaped.
func bkIncludePattern(rel string) string {
	var b strings.Builder
	for _, r := range rel {
		switch r {
		case '*', '?', '[', '\\':
			b.WriteRune('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
