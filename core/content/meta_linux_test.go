package content

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestStatMetaLinux(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, []byte("x"))
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	m := StatMeta(fi)
	if m.Inode != st.Ino || m.Dev != st.Dev || m.CTime != st.Ctim.Nano() || m.CTime == 0 {
		t.Fatalf("StatMeta = %+v, stat = ino %d dev %d ctime %v", m, st.Ino, st.Dev, st.Ctim)
	}
}
