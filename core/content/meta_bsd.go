//go:build freebsd || netbsd

package content

import (
	"os"
	"syscall"
)

func sysMeta(fi os.FileInfo, m *FileMeta) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st == nil {
		return
	}
	m.CTime = st.Ctimespec.Nano()
	m.Inode = uint64(st.Ino)
	m.Dev = uint64(st.Dev)
}
