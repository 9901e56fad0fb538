package ui

// The Consistency page's dialogs: verify against a repository, compare
// with a folder or a snapshot, repair with its plan, undo.

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
)

// repoNames lists the repositories the home knows.
func (p *consistencyPage) repoNames() []string {
	names := make([]string, len(p.repos))
	for i, r := range p.repos {
		names[i] = r.Name
	}
	return names
}

// defaultRepo is the repository a folder was last verified against, or
// the first one.
func (p *consistencyPage) defaultRepo(folder string) string {
	names := p.repoNames()
	if r := p.results[folder]; r != nil && r.repo != "" && contains(names, r.repo) {
		return r.repo
	}
	if rec, ok := p.checks[folder]; ok && rec.Kind == "verify" && contains(names, rec.Against) {
		return rec.Against
	}
	if len(names) > 0 {
		return names[0]
	}
	return ""
}

// noRepos says there is nothing to verify against yet, and where to go.
func (p *consistencyPage) noRepos() {
	msg := bkWrapped("Verify compares a folder with its backup, and there is no backup repository yet. " +
		"Add one on the Backups page and back the folder up; then verify it here.")
	d := dialog.NewCustomConfirm("No repository yet", "Go to Backups", "Close", bkWidth(440, msg), func(ok bool) {
		if ok {
			p.s.ShowPage(PageBackups)
		}
	}, p.s.win)
	d.Show()
}

// passwordBox is a password entry shown only for a locked repository.
type passwordBox struct {
	entry *widget.Entry
	box   *fyne.Container
}

func newPasswordBox() *passwordBox {
	e := widget.NewPasswordEntry()
	e.SetPlaceHolder("The repository's password")
	hint := widget.NewLabel("Kept in memory until you quit Holdfast; never written anywhere.")
	hint.Importance = widget.LowImportance
	return &passwordBox{entry: e, box: container.NewVBox(widget.NewLabel("Password"), e, hint)}
}

func (b *passwordBox) showFor(p *consistencyPage, repo string) {
	if repo != "" && p.locked(repo) {
		b.box.Show()
	} else {
		b.box.Hide()
	}
}

// take keeps a typed password for the session.
func (b *passwordBox) take(p *consistencyPage, repo string) error {
	if !b.box.Visible() {
		return nil
	}
	if b.entry.Text == "" {
		return errors.New(repo + " needs its password: it is not remembered on this computer")
	}
	p.passwords[repo] = b.entry.Text
	return nil
}

// verifyForm is the Verify dialog's content.
type verifyForm struct {
	repo *widget.Select
	pw   *passwordBox
	deep *widget.Check
}

func (p *consistencyPage) showVerify(folder string) {
	if len(p.repos) == 0 {
		p.loadRepos()
		p.noRepos()
		return
	}
	f := &verifyForm{pw: newPasswordBox()}
	f.repo = widget.NewSelect(p.repoNames(), func(name string) { f.pw.showFor(p, name) })
	f.deep = widget.NewCheck("Read every file (deep)", nil)
	f.repo.SetSelected(p.defaultRepo(folder))
	f.pw.showFor(p, f.repo.Selected)
	hint := bkWrapped("Compares the folder with the newest snapshot in the repository that holds it. " +
		"Files whose size and time did not change since they were last read are trusted; a deep verify " +
		"reads every file again, so it also finds bit rot, and takes as long as reading the whole folder.")
	hint.Importance = widget.LowImportance
	content := container.NewVBox(widget.NewLabel("Repository"), f.repo, f.pw.box, f.deep, hint)
	d := dialog.NewCustomConfirm("Verify "+filepath.Base(folder), "Verify", "Cancel", bkWidth(480, content), func(ok bool) {
		if !ok {
			return
		}
		name := f.repo.Selected
		if name == "" {
			p.showError("Nothing to verify against", errors.New("choose a repository"))
			return
		}
		if err := f.pw.take(p, name); err != nil {
			p.showError("Password needed", err)
			return
		}
		p.verify(folder, name, f.deep.Checked)
	}, p.s.win)
	d.Show()
}

// compareForm is the Compare dialog's content.
type compareForm struct {
	p      *consistencyPage
	folder string
	kind   *widget.RadioGroup
	other  *widget.Entry
	repo   *widget.Select
	pw     *passwordBox
	snap   *widget.Select
	note   *widget.Label
	snaps  []backup.SnapshotInfo
	gen    int
	byName map[string]string // snapshot option → operand
}

const (
	cnCompareFolder   = "Another folder"
	cnCompareSnapshot = "A snapshot"
)

func (p *consistencyPage) showCompare(folder string) {
	f := &compareForm{p: p, folder: folder, pw: newPasswordBox(), byName: map[string]string{}}
	f.other = widget.NewEntry()
	f.other.SetPlaceHolder("Another folder, e.g. /mnt/usb/Documents")
	pick := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
		d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				f.other.SetText(u.Path())
			}
		}, p.s.win)
		d.Resize(fyne.NewSize(820, 560))
		d.Show()
	})
	folderBox := container.NewBorder(nil, nil, nil, pick, f.other)
	f.snap = widget.NewSelect(nil, nil)
	f.snap.PlaceHolder = "Snapshot"
	f.note = widget.NewLabel("")
	f.note.Importance = widget.LowImportance
	f.note.Wrapping = fyne.TextWrapWord
	list := widget.NewButtonWithIcon("Show snapshots", theme.ViewRefreshIcon(), func() {
		if err := f.pw.take(p, f.repo.Selected); err != nil {
			f.note.SetText(err.Error())
			return
		}
		f.loadSnapshots()
	})
	f.repo = widget.NewSelect(p.repoNames(), func(name string) {
		f.pw.showFor(p, name)
		f.loadSnapshots()
	})
	f.repo.PlaceHolder = "Repository"
	snapBox := container.NewVBox(f.repo, f.pw.box, container.NewBorder(nil, nil, nil, list, f.snap), f.note)
	f.kind = widget.NewRadioGroup([]string{cnCompareFolder, cnCompareSnapshot}, func(k string) {
		if k == cnCompareSnapshot {
			folderBox.Hide()
			snapBox.Show()
		} else {
			snapBox.Hide()
			folderBox.Show()
		}
	})
	f.kind.Horizontal = true
	f.kind.Required = true
	f.kind.SetSelected(cnCompareFolder)
	if r := p.defaultRepo(folder); r != "" {
		f.repo.SetSelected(r)
	}
	hint := bkWrapped("Compare sets " + folder + " beside the other side and lists what is missing from it, what only the " +
		"other side has, and what differs in content or in its mode and time. Nothing is changed.")
	hint.Importance = widget.LowImportance
	content := container.NewVBox(widget.NewLabel("Compare "+folder+" with"), f.kind, folderBox, snapBox, hint)
	d := dialog.NewCustomConfirm("Compare "+filepath.Base(folder), "Compare", "Cancel", bkWidth(540, content), func(ok bool) {
		if !ok {
			return
		}
		if f.kind.Selected == cnCompareSnapshot {
			op, ok := f.byName[f.snap.Selected]
			if !ok {
				p.showError("Nothing to compare with", errors.New("choose a repository and one of its snapshots"))
				return
			}
			p.compare(folder, op, f.repo.Selected)
			return
		}
		other := strings.TrimSpace(bkExpandHome(f.other.Text))
		if other == "" || !filepath.IsAbs(other) {
			p.showError("Nothing to compare with", errors.New("choose the other folder (an absolute path)"))
			return
		}
		p.compare(folder, filepath.Clean(other), "")
	}, p.s.win)
	d.Resize(fyne.NewSize(580, d.MinSize().Height))
	d.Show()
}

// loadSnapshots lists the chosen repository's snapshots, newest first,
// the newest one holding the folder chosen.
func (f *compareForm) loadSnapshots() {
	p := f.p
	name := f.repo.Selected
	f.snap.ClearSelected()
	f.snap.SetOptions(nil)
	if name == "" {
		return
	}
	if p.locked(name) {
		f.note.SetText("Type the password, then Show snapshots.")
		return
	}
	f.gen++
	gen := f.gen
	f.note.SetText("Listing the snapshots of " + name + "…")
	pw := p.passwords[name]
	go func() {
		var snaps []backup.SnapshotInfo
		_, err := p.s.engineCall(context.Background(), backup.OpSnapshots, backup.SnapshotsArgs{RepoArgs: backup.RepoArgs{Repo: name}}, pw, nil, &snaps)
		p.do(func() {
			if gen != f.gen {
				return
			}
			if err != nil {
				if strings.Contains(err.Error(), "password") {
					delete(p.passwords, name)
					f.pw.showFor(p, name)
				}
				f.note.SetText("Could not list the snapshots: " + err.Error())
				return
			}
			f.setSnapshots(snaps)
		})
	}()
}

func (f *compareForm) setSnapshots(snaps []backup.SnapshotInfo) {
	f.snaps = snaps
	f.byName = map[string]string{}
	var opts []string
	pick := ""
	for i := len(snaps) - 1; i >= 0; i-- { // newest first
		sn := snaps[i]
		label := fmt.Sprintf("%s · %s · %s", sn.ShortID, sn.Time.Local().Format("2 Jan 2006 15:04"), bkPaths(sn.Paths))
		op := consistency.SnapshotPrefix + sn.ID
		inside, holds := cnPathInSnapshot(sn.Paths, f.folder)
		if holds {
			op += ":" + inside
			if pick == "" {
				pick = label
			}
		}
		opts = append(opts, label)
		f.byName[label] = op
	}
	f.snap.SetOptions(opts)
	switch {
	case len(opts) == 0:
		f.note.SetText("No snapshots in this repository yet.")
	case pick != "":
		f.snap.SetSelected(pick)
		f.note.SetText("The newest snapshot that holds this folder is chosen; inside it, the folder itself is compared.")
	default:
		f.snap.SetSelected(opts[0])
		f.note.SetText("No snapshot holds this folder; the snapshot's top level is compared.")
	}
}

// cnPathInSnapshot maps a folder to its path inside a snapshot of paths,
// as verify does: a backed-up folder is named by its base name.
func cnPathInSnapshot(paths []string, abs string) (string, bool) {
	for _, p := range paths {
		if abs == p {
			return filepath.Base(p), true
		}
		if rel, err := filepath.Rel(p, abs); err == nil && rel != "." && !strings.HasPrefix(rel, "..") && !filepath.IsAbs(rel) {
			return filepath.Base(p) + "/" + filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// checkAgain runs the selected folder's last check again.
func (p *consistencyPage) checkAgain() {
	if r := p.results[p.selected]; r != nil {
		p.checkAgainOf(r)
		return
	}
	// The last check was run elsewhere (the CLI, a job): run it again.
	if rec, ok := p.checks[p.selected]; ok {
		switch {
		case rec.Kind == "verify":
			if p.locked(rec.Against) {
				p.showVerify(p.selected)
				return
			}
			p.verify(p.selected, rec.Against, rec.Deep)
		case filepath.IsAbs(rec.Against):
			p.compare(p.selected, rec.Against, "")
		}
	}
}

// Repair options.
const (
	cnRepairCorrupt = "Corrupt files only"
	cnRepairMissing = "Corrupt and missing files"
	cnRepairAll     = "Make the folder equal to the snapshot"
)

// repairForm is the Repair dialog: the options, and the plan for the
// chosen one, asked of the engine (which changes nothing for a plan).
type repairForm struct {
	p       *consistencyPage
	r       *cnResult
	option  *widget.RadioGroup
	summary *widget.Label
	list    *widget.List
	applyB  *widget.Button
	d       *dialog.CustomDialog

	args    consistency.RepairArgs
	steps   []consistency.PlanStep
	skipped int
	planned bool // the plan for args has come
	planErr error
	gen     int
	cancel  func()
}

func (p *consistencyPage) newRepairForm(r *cnResult) *repairForm {
	f := &repairForm{p: p, r: r}
	f.summary = bkWrapped("")
	f.list = widget.NewList(func() int { return len(f.steps) },
		func() fyne.CanvasObject { return newDiffRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(f.steps) {
				o.(*diffRow).setStep(f.steps[id])
			}
		})
	f.applyB = widget.NewButtonWithIcon("Repair…", theme.ConfirmIcon(), f.confirm)
	f.applyB.Importance = widget.HighImportance
	f.applyB.Disable()
	f.option = widget.NewRadioGroup([]string{cnRepairCorrupt, cnRepairMissing, cnRepairAll}, func(string) { f.plan() })
	f.option.Required = true
	c := r.verify.Counts
	switch {
	case c.Corrupt > 0:
		f.option.SetSelected(cnRepairCorrupt)
	case c.Missing > 0:
		f.option.SetSelected(cnRepairMissing)
	default:
		f.option.SetSelected(cnRepairAll)
	}
	return f
}

// plan asks for the plan of the chosen option.
func (f *repairForm) plan() {
	if f.cancel != nil {
		f.cancel()
	}
	f.args = consistency.RepairArgs{RepoArgs: backup.RepoArgs{Repo: f.r.repo}, Folder: f.r.folder, From: f.r.verify.Snapshot,
		Missing: f.option.Selected == cnRepairMissing, All: f.option.Selected == cnRepairAll, Deep: f.r.deep}
	f.planned, f.planErr, f.steps = false, nil, nil
	f.gen++
	gen := f.gen
	f.summary.SetText("Working out the plan…")
	f.applyB.Disable()
	f.list.Refresh()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.p.planRepair(ctx, f.args, func(res consistency.RepairResult, err error) {
		if gen != f.gen {
			return
		}
		f.planned, f.planErr, f.steps, f.skipped = true, err, res.Steps, res.Skipped
		f.summary.SetText(f.words())
		if err == nil && len(f.steps) > 0 {
			f.applyB.SetText(fmt.Sprintf("Repair %d file%s…", len(f.steps), plural(len(f.steps))))
			f.applyB.Enable()
		}
		f.list.Refresh()
	})
}

// words sums the plan up: what is restored, what goes to the trash.
func (f *repairForm) words() string {
	if f.planErr != nil {
		return "Could not work out the plan: " + f.planErr.Error()
	}
	if len(f.steps) == 0 {
		s := "With this choice nothing would change."
		if f.skipped > 0 {
			s += fmt.Sprintf(" %d difference%s %s left alone; choose a wider repair to include %s.", f.skipped, plural(f.skipped), bkIsAre(f.skipped), cnThemIt(f.skipped))
		}
		return s
	}
	restore, aside, chmod, replaced := cnStepWords(f.steps)
	var parts []string
	if restore > 0 {
		parts = append(parts, fmt.Sprintf("restores %d file%s from snapshot %s", restore, plural(restore), bkShort(f.r.verify.Snapshot)))
	}
	if aside > 0 {
		parts = append(parts, fmt.Sprintf("moves %d that the snapshot does not have aside", aside))
	}
	if chmod > 0 {
		parts = append(parts, fmt.Sprintf("puts back the mode of %d", chmod))
	}
	s := "This repair " + strings.Join(parts, ", ") + "."
	if replaced+aside > 0 {
		s += " " + cnToTrash(replaced+aside)
	}
	if f.skipped > 0 {
		s += fmt.Sprintf(" %d other difference%s %s left alone.", f.skipped, plural(f.skipped), bkIsAre(f.skipped))
	}
	return s
}

// cnToTrash says that n files go to the trash before they are replaced.
func cnToTrash(n int) string {
	if n == 1 {
		return "The file it replaces goes to the trash first, byte for byte."
	}
	return fmt.Sprintf("The %d files it replaces or moves aside go to the trash first, byte for byte.", n)
}

func cnThemIt(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func (p *consistencyPage) showRepair() {
	r := p.results[p.selected]
	if r == nil || r.verify == nil {
		return
	}
	f := p.newRepairForm(r)
	intro := bkWrapped(fmt.Sprintf("Repair puts files of %s back as they are in snapshot %s of %s (%s). Choose how far to go:",
		r.folder, bkShort(r.verify.Snapshot), r.repo, r.verify.SnapshotTime.Local().Format("2 Jan 2006 15:04")))
	top := container.NewVBox(intro, f.option, widget.NewSeparator(), f.summary)
	content := container.NewBorder(top, nil, nil, nil, f.list)
	f.d = dialog.NewCustomWithoutButtons("Repair "+filepath.Base(r.folder), cnSized(720, 460, content), p.s.win)
	cancel := widget.NewButton("Cancel", func() {
		if f.cancel != nil {
			f.cancel()
		}
		f.d.Hide()
	})
	f.d.SetButtons([]fyne.CanvasObject{cancel, f.applyB})
	f.d.Show()
}

// confirm asks once more, naming what will change.
func (f *repairForm) confirm() {
	if !f.planned || f.planErr != nil || len(f.steps) == 0 {
		return
	}
	restore, aside, _, replaced := cnStepWords(f.steps)
	n := len(f.steps)
	msg := fmt.Sprintf("%d file%s in %s will change.", n, plural(n), f.r.folder)
	if replaced+aside > 0 {
		msg += " " + cnToTrash(replaced+aside)
	}
	if restore > replaced {
		msg += fmt.Sprintf(" %d missing file%s %s created.", restore-replaced, plural(restore-replaced), bkIsAre(restore-replaced))
	}
	msg += " Undo repair puts everything back."
	d := dialog.NewCustomConfirm("Repair "+filepath.Base(f.r.folder)+"?", fmt.Sprintf("Repair %d file%s", n, plural(n)), "Go back",
		bkWidth(440, bkWrapped(msg)), func(ok bool) {
			if ok {
				f.apply()
			}
		}, f.p.s.win)
	d.Show()
}

// apply carries the planned repair out.
func (f *repairForm) apply() {
	if f.d != nil {
		f.d.Hide()
	}
	f.p.applyRepair(f.args, f.r.deep)
}

// setStep shows one step of a repair plan.
func (r *diffRow) setStep(st consistency.PlanStep) {
	c := cnClassOf(st.Class)
	r.icon.SetResource(c.icon)
	r.name.SetText(st.Path)
	r.class.SetText(c.word)
	r.class.Importance = c.imp
	r.class.Refresh()
	switch st.Action {
	case "restore":
		if st.Class == "missing" {
			r.detail.SetText("restored from the snapshot")
		} else {
			r.detail.SetText("restored from the snapshot; this version goes to the trash")
		}
	case "move-aside":
		r.detail.SetText("moved aside into the trash")
	case "chmod":
		r.detail.SetText("mode put back")
	default:
		r.detail.SetText(st.Action)
	}
}

// confirmUndo asks before a repair is undone.
func (p *consistencyPage) confirmUndo() {
	r := p.results[p.selected]
	if r == nil || r.repair == nil {
		return
	}
	id := r.repair.ID
	msg := bkWrapped(fmt.Sprintf("Undo puts back, from the trash, every file repair %s replaced or moved aside, and removes "+
		"the files it created. A file edited since the repair is left as it is.", id))
	d := dialog.NewCustomConfirm("Undo the repair?", "Undo repair", "Cancel", bkWidth(440, msg), func(ok bool) {
		if ok {
			p.undo(r, nil)
		}
	}, p.s.win)
	d.Show()
}

// undo undoes r's repair, tells what happened and checks again.
func (p *consistencyPage) undo(r *cnResult, done func(consistency.UndoResult, error)) {
	p.undoRepair(r.repair.ID, func(res consistency.UndoResult, err error) {
		if done != nil {
			done(res, err)
		}
		switch {
		case err != nil:
			p.showError("Could not undo the repair", err)
		case len(res.Conflicts) > 0:
			p.showError("Some files were left alone", errors.New(bkFirst(res.Conflicts, 5)))
		}
		p.showResult()
		if err == nil {
			p.afterWatcher(r.folder, func() {
				if p.run == nil {
					p.checkAgainOf(r)
				}
			})
		}
	})
}

func (p *consistencyPage) checkAgainOf(r *cnResult) {
	if r.kind == "compare" {
		p.compare(r.folder, r.other, r.repo)
		return
	}
	p.verify(r.folder, r.repo, r.deep)
}

// cnSized gives o a minimum size in a dialog.
func cnSized(w, h float32, o fyne.CanvasObject) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return container.NewStack(r, o)
}
