//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd && !dragonfly

package content

import "os"

// sysMeta leaves CTime, Inode and Dev zero: on Windows and other systems
// the cache falls back to size and mtime.
func sysMeta(fi os.FileInfo, m *FileMeta) {}
