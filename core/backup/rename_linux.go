package backup

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplace moves a finished file into place unless something
// already exists there (then the error wraps fs.ErrExist). On Linux one
// renameat2 with RENAME_NOREPLACE does it atomically; file systems without
// it fall back to a check and a rename.
func renameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.ENOTSUP):
		return renameIfAbsent(from, to)
	default:
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
}
