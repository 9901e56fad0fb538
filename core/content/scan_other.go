//go:build !(linux && (amd64 || arm64))

package content

import (
	"context"
	"io/fs"
	"os"
	"sync/atomic"
)

// openDir is a directory being listed.
type openDir struct {
	f    *os.File
	refs atomic.Int32 // see release
}

func (d *openDir) Close() error { return d.f.Close() }

// readDir opens the directory at abs and lists it, sorted by name; the
// caller closes dir. buf is not used here.
func readDir(abs string, _ *[]byte) (*openDir, []dirEntry, error) {
	f, err := os.Open(abs)
	if err != nil {
		return nil, nil, err
	}
	list, err := f.ReadDir(-1)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	des := make([]dirEntry, len(list))
	for i, de := range list {
		des[i] = dirEntry{name: de.Name(), typ: de.Type()}
	}
	sortEntries(des)
	return &openDir{f: f}, des, nil
}

// lstatAt stats name in the open directory dir without following a
// symbolic link.
func lstatAt(dir *openDir, name string) (fs.FileInfo, error) {
	return os.Lstat(joinAbs(dir.f.Name(), name))
}

// hashQuick is a fast path of Linux only; elsewhere every file takes the
// careful way.
func hashQuick(_ context.Context, _ *openDir, _, _ string, buf []byte, _ int64, _ func(string)) (d FileDigest, meta FileMeta, hashed int64, _ []byte, ok bool, err error) {
	return d, meta, 0, buf, false, nil
}

// hashSmallFileAt is hashSmallFile: the fast path of Linux only.
func hashSmallFileAt(_ *openDir, _, _ string, buf []byte) (d FileDigest, before, after FileMeta, _ []byte, ok bool, err error) {
	return d, before, after, buf, false, nil
}

// openRegularAt is openRegular (not following a link) for the file name
// in the open directory dir, found at abs.
func openRegularAt(_ *openDir, _, abs string) (*os.File, os.FileInfo, error) {
	return openRegular(abs, false)
}

// readlinkAt reads the symbolic link name in the open directory dir.
func readlinkAt(dir *openDir, name string) (string, error) {
	return os.Readlink(joinAbs(dir.f.Name(), name))
}

// hashSmallFile is the fast path of Linux only; elsewhere every file takes
// the long way.
func hashSmallFile(_ string, buf []byte) (d FileDigest, before, after FileMeta, _ []byte, ok bool, err error) {
	return d, before, after, buf, false, nil
}

// lstatEntry stats name in the open directory dir without following a
// symbolic link and returns its mode and meta.
func lstatEntry(dir *openDir, name string) (fs.FileMode, FileMeta, error) {
	fi, err := lstatAt(dir, name)
	if err != nil {
		return 0, FileMeta{}, err
	}
	return fi.Mode(), StatMeta(fi), nil
}
