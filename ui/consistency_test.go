package ui

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/watch"
)

// newConsistencyTestPage puts a Consistency page of the shell's engine in
// a window of its own, so its list and tree are laid out and drawn.
func newConsistencyTestPage(t *testing.T, s *Shell) (*consistencyPage, fyne.Window) {
	t.Helper()
	var p *consistencyPage
	var w fyne.Window
	uiDo(func() {
		p = newConsistencyView(s)
		w = test.NewWindow(p.build())
		w.Resize(fyne.NewSize(1100, 800))
	})
	t.Cleanup(func() { uiDo(w.Close) })
	return p, w
}

// dispatch runs op in the engine with the test password, or fails.
func dispatch(t *testing.T, eng *engine.Engine, op string, args, out any) {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Dispatch(context.Background(), control.Request{Op: op, Args: raw,
		Secrets: map[string]string{backup.SecretPassword: "correct horse"}}, nil)
	if err := res.Err(); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	if out != nil {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatal(err)
		}
	}
}

// watchedEntry returns the watcher's entry for name at the root of dir.
func watchedEntry(eng *engine.Engine, dir, name string) (content.Entry, bool) {
	tree, st, ok := eng.Watch.Tree(dir)
	if !ok || !st.Ready {
		return content.Entry{}, false
	}
	for _, e := range tree.Root().Entries {
		if e.Name == name {
			return e, true
		}
	}
	return content.Entry{}, false
}

func TestConsistencyPageWatchVerifyRepairUndo(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	eng.Backup.KDF = repo.TestKDFParams()

	tmp := t.TempDir()
	docs := filepath.Join(tmp, "Docs")
	if err := os.MkdirAll(filepath.Join(docs, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	good := []byte("the good bytes of a\n")
	for name, data := range map[string][]byte{"a.txt": good, "gone.txt": []byte("soon gone"), "sub/b.txt": []byte("bravo")} {
		if err := os.WriteFile(filepath.Join(docs, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repoDir := filepath.Join(tmp, "repo")
	dispatch(t, eng, backup.OpInit, backup.InitArgs{RepoArgs: backup.RepoArgs{Repo: repoDir, RepoAbs: repoDir}, Name: "demo"}, nil)
	dispatch(t, eng, backup.OpBackup, backup.BackupArgs{RepoArgs: backup.RepoArgs{Repo: "demo"}, Paths: []string{docs}}, nil)

	p, w := newConsistencyTestPage(t, s)
	waitUI(t, "the empty state", func() bool {
		return strings.Contains(texts(w.Content()), "No watched folders yet")
	})

	// Add a folder: it appears, is read, and is up to date.
	var addErr error
	added := false
	uiDo(func() { p.addFolder(docs, func(err error) { added, addErr = true, err }) })
	waitUI(t, "watch.add", func() bool { return added })
	if addErr != nil {
		t.Fatal(addErr)
	}
	waitUI(t, "the folder in the list, up to date", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, docs) && strings.Contains(got, cnStateUpToDate) &&
			strings.Contains(got, "3 files") && strings.Contains(got, "never checked")
	})
	waitUI(t, "the repositories", func() bool { return len(p.repos) == 1 && p.locked("demo") })

	// Corrupt a.txt (same size and time, other bytes) and lose gone.txt;
	// the watcher sees both.
	before, _ := watchedEntry(eng, docs, "a.txt")
	fa := filepath.Join(docs, "a.txt")
	fi, err := os.Stat(fa)
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte("THE GOOD BYTES OF A\n")
	if err := os.WriteFile(fa, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(fa, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(docs, "gone.txt")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the watcher to see the damage", func() bool {
		e, ok := watchedEntry(eng, docs, "a.txt")
		_, gone := watchedEntry(eng, docs, "gone.txt")
		return ok && e.Content != before.Content && !gone
	})

	// Verify against the repository: the tree names a.txt corrupt and
	// gone.txt missing.
	uiDo(func() {
		p.passwords["demo"] = "correct horse" // as the Verify dialog keeps a typed one
		p.verify(docs, "demo", false)
	})
	r := waitResult(t, p, docs, nil)
	if r.err != nil || r.verify == nil {
		t.Fatalf("verify: %v", r.err)
	}
	uiDo(func() {
		if got := r.tree.paths("corrupt"); !slices.Equal(got, []string{"a.txt"}) {
			t.Errorf("corrupt in the tree: %q", got)
		}
		if got := r.tree.paths("missing"); !slices.Equal(got, []string{"gone.txt"}) {
			t.Errorf("missing in the tree: %q", got)
		}
		got := texts(w.Content())
		for _, want := range []string{"1 corrupt", "1 missing", "a.txt", "silent corruption", "gone.txt", "Repair…"} {
			if !strings.Contains(got, want) {
				t.Errorf("the result does not show %q:\n%s", want, got)
			}
		}
	})
	waitUI(t, "the folder to show as corrupt", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, cnStateCorrupt) && strings.Contains(got, "verified against demo") &&
			strings.Contains(p.statusText.Text, "Corrupt files in Docs")
	})

	// The repair plan: corrupt only by default, the missing file with the
	// wider choice; nothing changes while planning.
	var f *repairForm
	uiDo(func() { f = p.newRepairForm(r) })
	waitUI(t, "the plan", func() bool { return f.planned })
	uiDo(func() {
		if f.planErr != nil || len(f.steps) != 1 || f.steps[0].Path != "a.txt" || f.steps[0].Action != "restore" || f.skipped != 1 {
			t.Fatalf("plan: %v %+v skipped %d", f.planErr, f.steps, f.skipped)
		}
		if !strings.Contains(f.summary.Text, "restores 1 file from snapshot") || !strings.Contains(f.summary.Text, "goes to the trash") ||
			f.applyB.Text != "Repair 1 file…" || f.applyB.Disabled() {
			t.Errorf("plan words: %q, button %q", f.summary.Text, f.applyB.Text)
		}
		f.option.SetSelected(cnRepairMissing)
	})
	waitUI(t, "the wider plan", func() bool { return f.planned })
	uiDo(func() {
		if len(f.steps) != 2 {
			t.Errorf("plan with missing files: %+v", f.steps)
		}
		f.option.SetSelected(cnRepairCorrupt)
	})
	waitUI(t, "the plan again", func() bool { return f.planned })
	if b, _ := os.ReadFile(fa); string(b) != string(bad) {
		t.Fatal("planning changed the file")
	}

	// Apply: a.txt is restored, the page verifies again and offers Undo.
	uiDo(f.apply)
	r = waitResult(t, p, docs, func(r *cnResult) bool { return r.repair != nil && r.verify != nil && r.verify.Counts.Corrupt == 0 })
	if b, _ := os.ReadFile(fa); string(b) != string(good) {
		t.Fatalf("a.txt after the repair: %q", b)
	}
	repairID := r.repair.ID
	uiDo(func() {
		if r.verify.Counts.Missing != 1 || p.undoBtn.Hidden || p.repairBtn.Hidden {
			t.Errorf("after the repair: %+v, undo hidden %v", r.verify.Counts, p.undoBtn.Hidden)
		}
	})

	// The trash holds the corrupt version.
	uiDo(func() {
		p.tabs.SelectIndex(1)
		p.trash.load()
	})
	waitUI(t, "the trash", func() bool {
		e, ok := p.trash.entry(repairID)
		return ok && e.Files == 1 && len(e.List) == 1 && e.List[0].InTrash
	})
	uiDo(func() { p.trash.tree.OpenBranch(repairID) })
	waitUI(t, "the trash tab", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, "1 repair · 1 file in the trash") && strings.Contains(got, "a.txt") &&
			strings.Contains(got, "the old version is in the trash")
	})
	if b, err := os.ReadFile(filepath.Join(eng.Home().Dir, "trash", repairID, "a.txt")); err != nil || string(b) != string(bad) {
		t.Errorf("the trash copy: %q, %v", b, err)
	}

	// Restore from the trash undoes the repair: the corrupt bytes are back.
	var undo consistency.UndoResult
	var undoErr error
	undone := false
	uiDo(func() {
		p.trash.selected = repairID
		p.trash.restore(repairID, func(res consistency.UndoResult, err error) { undo, undoErr, undone = res, err, true })
	})
	waitUI(t, "the undo", func() bool { return undone })
	if undoErr != nil || len(undo.Restored) != 1 || len(undo.Conflicts) != 0 {
		t.Fatalf("undo: %+v %v", undo, undoErr)
	}
	if b, _ := os.ReadFile(fa); string(b) != string(bad) {
		t.Fatalf("a.txt after the undo: %q", b)
	}
	r = waitResult(t, p, docs, func(r *cnResult) bool { return r.verify != nil && r.verify.Counts.Corrupt == 1 })
	uiDo(func() {
		if got := r.tree.paths("corrupt"); !slices.Equal(got, []string{"a.txt"}) || !p.undoBtn.Hidden {
			t.Errorf("after the undo: corrupt %q, undo shown %v", got, !p.undoBtn.Hidden)
		}
	})
	waitUI(t, "the trash to show the undo", func() bool {
		e, ok := p.trash.entry(repairID)
		return ok && e.Undone != nil && e.Files == 0
	})

	// Empty the trash.
	emptied := false
	uiDo(func() {
		p.trash.empty("", func(res consistency.TrashEmptyResult, err error) {
			emptied = true
			if err != nil || !slices.Equal(res.Removed, []string{repairID}) {
				t.Errorf("empty: %+v %v", res, err)
			}
		})
	})
	waitUI(t, "the empty trash", func() bool {
		return emptied && p.trash.loaded && len(p.trash.entries) == 0 && strings.Contains(texts(w.Content()), "The trash is empty")
	})
	uiDo(func() { p.tabs.SelectIndex(0) })

	// Compare with another folder.
	other := filepath.Join(tmp, "Other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "only-there.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	uiDo(func() { p.compare(docs, other, "") })
	r = waitResult(t, p, docs, func(r *cnResult) bool { return r.kind == "compare" })
	if r.err != nil || r.compare == nil {
		t.Fatalf("compare: %v", r.err)
	}
	uiDo(func() {
		if got := r.tree.paths("extra"); !slices.Equal(got, []string{"only-there.txt"}) {
			t.Errorf("extra: %q", got)
		}
		if got := r.tree.paths("missing"); !slices.Contains(got, "sub/b.txt") {
			t.Errorf("missing: %q", got)
		}
		if got := texts(w.Content()); !strings.Contains(got, "1 extra") || !strings.Contains(got, "compared with "+other) {
			t.Errorf("the compare result:\n%s", got)
		}
	})

	// Remove the folder: the page is empty again, the files untouched.
	removed := false
	uiDo(func() { p.removeFolder(docs, func(err error) { removed = err == nil }) })
	waitUI(t, "the empty state again", func() bool {
		return removed && strings.Contains(texts(w.Content()), "No watched folders yet")
	})
	if _, err := os.Stat(fa); err != nil {
		t.Errorf("removing the folder touched it: %v", err)
	}
}

// waitFor polls cond outside the UI until it holds, or fails the test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitResult waits until the page ran nothing and shows a result for
// folder that satisfies cond (any, when nil), newer than the last one.
func waitResult(t *testing.T, p *consistencyPage, folder string, cond func(*cnResult) bool) *cnResult {
	t.Helper()
	var r *cnResult
	waitUI(t, "the result of "+folder, func() bool {
		r = p.results[folder]
		return p.run == nil && r != nil && r.tree != nil && (cond == nil || cond(r))
	})
	return r
}

func TestConsistencyTreeGroupsByDirectory(t *testing.T) {
	e := func(p string) consistency.Entry { return consistency.Entry{Path: p, Type: "file"} }
	r := &cnResult{verify: &consistency.VerifyResult{
		Corrupt: []consistency.Entry{e("a/b/c.txt")},
		Missing: []consistency.Entry{{Path: "a/gone", Type: "dir"}, e("a/gone/x")},
		New:     []consistency.Entry{e("top.txt")},
	}}
	tr := newCnTree(r)
	if tr.total != 4 {
		t.Errorf("total %d", tr.total)
	}
	root := tr.nodes[""]
	if !slices.Equal(root.children, []string{"a", "top.txt"}) || root.count != 4 || root.worst != "corrupt" {
		t.Errorf("root: %+v", root)
	}
	a := tr.nodes["a"]
	if !slices.Equal(a.children, []string{"a/b", "a/gone"}) || a.count != 3 || a.diff != nil {
		t.Errorf("a: %+v", a)
	}
	gone := tr.nodes["a/gone"]
	if gone.diff == nil || gone.diff.class != "missing" || !slices.Equal(gone.children, []string{"a/gone/x"}) || gone.count != 2 {
		t.Errorf("a/gone, a missing directory with a file: %+v", gone)
	}
}

func TestConsistencyWords(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{{100, "100 %"}, {99.5, "99.50 %"}, {0, "0 %"}} {
		if got := cnScore(c.in); got != c.want {
			t.Errorf("cnScore(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	for in, want := range map[int]string{7: "7", 1234: "1234", 12345: "12,345", 1234567: "1,234,567"} {
		if got := cnThousands(in); got != want {
			t.Errorf("cnThousands(%d) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b"}, "a and b"}, {[]string{"a", "b", "c"}, "a, b and c"}, {[]string{"a", "b", "c", "d", "e"}, "a, b, c and 2 more"}} {
		if got := cnAnd(c.in, 3); got != c.want {
			t.Errorf("cnAnd(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if was, is := cnSizePair(131178, 131186); was != "131,178 bytes" || is != "131,186 bytes" {
		t.Errorf("cnSizePair of sizes alike in KiB: %q, %q", was, is)
	}
	if was, is := cnSizePair(1<<20, 3<<20); was != "1.0 MiB" || is != "3.0 MiB" {
		t.Errorf("cnSizePair: %q, %q", was, is)
	}
	t0 := time.Date(2026, 8, 28, 16, 20, 5, 0, time.Local)
	if was, is := cnTimePair(t0, t0.Add(3*time.Second)); was != "28 Aug 2026 16:20:05" || is != "28 Aug 2026 16:20:08" {
		t.Errorf("cnTimePair within a minute: %q, %q", was, is)
	}
	if was, is := cnTimePair(t0, t0.Add(time.Hour)); was != "28 Aug 2026 16:20" || is != "28 Aug 2026 17:20" {
		t.Errorf("cnTimePair: %q, %q", was, is)
	}
	if got := cnCountWords(map[string]int{"new": 2, "corrupt": 1, "errors": 3}); got != "1 corrupt, 3 unreadable, 2 new" {
		t.Errorf("cnCountWords: %q", got)
	}
	if got, ok := cnPathInSnapshot([]string{"/home/u/Docs"}, "/home/u/Docs/sub"); !ok || got != "Docs/sub" {
		t.Errorf("cnPathInSnapshot: %q %v", got, ok)
	}
	if _, ok := cnPathInSnapshot([]string{"/home/u/Docs"}, "/home/u/Docs2"); ok {
		t.Error("cnPathInSnapshot: a sibling with a longer name is inside")
	}
}

// TestConsistencyPageShowsTheLastCompareOnSelect: a compare of two watched
// folders run outside the app (as by `holdfast compare`) leaves a last
// check the status line points at; selecting the folder brings its
// differences up without a click on Check again.
func TestConsistencyPageShowsTheLastCompareOnSelect(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	tmp := t.TempDir()
	a, b := filepath.Join(tmp, "Photos"), filepath.Join(tmp, "Photos copy")
	for _, dir := range []string{a, b} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "same.txt"), []byte("same"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(a, "only-here.txt"), []byte("only in A"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{a, b} {
		dispatch(t, eng, watch.OpAdd, watch.Args{Path: dir}, nil)
	}
	var rep consistency.Report
	dispatch(t, eng, consistency.OpCompare, consistency.CompareArgs{A: a, B: b}, &rep)
	if len(rep.Extra)+len(rep.Missing) != 1 {
		t.Fatalf("the compare found %+v", rep.Counts)
	}

	p, w := newConsistencyTestPage(t, s)
	// The compare is recorded for both folders.
	// The first folder is selected on load, and it is one that drifted:
	// the line does not ask to select one.
	waitUI(t, "the drift in the status line", func() bool {
		all := texts(w.Content())
		return strings.Contains(all, "Photos and Photos copy differed at their last checks") && !strings.Contains(all, "select one")
	})
	uiDo(func() { p.selectFolder(a) })
	r := waitResult(t, p, a, func(r *cnResult) bool { return r.kind == "compare" && r.compare != nil })
	if r.other != b || len(r.compare.Extra)+len(r.compare.Missing) != 1 {
		t.Errorf("the result shown: against %q, %+v", r.other, r.compare.Counts)
	}
	waitUI(t, "the differing file in the tree", func() bool {
		return strings.Contains(texts(w.Content()), "only-here.txt")
	})
}

// The status line asks to select a drifted folder only when none of those
// is the one shown.
func TestCnStatusLineHint(t *testing.T) {
	folders := []watch.FolderInfo{
		{Path: "/a/fine", Watching: true, Ready: true},
		{Path: "/a/one", Watching: true, Ready: true},
		{Path: "/a/two", Watching: true, Ready: true},
	}
	checks := map[string]consistency.CheckRecord{
		"/a/fine": {Folder: "/a/fine", Result: consistency.ResultClean},
		"/a/one":  {Folder: "/a/one", Result: consistency.ResultDrifted},
		"/a/two":  {Folder: "/a/two", Result: consistency.ResultDrifted},
	}
	for _, tc := range []struct{ selected, want string }{
		{"", "one and two differed at their last checks — select one to see what"},
		{"/a/fine", "one and two differed at their last checks — select one to see what"},
		{"/a/two", "one and two differed at their last checks"},
	} {
		if kind, got := cnStatusLine(folders, checks, tc.selected, time.Now()); got != tc.want || kind != statusWarn {
			t.Errorf("selected %q: %v %q, want %q", tc.selected, kind, got, tc.want)
		}
	}
	one := map[string]consistency.CheckRecord{"/a/one": checks["/a/one"]}
	if _, got := cnStatusLine(folders[:2], one, "/a/fine", time.Now()); got != "one differed at its last check — select it to see what" {
		t.Errorf("one drifted, another selected: %q", got)
	}
	if _, got := cnStatusLine(folders[:2], one, "/a/one", time.Now()); got != "one differed at its last check" {
		t.Errorf("one drifted and selected: %q", got)
	}
}
