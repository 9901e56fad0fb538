package ui

// The Backups page's one-line state: are my backups OK?

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2/theme"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

// statusKind colours the page's one-line state.
type statusKind int

const (
	statusNeutral statusKind = iota
	statusOK
	statusWarn
	statusError
	statusBusy
)

// setStatus shows the page's one-line state.
func (p *backupsPage) setStatus(kind statusKind, text string) {
	if kind == statusBusy {
		p.statusBusyAt = text
	}
	c := theme.Color(theme.ColorNameDisabled)
	switch kind {
	case statusOK:
		c = theme.Color(theme.ColorNameSuccess)
	case statusWarn:
		c = theme.Color(theme.ColorNameWarning)
	case statusError:
		c = theme.Color(theme.ColorNameError)
	case statusBusy:
		c = theme.Color(theme.ColorNamePrimary)
	}
	p.statusDot.FillColor = c
	p.statusDot.Refresh()
	p.statusText.SetText(text)
}

// updateStatus answers "are my backups OK?" in one line.
func (p *backupsPage) updateStatus() {
	if p.backupCancel != nil && p.statusBusyAt != "" {
		p.setStatus(statusBusy, p.statusBusyAt)
		return
	}
	if r := p.lastRun; r != nil && !r.cancelled {
		switch {
		case r.err != nil:
			p.setStatus(statusError, fmt.Sprintf("The backup of %s into %s failed %s ago: %v", r.folder, r.repo, bkAgo(r.at), r.err))
			return
		case r.exit == control.ExitFound:
			n := len(r.sum.Errors)
			p.setStatus(statusWarn, fmt.Sprintf("The last backup of %s was saved without %d unreadable file%s", r.folder, n, plural(n)))
			return
		}
	}
	switch {
	case !p.reposLoaded:
		p.setStatus(statusNeutral, "Reading the repositories this home knows…")
		return
	case p.reposErr != nil:
		p.setStatus(statusError, "Could not read the repositories: "+p.reposErr.Error())
		return
	case len(p.repos) == 0:
		p.setStatus(statusNeutral, "No repositories yet")
		return
	}
	var newest backup.SnapshotInfo
	var newestRepo string
	var failed, locked, open []string
	for _, r := range p.repos {
		st := p.stat(r.Name)
		switch {
		case st.state == repoFailed:
			failed = append(failed, r.Name)
		case p.locked(r.Name):
			locked = append(locked, r.Name)
		case st.state == repoOpen:
			open = append(open, r.Name)
			if st.count > 0 && st.latest.Time.After(newest.Time) {
				newest, newestRepo = st.latest, r.Name
			}
		}
	}
	damaged := p.damaged()
	switch {
	case len(failed) > 0:
		p.setStatus(statusError, "Could not open "+strings.Join(failed, ", "))
	case len(damaged) > 0:
		p.setStatus(statusError, "The last check found damage in "+strings.Join(damaged, ", ")+
			" — some files cannot be restored from it; Check… says which")
	case newestRepo != "":
		text := fmt.Sprintf("Last snapshot %s ago · %s into %s", bkAgo(newest.Time), bkPaths(newest.Paths), newestRepo)
		if len(locked) > 0 {
			text += " · locked: " + strings.Join(locked, ", ")
		}
		p.setStatus(statusOK, text)
	case len(open) > 0:
		p.setStatus(statusWarn, "No snapshots yet — back up a folder below to protect it")
	case len(locked) > 0:
		p.setStatus(statusNeutral, "Enter a repository's password to see its snapshots")
	default:
		p.setStatus(statusNeutral, "Opening the repositories…")
	}
}
