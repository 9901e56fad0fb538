//go:build unix

package backup

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// createRestoreTemp creates a new, empty temporary file in dir to restore
// into. It opens the file directly rather than through os.CreateTemp, whose
// file Go probes for its network poller (four fcntl and an epoll_ctl that
// fail for a regular file): on a restore of many small files those
// syscalls cost as much as writing the data.
func createRestoreTemp(dir string) (*os.File, error) {
	for range 1000 {
		name := filepath.Join(dir, restoreTempPrefix+strconv.FormatUint(rand.Uint64(), 36))
		fd, err := unix.Open(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
		if errors.Is(err, unix.EINTR) || errors.Is(err, unix.EEXIST) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "create", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
	return nil, &os.PathError{Op: "create", Path: filepath.Join(dir, restoreTempPrefix+"*"), Err: os.ErrExist}
}
