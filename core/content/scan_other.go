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
