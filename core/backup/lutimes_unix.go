//go:build unix

package backup

import "golang.org/x/sys/unix"

// lutimes sets a symlink's own times, not its target's.
func lutimes(path string, mtimeNs int64) error {
	ts := unix.NsecToTimespec(mtimeNs)
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, []unix.Timespec{ts, ts}, unix.AT_SYMLINK_NOFOLLOW)
}
