package consistency

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
)

// IndexBucket is the bbolt bucket of the home's file index, shared with
// the watcher: one index for compare, verify and watched folders.
var IndexBucket = []byte("content.index")

// AlertSource is the source of the alerts verify raises.
const AlertSource = "consistency"

// Router is where the service registers its operations.
type Router interface {
	Handle(op string, h control.Handler)
}

// Service serves compare, verify, repair and the trash for one home.
type Service struct {
	// Index is the home's file index: unwatched folders are brought up
	// to date through it (every entry re-stat'ed, changed files read).
	Index *content.Index
	// Backup opens repositories for snapshot operands.
	Backup *backup.Service
	// Alerts, when set, hears of corrupt or missing files found by
	// verify (an error alert that a clean verify resolves).
	Alerts alerts.Raiser
	// Watched, when set, returns the current tree of a watched folder
	// (by absolute path), which is then used as it stands.
	Watched func(abs string) (*Live, bool)
	// TrashDir is HOME/trash.
	TrashDir string
	// Workers overrides the number of file readers (0: one per CPU).
	Workers int

	checks     *checkLog // the last check of each folder
	log        *slog.Logger
	progressMu sync.Mutex // serializes the progress of folders scanned at once
}

// NewService returns the consistency service of the home at homeDir,
// keeping its file index in db.
func NewService(db *bolt.DB, homeDir string, b *backup.Service, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.Default()
	}
	x, err := content.OpenIndex(db, IndexBucket)
	if err != nil {
		return nil, fmt.Errorf("consistency: %w", err)
	}
	checks, err := openCheckLog(db)
	if err != nil {
		return nil, err
	}
	return &Service{Index: x, Backup: b, TrashDir: filepath.Join(homeDir, "trash"), checks: checks, log: log}, nil
}

// Register adds the consistency operations to r.
func (s *Service) Register(r Router) {
	r.Handle(OpCompare, s.handleCompare)
	r.Handle(OpVerify, s.handleVerify)
	r.Handle(OpRepair, s.handleRepair)
	r.Handle(OpRepairUndo, s.handleRepairUndo)
	r.Handle(OpTrashList, s.handleTrashList)
	r.Handle(OpTrashRestore, s.handleTrashRestore)
	r.Handle(OpTrashEmpty, s.handleTrashEmpty)
	r.Handle(OpTrashShow, s.handleTrashShow)
	r.Handle(OpChecks, s.handleChecks)
}

// ScanFolder brings the index of the folder at abs up to date — every
// entry re-stat'ed, changed files read (all files with rehash) — and
// returns its tree.
func (s *Service) ScanFolder(ctx context.Context, abs string, rehash bool, progress func(content.ScanStats)) (*Live, content.ScanStats, error) {
	tree, st, err := content.Scan(ctx, abs, content.ScanOptions{Index: s.Index, Rehash: rehash, Workers: s.Workers, Progress: progress})
	if err != nil {
		return nil, st, err
	}
	problems := append([]content.PathError(nil), st.Errors...)
	for _, p := range st.Changed {
		problems = append(problems, content.PathError{Path: p, Err: errors.New("changed while it was read")})
	}
	return NewLive(tree, problems), st, nil
}

// folder returns the tree of the folder at abs: the watcher's, when it
// keeps one and rehash is off, else a fresh scan through the index.
func (s *Service) folder(ctx context.Context, c *control.Call, abs string, rehash bool) (*Live, content.ScanStats, error) {
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, content.ScanStats{}, fmt.Errorf("folder %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return nil, content.ScanStats{}, fmt.Errorf("folder %s: not a directory", abs)
	}
	if !rehash && s.Watched != nil {
		if l, ok := s.Watched(abs); ok {
			return l, content.ScanStats{}, nil
		}
	}
	verb := "indexing"
	if rehash {
		verb = "reading"
	}
	return s.ScanFolder(ctx, abs, rehash, func(st content.ScanStats) {
		s.progressMu.Lock() // the two sides of a compare are scanned at once
		defer s.progressMu.Unlock()
		c.Progress(control.Progress{
			Message: fmt.Sprintf("%s %s: %d files, %d read (%s)", verb, abs, st.Files, st.HashedFiles, backup.HumanBytes(st.HashedBytes)),
			Done:    int64(st.Files), Unit: "files",
		})
	})
}

// openRepo opens the repository named in args, once per call.
type repoOnce struct {
	s       *Service
	c       *control.Call
	args    backup.RepoArgs
	r       *repo.Repository
	release func()
}

func (o *repoOnce) get(ctx context.Context) (*repo.Repository, error) {
	if o.r != nil {
		return o.r, nil
	}
	if o.args.Repo == "" {
		return nil, control.Usagef("a snapshot operand needs --repo DIR|NAME")
	}
	if o.s.Backup == nil {
		return nil, errors.New("no backup service to open repositories with")
	}
	r, release, err := o.s.Backup.OpenRepo(ctx, o.c, o.args, false)
	if err != nil {
		return nil, err
	}
	o.r, o.release = r, release
	return r, nil
}

func (o *repoOnce) close() {
	if o.release != nil {
		o.release()
	}
}

// SnapshotRef is a parsed snapshot:ID[:PATH] operand.
type SnapshotRef struct {
	ID   string
	Path string // slash-separated inside the snapshot; "" for the default
}

// ParseSnapshotRef parses snapshot:ID[:PATH].
func ParseSnapshotRef(s string) (SnapshotRef, bool) {
	rest, ok := strings.CutPrefix(s, SnapshotPrefix)
	if !ok {
		return SnapshotRef{}, false
	}
	id, p, _ := strings.Cut(rest, ":")
	return SnapshotRef{ID: id, Path: strings.Trim(p, "/")}, true
}

// OpenSnapshotDir opens the directory ref names. Without a PATH, a
// snapshot of one folder means that folder; a snapshot of several means
// its root, whose entries are the folders.
func OpenSnapshotDir(ctx context.Context, r *repo.Repository, ref SnapshotRef) (*Snapshot, *repo.Snapshot, string, error) {
	if ref.ID == "" {
		return nil, nil, "", control.Usagef("snapshot operand without an ID (snapshot:ID[:PATH], ID may be latest)")
	}
	sn, err := backup.ResolveSnapshot(ctx, r, ref.ID)
	if err != nil {
		return nil, nil, "", err
	}
	p := ref.Path
	if p == "" && len(sn.Paths) == 1 {
		p = filepath.Base(sn.Paths[0])
	}
	h := sn.Tree
	if p != "" {
		for part := range strings.SplitSeq(p, "/") {
			if part == "" || part == "." || part == ".." {
				return nil, nil, "", control.Usagef("snapshot path %q: invalid", ref.Path)
			}
			t, err := backup.LoadTree(ctx, r, h)
			if err != nil {
				return nil, nil, "", err
			}
			n, ok := t.Find(part)
			if !ok {
				return nil, nil, "", fmt.Errorf("snapshot %s has no %s", sn.ID.Short(), p)
			}
			if n.Type != backup.NodeDir {
				return nil, nil, "", fmt.Errorf("snapshot %s: %s is a %s, not a directory", sn.ID.Short(), p, n.Type)
			}
			h = n.Subtree
		}
	}
	return NewSnapshot(r, h), sn, path.Clean("/" + p)[1:], nil
}

// operand resolves one side of a compare.
func (s *Service) operand(ctx context.Context, c *control.Call, spec string, ro *repoOnce, rep *Report) (Tree, string, error) {
	if ref, ok := ParseSnapshotRef(spec); ok {
		r, err := ro.get(ctx)
		if err != nil {
			return nil, "", err
		}
		t, sn, p, err := OpenSnapshotDir(ctx, r, ref)
		if err != nil {
			return nil, "", err
		}
		label := SnapshotPrefix + sn.ID.Short()
		if p != "" {
			label += ":" + p
		}
		return t, label, nil
	}
	if !filepath.IsAbs(spec) {
		return nil, "", control.Usagef("compare: %q is neither an absolute folder path nor snapshot:ID[:PATH]", spec)
	}
	l, st, err := s.folder(ctx, c, spec, false)
	if err != nil {
		return nil, "", err
	}
	rep.HashedFiles += st.HashedFiles
	rep.HashedBytes += st.HashedBytes
	return l, spec, nil
}

func (s *Service) handleCompare(ctx context.Context, c *control.Call) (any, error) {
	var args CompareArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.A == "" || args.B == "" {
		return nil, control.Usagef("compare: name two operands A and B (folders or snapshot:ID[:PATH])")
	}
	start := time.Now()
	ro := &repoOnce{s: s, c: c, args: args.RepoArgs}
	defer ro.close()
	var tmp Report
	a, la, b, lb, err := s.operands(ctx, c, args, ro, &tmp)
	if err != nil {
		return nil, err
	}
	rep, err := Compare(ctx, a, b, Options{ContentOnly: args.ContentOnly})
	if err != nil {
		return nil, err
	}
	rep.A, rep.B = la, lb
	rep.HashedFiles, rep.HashedBytes = tmp.HashedFiles, tmp.HashedBytes
	rep.DurationSeconds = time.Since(start).Seconds()
	s.recordCompare(rep)
	if !rep.Identical() {
		c.Found()
	}
	return rep, nil
}
