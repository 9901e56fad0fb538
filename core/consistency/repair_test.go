package consistency

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

// sameContent reports whether two folders hold the same names, types,
// modes and bytes.
func sameContent(t *testing.T, a, b string) bool {
	t.Helper()
	rep, err := Compare(context.Background(), scanLive(t, a), scanLive(t, b), Options{ContentOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Identical() {
		t.Logf("differences: missing %v extra %v modified %v metadata %v", paths(rep.Missing), paths(rep.Extra), paths(rep.Modified), paths(rep.Metadata))
	}
	return rep.Identical()
}

func TestRepairAndUndo(t *testing.T) {
	ts := newTestService(t)
	dir := t.TempDir()
	docs := filepath.Join(dir, "Docs")
	os.MkdirAll(filepath.Join(docs, "sub"), 0o755)
	for p, data := range map[string]string{"corrupt.txt": "good bytes", "changed.txt": "v1", "gone.txt": "gone", "sub/deep.txt": "deep", "mode.txt": "m", "typ": "a file"} {
		os.WriteFile(filepath.Join(docs, p), []byte(data), 0o644)
	}
	os.Symlink("corrupt.txt", filepath.Join(docs, "link"))
	r := newRepo(t)
	backupOf(t, r, docs)
	pristine := filepath.Join(dir, "pristine")
	cpA(t, docs, pristine)

	fc := filepath.Join(docs, "corrupt.txt")
	fi, _ := os.Stat(fc)
	os.WriteFile(fc, []byte("BAD! bytes"), 0o644)
	os.Chtimes(fc, fi.ModTime(), fi.ModTime())
	os.WriteFile(filepath.Join(docs, "changed.txt"), []byte("version 2"), 0o644)
	os.Remove(filepath.Join(docs, "gone.txt"))
	os.RemoveAll(filepath.Join(docs, "sub"))
	os.WriteFile(filepath.Join(docs, "new.txt"), []byte("new"), 0o644)
	os.MkdirAll(filepath.Join(docs, "newdir", "inner"), 0o755)
	os.WriteFile(filepath.Join(docs, "newdir", "inner", "n"), []byte("n"), 0o644)
	os.Chmod(filepath.Join(docs, "mode.txt"), 0o600)
	os.Remove(filepath.Join(docs, "typ"))
	os.MkdirAll(filepath.Join(docs, "typ", "x"), 0o755)
	os.Remove(filepath.Join(docs, "link"))
	os.Symlink("elsewhere", filepath.Join(docs, "link"))
	drifted := filepath.Join(dir, "drifted")
	cpA(t, docs, drifted)

	repoArgs := backup.RepoArgs{Repo: r.Dir(), RepoAbs: r.Dir()}
	// A plan changes nothing.
	var plan RepairResult
	res := ts.call(t, OpRepair, RepairArgs{RepoArgs: repoArgs, Folder: docs, All: true}, &plan)
	if res.Exit != 0 || plan.Applied || len(plan.Steps) == 0 || !sameContent(t, docs, drifted) {
		t.Fatalf("plan: %+v %+v", res, plan)
	}

	// Default: only the corrupt file.
	var done RepairResult
	res = ts.call(t, OpRepair, RepairArgs{RepoArgs: repoArgs, Folder: docs, Apply: true}, &done)
	if res.Exit != 0 || !done.Applied || len(done.Steps) != 1 || !done.Steps[0].Done || done.Steps[0].Path != "corrupt.txt" {
		t.Fatalf("default repair: %+v %+v", res, done)
	}
	if b, _ := os.ReadFile(fc); string(b) != "good bytes" {
		t.Errorf("corrupt.txt after repair: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(ts.home, "trash", done.ID, "corrupt.txt")); string(b) != "BAD! bytes" {
		t.Errorf("trash copy: %q", b)
	}
	var undo UndoResult
	res = ts.call(t, OpRepairUndo, UndoArgs{ID: done.ID}, &undo)
	if res.Exit != 0 || len(undo.Restored) != 1 || !sameContent(t, docs, drifted) {
		t.Fatalf("undo: %+v %+v", res, undo)
	}
	if res = ts.call(t, OpRepairUndo, UndoArgs{ID: done.ID}, nil); res.Exit != control.ExitError {
		t.Errorf("second undo: %+v", res)
	}

	// --all: the folder becomes the snapshot; undo brings the drift back.
	var all RepairResult
	res = ts.call(t, OpRepair, RepairArgs{RepoArgs: repoArgs, Folder: docs, All: true, Apply: true}, &all)
	if res.Exit != 0 || all.Failed != 0 {
		t.Fatalf("repair --all: %+v %+v", res, all)
	}
	if !sameContent(t, docs, pristine) {
		t.Fatal("after repair --all the folder is not the snapshot")
	}
	var v VerifyResult
	if res = ts.call(t, OpVerify, VerifyArgs{RepoArgs: repoArgs, Folder: docs}, &v); res.Exit != 0 || v.Score != 100 {
		t.Errorf("verify after repair --all: %+v %+v", res, v.Counts)
	}
	res = ts.call(t, OpRepairUndo, UndoArgs{ID: all.ID}, &undo)
	if res.Exit != 0 || len(undo.Conflicts) != 0 {
		t.Fatalf("undo --all: %+v %+v", res, undo)
	}
	if !sameContent(t, docs, drifted) {
		t.Fatal("undo of repair --all did not put everything back")
	}

	// The trash: list, restore a moved file, empty.
	res = ts.call(t, OpRepair, RepairArgs{RepoArgs: repoArgs, Folder: docs, All: true, Apply: true}, &all)
	if res.Exit != 0 {
		t.Fatal(res)
	}
	var list []TrashEntry
	ts.call(t, OpTrashList, struct{}{}, &list)
	if len(list) != 3 || list[2].ID != all.ID || list[2].Files == 0 || list[2].Bytes == 0 || list[0].Undone == nil {
		t.Errorf("trash list %+v", list)
	}
	var restored UndoResult
	res = ts.call(t, OpTrashRestore, TrashRestoreArgs{ID: all.ID, Paths: []string{"new.txt", "changed.txt"}}, &restored)
	if res.Exit != control.ExitFound || len(restored.Restored) != 1 || len(restored.Conflicts) != 1 {
		t.Errorf("trash restore: %+v %+v", res, restored)
	}
	if b, _ := os.ReadFile(filepath.Join(docs, "new.txt")); string(b) != "new" {
		t.Errorf("new.txt not restored: %q", b)
	}
	var emptied TrashEmptyResult
	ts.call(t, OpTrashEmpty, TrashEmptyArgs{OlderThan: "1h"}, &emptied)
	if len(emptied.Removed) != 0 {
		t.Errorf("--older-than 1h removed %v", emptied.Removed)
	}
	if res = ts.call(t, OpTrashEmpty, TrashEmptyArgs{OlderThan: "soon"}, nil); res.Exit != control.ExitUsage {
		t.Errorf("bad age: %+v", res)
	}
	ts.call(t, OpTrashEmpty, TrashEmptyArgs{}, &emptied)
	if len(emptied.Removed) != 3 {
		t.Errorf("trash empty removed %v", emptied.Removed)
	}
	if des, _ := os.ReadDir(filepath.Join(ts.home, "trash")); len(des) != 0 {
		t.Errorf("trash not empty: %v", des)
	}
}
