package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// createAtomic creates path holding data with mode 0600, so that path
// either does not exist or holds all of data, even across a crash. It never
// replaces an existing file: if path exists it returns an error matching
// fs.ErrExist and leaves path alone.
//
// The data is written and synced to a temporary file in the same directory,
// which is then hard-linked to path (link, unlike rename, fails if path
// exists) and removed; finally the directory is synced. On file systems
// without hard links it falls back to checking for path and renaming.
func createAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	// os.CreateTemp creates the file with mode 0600.
	tmp := f.Name()
	defer func() {
		if tmp != "" {
			os.Remove(tmp)
		}
	}()
	if err := writeSync(f, data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}

	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// Hard links unsupported here: check, then rename (racy, but only
		// against another writer creating the same file at the same time).
		if _, serr := os.Lstat(path); serr == nil {
			return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("rename into place: %w", err)
		}
	} else {
		_ = os.Remove(tmp) // path is in place; a leftover temporary is harmless
	}
	tmp = ""
	return syncDir(dir) // makes the new name, and the temporary's removal, durable
}

// writeSync writes data to f, syncs and closes it.
func writeSync(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir makes a directory's entries (a new or renamed file) durable. Windows
// cannot sync directories and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// replaceAtomic replaces path with data, so that path holds either its old
// contents or all of data, even across a crash: data is written and synced
// to a temporary file in the same directory, renamed over path, and the
// directory synced. The new file keeps path's mode (0600 if path is new).
func replaceAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	mode := fs.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if tmp != "" {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(mode); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := writeSync(f, data); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename into place: %w", err)
	}
	tmp = ""
	return syncDir(dir)
}
