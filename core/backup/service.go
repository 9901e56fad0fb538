package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup/registry"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/store"
)

// kdfTarget is the single-core CPU time one password guess must cost.
const kdfTarget = 500 * time.Millisecond

// Router is where the service registers its operations (the engine's
// control router).
type Router interface {
	Handle(op string, h control.Handler)
}

// Service serves the backup operations of one home.
type Service struct {
	Registry *registry.Registry
	log      *slog.Logger
	// KDF is the key derivation cost for new repositories; zero
	// calibrates it on this machine (as restic does, to 0.5 s of CPU).
	// Tests lower it.
	KDF repo.KDFParams
	// Workers overrides the number of file readers (0: one per CPU).
	Workers int
	// Alerts, when set, hears of failed backups and failed checks (an
	// error alert that a later success resolves).
	Alerts alerts.Raiser
}

// raise reports a failure as an event alert; resolve ends it.
func (s *Service) raise(ctx context.Context, key string, sev alerts.Severity, msg string) {
	if s.Alerts == nil {
		return
	}
	if err := s.Alerts.Raise(ctx, alerts.Event{Source: "backup", Key: key, Severity: sev, Message: msg, Resolve: alerts.BySuccess}); err != nil {
		s.log.Warn("raise alert", "key", key, "err", err)
	}
}

func (s *Service) resolve(ctx context.Context, key, msg string) {
	if s.Alerts == nil {
		return
	}
	if err := s.Alerts.Resolve(ctx, "backup", key, msg); err != nil {
		s.log.Warn("resolve alert", "key", key, "err", err)
	}
}

// NewService returns the backup service of the home at homeDir.
func NewService(st *store.Store, homeDir string, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{Registry: registry.New(st, homeDir), log: log}
}

// Register adds the backup operations to r.
func (s *Service) Register(r Router) {
	r.Handle(OpInit, s.handleInit)
	r.Handle(OpRepos, s.handleRepos)
	r.Handle(OpForgetRepo, s.handleForgetRepo)
	r.Handle(OpBackup, s.handleBackup)
	r.Handle(OpSnapshots, s.handleSnapshots)
	r.Handle(OpLs, s.handleLs)
	r.Handle(OpDiff, s.handleDiff)
	r.Handle(OpRestore, s.handleRestore)
	r.Handle(OpForget, s.handleForget)
	r.Handle(OpCheck, s.handleCheck)
	r.Handle(OpKeyAdd, s.handleKeyAdd)
	r.Handle(OpKeyList, s.handleKeyList)
	r.Handle(OpKeyRemove, s.handleKeyRemove)
	r.Handle(OpStats, s.handleStats)
}

// password finds the repository's password: the one sent with the
// request, else the one remembered for it.
func (s *Service) password(c *control.Call, known registry.Repo) (string, error) {
	if pw, ok := c.Secret(SecretPassword); ok {
		if pw == "" {
			return "", errors.New("the password is empty")
		}
		return pw, nil
	}
	return s.Registry.Password(known)
}

// open resolves, unlocks and indexes a repository.
func (s *Service) open(ctx context.Context, c *control.Call, args RepoArgs) (*repo.Repository, registry.Repo, error) {
	if args.Repo == "" {
		return nil, registry.Repo{}, control.Usagef("no repository given (--repo DIR or NAME)")
	}
	known, err := s.Registry.Resolve(args.Repo, args.RepoAbs)
	if err != nil {
		return nil, known, err
	}
	pw, err := s.password(c, known)
	if err != nil {
		return nil, known, err
	}
	r, err := repo.Open(ctx, known.Path, pw)
	if err != nil {
		return nil, known, err
	}
	if err := r.LoadIndex(ctx); err != nil {
		return nil, known, fmt.Errorf("repository %s: %w", known.Path, err)
	}
	return r, known, nil
}

// openLocked opens a repository and takes a lease on it: shared for work
// that only adds or reads, exclusive for work that removes. Call release
// when done.
func (s *Service) openLocked(ctx context.Context, c *control.Call, args RepoArgs, exclusive bool) (r *repo.Repository, known registry.Repo, release func(), err error) {
	r, known, err = s.open(ctx, c, args)
	if err != nil {
		return nil, known, nil, err
	}
	lease, err := r.Lock(ctx, exclusive)
	if err != nil {
		return nil, known, nil, err
	}
	return r, known, func() { lease.Release() }, nil
}

func (s *Service) handleInit(ctx context.Context, c *control.Call) (any, error) {
	var args InitArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Repo == "" {
		return nil, control.Usagef("init: --repo DIR is required")
	}
	if args.Remember && args.Name == "" {
		return nil, control.Usagef("init: --remember needs --name")
	}
	if args.Name != "" {
		if err := registry.ValidateName(args.Name); err != nil {
			return nil, control.Usagef("init: %v", err)
		}
		if _, err := s.Registry.Get(args.Name); err == nil {
			return nil, fmt.Errorf("a repository named %q is already known", args.Name)
		}
	}
	pw, ok := c.Secret(SecretPassword)
	if !ok || pw == "" {
		return nil, errors.New("init: a password is needed (set HOLDFAST_PASSWORD or --password-file)")
	}
	dir := args.RepoAbs
	if dir == "" {
		var err error
		if dir, err = filepath.Abs(args.Repo); err != nil {
			return nil, err
		}
	}
	c.Progress(control.Progress{Message: "deriving the key and creating the repository"})
	kdf := s.KDF
	if kdf == (repo.KDFParams{}) {
		kdf = repo.CalibrateKDF(kdfTarget)
	}
	r, err := repo.Init(ctx, dir, pw, repo.InitOptions{Chunker: content.ParamsString(), KDF: kdf})
	if err != nil {
		return nil, err
	}
	res := InitResult{ID: r.Config().ID, Path: dir, Cipher: r.Config().Cipher}
	if args.Name != "" {
		if err := s.Registry.Add(registry.Repo{Name: args.Name, Path: dir, ID: res.ID}); err != nil {
			return nil, err
		}
		res.Name = args.Name
		if args.Remember {
			where, err := s.Registry.RememberPassword(args.Name, pw)
			if err != nil {
				return nil, err
			}
			res.Password = where
		}
	}
	return res, nil
}

func (s *Service) handleRepos(ctx context.Context, c *control.Call) (any, error) {
	all, err := s.Registry.List()
	if err != nil {
		return nil, err
	}
	out := make([]RepoInfo, 0, len(all))
	for _, r := range all {
		info := RepoInfo{Name: r.Name, Path: r.Path, ID: r.ID, Added: r.Added, Password: r.Password, CheckSound: r.LastCheckSound}
		if !r.LastCheck.IsZero() {
			t := r.LastCheck
			info.LastCheck = &t
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *Service) handleForgetRepo(ctx context.Context, c *control.Call) (any, error) {
	var args InitArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	return nil, s.Registry.Remove(args.Name)
}

func (s *Service) handleBackup(ctx context.Context, c *control.Call) (any, error) {
	var args BackupArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if len(args.Paths) == 0 {
		return nil, control.Usagef("backup: name at least one PATH")
	}
	for _, p := range args.Paths {
		if _, err := os.Lstat(p); err != nil {
			return nil, fmt.Errorf("backup: path %s does not exist", p)
		}
	}
	key := "backup:" + args.Repo + ":" + strings.Join(args.Paths, ",")
	what := fmt.Sprintf("Backup of %s into %s", strings.Join(args.Paths, ", "), args.Repo)
	sum, err := s.runBackup(ctx, c, args)
	switch {
	case err != nil && ctx.Err() == nil:
		s.raise(context.WithoutCancel(ctx), key, alerts.SeverityError, what+" failed: "+err.Error())
	case err == nil && len(sum.Errors) > 0:
		s.raise(ctx, key, alerts.SeverityWarning, fmt.Sprintf("%s left out %d unreadable files", what, len(sum.Errors)))
	case err == nil:
		s.resolve(ctx, key, what+" succeeded")
	}
	if err != nil {
		return nil, err
	}
	if len(sum.Errors) > 0 {
		c.Found()
	}
	return sum, nil
}

// runBackup opens the repository and backs the paths up.
func (s *Service) runBackup(ctx context.Context, c *control.Call, args BackupArgs) (BackupSummary, error) {
	// Walk the folders while the repository's key is derived.
	type scanResult struct {
		sc  *Scanned
		err error
	}
	scanned := make(chan scanResult, 1)
	go func() {
		sc, err := Scan(ctx, args, BackupOptions{Workers: s.Workers, Progress: progressTo(c, "backup")})
		scanned <- scanResult{sc, err}
	}()
	r, _, err := s.open(ctx, c, args.RepoArgs)
	scan := <-scanned
	if err != nil {
		return BackupSummary{}, err
	}
	if scan.err != nil {
		return BackupSummary{}, scan.err
	}
	lease, err := r.Lock(ctx, false)
	if err != nil {
		return BackupSummary{}, err
	}
	defer lease.Release()
	return scan.sc.Run(ctx, r)
}

// progressTo streams backup or restore progress to the caller.
func progressTo(c *control.Call, what string) func(Progress) {
	return func(p Progress) {
		pct := 0.0
		if p.BytesTotal > 0 {
			pct = 100 * float64(p.Bytes) / float64(p.BytesTotal)
		}
		rate := 0.0
		if s := p.Elapsed.Seconds(); s > 0 {
			rate = float64(p.Bytes) / s
		}
		eta := 0.0
		if rate > 0 && p.BytesTotal > p.Bytes {
			eta = float64(p.BytesTotal-p.Bytes) / rate
		}
		c.Progress(control.Progress{
			Message: fmt.Sprintf("%s: %d/%d files, %s/%s, %s/s, ETA %s", what, p.Files, p.FilesTotal,
				HumanBytes(p.Bytes), HumanBytes(p.BytesTotal), HumanBytes(int64(rate)), (time.Duration(eta * float64(time.Second))).Round(time.Second).String()),
			Done: p.Bytes, Total: p.BytesTotal, Unit: "bytes", Percent: pct,
			Counters: []control.Counter{{Name: "files", Value: p.Files, Total: p.FilesTotal, Unit: "files"},
				{Name: "bytes", Value: p.Bytes, Total: p.BytesTotal, Unit: "bytes"}},
		})
	}
}

// HumanBytes formats a byte count in binary units.
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func snapshotInfo(sn *repo.Snapshot) SnapshotInfo {
	info := SnapshotInfo{ID: sn.ID.String(), ShortID: sn.ID.Short(), Time: sn.Time, Hostname: sn.Hostname, Username: sn.Username,
		Paths: sn.Paths, Tags: sn.Tags, Parent: sn.Parent}
	if info.Tags == nil {
		info.Tags = []string{}
	}
	if sn.Summary != nil {
		info.Files, info.Bytes, info.DataAdded = sn.Summary.TotalFiles, sn.Summary.TotalBytes, sn.Summary.DataAdded
		info.DurationSeconds = sn.Summary.Duration.Seconds()
	}
	return info
}

func (s *Service) handleSnapshots(ctx context.Context, c *control.Call) (any, error) {
	var args SnapshotsArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	r, _, err := s.open(ctx, c, args.RepoArgs)
	if err != nil {
		return nil, err
	}
	snaps, err := r.ListSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SnapshotInfo, 0, len(snaps))
	for _, sn := range snaps {
		out = append(out, snapshotInfo(sn))
	}
	return out, nil
}

func (s *Service) handleRestore(ctx context.Context, c *control.Call) (any, error) {
	var args RestoreArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Snapshot == "" || args.Target == "" {
		return nil, control.Usagef("restore: name a SNAPSHOT (or latest) and --target DIR")
	}
	r, _, release, err := s.openLocked(ctx, c, args.RepoArgs, false)
	if err != nil {
		return nil, err
	}
	defer release()
	sum, err := Restore(ctx, r, args, RestoreOptions{Workers: s.Workers, Progress: progressTo(c, "restore")})
	if err != nil {
		return nil, err
	}
	if len(sum.Errors) > 0 || len(sum.Conflicts) > 0 {
		c.Found()
	}
	return sum, nil
}

func (s *Service) handleKeyAdd(ctx context.Context, c *control.Call) (any, error) {
	var args KeyArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	newPW, ok := c.Secret(SecretNewPassword)
	if !ok || newPW == "" {
		return nil, errors.New("key add: the new password is needed (HOLDFAST_NEW_PASSWORD or --new-password-file)")
	}
	r, _, err := s.open(ctx, c, args.RepoArgs)
	if err != nil {
		return nil, err
	}
	id, err := r.AddKey(ctx, newPW)
	if err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

func (s *Service) handleKeyList(ctx context.Context, c *control.Call) (any, error) {
	var args KeyArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	r, _, err := s.open(ctx, c, args.RepoArgs)
	if err != nil {
		return nil, err
	}
	keys, err := r.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(keys))
	for _, k := range keys {
		out = append(out, KeyInfo{ID: k.ID, Current: k.ID == r.KeyID(), Hostname: k.Hostname, Username: k.Username, Created: k.Created})
	}
	return out, nil
}

func (s *Service) handleKeyRemove(ctx context.Context, c *control.Call) (any, error) {
	var args KeyArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.KeyID == "" {
		return nil, control.Usagef("key remove: name the KEY-ID to remove")
	}
	r, _, release, err := s.openLocked(ctx, c, args.RepoArgs, true)
	if err != nil {
		return nil, err
	}
	defer release()
	return nil, r.RemoveKey(ctx, args.KeyID)
}

func (s *Service) handleStats(ctx context.Context, c *control.Call) (any, error) {
	var args RepoArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	r, known, err := s.open(ctx, c, args)
	if err != nil {
		return nil, err
	}
	st := RepoStats{Path: known.Path}
	packs, err := r.ListPacks(ctx)
	if err != nil {
		return nil, err
	}
	st.Packs = len(packs)
	err = filepath.WalkDir(known.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				st.SizeBytes += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("size of %s: %w", known.Path, err)
	}
	snaps, err := r.ListSnapshots(ctx)
	if err != nil {
		return nil, err
	}
	st.Snapshots = len(snaps)
	for _, sn := range snaps {
		if sn.Summary != nil {
			st.LogicalBytes += sn.Summary.TotalBytes
		}
	}
	if n := len(snaps); n > 0 {
		t := snaps[n-1].Time
		st.LastBackup = &t
	}
	if st.SizeBytes > 0 {
		st.DedupRatio = float64(st.LogicalBytes) / float64(st.SizeBytes)
	}
	if !known.LastCheck.IsZero() {
		t := known.LastCheck
		st.LastCheck, st.CheckSound, st.CheckRead = &t, known.LastCheckSound, known.LastCheckRead
	}
	return st, nil
}
