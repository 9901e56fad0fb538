package consistency

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zeebo/blake3"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
)

// RepairArgs are the arguments of `holdfast repair`.
type RepairArgs struct {
	backup.RepoArgs
	Folder string `json:"folder"`
	// From is the snapshot to repair from (ID, prefix or latest); by
	// default the folder's latest.
	From string `json:"from,omitempty"`
	// Missing also restores missing entries; All makes the folder equal
	// to the snapshot: changed files are restored, new ones moved aside,
	// modes put back.
	Missing bool `json:"missing,omitempty"`
	All     bool `json:"all,omitempty"`
	// Deep reads every file to find what is corrupt (see VerifyArgs).
	Deep bool `json:"deep,omitempty"`
	// Apply carries the plan out; without it nothing changes.
	Apply bool `json:"apply,omitempty"`
}

// PlanStep is one thing a repair does or would do.
type PlanStep struct {
	Path    string `json:"path"`
	PathB64 string `json:"path_b64,omitempty"`
	Type    string `json:"type"`
	// Class is verify's: corrupt, missing, changed, new, metadata.
	Class string `json:"class"`
	// Action: "restore" (written from the snapshot; an existing file
	// goes to the trash first), "move-aside" (into the trash), "chmod".
	Action string `json:"action"`
	Done   bool   `json:"done,omitempty"`
	Error  string `json:"error,omitempty"`
}

// RepairResult is the plan, and what became of it when applied.
type RepairResult struct {
	ID       string     `json:"id,omitempty"` // set when applied
	Folder   string     `json:"folder"`
	Snapshot string     `json:"snapshot"`
	Applied  bool       `json:"applied"`
	Steps    []PlanStep `json:"steps"`
	Trash    string     `json:"trash,omitempty"`
	// Skipped counts differences the options left alone.
	Skipped         int     `json:"skipped"`
	Failed          int     `json:"failed"`
	DurationSeconds float64 `json:"duration_seconds"`
}

func decodeB64OrEmpty(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return ""
	}
	return string(b)
}

func rawPath(e Entry) string {
	if e.PathB64 != "" {
		return decodeB64OrEmpty(e.PathB64)
	}
	return e.Path
}

// Plan turns a verify into repair steps, parents before children.
func Plan(v *VerifyResult, missing, all bool) ([]PlanStep, int) {
	var steps []PlanStep
	skipped := 0
	add := func(e Entry, class, action string) {
		steps = append(steps, PlanStep{Path: e.Path, PathB64: e.PathB64, Type: e.Type, Class: class, Action: action})
	}
	var aside []string // moved-aside directories: what is below goes with them
	below := func(p string) bool {
		for _, d := range aside {
			if strings.HasPrefix(p, d+"/") {
				return true
			}
		}
		return false
	}
	if all {
		for _, e := range v.Changed {
			if e.A != nil && e.B != nil && e.A.Type != e.B.Type {
				add(e, "changed", "move-aside") // the other type goes first
				if e.B.Type == "dir" {
					aside = append(aside, rawPath(e))
				}
			}
		}
		for _, e := range v.New {
			if below(rawPath(e)) {
				continue
			}
			add(e, "new", "move-aside")
			if e.Type == "dir" {
				aside = append(aside, rawPath(e))
			}
		}
	} else {
		skipped += len(v.New)
	}
	for _, e := range v.Corrupt {
		add(e, "corrupt", "restore")
	}
	if missing || all {
		for _, e := range v.Missing {
			add(e, "missing", "restore")
		}
	} else {
		skipped += len(v.Missing)
	}
	if all {
		for _, e := range v.Changed {
			st := PlanStep{Path: e.Path, PathB64: e.PathB64, Type: e.Type, Class: "changed", Action: "restore"}
			if e.A != nil {
				st.Type = e.A.Type
			}
			steps = append(steps, st)
		}
		for _, e := range v.Metadata {
			add(e, "metadata", "chmod")
		}
	} else {
		skipped += len(v.Changed) + len(v.Metadata)
	}
	return steps, skipped
}

func newRepairID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

func (s *Service) handleRepair(ctx context.Context, c *control.Call) (any, error) {
	var args RepairArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Folder == "" || !filepath.IsAbs(args.Folder) {
		return nil, control.Usagef("repair: name the FOLDER to repair (absolute path)")
	}
	start := time.Now()
	ro := &repoOnce{s: s, c: c, args: args.RepoArgs}
	defer ro.close()
	v, err := s.verify(ctx, c, ro, VerifyArgs{RepoArgs: args.RepoArgs, Folder: args.Folder, Snapshot: args.From, Deep: args.Deep})
	if err != nil {
		return nil, err
	}
	res := &RepairResult{Folder: args.Folder, Snapshot: v.Snapshot}
	res.Steps, res.Skipped = Plan(v, args.Missing, args.All)
	if res.Steps == nil {
		res.Steps = []PlanStep{}
	}
	if !args.Apply || len(res.Steps) == 0 {
		res.DurationSeconds = time.Since(start).Seconds()
		return res, nil
	}
	r, err := ro.get(ctx)
	if err != nil {
		return nil, err
	}
	snap, _, _, err := OpenSnapshotDir(ctx, r, SnapshotRef{ID: v.Snapshot, Path: v.SnapshotPath})
	if err != nil {
		return nil, err
	}
	m := &Manifest{ID: newRepairID(time.Now()), Time: time.Now().UTC(), Folder: args.Folder, Snapshot: v.Snapshot}
	res.ID, res.Applied, res.Trash = m.ID, true, s.trashRoot(m.ID)
	err = s.apply(ctx, c, r, snap, m, res)
	if serr := s.saveManifest(m); serr != nil && err == nil {
		err = serr
	}
	res.DurationSeconds = time.Since(start).Seconds()
	if err != nil {
		return nil, fmt.Errorf("repair %s (stopped; what was done is recorded and can be undone): %w", m.ID, err)
	}
	return res, nil
}

// apply carries the steps out; a step that fails is recorded and the
// others go on, unless the trash cannot be written.
func (s *Service) apply(ctx context.Context, c *control.Call, r *repo.Repository, snap *Snapshot, m *Manifest, res *RepairResult) error {
	loader := r.NewBlobLoader()
	defer loader.Close()
	for i := range res.Steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		st := &res.Steps[i]
		rel := st.Path
		if st.PathB64 != "" {
			rel = decodeB64OrEmpty(st.PathB64)
		}
		c.Progress(control.Progress{Message: fmt.Sprintf("repair: %s %s", st.Action, st.Path), Done: int64(i), Total: int64(len(res.Steps)), Unit: "steps"})
		item, err := s.applyStep(ctx, loader, snap, m.ID, m.Folder, rel, st)
		if item != nil {
			item.Path, item.PathB64 = showPath(rel)
			m.Items = append(m.Items, *item)
		}
		if err != nil {
			st.Error = err.Error()
			res.Failed++
			var fatal *trashError
			if errors.As(err, &fatal) {
				return err
			}
			continue
		}
		st.Done = true
	}
	return nil
}

// trashError is a failure to put something into the trash: the repair
// stops, since going on would lose bytes.
type trashError struct{ err error }

func (e *trashError) Error() string { return "trash: " + e.err.Error() }
func (e *trashError) Unwrap() error { return e.err }

func (s *Service) applyStep(ctx context.Context, l *repo.BlobLoader, snap *Snapshot, id, folder, rel string, st *PlanStep) (*RepairItem, error) {
	dst := filepath.Join(folder, filepath.FromSlash(rel))
	trash := filepath.Join(s.trashRoot(id), filepath.FromSlash(rel))
	switch st.Action {
	case "move-aside":
		if err := moveTo(dst, trash); err != nil {
			return nil, &trashError{err}
		}
		return &RepairItem{Action: "moved", Type: st.Type}, nil
	case "chmod":
		n, err := snap.Node(ctx, rel)
		if err != nil {
			return nil, err
		}
		fi, err := os.Lstat(dst)
		if err != nil {
			return nil, err
		}
		if err := os.Chmod(dst, content.FileMode(n.Mode)); err != nil {
			return nil, err
		}
		return &RepairItem{Action: "chmod", Type: st.Type, OldMode: content.UnixMode(fi.Mode())}, nil
	}
	n, err := snap.Node(ctx, rel)
	if err != nil {
		return nil, err
	}
	switch n.Type {
	case backup.NodeDir:
		if fi, err := os.Lstat(dst); err == nil && fi.IsDir() {
			return nil, os.Chmod(dst, content.FileMode(n.Mode))
		}
		if err := os.Mkdir(dst, content.FileMode(n.Mode)|0o700); err != nil {
			return nil, err
		}
		_ = os.Chmod(dst, content.FileMode(n.Mode))
		return &RepairItem{Action: "created", Type: "dir"}, nil
	case backup.NodeSymlink:
		if _, err := os.Lstat(dst); err == nil {
			if err := moveTo(dst, trash); err != nil {
				return nil, &trashError{err}
			}
			if err := os.Symlink(n.Target, dst); err != nil {
				return &RepairItem{Action: "moved", Type: st.Type}, err
			}
			return &RepairItem{Action: "replaced", Type: "symlink"}, nil
		}
		if err := os.Symlink(n.Target, dst); err != nil {
			return nil, err
		}
		return &RepairItem{Action: "created", Type: "symlink"}, nil
	}
	// A file: written next to its place, then the old one copied into
	// the trash byte for byte, then renamed over it.
	tmp, err := writeFromSnapshot(ctx, l, n, filepath.Dir(dst))
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp) // gone already once renamed
	written := n.Content
	action := "created"
	if fi, err := os.Lstat(dst); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is a %s now; repair --all moves it aside first", rel, fi.Mode().Type())
		}
		if err := copyFile(dst, trash); err != nil {
			return nil, &trashError{err}
		}
		action = "replaced"
	}
	if err := os.Rename(tmp, dst); err != nil {
		return nil, err
	}
	mt := time.Unix(0, n.ModTime)
	_ = os.Chtimes(dst, mt, mt)
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return nil, err
	}
	return &RepairItem{Action: action, Type: "file", Written: &written}, nil
}

// writeFromSnapshot writes n's content into a temporary file in dir,
// checking every byte against the snapshot's hashes, fsynced.
func writeFromSnapshot(ctx context.Context, l *repo.BlobLoader, n *backup.Node, dir string) (string, error) {
	f, err := os.CreateTemp(dir, ".holdfast-repair-")
	if err != nil {
		return "", err
	}
	h := blake3.New()
	for _, c := range n.Chunks {
		data, err := l.Load(ctx, repo.DataBlob, c.Hash)
		if err == nil && len(data) != int(c.Length) {
			err = fmt.Errorf("chunk %s: %d bytes, the snapshot says %d", c.Hash, len(data), c.Length)
		}
		if err == nil {
			_, _ = h.Write(data)
			_, err = f.Write(data)
		}
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			return "", fmt.Errorf("restore %s: %w", n.Name, err)
		}
	}
	var sum content.Hash
	h.Sum(sum[:0])
	if sum != n.Content {
		err = fmt.Errorf("restore %s: the restored content does not match the snapshot", n.Name)
	}
	if err == nil {
		err = f.Chmod(content.FileMode(n.Mode))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// UndoArgs name a repair to undo.
type UndoArgs struct {
	ID string `json:"id"`
}

// UndoResult says what undo put back and what it had to leave.
type UndoResult struct {
	ID        string   `json:"id"`
	Restored  []string `json:"restored"`
	Conflicts []string `json:"conflicts"`
}

// hashOf returns the content hash of the file at p.
func hashOf(ctx context.Context, p string) (content.Hash, error) {
	d, err := content.HashFile(ctx, p, nil, nil)
	return d.Content, err
}

func (s *Service) handleRepairUndo(ctx context.Context, c *control.Call) (any, error) {
	var args UndoArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	m, err := s.loadManifest(args.ID)
	if err != nil {
		return nil, err
	}
	if m.Undone != nil {
		return nil, fmt.Errorf("repair %s was undone already (%s)", m.ID, m.Undone.Local().Format(time.DateTime))
	}
	res := &UndoResult{ID: m.ID, Restored: []string{}, Conflicts: []string{}}
	conflict := func(it RepairItem, why string) { res.Conflicts = append(res.Conflicts, it.Path+": "+why) }
	for i := len(m.Items) - 1; i >= 0; i-- {
		it := m.Items[i]
		rel := it.rel()
		dst := filepath.Join(m.Folder, filepath.FromSlash(rel))
		trash := filepath.Join(s.trashRoot(m.ID), filepath.FromSlash(rel))
		// What the repair wrote must still be there, unchanged: undo
		// never overwrites a later edit.
		if it.Written != nil {
			h, err := hashOf(ctx, dst)
			if err != nil || h != *it.Written {
				conflict(it, "changed since the repair; left alone")
				continue
			}
		}
		var err error
		switch it.Action {
		case "created":
			err = os.Remove(dst) // a directory only if empty again
		case "replaced":
			if it.Type == "symlink" {
				if err = os.Remove(dst); err == nil {
					err = moveTo(trash, dst)
				}
				break
			}
			err = putBack(trash, dst)
		case "moved":
			if _, lerr := os.Lstat(dst); lerr == nil {
				err = errors.New("something is in its place; left in the trash")
			} else {
				err = moveTo(trash, dst)
			}
		case "chmod":
			err = os.Chmod(dst, content.FileMode(it.OldMode))
		}
		if err != nil {
			conflict(it, err.Error())
			continue
		}
		res.Restored = append(res.Restored, it.Path)
	}
	now := time.Now().UTC()
	m.Undone = &now
	if err := s.saveManifest(m); err != nil {
		return nil, err
	}
	if len(res.Conflicts) > 0 {
		c.Found()
	}
	return res, nil
}

// putBack replaces dst with the trashed file atomically: copied next to
// dst, fsynced, renamed over it; the trash copy is removed after.
func putBack(trash, dst string) error {
	tmp := filepath.Join(filepath.Dir(dst), ".holdfast-undo-"+filepath.Base(dst))
	os.Remove(tmp)
	if err := copyFile(trash, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	return os.Remove(trash)
}
