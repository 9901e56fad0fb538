//go:build linux && (amd64 || arm64)

package content

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/holdfast/holdfast/core/content/b3"
)

// openDir is a directory being listed: a bare descriptor, no os.File (whose
// open probes Go's poller with fcntl and epoll_ctl, and whose listing
// allocates an entry object per name).
type openDir struct {
	fd   int
	path string
	refs atomic.Int32 // see release
}

func (d *openDir) Close() error { return unix.Close(d.fd) }

// readDir opens the directory at abs and lists it with getdents64, sorted
// by name; the caller closes dir. buf is the listing buffer, kept for the
// next directory. A name whose type the file system does not report
// (DT_UNKNOWN) is stat'ed.
func readDir(abs string, buf *[]byte) (*openDir, []dirEntry, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	dir := &openDir{fd: fd, path: abs}
	if len(*buf) < 32<<10 {
		*buf = make([]byte, 32<<10)
	}
	var des []dirEntry
	for {
		n, err := unix.Getdents(fd, *buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			dir.Close()
			return nil, nil, &fs.PathError{Op: "readdirent", Path: abs, Err: err}
		}
		if n <= 0 {
			break
		}
		if des, err = parseDirents(dir, (*buf)[:n], des); err != nil {
			dir.Close()
			return nil, nil, err
		}
	}
	sortEntries(des)
	return dir, des, nil
}

// parseDirents appends the entries of a getdents64 result (struct
// linux_dirent64: ino u64, off s64, reclen u16, type u8, name NUL
// terminated) to des. The names of one call share one string, holding the
// names alone: a directory's entries live and go together, and a watched
// tree keeps them for as long as it watches.
func parseDirents(dir *openDir, b []byte, des []dirEntry) ([]dirEntry, error) {
	type rec struct {
		start, end int // of the name in packed
		typ        uint8
	}
	var recs []rec
	packed := make([]byte, 0, len(b)/2)
	for off := 0; off < len(b); {
		if len(b)-off < 19 {
			return des, &fs.PathError{Op: "readdirent", Path: dir.path, Err: errors.New("truncated entry")}
		}
		ino := binary.NativeEndian.Uint64(b[off:])
		reclen := int(binary.NativeEndian.Uint16(b[off+16:]))
		typ := b[off+18]
		if reclen < 19 || off+reclen > len(b) {
			return des, &fs.PathError{Op: "readdirent", Path: dir.path, Err: fmt.Errorf("bad record length %d", reclen)}
		}
		name := b[off+19 : off+reclen]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		off += reclen
		if ino == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		recs = append(recs, rec{len(packed), len(packed) + len(name), typ})
		packed = append(packed, name...)
	}
	names := string(packed)
	for _, r := range recs {
		name := names[r.start:r.end]
		mode, known := direntType(r.typ)
		if !known {
			fi, err := lstatAt(dir, name)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // gone since the listing
				}
				return des, err
			}
			mode = fi.Mode().Type()
		}
		des = append(des, dirEntry{name: name, typ: mode})
	}
	return des, nil
}

// direntType maps a getdents d_type to a file mode type; known is false
// for DT_UNKNOWN.
func direntType(t uint8) (mode fs.FileMode, known bool) {
	switch t {
	case unix.DT_REG:
		return 0, true
	case unix.DT_DIR:
		return fs.ModeDir, true
	case unix.DT_LNK:
		return fs.ModeSymlink, true
	case unix.DT_FIFO:
		return fs.ModeNamedPipe, true
	case unix.DT_SOCK:
		return fs.ModeSocket, true
	case unix.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice, true
	case unix.DT_BLK:
		return fs.ModeDevice, true
	}
	return 0, false
}

// statAt stats name in the open directory dir without following a
// symbolic link: fstatat(2) relative to the directory, so the kernel does
// not walk the whole path again for every entry.
func statAt(dir *openDir, name string) (statInfo, error) {
	fi := statInfo{name: name}
	var u unix.Stat_t
	for {
		err := unix.Fstatat(dir.fd, name, &u, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fi, &fs.PathError{Op: "lstat", Path: joinAbs(dir.path, name), Err: err}
		}
		break
	}
	fi.st.Dev, fi.st.Ino, fi.st.Mode, fi.st.Size = u.Dev, u.Ino, u.Mode, u.Size
	fi.st.Mtim = syscall.Timespec{Sec: u.Mtim.Sec, Nsec: u.Mtim.Nsec}
	fi.st.Ctim = syscall.Timespec{Sec: u.Ctim.Sec, Nsec: u.Ctim.Nsec}
	return fi, nil
}

// lstatEntry is lstatAt returning the mode and meta (as StatMeta gives
// them) without allocating.
func lstatEntry(dir *openDir, name string) (fs.FileMode, FileMeta, error) {
	fi, err := statAt(dir, name)
	if err != nil {
		return 0, FileMeta{}, err
	}
	mode, meta := metaOf(fi.st.Mode, fi.st.Size, fi.st.Mtim.Nano(), fi.st.Ctim.Nano(), fi.st.Ino, fi.st.Dev)
	return mode, meta, nil
}

// lstatAt is statAt as an fs.FileInfo carrying a *syscall.Stat_t, as
// os.Lstat's does.
func lstatAt(dir *openDir, name string) (fs.FileInfo, error) {
	fi, err := statAt(dir, name)
	if err != nil {
		return nil, err
	}
	return &fi, nil
}

// hashSmallFile reads and hashes the regular file at abs if it is shorter
// than MinSize, with bare system calls: open (never following a symbolic
// link, never blocking on a FIFO), fstat, one read, fstat, close — no
// os.File, no poller registration. ok is false, with no error, when the
// file is MinSize or longer, or grew between the fstat and the read: the
// caller takes the long way. before and after are its meta around the read.
func hashSmallFile(abs string, buf []byte) (d FileDigest, before, after FileMeta, _ []byte, ok bool, err error) {
	return hashSmallFileFd(unix.AT_FDCWD, abs, abs, buf)
}

// hashSmallFileAt is hashSmallFile for the file name in the open
// directory dir, found at abs.
func hashSmallFileAt(dir *openDir, name, abs string, buf []byte) (d FileDigest, before, after FileMeta, _ []byte, ok bool, err error) {
	return hashSmallFileFd(dir.fd, name, abs, buf)
}

func hashSmallFileFd(dirfd int, name, abs string, buf []byte) (d FileDigest, before, after FileMeta, _ []byte, ok bool, err error) {
	fd, err := openFileAt(dirfd, name)
	if err != nil {
		return d, before, after, buf, false, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	defer unix.Close(fd)
	fstat := func() (FileMeta, uint32, error) { return fstatMeta(fd, "", abs) }
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
	return wholeDigest(buf[:n]), before, after, buf, true, nil
}

// fstatMeta returns the meta and the file type (S_IFMT bits) of the open
// file fd, the file name in the directory dir (or at the path name when
// dir is ""), without allocating.
func fstatMeta(fd int, dir, name string) (FileMeta, uint32, error) {
	var u unix.Stat_t
	if err := unix.Fstat(fd, &u); err != nil {
		path := name
		if dir != "" {
			path = joinAbs(dir, name)
		}
		return FileMeta{}, 0, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	_, m := metaOf(u.Mode, u.Size, u.Mtim.Nano(), u.Ctim.Nano(), u.Ino, u.Dev)
	return m, u.Mode & unix.S_IFMT, nil
}

// metaOf returns the mode and meta of a stat structure's fields as
// StatMeta gives them, without allocating.
func metaOf(mode uint32, size, mtime, ctime int64, ino, dev uint64) (fs.FileMode, FileMeta) {
	var fi statInfo
	fi.st.Mode = mode
	m := fi.Mode()
	return m, FileMeta{Size: size, ModTime: mtime, Mode: uint32(m), CTime: ctime, Inode: ino, Dev: dev}
}

// hashQuick reads and hashes the file at abs with the fewest system calls
// a file allows: open, read, fstat, close when it fits in the first read
// (quickFirstRead), a read and an fstat more when it fits in a buffer
// grown to its size (below quickBufSize), one read more per buffer past
// that — against five for hashSmallFile, whose fstat before the read is what tells it
// whether the file changed while it read. hashQuick has no such stat; it
// trusts what it read only if the file's times, as fstat sees them after
// the read, are older than cutoff (the start of the read less
// racyWindow): a write during the read would have set them later, the
// file system's clock lagging ours by at most a tick. A file changed
// recently, one that came short of the size fstat reports, or a read
// that failed, returns ok false, having read nothing more than its first
// buffer: the caller then takes the careful way, which also reports why.
// hashed is the number of bytes hashed, whether trusted or not (a file
// that fits in buf is hashed only once trusted). A file of MinSize or
// more gets its identity only, as from hashIdentity; a shorter one is its
// one chunk. between, if set, runs after the first read (tests change the
// file there).
func hashQuick(ctx context.Context, dir *openDir, name, dirAbs string, buf []byte, cutoff int64, between func(string)) (d FileDigest, meta FileMeta, hashed int64, _ []byte, ok bool, err error) {
	if len(buf) < quickFirstRead {
		buf = make([]byte, quickFirstRead)
	}
	fd, err := openFileAt(dir.fd, name)
	if err != nil {
		return d, meta, 0, buf, false, &fs.PathError{Op: "open", Path: joinAbs(dirAbs, name), Err: err}
	}
	defer unix.Close(fd)
	readInto := func(b []byte) (int, bool) {
		for {
			n, err := unix.Read(fd, b)
			if err != unix.EINTR {
				return n, err == nil
			}
		}
	}
	// settled fstats the file: a regular file, its times older than
	// cutoff, so what was read before is what it holds.
	settled := func() bool {
		var kind uint32
		meta, kind, err = fstatMeta(fd, dirAbs, name)
		return err == nil && kind == unix.S_IFREG && meta.ModTime < cutoff && meta.CTime < cutoff
	}
	// grow makes buf at least size bytes, keeping its first n.
	grow := func(n, size int) {
		if len(buf) < size {
			nb := make([]byte, size)
			copy(nb, buf[:n])
			buf = nb
		}
	}
	n, good := readInto(buf)
	if !good {
		return d, meta, 0, buf, false, nil
	}
	if between != nil {
		between(joinAbs(dirAbs, name))
	}
	if !settled() {
		return d, meta, 0, buf, false, nil
	}
	if n == len(buf) && meta.Size < quickBufSize {
		// Longer than the first read, short enough for one buffer: grow
		// the buffer to fit it (a tree of small files keeps small
		// buffers), read the rest, then look at its times again.
		grow(n, int(meta.Size)+1)
		for n < int(meta.Size) {
			m, good := readInto(buf[n:])
			if !good {
				return d, meta, 0, buf, false, nil
			}
			if m == 0 {
				break
			}
			n += m
		}
		if !settled() {
			return d, meta, 0, buf, false, nil
		}
	}
	if n < len(buf) { // the file ends in buf
		if meta.Size != int64(n) {
			return d, meta, 0, buf, false, nil
		}
		d = wholeDigest(buf[:n])
		return d, meta, d.Size, buf, true, nil
	}
	// A large file: hash on to its end in a buffer of quickBufSize, then
	// look at its times again.
	grow(n, quickBufSize)
	h := b3.New()
	var size int64
	for n > 0 {
		_, _ = h.Write(buf[:n])
		size += int64(n)
		if err := ctx.Err(); err != nil {
			return d, meta, size, buf, false, err
		}
		if n, good = readInto(buf); !good {
			return d, meta, size, buf, false, nil
		}
	}
	if !settled() || meta.Size != size {
		return d, meta, size, buf, false, nil
	}
	var sum Hash
	h.Sum(sum[:0])
	return scannedDigest(size, sum), meta, size, buf, true, nil
}

// openFileAt opens the file name in the directory open as dirfd for
// reading, without following a symbolic link or waiting on a FIFO. A name
// relative to its directory also reaches a file whose whole path is longer
// than PATH_MAX, and spares the kernel walking that path again.
func openFileAt(dirfd int, name string) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// openRegularAt is openRegular (not following a link) for the file name
// in the open directory dir, found at abs.
func openRegularAt(dir *openDir, name, abs string) (*os.File, os.FileInfo, error) {
	fd, err := openFileAt(dir.fd, name)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: abs, Err: err}
	}
	return statRegular(os.NewFile(uintptr(fd), abs), abs)
}

// readlinkAt reads the symbolic link name in the open directory dir.
func readlinkAt(dir *openDir, name string) (string, error) {
	for n := 256; ; n *= 2 {
		b := make([]byte, n)
		m, err := unix.Readlinkat(dir.fd, name, b)
		if err == unix.EINTR {
			n /= 2
			continue
		}
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: joinAbs(dir.path, name), Err: err}
		}
		if m < n {
			return string(b[:m]), nil
		}
	}
}

// hashQuick's buffer: the first read takes up to quickFirstRead bytes,
// and a file shorter than quickBufSize is read whole into a buffer grown
// to fit it.
const (
	quickFirstRead = 64 << 10
	quickBufSize   = identityBufSize
)

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
