//go:build openbsd || dragonfly

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
	m.CTime = st.Ctim.Nano()
	m.Inode = uint64(st.Ino)
	m.Dev = uint64(uint32(st.Dev)) // dev_t is 32 bits, signed on OpenBSD
}
