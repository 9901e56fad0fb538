package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Trees are packed by several savers at once: a folder of many
// directories, with packs small enough that the trees fill several of
// them, restores exactly, checks sound, and a second backup finds every
// directory unmodified.
func TestManyTreesPackedBySeveralSavers(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.SetPackSize(16 << 10)
	src := filepath.Join(t.TempDir(), "data")
	const dirs = 120
	for i := range dirs {
		d := filepath.Join(src, fmt.Sprintf("d%02d", i%12), fmt.Sprintf("sub%03d", i))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		// Identical folders share their tree blob: it is stored once.
		writeTestFile(t, filepath.Join(d, "same.txt"), []byte("the same in every folder"))
		writeTestFile(t, filepath.Join(d, fmt.Sprintf("own-%03d.bin", i)), randBytes(uint64(i), 700+i))
	}
	sum, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	const allDirs = dirs + 12 + 1 // the subfolders, their parents, data itself
	if sum.DirsNew != allDirs {
		t.Errorf("%d new directories, want %d", sum.DirsNew, allDirs)
	}
	r = reopen(t, r)
	res, err := Check(ctx, r, 100, nil)
	if err != nil || !res.Sound {
		t.Fatalf("check: %+v %v", res, err)
	}
	target := filepath.Join(t.TempDir(), "restore")
	rs, err := Restore(ctx, r, RestoreArgs{Snapshot: "latest", Target: target, Verify: true}, RestoreOptions{})
	if err != nil || len(rs.Errors) != 0 || rs.Files != 2*dirs {
		t.Fatalf("restore %+v %v", rs, err)
	}
	assertSameTree(t, src, filepath.Join(target, "data"))
	sum, err = Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if sum.DirsUnmodified != allDirs || sum.DirsNew+sum.DirsChanged != 0 || sum.DataAdded != 0 {
		t.Errorf("second backup: %+v", sum)
	}
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
