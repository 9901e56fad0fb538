package content

import (
	"io/fs"
	"os"
)

// FileMeta is what the file-index cache compares to decide that a file is
// unchanged without reading it.
type FileMeta struct {
	Size    int64
	ModTime int64 // Unix nanoseconds
	CTime   int64 // Unix nanoseconds of the last status change; 0 where unknown
	Inode   uint64
	Dev     uint64
	Mode    uint32 // os.FileMode bits
}

// StatMeta extracts FileMeta from a FileInfo. CTime, Inode and Dev come
// from the platform's stat structure (Linux, macOS and the BSDs) and are
// zero elsewhere or when fi does not carry one.
func StatMeta(fi os.FileInfo) FileMeta {
	m := FileMeta{
		Size:    fi.Size(),
		ModTime: fi.ModTime().UnixNano(),
		Mode:    uint32(fi.Mode()),
	}
	sysMeta(fi, &m)
	return m
}

// SameAs reports whether m and o describe the same, unchanged file: equal
// size, mtime, ctime, inode and device. Mode is not compared: a chmod
// changes ctime anyway, and the mode is not part of the content.
//
// This is the cache's contract: a content change that leaves all of these
// alone (bit rot, or a tool that rewrites a file and restores its times
// within one timestamp tick where ctime is unavailable) is not noticed
// through the cache; a deep verify (ScanOptions.Rehash) reads everything.
// Comparing Dev means that a file system mounted under another device
// number is read again once.
func (m FileMeta) SameAs(o FileMeta) bool {
	return m.Size == o.Size && m.ModTime == o.ModTime && m.CTime == o.CTime &&
		m.Inode == o.Inode && m.Dev == o.Dev
}

// unchangedWhileRead reports whether a file that was m before reading it
// and o afterwards may be assumed not to have changed in between.
func (m FileMeta) unchangedWhileRead(o FileMeta) bool {
	return m.Size == o.Size && m.ModTime == o.ModTime && m.CTime == o.CTime
}

// permMask is the part of a file mode a tree records.
const permMask = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
