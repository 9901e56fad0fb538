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
	m.Inode = st.Ino
	m.Dev = uint64(uint32(st.Dev)) // dev_t is a signed 32-bit int on Darwin
}
