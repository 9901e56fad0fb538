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

// hashSmallFile reads and hashes the regular file at abs if it is shorter
// than MinSize, with bare system calls: open (never following a symbolic
// link, never blocking on a FIFO), fstat, one read, fstat, close — no
// os.File, no poller registration. ok is false, with no error, when the
// file is MinSize or longer, or grew between the fstat and the read: the
// caller takes the long way. before and after are its meta around the read.
func hashSmallFile(abs string, buf []byte) (d FileDigest, before, after FileMeta, _ []byte, ok bool, err error) {
	var fd int
	for {
		fd, err = unix.Open(abs, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return d, before, after, buf, false, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	defer unix.Close(fd)
	fstat := func() (FileMeta, uint32, error) {
		var u unix.Stat_t
		if err := unix.Fstat(fd, &u); err != nil {
			return FileMeta{}, 0, &fs.PathError{Op: "fstat", Path: abs, Err: err}
		}
		fi := &statInfo{name: abs}
		fi.st.Dev, fi.st.Ino, fi.st.Mode, fi.st.Size = u.Dev, u.Ino, u.Mode, u.Size
		fi.st.Mtim = syscall.Timespec{Sec: u.Mtim.Sec, Nsec: u.Mtim.Nsec}
		fi.st.Ctim = syscall.Timespec{Sec: u.Ctim.Sec, Nsec: u.Ctim.Nsec}
		return StatMeta(fi), u.Mode & unix.S_IFMT, nil
	}
	before, kind, err := fstat()
	if err != nil {
		return d, before, after, buf, false, err
	}
	if kind != unix.S_IFREG {
		return d, before, after, buf, false, &fs.PathError{Op: "open", Path: abs, Err: errNotRegular}
	}
	if before.Size >= MinSize {
		return d, before, after, buf, false, nil
	}
	need := int(before.Size) + 1 // one byte more shows that it grew
	if len(buf) < need {
		buf = make([]byte, max(need, 64<<10))
	}
	n := 0
	for n < need {
		m, err := unix.Read(fd, buf[n:need])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return d, before, after, buf, false, &fs.PathError{Op: "read", Path: abs, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
		if int64(n) >= before.Size {
			break // a regular file reads in full: its end is here, which the second fstat confirms
		}
	}
	if n == need {
		return d, before, after, buf, false, nil // it grew
	}
	if after, _, err = fstat(); err != nil {
		return d, before, after, buf, false, err
	}
	d = FileDigest{Size: int64(n), Content: EmptyHash}
	if n > 0 {
		h := Sum(buf[:n])
		d.Content, d.Chunks = h, []ChunkRef{{Hash: h, Length: uint32(n)}}
	}
	return d, before, after, buf, true, nil
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
