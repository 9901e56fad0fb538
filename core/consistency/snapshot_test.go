package consistency

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
)

// newRepo creates a repository with a cheap key derivation.
func newRepo(t *testing.T) *repo.Repository {
	t.Helper()
	r, err := repo.Init(context.Background(), filepath.Join(t.TempDir(), "repo"), "pw",
		repo.InitOptions{Chunker: content.ParamsString(), KDF: repo.TestKDFParams()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func backupOf(t *testing.T, r *repo.Repository, paths ...string) {
	t.Helper()
	if _, err := backup.Backup(context.Background(), r, backup.BackupArgs{Paths: paths}, backup.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestCompareFolderWithSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	docs := filepath.Join(dir, "Docs")
	os.MkdirAll(filepath.Join(docs, "sub", "deep"), 0o755)
	os.WriteFile(filepath.Join(docs, "a.txt"), []byte("alpha"), 0o644)
	os.WriteFile(filepath.Join(docs, "sub", "deep", "b.txt"), []byte("beta"), 0o600)
	os.Symlink("a.txt", filepath.Join(docs, "link"))
	r := newRepo(t)
	backupOf(t, r, docs)

	snap, sn, p, err := OpenSnapshotDir(ctx, r, SnapshotRef{ID: "latest"})
	if err != nil || p != "Docs" || len(sn.Paths) != 1 {
		t.Fatalf("open: %v %q", err, p)
	}
	rep, err := Compare(ctx, scanLive(t, docs), snap, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical() || rep.Counts.Entries != 5 {
		t.Fatalf("folder and its fresh snapshot differ: %+v", rep)
	}

	// Content-only: equal root hashes, nothing below is loaded.
	counting := &countingTree{Tree: NewSnapshot(r, mustSubtree(t, ctx, snap)), listed: map[string]int{}}
	rep, _ = Compare(ctx, scanLive(t, docs), counting, Options{ContentOnly: true})
	if !rep.Identical() || counting.listed["sub"] != 0 {
		t.Errorf("content-only compare loaded %v: %+v", counting.listed, rep)
	}

	os.WriteFile(filepath.Join(docs, "sub", "deep", "b.txt"), []byte("BETA"), 0o600)
	os.Remove(filepath.Join(docs, "a.txt"))
	sub, _, _, err := OpenSnapshotDir(ctx, r, SnapshotRef{ID: sn.ID.String()[:10], Path: "Docs/sub"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = Compare(ctx, sub, scanLive(t, filepath.Join(docs, "sub")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Modified) != 1 || rep.Modified[0].Path != "deep/b.txt" || len(rep.Missing) != 0 {
		t.Errorf("snapshot:ID:Docs/sub vs folder: %+v", rep)
	}
	if _, _, _, err := OpenSnapshotDir(ctx, r, SnapshotRef{ID: "latest", Path: "Docs/a.txt"}); err == nil {
		t.Error("a file as the snapshot directory was accepted")
	}
}

// mustSubtree returns the blob hash of a Snapshot's root.
func mustSubtree(t *testing.T, ctx context.Context, s *Snapshot) content.Hash {
	t.Helper()
	return s.blobs[""]
}
