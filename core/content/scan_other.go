//go:build !(linux && (amd64 || arm64))

package content

import (
	"io/fs"
	"os"
)

// lstatAt stats name in the open directory dir without following a
// symbolic link.
func lstatAt(dir *os.File, name string) (fs.FileInfo, error) {
	return os.Lstat(joinAbs(dir.Name(), name))
}

// hashSmallFile is the fast path of Linux only; elsewhere every file takes
// the long way.
func hashSmallFile(_ string, buf []byte) (d FileDigest, before, after FileMeta, _ []byte, ok bool, err error) {
	return d, before, after, buf, false, nil
}
