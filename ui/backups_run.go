package ui

// "Back up a folder now" on the Backups page: the form's state while a
// backup runs, its progress and its outcome.

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

// bkRun is the outcome of a backup started from the page.
type bkRun struct {
	folder, repo string
	at           time.Time
	sum          backup.BackupSummary
	exit         int
	err          error
	cancelled    bool
}

// backupNow is the "Back up now" button.
func (p *backupsPage) backupNow() {
	p.startBackup(p.folderEntry.Text, p.repoSelect.Selected)
}

func (p *backupsPage) backupStarted(folder, repoName string) {
	p.backupBtn.Disable()
	p.folderEntry.Disable()
	p.cancelBtn.Show()
	p.warnBtn.Hide()
	p.progress.SetValue(0)
	p.progress.Show()
	p.progressText.Importance = widget.MediumImportance
	p.progressText.SetText("Starting: opening " + repoName + " and looking at " + folder + "…")
	p.progressText.Show()
	p.setStatus(statusBusy, fmt.Sprintf("Backing up %s into %s…", folder, repoName))
	p.relayoutProgress()
}

// relayoutProgress lays the top of the page out again after the
// progress bar, its text or its buttons came or went: containers do not
// notice on their own that a child was shown or hidden.
func (p *backupsPage) relayoutProgress() {
	for _, c := range []*fyne.Container{p.progressRow, p.top, p.main} {
		if c != nil {
			c.Refresh()
		}
	}
}

func (p *backupsPage) backupProgress(pr control.Progress) {
	if pr.Total > 0 {
		p.progress.SetValue(float64(pr.Done) / float64(pr.Total))
	}
	if msg := strings.TrimPrefix(pr.Message, "backup: "); msg != "" {
		p.progressText.SetText(msg)
	}
}

func (p *backupsPage) backupFinished(r bkRun) {
	p.backupBtn.Enable()
	p.folderEntry.Enable()
	p.cancelBtn.Hide()
	p.progress.Hide()
	p.statusBusyAt = ""
	p.lastRun = &r
	switch {
	case r.cancelled:
		p.progressText.Importance = widget.MediumImportance
		p.progressText.SetText("Backup cancelled — nothing was saved.")
		p.loadHealth(r.repo) // packs written before the end take room
	case r.err != nil:
		p.progressText.Importance = widget.DangerImportance
		p.progressText.SetText("The backup failed: " + r.err.Error())
		p.loadHealth(r.repo)
	default: // loading the snapshots asks for the health too
		s := r.sum
		text := fmt.Sprintf("Snapshot %s saved in %s: %d new, %d changed, %d unmodified file%s · %s added (%s stored)",
			bkShort(s.SnapshotID), bkSeconds(s.DurationSeconds), s.FilesNew, s.FilesChanged, s.FilesUnmodified,
			plural(int(s.FilesNew+s.FilesChanged+s.FilesUnmodified)), backup.HumanBytes(s.DataAdded), backup.HumanBytes(s.DataAddedStored))
		p.progressText.Importance = widget.SuccessImportance
		if len(s.Errors) > 0 || len(s.Changed) > 0 {
			p.progressText.Importance = widget.WarningImportance
			if n := len(s.Errors); n > 0 {
				text += fmt.Sprintf("\nWarning: %d file%s could not be read and %s left out: %s", n, plural(n), bkWas(n), bkFirst(s.Errors, 2))
			}
			if n := len(s.Changed); n > 0 {
				text += fmt.Sprintf("\nWarning: %d file%s changed while being read: %s", n, plural(n), bkFirst(s.Changed, 2))
			}
			p.warnBtn.Show()
		}
		p.progressText.SetText(text)
		p.wantSnap = s.SnapshotID
		if p.selected != r.repo {
			p.selectRepo(r.repo)
		} else {
			p.loadSnapshots(r.repo, nil)
		}
	}
	p.progressText.Refresh()
	p.relayoutProgress()
	p.updateStatus()
}
