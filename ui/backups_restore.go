package ui

// The restore wizard of the Backups page.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

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
