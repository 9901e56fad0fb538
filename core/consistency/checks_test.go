package consistency

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/holdfast/holdfast/core/backup"
)

func checkOf(t *testing.T, ts *testService, folder string) (CheckRecord, bool) {
	t.Helper()
	var recs []CheckRecord
	if res := ts.call(t, OpChecks, struct{}{}, &recs); res.Err() != nil {
		t.Fatal(res.Err())
	}
	for _, r := range recs {
		if r.Folder == folder {
			return r, true
		}
	}
	return CheckRecord{}, false
}

func TestChecksRecordTheLastVerifyAndCompare(t *testing.T) {
	ts := newTestService(t)
	dir := t.TempDir()
	docs, other := filepath.Join(dir, "Docs"), filepath.Join(dir, "Other")
	for _, d := range []string{docs, other} {
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "a.txt"), []byte("alpha"), 0o644)
	}
	if _, ok := checkOf(t, ts, docs); ok {
		t.Fatal("a check before any")
	}
	r := newRepo(t)
	backupOf(t, r, docs)
	args := VerifyArgs{RepoArgs: backup.RepoArgs{Repo: r.Dir(), RepoAbs: r.Dir()}, Folder: docs}
	ts.call(t, OpVerify, args, nil)
	rec, ok := checkOf(t, ts, docs)
	if !ok || rec.Kind != "verify" || rec.Result != ResultClean || rec.Score != 100 || rec.Against != r.Dir() || rec.Snapshot == "" || rec.Time.IsZero() || rec.Differences() != 0 {
		t.Fatalf("after a clean verify: %+v", rec)
	}

	fa := filepath.Join(docs, "a.txt")
	fi, _ := os.Stat(fa)
	os.WriteFile(fa, []byte("ALPHA"), 0o644)
	os.Chtimes(fa, fi.ModTime(), fi.ModTime())
	os.WriteFile(filepath.Join(docs, "new.txt"), []byte("new"), 0o644)
	args.Deep = true
	ts.call(t, OpVerify, args, nil)
	if rec, _ = checkOf(t, ts, docs); rec.Result != ResultCorrupt || !rec.Deep || rec.Counts["corrupt"] != 1 || rec.Counts["new"] != 1 || rec.Differences() != 2 || rec.Score >= 100 {
		t.Fatalf("after a verify that found corruption: %+v", rec)
	}

	// A compare is the last check of both folders, each seen from itself.
	ts.call(t, OpCompare, CompareArgs{A: docs, B: other}, nil)
	a, _ := checkOf(t, ts, docs)
	b, _ := checkOf(t, ts, other)
	if a.Kind != "compare" || a.Result != ResultDrifted || a.Against != other || a.Counts["missing"] != 1 || a.Counts["modified"] != 1 || a.Counts["extra"] != 0 {
		t.Errorf("compare, seen from A: %+v", a)
	}
	if b.Against != docs || b.Counts["extra"] != 1 || b.Counts["missing"] != 0 || b.Score != a.Score {
		t.Errorf("compare, seen from B: %+v", b)
	}
}

func TestTrashShowListsARepairsFiles(t *testing.T) {
	ts := newTestService(t)
	docs := filepath.Join(t.TempDir(), "Docs")
	os.MkdirAll(docs, 0o755)
	os.WriteFile(filepath.Join(docs, "c.txt"), []byte("good bytes"), 0o644)
	os.WriteFile(filepath.Join(docs, "gone.txt"), []byte("gone"), 0o644)
	r := newRepo(t)
	backupOf(t, r, docs)
	fc := filepath.Join(docs, "c.txt")
	fi, _ := os.Stat(fc)
	os.WriteFile(fc, []byte("BAD! bytes"), 0o644)
	os.Chtimes(fc, fi.ModTime(), fi.ModTime())
	os.Remove(filepath.Join(docs, "gone.txt"))

	var done RepairResult
	repoArgs := backup.RepoArgs{Repo: r.Dir(), RepoAbs: r.Dir()}
	if res := ts.call(t, OpRepair, RepairArgs{RepoArgs: repoArgs, Folder: docs, Missing: true, Apply: true}, &done); res.Err() != nil || len(done.Steps) != 2 {
		t.Fatalf("repair: %+v %+v", res, done)
	}
	var d TrashDetail
	if res := ts.call(t, OpTrashShow, UndoArgs{ID: done.ID}, &d); res.Err() != nil {
		t.Fatal(res.Err())
	}
	if d.ID != done.ID || d.Folder != docs || d.Files != 1 || d.Bytes != int64(len("BAD! bytes")) || len(d.List) != 2 {
		t.Fatalf("trash show: %+v", d)
	}
	byPath := map[string]TrashItem{}
	for _, it := range d.List {
		byPath[it.Path] = it
	}
	if it := byPath["c.txt"]; it.Action != "replaced" || !it.InTrash || it.Size != 10 {
		t.Errorf("c.txt: %+v", it)
	}
	if it := byPath["gone.txt"]; it.Action != "created" || it.InTrash {
		t.Errorf("gone.txt: %+v", it)
	}
	if res := ts.call(t, OpTrashShow, UndoArgs{ID: "../x"}, nil); res.Err() == nil {
		t.Error("trash show of a bad ID succeeded")
	}
}
