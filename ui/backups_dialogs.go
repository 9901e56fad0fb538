package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

// bkWidth gives wrapped text in a dialog a width to wrap at.
func bkWidth(w float32, o fyne.CanvasObject) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 0))
	return container.NewStack(r, o)
}

func bkWrapped(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// showError shows the engine's message in a dialog.
func (p *backupsPage) showError(title string, err error) {
	p.showErrorThen(title, err, nil)
}

func (p *backupsPage) showErrorThen(title string, err error, closed func()) {
	msg := bkWrapped(err.Error())
	msg.Selectable = true
	d := dialog.NewCustom(title, "OK", bkWidth(440, msg), p.s.win)
	d.SetIcon(theme.ErrorIcon())
	if closed != nil {
		d.SetOnClosed(closed)
	}
	d.Show()
}

// pickFolder fills entry with a folder chosen in the folder dialog, then
// calls then (when set).
func (p *backupsPage) pickFolder(entry *widget.Entry, then func()) {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			p.showError("Could not open the folder", err)
			return
		}
		if u == nil {
			return
		}
		entry.SetText(u.Path())
		if then != nil {
			then()
		}
	}, p.s.win)
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}

// askPassword asks for a repository's password; it is tried at once and
// kept in memory for this session only if it opens the repository.
func (p *backupsPage) askPassword(name string, then func()) {
	pw := widget.NewPasswordEntry()
	pw.Validator = func(s string) error {
		if s == "" {
			return errors.New("the password is empty")
		}
		return nil
	}
	item := widget.NewFormItem("Password", pw)
	item.HintText = "Kept in memory until you quit Holdfast; never written anywhere."
	var d *dialog.FormDialog
	d = dialog.NewForm("Unlock "+name, "Unlock", "Cancel", []*widget.FormItem{item}, func(ok bool) {
		if ok {
			p.unlock(name, pw.Text, then)
		}
	}, p.s.win)
	pw.OnSubmitted = func(string) { d.Submit() }
	d.Resize(fyne.NewSize(460, d.MinSize().Height))
	d.Show()
	p.s.win.Canvas().Focus(pw)
}

// addRepoForm holds what the Add repository dialog asks, so that after
// an error the dialog comes back as it was left.
type addRepoForm struct {
	folder, name, pw, pw2 *widget.Entry
	remember              *widget.Check
}

func (p *backupsPage) showAddRepository() {
	f := &addRepoForm{
		folder:   widget.NewEntry(),
		name:     widget.NewEntry(),
		pw:       widget.NewPasswordEntry(),
		pw2:      widget.NewPasswordEntry(),
		remember: widget.NewCheck("Remember the password on this computer", nil),
	}
	f.folder.SetPlaceHolder("An empty or new folder, e.g. /mnt/backup/holdfast")
	f.name.SetPlaceHolder("A short name, e.g. usb-disk")
	required := func(what string) func(string) error {
		return func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New(what + " is needed")
			}
			return nil
		}
	}
	f.folder.Validator = required("a folder")
	f.name.Validator = required("a name")
	f.pw.Validator = required("a password")
	f.pw2.Validator = func(s string) error {
		if s != f.pw.Text {
			return errors.New("the passwords differ")
		}
		return nil
	}
	f.pw.OnChanged = func(string) { _ = f.pw2.Validate() }
	f.folder.OnChanged = func(s string) {
		if f.name.Text == "" || f.name.Text == bkSuggestName(filepath.Dir(s)) {
			f.name.SetText(bkSuggestName(s))
		}
	}
	f.remember.SetChecked(true)
	p.showAddRepositoryForm(f)
}

func (p *backupsPage) showAddRepositoryForm(f *addRepoForm) {
	pick := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { p.pickFolder(f.folder, nil) })
	folderItem := widget.NewFormItem("Folder", container.NewBorder(nil, nil, nil, pick, f.folder))
	folderItem.HintText = "Holdfast creates the repository in this folder; it must be empty or not exist yet."
	nameItem := widget.NewFormItem("Name", f.name)
	nameItem.HintText = "How this home will call it: letters, digits, '.', '_' or '-'."
	pwItem := widget.NewFormItem("Password", f.pw)
	pwItem.HintText = "Everything in the repository is encrypted with it. Lost password, lost backups."
	pw2Item := widget.NewFormItem("Repeat password", f.pw2)
	rememberItem := widget.NewFormItem("", f.remember)
	rememberItem.HintText = "In the system keyring, or else a private file in Holdfast's home."
	items := []*widget.FormItem{folderItem, nameItem, pwItem, pw2Item, rememberItem}
	d := dialog.NewForm("Add repository", "Create", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		p.addRepository(f.folder.Text, f.name.Text, f.pw.Text, f.remember.Checked, func(err error) {
			if err != nil {
				p.showErrorThen("Could not create the repository", err, func() { p.showAddRepositoryForm(f) })
			}
		})
	}, p.s.win)
	d.Resize(fyne.NewSize(620, d.MinSize().Height))
	d.Show()
}

// bkSuggestName turns a folder into a repository name the registry
// accepts.
func bkSuggestName(dir string) string {
	base := filepath.Base(strings.TrimSpace(dir))
	if base == "." || base == string(filepath.Separator) {
		return ""
	}
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	name := strings.TrimLeft(b.String(), ".-_")
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// showRunWarnings lists the files a backup could not read, and those that
// changed while read.
func (p *backupsPage) showRunWarnings(r bkRun) {
	var lines []string
	for _, e := range r.sum.Errors {
		lines = append(lines, "Left out, unreadable: "+e)
	}
	for _, c := range r.sum.Changed {
		lines = append(lines, "Changed while read: "+c)
	}
	list := widget.NewList(func() int { return len(lines) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(lines[id]) })
	intro := bkWrapped(fmt.Sprintf("Snapshot %s of %s was saved. These files need a look; the snapshot does not hold "+
		"the unreadable ones (check their permissions, then back up again).", bkShort(r.sum.SnapshotID), r.folder))
	size := canvas.NewRectangle(color.Transparent)
	size.SetMinSize(fyne.NewSize(640, 260))
	d := dialog.NewCustom("Backup warnings", "Close", container.NewBorder(intro, nil, nil, nil, container.NewStack(size, list)), p.s.win)
	d.SetIcon(theme.WarningIcon())
	d.Show()
}

// restoreForm is the restore wizard: what, where, verify; then progress
// and the outcome, in the same dialog.
type restoreForm struct {
	p      *backupsPage
	repo   string
	snap   backup.SnapshotInfo
	path   string // the browser's selection; "" for none
	whole  string
	only   string
	what   *widget.RadioGroup
	target *widget.Entry
	pick   *widget.Button
	verify *widget.Check
	bar    *widget.ProgressBar
	status *widget.Label
	result *widget.Label
	run    *widget.Button
	close  *widget.Button

	cancel  context.CancelFunc
	running bool
	done    bool
	summary backup.RestoreSummary
	exit    int
	err     error
	dismiss func()
	content fyne.CanvasObject
	box     *fyne.Container
	// relayout fits the dialog to what is shown now.
	relayout func()
}

func (p *backupsPage) newRestoreForm() *restoreForm {
	f := &restoreForm{p: p, repo: p.selected, snap: p.browse, path: p.browsePath}
	f.whole = fmt.Sprintf("The whole snapshot (%d files, %s)", f.snap.Files, backup.HumanBytes(f.snap.Bytes))
	options := []string{f.whole}
	if f.path != "" {
		f.only = "Only " + bkMiddle(f.path, 60)
		if e, ok := p.entries[f.path]; ok && e.Type == "dir" {
			f.only += " and everything in it"
		}
		options = append(options, f.only)
	}
	f.what = widget.NewRadioGroup(options, nil)
	f.what.Required = true
	f.what.SetSelected(options[len(options)-1])
	f.target = widget.NewEntry()
	f.target.SetPlaceHolder("Folder to restore into")
	if home, err := os.UserHomeDir(); err == nil {
		f.target.SetText(filepath.Join(home, "Restored", f.repo+"-"+f.snap.ShortID))
	}
	f.pick = widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { p.pickFolder(f.target, nil) })
	f.verify = widget.NewCheck("Verify every restored file against the snapshot afterwards", nil)
	f.verify.SetChecked(true)
	f.bar = widget.NewProgressBar()
	f.bar.Max = 1
	f.bar.Hide()
	f.status = bkWrapped("Files already in the target folder are never overwritten: identical ones are skipped, " +
		"different ones are left alone and listed.")
	f.result = bkWrapped("")
	f.result.Hide()
	f.run = widget.NewButtonWithIcon("Restore", theme.DownloadIcon(), f.start)
	f.run.Importance = widget.HighImportance
	f.close = widget.NewButton("Cancel", func() {
		if f.running {
			f.cancel()
			f.status.SetText("Cancelling…")
			return
		}
		if f.dismiss != nil {
			f.dismiss()
		}
	})
	form := widget.NewForm(
		widget.NewFormItem("Restore", f.what),
		widget.NewFormItem("Into", container.NewBorder(nil, nil, nil, f.pick, f.target)),
		widget.NewFormItem("", f.verify),
	)
	f.box = container.NewVBox(form, f.bar, f.status, f.result)
	f.content = bkWidth(600, f.box)
	f.relayout = f.box.Refresh
	return f
}

// showRestore opens the restore wizard on the browsed snapshot.
func (p *backupsPage) showRestore() {
	if p.browse.ID == "" {
		return
	}
	p.showRestoreForm(p.newRestoreForm())
}

func (p *backupsPage) showRestoreForm(f *restoreForm) {
	d := dialog.NewCustomWithoutButtons("Restore from snapshot "+f.snap.ShortID, f.content, p.s.win)
	d.SetButtons([]fyne.CanvasObject{f.close, f.run})
	f.dismiss = d.Hide
	f.relayout = func() {
		f.box.Refresh()
		d.Resize(fyne.NewSize(d.MinSize().Width, d.MinSize().Height))
		d.Refresh()
	}
	d.Show()
}

// start runs the restore the form describes.
func (f *restoreForm) start() {
	if f.running {
		return
	}
	target := bkExpandHome(strings.TrimSpace(f.target.Text))
	if target == "" {
		f.status.Importance = widget.DangerImportance
		f.status.SetText("Choose the folder to restore into.")
		return
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		f.status.Importance = widget.DangerImportance
		f.status.SetText(err.Error())
		return
	}
	args := backup.RestoreArgs{Snapshot: f.snap.ID, Target: abs, Verify: f.verify.Checked}
	if f.path != "" && f.what.Selected == f.only {
		args.Includes = []string{bkIncludePattern(f.path)}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.running, f.done = cancel, true, false
	f.what.Disable()
	f.target.Disable()
	f.pick.Disable()
	f.verify.Disable()
	f.run.Disable()
	f.close.SetText("Cancel")
	f.result.Hide()
	f.bar.SetValue(0)
	f.bar.Show()
	f.status.Importance = widget.MediumImportance
	f.status.SetText("Opening the repository…")
	f.relayout()
	f.p.startRestore(ctx, f.repo, args, func(pr control.Progress) {
		if pr.Total > 0 {
			f.bar.SetValue(float64(pr.Done) / float64(pr.Total))
		}
		if msg := strings.TrimPrefix(pr.Message, "restore: "); msg != "" {
			f.status.SetText(msg)
		}
	}, func(sum backup.RestoreSummary, exit int, err error) {
		cancel()
		f.running, f.done = false, true
		f.summary, f.exit, f.err = sum, exit, err
		f.bar.Hide()
		f.close.SetText("Close")
		f.run.SetText("Restore again")
		f.run.Importance = widget.MediumImportance
		f.run.Enable()
		f.what.Enable()
		f.target.Enable()
		f.pick.Enable()
		f.verify.Enable()
		defer f.relayout()
		if err != nil {
			f.status.Importance = widget.DangerImportance
			f.status.SetText("The restore failed: " + err.Error())
			return
		}
		f.status.Importance = widget.SuccessImportance
		f.status.SetText(fmt.Sprintf("Restored into %s in %s.", sum.Target, bkSeconds(sum.DurationSeconds)))
		if exit == control.ExitFound {
			f.status.Importance = widget.WarningImportance
		}
		f.result.SetText(bkRestoreReport(sum))
		f.result.Show()
	})
}

// bkRestoreReport says what a restore did, problems included.
func bkRestoreReport(s backup.RestoreSummary) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d file%s (%s), %d folder%s and %d symlink%s written.", s.Files, plural(int(s.Files)),
		backup.HumanBytes(s.Bytes), s.Dirs, plural(int(s.Dirs)), s.Symlinks, plural(int(s.Symlinks)))
	if s.Skipped > 0 {
		fmt.Fprintf(&b, "\n%d file%s already there and identical, left as %s.", s.Skipped, plural(int(s.Skipped)), bkThey(int(s.Skipped)))
	}
	if s.Verified > 0 {
		fmt.Fprintf(&b, "\n%d file%s verified against the snapshot.", s.Verified, plural(int(s.Verified)))
	}
	if n := len(s.Conflicts); n > 0 {
		fmt.Fprintf(&b, "\n%d existing file%s differ%s from the snapshot and %s left alone: %s", n, plural(n), bkVerbS(n), bkWas(n), bkFirst(s.Conflicts, 5))
	}
	if n := len(s.Errors); n > 0 {
		fmt.Fprintf(&b, "\n%d error%s: %s", n, plural(n), bkFirst(s.Errors, 5))
	}
	return b.String()
}

func bkThey(n int) string {
	if n == 1 {
		return "it was"
	}
	return "they were"
}

func bkVerbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// bkMiddle shortens long text in the middle.
func bkMiddle(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	half := (max - 1) / 2
	return string(r[:half]) + "…" + string(r[len(r)-half:])
}
