package backup

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/backup/retention"
	"github.com/holdfast/holdfast/core/content"
)

const testPassword = "correct horse battery staple"

func newRepo(t *testing.T) *repo.Repository {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	r, err := repo.Init(context.Background(), dir, testPassword, repo.InitOptions{Chunker: content.ParamsString(), KDF: repo.TestKDFParams()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func reopen(t *testing.T, r *repo.Repository) *repo.Repository {
	t.Helper()
	r2, err := repo.Open(context.Background(), r.Dir(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.LoadIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r2
}

func randBytes(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := rng.Uint64()
		for k := 0; k < 8 && i+k < n; k++ {
			b[i+k] = byte(v >> (8 * k))
		}
	}
	return b
}

// makeTree writes a folder with the shapes a backup must get right.
func makeTree(t *testing.T, root string) {
	t.Helper()
	write := func(rel string, data []byte, mode fs.FileMode) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("readme.txt", []byte("hello, holdfast\n"), 0o644)
	write("docs/notes.md", bytes.Repeat([]byte("compressible line of text\n"), 50000), 0o600)
	write("docs/deep/er/still.bin", randBytes(1, 3<<20), 0o640)
	write("big/random.bin", randBytes(2, 11<<20), 0o644)
	write("big/copy.bin", randBytes(2, 11<<20), 0o644) // duplicate content
	write("empty-file", nil, 0o644)
	write("script.sh", []byte("#!/bin/sh\necho hi\n"), 0o755)
	write("caf\xe9.txt", []byte("latin-1 name"), 0o644)
	if err := os.MkdirAll(filepath.Join(root, "empty-dir"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("docs/notes.md", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/nonexistent/target", filepath.Join(root, "dangling")); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2020, 2, 29, 12, 0, 0, 123456789, time.UTC)
	os.Chtimes(filepath.Join(root, "readme.txt"), old, old)
	os.Chtimes(filepath.Join(root, "docs", "deep"), old, old)
}

// assertSameTree compares two folders: names, types, modes, contents,
// symlink targets and mtimes (directories too).
func assertSameTree(t *testing.T, want, got string) {
	t.Helper()
	count := 0
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(want, p)
		q := filepath.Join(got, rel)
		wi, _ := os.Lstat(p)
		gi, err := os.Lstat(q)
		if err != nil {
			t.Errorf("%s: missing after restore: %v", rel, err)
			return nil
		}
		count++
		if wi.Mode() != gi.Mode() {
			t.Errorf("%s: mode %v, want %v", rel, gi.Mode(), wi.Mode())
		}
		if wi.Mode()&fs.ModeSymlink != 0 {
			wt, _ := os.Readlink(p)
			gt, _ := os.Readlink(q)
			if wt != gt {
				t.Errorf("%s: link to %q, want %q", rel, gt, wt)
			}
		} else if !wi.ModTime().Equal(gi.ModTime()) {
			t.Errorf("%s: mtime %v, want %v", rel, gi.ModTime(), wi.ModTime())
		}
		if wi.Mode().IsRegular() {
			a, _ := os.ReadFile(p)
			b, _ := os.ReadFile(q)
			if !bytes.Equal(a, b) {
				t.Errorf("%s: content differs", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count < 10 {
		t.Fatalf("compared only %d entries", count)
	}
}

func TestBackupRestoreBitForBit(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	sum, err := Backup(ctx, r, BackupArgs{Paths: []string{src}, Tags: []string{"first"}}, BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) != 0 {
		t.Fatalf("errors: %v", sum.Errors)
	}
	if sum.FilesNew != 8 || sum.TotalFiles != 8 || sum.FilesUnmodified != 0 {
		t.Errorf("summary %+v", sum)
	}
	// The duplicated 11 MiB is stored once.
	if sum.DataAdded > sum.TotalBytes-(11<<20)+(1<<20) {
		t.Errorf("added %d bytes of %d: duplicate content stored twice?", sum.DataAdded, sum.TotalBytes)
	}

	// A second look with a fresh process's view of the repository.
	r = reopen(t, r)
	target := filepath.Join(t.TempDir(), "restore")
	rs, err := Restore(ctx, r, RestoreArgs{Snapshot: "latest", Target: target, Verify: true}, RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Errors)+len(rs.Conflicts) != 0 || rs.Files != 8 || rs.Verified != 8 {
		t.Fatalf("restore summary %+v", rs)
	}
	// The backed-up top directory itself is restored, by its name.
	assertSameTree(t, src, filepath.Join(target, "data"))

	// Restoring again over an identical tree changes nothing.
	rs, err = Restore(ctx, r, RestoreArgs{Snapshot: sum.SnapshotID[:8], Target: target}, RestoreOptions{})
	if err != nil || rs.Skipped < 8 || len(rs.Conflicts) != 0 {
		t.Fatalf("second restore %+v %v", rs, err)
	}
	// A different existing file is never silently overwritten.
	os.WriteFile(filepath.Join(target, "data", "readme.txt"), []byte("local edit"), 0o644)
	rs, err = Restore(ctx, r, RestoreArgs{Snapshot: "latest", Target: target}, RestoreOptions{})
	if err != nil || len(rs.Conflicts) != 1 || !strings.Contains(rs.Conflicts[0], "readme.txt") {
		t.Fatalf("restore over a changed file: %+v %v", rs, err)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "data", "readme.txt")); string(b) != "local edit" {
		t.Error("the local edit was overwritten")
	}
}

func TestIncrementalBackupReadsOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	first, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Backup(ctx, reopen(t, r), BackupArgs{Paths: []string{src}}, BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if second.BytesRead != 0 || second.FilesUnmodified != 8 || second.DataAdded != 0 || second.Parent != first.SnapshotID {
		t.Fatalf("no-change backup: %+v", second)
	}
	os.WriteFile(filepath.Join(src, "docs", "notes.md"), []byte("rewritten"), 0o600)
	third, err := Backup(ctx, reopen(t, r), BackupArgs{Paths: []string{src}}, BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if third.FilesChanged != 1 || third.FilesUnmodified != 7 || third.BytesRead != int64(len("rewritten")) {
		t.Fatalf("one-change backup: %+v", third)
	}
}

func TestBackupReportsUnreadableFilesAndMissingPaths(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	if _, err := Backup(ctx, r, BackupArgs{Paths: []string{"/does/not/exist"}}, BackupOptions{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing path: %v", err)
	}
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	if os.Geteuid() != 0 {
		os.WriteFile(filepath.Join(src, "secret"), []byte("x"), 0o000)
	} else {
		// Root reads everything, but nobody can open a path longer than
		// PATH_MAX: build one a directory at a time.
		cur, err := os.OpenRoot(src)
		if err != nil {
			t.Fatal(err)
		}
		for depth := len(src); depth < 4300; depth += 201 {
			name := strings.Repeat("d", 200)
			if err := cur.Mkdir(name, 0o755); err != nil {
				t.Fatal(err)
			}
			next, err := cur.OpenRoot(name)
			if err != nil {
				t.Fatal(err)
			}
			cur.Close()
			cur = next
		}
		f, err := cur.Create("deep.txt")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		cur.Close()
	}
	sum, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Errors) == 0 || sum.SnapshotID == "" {
		t.Fatalf("unreadable entry not reported: %+v", sum)
	}
}

func packFiles(t *testing.T, r *repo.Repository) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(r.Dir(), "data"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasPrefix(d.Name(), ".") {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestFlippedByteIsCaughtByCheckAndRestore(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	if _, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := Check(ctx, reopen(t, r), 100, nil)
	if err != nil || !res.Sound || res.PacksRead == 0 {
		t.Fatalf("clean check: %+v %v", res, err)
	}
	// Flip one byte in the middle of the largest pack.
	var victim string
	var size int64
	for _, p := range packFiles(t, r) {
		if fi, _ := os.Stat(p); fi.Size() > size {
			victim, size = p, fi.Size()
		}
	}
	b, _ := os.ReadFile(victim)
	b[len(b)/3] ^= 0x01
	os.Chmod(victim, 0o644)
	if err := os.WriteFile(victim, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r = reopen(t, r)
	res, err = Check(ctx, r, 0, nil)
	if err != nil || !res.Sound {
		t.Fatalf("structure-only check should not read data: %+v %v", res, err)
	}
	res, err = Check(ctx, r, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sound || len(res.DamagedPacks) != 1 || !strings.Contains(victim, res.DamagedPacks[0]) ||
		len(res.AffectedSnapshots) != 1 || len(res.AffectedFiles) == 0 {
		t.Fatalf("check after a flipped byte: %+v", res)
	}
	target := filepath.Join(t.TempDir(), "restore")
	rs, err := Restore(ctx, r, RestoreArgs{Snapshot: "latest", Target: target}, RestoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Errors) == 0 {
		t.Fatal("restore did not notice the damage")
	}
	// Nothing wrong was written: every restored file is correct, the
	// damaged ones are absent.
	filepath.WalkDir(filepath.Join(target, "data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(filepath.Join(target, "data"), p)
		want, _ := os.ReadFile(filepath.Join(src, rel))
		got, _ := os.ReadFile(p)
		if !bytes.Equal(want, got) {
			t.Errorf("%s restored with wrong content", rel)
		}
		return nil
	})
}

func TestInterruptedBackupLeavesRepositoryValid(t *testing.T) {
	r := newRepo(t)
	r.SetPackSize(1 << 20)
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{Workers: 1, Progress: func(p Progress) {
		if p.Bytes > 4<<20 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled backup: %v", err)
	}
	r = reopen(t, r)
	snaps, _ := r.ListSnapshots(context.Background())
	if len(snaps) != 0 {
		t.Fatal("a cancelled backup saved a snapshot")
	}
	res, err := Check(context.Background(), r, 100, nil)
	if err != nil || !res.Sound {
		t.Fatalf("check after interruption: %+v %v", res, err)
	}
	// The next run reuses what was stored before the interruption.
	sum, err := Backup(context.Background(), r, BackupArgs{Paths: []string{src}}, BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.DataAdded >= sum.TotalBytes-(11<<20) {
		t.Errorf("the second run stored %d bytes again", sum.DataAdded)
	}
}

func TestForgetAndPrune(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	clock := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	var ids []string
	for i := 0; i < 4; i++ {
		os.WriteFile(filepath.Join(src, "changing.bin"), randBytes(uint64(100+i), 2<<20), 0o644)
		sum, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sum.SnapshotID)
		clock = clock.Add(24 * time.Hour)
	}
	// A dry run removes nothing.
	res, err := Forget(ctx, r, retention.Policy{Last: 1}, true, true, nil)
	if err != nil || res.Removed != 3 || res.Prune == nil || res.Prune.BytesFreed == 0 {
		t.Fatalf("dry run: %+v %v", res, err)
	}
	if snaps, _ := r.ListSnapshots(ctx); len(snaps) != 4 {
		t.Fatal("the dry run removed snapshots")
	}
	before := dirSize(t, r.Dir())
	res, err = Forget(ctx, r, retention.Policy{Last: 1}, true, false, nil)
	if err != nil || res.Removed != 3 {
		t.Fatalf("forget: %+v %v", res, err)
	}
	for _, d := range res.Decisions {
		if d.Keep != (d.ID == ids[3]) || (d.Keep && len(d.Reasons) == 0) {
			t.Errorf("decision %+v", d)
		}
	}
	if after := dirSize(t, r.Dir()); after >= before-(3<<20) {
		t.Errorf("prune freed too little: %d → %d", before, after)
	}
	r = reopen(t, r)
	chk, err := Check(ctx, r, 100, nil)
	if err != nil || !chk.Sound || len(chk.UnreferencedPacks) != 0 {
		t.Fatalf("check after prune: %+v %v", chk, err)
	}
	target := filepath.Join(t.TempDir(), "restore")
	if _, err := Restore(ctx, r, RestoreArgs{Snapshot: "latest", Target: target}, RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	assertSameTree(t, src, filepath.Join(target, "data"))
}

func dirSize(t *testing.T, dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := d.Info()
			n += fi.Size()
		}
		return nil
	})
	return n
}

func TestSnapshotDirHashMatchesLiveFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip()
	}
	ctx := context.Background()
	r := newRepo(t)
	src := filepath.Join(t.TempDir(), "data")
	makeTree(t, src)
	if _, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	sn, _ := ResolveSnapshot(ctx, r, "latest")
	root, _ := LoadTree(ctx, r, sn.Tree)
	node, _ := root.Find("data")
	live, _, err := content.Scan(ctx, src, content.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if live.Root().Hash != node.Content {
		t.Errorf("snapshot dir hash %s, live folder %s", node.Content, live.Root().Hash)
	}
}

func TestTwoWritersAtOnce(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	srcA, srcB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	makeTree(t, srcA)
	makeTree(t, srcB) // same content: both writers race to store the same chunks
	os.WriteFile(filepath.Join(srcB, "only-b.bin"), randBytes(9, 3<<20), 0o644)
	errs := make(chan error, 2)
	for _, src := range []string{srcA, srcB} {
		go func() {
			w := reopen(t, r) // a separate process's view
			lease, err := w.Lock(ctx, false)
			if err != nil {
				errs <- err
				return
			}
			defer lease.Release()
			_, err = Backup(ctx, w, BackupArgs{Paths: []string{src}}, BackupOptions{})
			errs <- err
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	r = reopen(t, r)
	res, err := Check(ctx, r, 100, nil)
	if err != nil || !res.Sound {
		t.Fatalf("check after two writers: %+v %v", res, err)
	}
	for _, name := range []string{"a", "b"} {
		target := filepath.Join(t.TempDir(), "r")
		snaps, _ := r.ListSnapshots(ctx)
		var id string
		for _, sn := range snaps {
			if filepath.Base(sn.Paths[0]) == name {
				id = sn.ID.String()
			}
		}
		if _, err := Restore(ctx, r, RestoreArgs{Snapshot: id, Target: target}, RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		src := srcA
		if name == "b" {
			src = srcB
		}
		assertSameTree(t, src, filepath.Join(target, name))
	}
}

// TestBackupNoticesFilesChangingUnderIt changes a file between the walk
// and its read, once (it is read again and its new content saved, not
// reported) and before every read (saved as last read, and reported as
// changed while being read).
func TestBackupNoticesFilesChangingUnderIt(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		changes     int // how many reads of the file find it changed since the walk or the last read
		wantChanged bool
	}{
		{"changed once", 1, false},
		{"changing on", 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			src := filepath.Join(t.TempDir(), "data")
			makeTree(t, src)
			victim := filepath.Join(src, "docs", "notes.md")
			changes := 0
			opts := BackupOptions{beforeRead: func(path string) {
				if path != victim || changes == tc.changes {
					return
				}
				changes++
				content := fmt.Sprintf("version %d of the notes", changes)
				if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
					t.Error(err)
				}
				// A whole second later, so the mtime moves on any file system.
				mt := time.Now().Add(time.Duration(changes) * time.Second)
				if err := os.Chtimes(path, mt, mt); err != nil {
					t.Error(err)
				}
			}}
			sum, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, opts)
			if err != nil {
				t.Fatal(err)
			}
			rel := "data/docs/notes.md"
			if got := slices.Contains(sum.Changed, rel); got != tc.wantChanged {
				t.Errorf("reported changed: %v (%v), want %v", got, sum.Changed, tc.wantChanged)
			}
			target := filepath.Join(t.TempDir(), "restore")
			if _, err := Restore(ctx, r, RestoreArgs{Snapshot: "latest", Target: target}, RestoreOptions{}); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(target, "data", "docs", "notes.md"))
			if want := fmt.Sprintf("version %d of the notes", tc.changes); err != nil || string(got) != want {
				t.Errorf("saved %q (%v), want the last version read, %q", got, err, want)
			}
		})
	}
}
