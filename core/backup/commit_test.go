package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A pack that cannot be placed — here every data/xx directory is a file,
// so the rename fails even for root — fails the backup: no snapshot, no
// temporary pack left behind, and the repository still checks sound.
func TestBackupFailsWhenAPackCannotBeCommitted(t *testing.T) {
	r := newRepo(t)
	r.SetPackSize(1 << 20)
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	dataDir := filepath.Join(r.Dir(), "data")
	for i := range 256 {
		sub := filepath.Join(dataDir, fmt.Sprintf("%02x", i))
		if err := os.Remove(sub); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sub, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Backup(context.Background(), r, BackupArgs{Paths: []string{src}}, BackupOptions{Workers: 2})
	if err == nil {
		t.Fatal("backup succeeded although no pack could be placed")
	}
	if !strings.Contains(err.Error(), "write pack") {
		t.Errorf("error does not say which pack: %v", err)
	}
	if !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("error does not carry the cause: %v", err)
	}
	for i := range 256 {
		sub := filepath.Join(dataDir, fmt.Sprintf("%02x", i))
		if err := os.Remove(sub); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(sub, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	names, err := os.ReadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !n.IsDir() {
			t.Errorf("left behind in data/: %s", n.Name())
		}
	}
	r = reopen(t, r)
	if snaps, _ := r.ListSnapshots(context.Background()); len(snaps) != 0 {
		t.Fatal("a failed backup saved a snapshot")
	}
	res, err := Check(context.Background(), r, 100, nil)
	if err != nil || !res.Sound {
		t.Fatalf("check after the failure: %+v %v", res, err)
	}
	if _, err := Backup(context.Background(), r, BackupArgs{Paths: []string{src}}, BackupOptions{}); err != nil {
		t.Fatalf("backup once the directories are back: %v", err)
	}
}
