package ui

import (
	"bytes"
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
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
)

// waitUI polls cond on the UI side until it holds, or fails the test.
func waitUI(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// Generous: CI runs every package's tests at once under -race on two
	// cores. This bounds a hang; it is not a timing assertion.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ok bool
		uiDo(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// newBackupsTestPage puts a Backups page of the shell's engine in a
// window of its own, so its table and tree are laid out and drawn.
func newBackupsTestPage(t *testing.T, s *Shell) (*backupsPage, fyne.Window) {
	t.Helper()
	var p *backupsPage
	var w fyne.Window
	uiDo(func() {
		p = newBackupsView(s)
		w = test.NewWindow(p.build())
		w.Resize(fyne.NewSize(1100, 800))
	})
	t.Cleanup(func() { uiDo(w.Close) })
	return p, w
}

func TestBackupsPageBackUpBrowseRestore(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	eng.Backup.KDF = repo.TestKDFParams()

	tmp := t.TempDir()
	repoDir := filepath.Join(tmp, "repo")
	src := filepath.Join(tmp, "src")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	hello := []byte("hello from the backups page\n")
	big := bytes.Repeat([]byte("0123456789abcdef"), 40000)
	if err := os.WriteFile(filepath.Join(src, "a.txt"), hello, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "sub", "b.bin"), big, 0o600); err != nil {
		t.Fatal(err)
	}

	p, w := newBackupsTestPage(t, s)
	waitUI(t, "the empty state", func() bool {
		return strings.Contains(texts(w.Content()), "No backups yet")
	})

	// Add repository, as its dialog does.
	var added bool
	var addErr error
	uiDo(func() {
		p.addRepository(repoDir, "demo", "correct horse", false, func(err error) { added, addErr = true, err })
	})
	waitUI(t, "backup.init", func() bool { return added })
	if addErr != nil {
		t.Fatal(addErr)
	}
	waitUI(t, "the repository in the list", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, "demo") && strings.Contains(got, "password not remembered") &&
			strings.Contains(got, "No snapshots in demo yet")
	})

	// Back up a folder now.
	uiDo(func() {
		p.folderEntry.SetText(src)
		p.repoSelect.SetSelected("demo")
		p.backupNow()
	})
	var run bkRun
	waitUI(t, "the backup to end", func() bool {
		if p.lastRun == nil || p.backupCancel != nil {
			return false
		}
		run = *p.lastRun
		return true
	})
	if run.err != nil || run.exit != 0 {
		t.Fatalf("backup: exit %d, %v", run.exit, run.err)
	}
	if run.sum.FilesNew != 2 || run.sum.SnapshotID == "" {
		t.Fatalf("backup summary %+v", run.sum)
	}
	waitUI(t, "the summary", func() bool {
		return strings.Contains(p.progressText.Text, "Snapshot "+bkShort(run.sum.SnapshotID)+" saved")
	})

	// The snapshot table: one row, two files, newest first.
	waitUI(t, "the snapshot table", func() bool {
		rows, _ := p.table.Length()
		return rows == 1 && len(p.snaps) == 1 && p.snaps[0].ID == run.sum.SnapshotID &&
			strings.Contains(texts(w.Content()), p.snaps[0].ShortID)
	})
	uiDo(func() {
		if got := bkSnapshotCell(p.snaps[0], 2); got != "2" {
			t.Errorf("Files column says %q", got)
		}
		if got := texts(w.Content()); !strings.Contains(got, "1 snapshot · latest") {
			t.Errorf("the repository row has no stats:\n%s", got)
		}
	})

	// The repository's row shows its health as backup.stats tells it:
	// the size on disk and the deduplication, and that it was never
	// checked.
	want := dispatchStats(t, eng, "demo", "correct horse")
	if want.Snapshots != 1 || want.SizeBytes <= 0 || want.LogicalBytes != int64(len(hello)+len(big)) || want.DedupRatio <= 1 {
		t.Fatalf("backup.stats: %+v", want)
	}
	health := backup.HumanBytes(want.SizeBytes) + " on disk · " + bkRatio(want.DedupRatio) + " deduplicated"
	waitUI(t, "the repository's health", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, health) && strings.Contains(got, "never checked")
	})

	// Check it, reading all data, as the check dialog's button does.
	var cf *checkForm
	uiDo(func() {
		cf = p.newCheckForm("demo")
		cf.what.SetSelected(checkFull)
		cf.start()
	})
	waitUI(t, "the check", func() bool { return cf.done })
	if cf.err != nil || cf.exit != 0 || !cf.result.Sound {
		t.Fatalf("check: exit %d, %v, %+v", cf.exit, cf.err, cf.result)
	}
	if r := cf.result; r.Snapshots != 1 || r.Packs == 0 || r.PacksRead != r.Packs || r.BytesRead <= 0 {
		t.Errorf("check result %+v", r)
	}
	uiDo(func() {
		if !strings.HasPrefix(cf.verdict.Text, "Sound") || !strings.Contains(cf.counts.Text, "read back and verified") || len(cf.problems) != 0 {
			t.Errorf("check outcome: %q, %q, %q", cf.verdict.Text, cf.counts.Text, cf.problems)
		}
	})
	waitUI(t, "the row to show the check", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, "checked less than a minute ago · sound") && !strings.Contains(got, "never checked")
	})
	if st := dispatchStats(t, eng, "demo", "correct horse"); st.LastCheck == nil || !st.CheckSound || !st.CheckRead {
		t.Errorf("backup.stats after the check: %+v", st)
	}

	// The browser lists the folder, opened on its contents.
	waitUI(t, "the browser", func() bool {
		_ = texts(w.Content()) // draws the tree, which asks for what it shows
		return slices.Equal(p.children[""], []string{"src"}) &&
			slices.Equal(p.children["src"], []string{"src/sub", "src/a.txt"}) &&
			strings.Contains(texts(w.Content()), "a.txt")
	})

	// Restore only the selected file.
	only := filepath.Join(tmp, "only")
	var f *restoreForm
	uiDo(func() {
		p.tree.Select("src/a.txt")
		f = p.newRestoreForm()
		f.target.SetText(only)
		f.what.SetSelected(f.only)
		f.start()
	})
	waitUI(t, "the restore of one file", func() bool { return f.done })
	if f.err != nil {
		t.Fatal(f.err)
	}
	if got, err := os.ReadFile(filepath.Join(only, "src", "a.txt")); err != nil || !bytes.Equal(got, hello) {
		t.Fatalf("restored a.txt: %q, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(only, "src", "sub", "b.bin")); !os.IsNotExist(err) {
		t.Errorf("restoring one file restored its neighbours too: %v", err)
	}

	// Restore the whole snapshot, verified.
	whole := filepath.Join(tmp, "whole")
	uiDo(func() {
		f = p.newRestoreForm()
		f.target.SetText(whole)
		f.what.SetSelected(f.whole)
		f.verify.SetChecked(true)
		f.start()
	})
	waitUI(t, "the restore of the snapshot", func() bool { return f.done })
	if f.err != nil || f.exit != 0 {
		t.Fatalf("restore: exit %d, %v", f.exit, f.err)
	}
	if f.summary.Files != 2 || f.summary.Verified != 2 {
		t.Errorf("restore summary %+v", f.summary)
	}
	if got, err := os.ReadFile(filepath.Join(whole, "src", "sub", "b.bin")); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("restored b.bin: %d bytes, %v", len(got), err)
	}
	uiDo(func() {
		if !strings.Contains(f.result.Text, "2 files verified") {
			t.Errorf("restore report: %q", f.result.Text)
		}
	})

	// A page that has not been given the password shows the repository
	// locked until the right one is typed.
	p2, w2 := newBackupsTestPage(t, s)
	waitUI(t, "the locked repository", func() bool {
		return strings.Contains(texts(w2.Content()), "demo is locked")
	})
	uiDo(func() { p2.unlock("demo", "wrong", nil) })
	waitUI(t, "the wrong password to be refused", func() bool {
		// The engine's refusal is shown in a dialog over the main window.
		return p2.stat("demo").state == repoLocked && len(s.Window().Canvas().Overlays().List()) > 0
	})
	uiDo(func() {
		// What this home recorded of the last check shows while locked.
		if got := texts(w2.Content()); !strings.Contains(got, "checked less than a minute ago · sound") {
			t.Errorf("the locked repository's row:\n%s", got)
		}
	})
	uiDo(func() { p2.unlock("demo", "correct horse", nil) })
	waitUI(t, "the unlocked repository", func() bool {
		return len(p2.snaps) == 1 && strings.Contains(texts(w2.Content()), "unlocked until you quit")
	})

	// Damage a pack: a check that reads all data names the snapshot and
	// what in it cannot be restored, and the row says DAMAGED.
	damagePack(t, repoDir)
	uiDo(func() {
		cf = p.newCheckForm("demo")
		cf.what.SetSelected(checkFull)
		cf.start()
	})
	waitUI(t, "the check of the damaged repository", func() bool { return cf.done })
	if cf.err != nil || cf.exit != control.ExitFound || cf.result.Sound {
		t.Fatalf("check: exit %d, %v, %+v", cf.exit, cf.err, cf.result)
	}
	uiDo(func() {
		lines := strings.Join(cf.problems, "\n")
		if !strings.HasPrefix(cf.verdict.Text, "DAMAGED: 1 snapshot") || !strings.Contains(lines, "Snapshot "+bkShort(run.sum.SnapshotID)) ||
			!strings.Contains(lines, bkShort(run.sum.SnapshotID)+": ") || !strings.Contains(cf.next.Text, "Restore these files from another snapshot") {
			t.Errorf("check outcome: %q\n%s\n%q", cf.verdict.Text, lines, cf.next.Text)
		}
	})
	waitUI(t, "the row to show the damage", func() bool {
		return strings.Contains(texts(w.Content()), "checked less than a minute ago · DAMAGED") &&
			strings.Contains(p.statusText.Text, "found damage in demo")
	})
}

// dispatchStats asks the engine for backup.stats directly.
func dispatchStats(t *testing.T, eng *engine.Engine, name, password string) backup.RepoStats {
	t.Helper()
	raw, err := json.Marshal(backup.RepoArgs{Repo: name})
	if err != nil {
		t.Fatal(err)
	}
	res := eng.Dispatch(context.Background(), control.Request{Op: backup.OpStats, Args: raw,
		Secrets: map[string]string{backup.SecretPassword: password}}, nil)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	var st backup.RepoStats
	if err := json.Unmarshal(res.Data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// damagePack flips a byte in the middle of the repository's largest pack.
func damagePack(t *testing.T, repoDir string) {
	t.Helper()
	packs, err := filepath.Glob(filepath.Join(repoDir, "data", "*", "*"))
	if err != nil || len(packs) == 0 {
		t.Fatalf("no packs in %s: %v", repoDir, err)
	}
	var largest string
	var size int64
	for _, pk := range packs {
		if fi, err := os.Stat(pk); err == nil && fi.Size() > size {
			largest, size = pk, fi.Size()
		}
	}
	if err := os.Chmod(largest, 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(largest)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(largest, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBackupsHealthWords(t *testing.T) {
	for r, want := range map[float64]string{0.98: "1.0×", 2.43: "2.4×", 9.94: "9.9×", 9.96: "10×", 37.6: "38×"} {
		if got := bkRatio(r); got != want {
			t.Errorf("bkRatio(%v) = %q, want %q", r, got, want)
		}
	}
	if got := bkHealthSize(backup.RepoStats{SizeBytes: 1 << 20}); got != "1.0 MiB on disk" {
		t.Errorf("an empty repository's size: %q", got)
	}
}

func TestBackupsIncludePattern(t *testing.T) {
	for in, want := range map[string]string{
		"src/a.txt":    "src/a.txt",
		"src/[x]*?.md": `src/\[x]\*\?.md`,
		`back\slash`:   `back\\slash`,
	} {
		if got := bkIncludePattern(in); got != want {
			t.Errorf("bkIncludePattern(%q) = %q, want %q", in, got, want)
		}
	}
}
