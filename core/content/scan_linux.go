//go:build linux && (amd64 || arm64)

package content

import (
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// lstatAt stats name in the open directory dir without following a
// symbolic link: fstatat(2) relative to the directory, so the kernel does
// not walk the whole path again for every entry. The FileInfo carries a
// *syscall.Stat_t, as os.Lstat's does.
func lstatAt(dir *os.File, name string) (fs.FileInfo, error) {
	var u unix.Stat_t
	for {
		err := unix.Fstatat(int(dir.Fd()), name, &u, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "lstat", Path: joinAbs(dir.Name(), name), Err: err}
		}
		break
	}
	fi := &statInfo{name: name}
	fi.st.Dev, fi.st.Ino, fi.st.Mode, fi.st.Size = u.Dev, u.Ino, u.Mode, u.Size
	fi.st.Mtim = syscall.Timespec{Sec: u.Mtim.Sec, Nsec: u.Mtim.Nsec}
	fi.st.Ctim = syscall.Timespec{Sec: u.Ctim.Sec, Nsec: u.Ctim.Nsec}
	return fi, nil
}

// statInfo is an fs.FileInfo over a stat structure, with the mode bits
// mapped as package os maps them.
type statInfo struct {
	name string
	st   syscall.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }

func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if s.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if s.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if s.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}
