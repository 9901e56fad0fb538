package consistency

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/holdfast/holdfast/core/content"
)

// Manifest records one repair: what it did to which files, so that it can
// be undone. It is kept as HOME/trash/<id>.json next to HOME/trash/<id>/,
// which holds, under their relative paths, the files the repair replaced
// or moved aside.
type Manifest struct {
	ID       string       `json:"id"`
	Time     time.Time    `json:"time"`
	Folder   string       `json:"folder"`
	Snapshot string       `json:"snapshot"`
	Items    []RepairItem `json:"items"`
	Undone   *time.Time   `json:"undone,omitempty"`
}

// RepairItem is one thing a repair did.
type RepairItem struct {
	Path string `json:"path"` // relative, raw bytes (JSON escapes invalid UTF-8 lossily; PathB64 is exact)
	// PathB64 is the exact path, base64, when it is not valid UTF-8.
	PathB64 string `json:"path_b64,omitempty"`
	// Action: "replaced" (a file written over, the old one in the trash),
	// "moved" (moved into the trash), "created" (was missing), "chmod".
	Action string `json:"action"`
	// Written is the content hash of what the repair wrote, so undo can
	// tell whether the file changed since.
	Written *content.Hash `json:"written,omitempty"`
	OldMode uint32        `json:"old_mode,omitempty"`
	Type    string        `json:"type"`
}

func (it RepairItem) rel() string {
	if it.PathB64 != "" {
		return decodeB64OrEmpty(it.PathB64)
	}
	return it.Path
}

func (s *Service) manifestPath(id string) string { return filepath.Join(s.TrashDir, id+".json") }
func (s *Service) trashRoot(id string) string    { return filepath.Join(s.TrashDir, id) }

func (s *Service) saveManifest(m *Manifest) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.TrashDir, 0o700); err != nil {
		return fmt.Errorf("trash: %w", err)
	}
	return writeAtomic(s.manifestPath(m.ID), raw, 0o600)
}

func (s *Service) loadManifest(id string) (*Manifest, error) {
	if id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return nil, fmt.Errorf("invalid repair ID %q", id)
	}
	raw, err := os.ReadFile(s.manifestPath(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no repair %s in %s", id, s.TrashDir)
		}
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("repair %s: manifest: %w", id, err)
	}
	return &m, nil
}

// listManifests returns every repair in the trash, oldest first.
func (s *Service) listManifests() ([]*Manifest, error) {
	des, err := os.ReadDir(s.TrashDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []*Manifest
	for _, de := range des {
		id, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || de.IsDir() {
			continue
		}
		m, err := s.loadManifest(id)
		if err != nil {
			s.log.Warn("trash: unreadable manifest", "id", id, "err", err)
			continue
		}
		out = append(out, m)
	}
	// IDs order by the second only (then a random suffix): order by time.
	slices.SortStableFunc(out, func(a, b *Manifest) int { return a.Time.Compare(b.Time) })
	return out, nil
}

// writeAtomic replaces path with data: temp file, fsync, rename, fsync of
// the directory.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".holdfast-tmp-")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// copyFile copies src to dst byte for byte (dst must not exist), with its
// mode and mtime, fsynced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	_ = os.Chtimes(dst, fi.ModTime(), fi.ModTime())
	return nil
}

// moveTo moves src (a file, symlink or whole directory) to dst, which must
// not exist: a rename, or on another file system a copy then a removal.
func moveTo(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("move %s: %s already exists", src, dst)
	}
	err := os.Rename(src, dst)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	if err := copyTree(src, dst); err != nil {
		return err
	}
	return os.RemoveAll(src)
}

// copyTree copies files, symlinks and directories below src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, fi.Mode().Perm()|0o700)
		case fi.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(t, target)
		case fi.Mode().IsRegular():
			return copyFile(p, target)
		}
		return nil // devices, FIFOs, sockets hold no data
	})
}

// dirSize adds up the sizes of the regular files below dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
