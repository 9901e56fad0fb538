package consistency

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/control"
)

// VerifyArgs are the arguments of `holdfast verify`.
type VerifyArgs struct {
	backup.RepoArgs
	// Folder is the absolute path of the folder to verify.
	Folder string `json:"folder"`
	// Snapshot, if set, is the snapshot to verify against (an ID, a
	// prefix or latest) instead of the latest one of the folder.
	Snapshot string `json:"snapshot,omitempty"`
	// Deep reads every file; otherwise only files whose size, times,
	// inode or device changed since they were last indexed are read.
	Deep bool `json:"deep,omitempty"`
}

// VerifyCounts summarise a verify.
type VerifyCounts struct {
	Entries   int `json:"entries"`
	Identical int `json:"identical"`
	Changed   int `json:"changed"`
	Corrupt   int `json:"corrupt"`
	Missing   int `json:"missing"`
	New       int `json:"new"`
	Metadata  int `json:"metadata"`
	Errors    int `json:"errors"`
}

// VerifyResult classifies how a folder differs from its snapshot:
// Changed was edited since the backup (size or mtime differ), Corrupt
// differs in content while size and mtime match the snapshot (silent
// corruption), Missing is in the snapshot and not in the folder, New in
// the folder and not in the snapshot; Metadata differs in mode only.
type VerifyResult struct {
	Folder       string        `json:"folder"`
	Snapshot     string        `json:"snapshot"`
	SnapshotTime time.Time     `json:"snapshot_time"`
	SnapshotPath string        `json:"snapshot_path"`
	Deep         bool          `json:"deep"`
	Changed      []Entry       `json:"changed"`
	Corrupt      []Entry       `json:"corrupt"`
	Missing      []Entry       `json:"missing"`
	New          []Entry       `json:"new"`
	Metadata     []Entry       `json:"metadata"`
	Errors       []PathProblem `json:"errors"`
	Counts       VerifyCounts  `json:"counts"`
	Score        float64       `json:"score"`
	HashedFiles  int           `json:"hashed_files"`
	HashedBytes  int64         `json:"hashed_bytes"`
	// DurationSeconds is the whole verify, the repository's unlocking
	// included.
	DurationSeconds float64 `json:"duration_seconds"`
}

// Problems reports whether anything is corrupt, missing or unreadable:
// what makes verify exit 3.
func (v *VerifyResult) Problems() bool {
	return len(v.Corrupt)+len(v.Missing)+len(v.Errors) > 0
}

// FindSnapshot returns the newest snapshot that holds the folder at abs
// (backed up itself or inside a backed-up folder), preferring this
// machine's, and the folder's path inside it.
func FindSnapshot(ctx context.Context, r *repo.Repository, abs string) (*repo.Snapshot, string, error) {
	snaps, err := r.ListSnapshots(ctx)
	if err != nil {
		return nil, "", err
	}
	host, _ := os.Hostname()
	for _, sameHost := range []bool{true, false} {
		for i := len(snaps) - 1; i >= 0; i-- {
			sn := snaps[i]
			if (sn.Hostname == host) != sameHost {
				continue
			}
			if p, ok := pathInSnapshot(sn, abs); ok {
				return sn, p, nil
			}
		}
	}
	return nil, "", fmt.Errorf("no snapshot in %s holds %s", r.Dir(), abs)
}

// pathInSnapshot maps abs to its path inside sn.
func pathInSnapshot(sn *repo.Snapshot, abs string) (string, bool) {
	for _, p := range sn.Paths {
		if abs == p {
			return filepath.Base(p), true
		}
		if rel, err := filepath.Rel(p, abs); err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
			return filepath.Base(p) + "/" + filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// Verify compares a folder's tree with its snapshot's and classifies the
// differences.
func Verify(ctx context.Context, folder Tree, snap Tree) (*VerifyResult, error) {
	rep, err := Compare(ctx, snap, folder, Options{ContentOnly: true})
	if err != nil {
		return nil, err
	}
	v := &VerifyResult{Missing: rep.Missing, New: rep.Extra, Metadata: rep.Metadata, Errors: rep.Errors,
		Changed: []Entry{}, Corrupt: []Entry{}}
	for i := range v.Errors {
		v.Errors[i].Side = "folder" // b: the folder; a snapshot reports none
	}
	for _, e := range rep.Modified {
		if e.Type == "file" && e.A != nil && e.B != nil && e.A.Type == e.B.Type && e.A.Size == e.B.Size && e.A.ModTime.Equal(e.B.ModTime) {
			v.Corrupt = append(v.Corrupt, e)
		} else {
			v.Changed = append(v.Changed, e)
		}
	}
	v.Counts = VerifyCounts{Entries: rep.Counts.Entries, Identical: rep.Counts.Identical, Changed: len(v.Changed), Corrupt: len(v.Corrupt),
		Missing: len(v.Missing), New: len(v.New), Metadata: len(v.Metadata), Errors: len(v.Errors)}
	v.Score = rep.Score
	return v, nil
}

func (s *Service) handleVerify(ctx context.Context, c *control.Call) (any, error) {
	var args VerifyArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Folder == "" || !filepath.IsAbs(args.Folder) {
		return nil, control.Usagef("verify: name the FOLDER to verify (absolute path)")
	}
	start := time.Now()
	ro := &repoOnce{s: s, c: c, args: args.RepoArgs}
	defer ro.close()
	v, err := s.verify(ctx, c, ro, args)
	key := "verify:" + args.Folder
	switch {
	case err != nil:
		return nil, err
	case len(v.Corrupt)+len(v.Missing) > 0:
		s.raise(ctx, key, fmt.Sprintf("%s: %d corrupt and %d missing files since snapshot %s", args.Folder, len(v.Corrupt), len(v.Missing), short(v.Snapshot)))
	default:
		s.resolve(ctx, key, fmt.Sprintf("%s verified against snapshot %s: nothing corrupt or missing", args.Folder, short(v.Snapshot)))
	}
	v.DurationSeconds = time.Since(start).Seconds()
	s.recordVerify(args, v)
	if v.Problems() {
		c.Found()
	}
	return v, nil
}

// verify runs one verify: the folder's tree (read again with Deep) and
// the snapshot's, compared.
func (s *Service) verify(ctx context.Context, c *control.Call, ro *repoOnce, args VerifyArgs) (*VerifyResult, error) {
	// Index the folder while the repository's key is derived.
	type scanned struct {
		l   *Live
		st  scanStats
		err error
	}
	ch := make(chan scanned, 1)
	go func() {
		l, st, err := s.folder(ctx, c, args.Folder, args.Deep)
		ch <- scanned{l, scanStats{st.HashedFiles, st.HashedBytes}, err}
	}()
	r, err := ro.get(ctx)
	sc := <-ch
	if err != nil {
		return nil, err
	}
	if sc.err != nil {
		return nil, sc.err
	}
	var sn *repo.Snapshot
	var p string
	if args.Snapshot != "" {
		if sn, err = backup.ResolveSnapshot(ctx, r, args.Snapshot); err != nil {
			return nil, err
		}
		var ok bool
		if p, ok = pathInSnapshot(sn, args.Folder); !ok {
			return nil, fmt.Errorf("snapshot %s does not hold %s", sn.ID.Short(), args.Folder)
		}
	} else if sn, p, err = FindSnapshot(ctx, r, args.Folder); err != nil {
		return nil, err
	}
	snap, _, _, err := OpenSnapshotDir(ctx, r, SnapshotRef{ID: sn.ID.String(), Path: p})
	if err != nil {
		return nil, err
	}
	v, err := Verify(ctx, sc.l, snap)
	if err != nil {
		return nil, err
	}
	v.Folder, v.Snapshot, v.SnapshotTime, v.SnapshotPath, v.Deep = args.Folder, sn.ID.String(), sn.Time, p, args.Deep
	v.HashedFiles, v.HashedBytes = sc.st.files, sc.st.bytes
	return v, nil
}

type scanStats struct {
	files int
	bytes int64
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// raise reports corrupt or missing files as an event alert; resolve ends it.
func (s *Service) raise(ctx context.Context, key, msg string) {
	if s.Alerts == nil {
		return
	}
	ev := alerts.Event{Source: AlertSource, Key: key, Severity: alerts.SeverityError, Message: msg, Resolve: alerts.BySuccess}
	if err := s.Alerts.Raise(context.WithoutCancel(ctx), ev); err != nil {
		s.log.Warn("raise alert", "key", key, "err", err)
	}
}

func (s *Service) resolve(ctx context.Context, key, msg string) {
	if s.Alerts == nil {
		return
	}
	if err := s.Alerts.Resolve(context.WithoutCancel(ctx), AlertSource, key, msg); err != nil {
		s.log.Warn("resolve alert", "key", key, "err", err)
	}
}
