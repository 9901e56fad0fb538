package ui

// The snapshots of the selected repository on the Backups page: the
// table, and what the page shows when there are none.

import (
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
)

// gotSnapshots takes a repository's snapshots.
func (p *backupsPage) gotSnapshots(name string, snaps []backup.SnapshotInfo, err error) {
	st := p.stat(name)
	if err != nil {
		st.state, st.err = repoFailed, err.Error()
		st.count, st.latest = 0, backup.SnapshotInfo{}
	} else {
		sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Time.After(snaps[j].Time) })
		was, wasCount := st.latest.ID, st.count
		st.state, st.err, st.count = repoOpen, "", len(snaps)
		st.latest = backup.SnapshotInfo{}
		if len(snaps) > 0 {
			st.latest = snaps[0]
		}
		// Its size is measured when it first opens and again when its
		// snapshots changed: a backup, or a forget from the command line.
		if st.health == nil || st.latest.ID != was || st.count != wasCount {
			p.loadHealth(name)
		}
	}
	if name == p.selected {
		p.snaps = nil
		if err == nil {
			p.snaps = snaps
		}
		p.table.UnselectAll()
		p.table.Refresh()
		p.pickSnapshot()
	}
	p.refreshAll()
}

// pickSnapshot keeps the browsed snapshot when it is still listed, or
// else browses the one asked for, or the newest.
func (p *backupsPage) pickSnapshot() {
	want := p.wantSnap
	if want == "" {
		want = p.browse.ID
	}
	p.wantSnap = ""
	row := -1
	for i, sn := range p.snaps {
		if sn.ID == want {
			row = i
			break
		}
	}
	if row < 0 && len(p.snaps) > 0 {
		row = 0
	}
	if row < 0 {
		p.browseSnapshot(backup.SnapshotInfo{})
		return
	}
	p.browseSnapshot(p.snaps[row])
}

// updateSnapArea shows the snapshots and browser, or says honestly why
// there are none to show.
func (p *backupsPage) updateSnapArea() {
	if p.snapArea == nil || p.selected == "" {
		return
	}
	name := p.selected
	st := p.stat(name)
	var o fyne.CanvasObject
	switch {
	case p.locked(name):
		unlock := widget.NewButtonWithIcon("Enter password…", theme.AccountIcon(), func() { p.askPassword(name, nil) })
		unlock.Importance = widget.HighImportance
		o = bkEmpty(theme.VisibilityOffIcon(), name+" is locked",
			"Its password is not remembered on this computer. Enter it to see the snapshots; "+
				"Holdfast keeps it in memory only until you quit.", unlock)
	case st.state == repoFailed:
		retry := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() { p.loadSnapshots(name, nil) })
		password := widget.NewButtonWithIcon("Enter password…", theme.AccountIcon(), func() { p.askPassword(name, nil) })
		o = bkEmpty(theme.ErrorIcon(), "Could not open "+name, st.err, retry, password)
	case st.state == repoOpen && len(p.snaps) == 0:
		now := widget.NewButtonWithIcon("Back up a folder now", theme.UploadIcon(), func() {
			if strings.TrimSpace(p.folderEntry.Text) != "" {
				p.backupNow()
				return
			}
			p.pickFolder(p.folderEntry, p.backupNow)
		})
		now.Importance = widget.HighImportance
		o = bkEmpty(theme.StorageIcon(), "No snapshots in "+name+" yet",
			"Back up a folder into this repository to create its first snapshot. Later backups of the same "+
				"folder only store what changed. Snapshots will be listed here, and you can browse and restore any of them.", now)
	case st.state == repoLoading && len(p.snaps) == 0:
		o = container.NewCenter(widget.NewLabel("Opening " + name + " and reading its snapshots…"))
	default:
		o = p.snapSplit
	}
	if len(p.snapArea.Objects) == 1 && p.snapArea.Objects[0] == o {
		return
	}
	p.snapArea.Objects = []fyne.CanvasObject{o}
	p.snapArea.Refresh()
}

func (p *backupsPage) updateSnapTitle() {
	if p.selected == "" {
		p.snapTitle.SetText("Snapshots")
		return
	}
	n := len(p.snaps)
	p.snapTitle.SetText(fmt.Sprintf("Snapshots in %s · %d snapshot%s", p.selected, n, plural(n)))
}

// newSnapshotTable is the virtualized table of snapshots, newest first.
func (p *backupsPage) newSnapshotTable() *widget.Table {
	cols := []struct {
		title string
		width float32
		right bool
	}{
		{"Time", 190, false}, {"ID", 90, false}, {"Files", 70, true}, {"Size", 85, true},
		{"Duration", 85, true}, {"Tags", 100, false}, {"Paths", 260, false},
	}
	t := widget.NewTable(
		func() (int, int) { return len(p.snaps), len(cols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.Alignment = fyne.TextAlignLeading
			if cols[id.Col].right {
				l.Alignment = fyne.TextAlignTrailing
			}
			if id.Row >= len(p.snaps) {
				l.SetText("")
				return
			}
			// The snapshot in the browser is the one in bold.
			l.TextStyle.Bold = p.snaps[id.Row].ID == p.browse.ID
			l.SetText(bkSnapshotCell(p.snaps[id.Row], id.Col))
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Col < 0 || id.Col >= len(cols) {
			l.SetText("")
			return
		}
		l.Alignment = fyne.TextAlignLeading
		if cols[id.Col].right {
			l.Alignment = fyne.TextAlignTrailing
		}
		l.SetText(cols[id.Col].title)
	}
	for i, c := range cols {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(p.snaps) && p.snaps[id.Row].ID != p.browse.ID {
			p.browseSnapshot(p.snaps[id.Row])
		}
		t.UnselectAll() // the whole row shows the choice, not one cell
	}
	return t
}

// bkSnapshotCell is the text of one cell of the snapshot table.
func bkSnapshotCell(sn backup.SnapshotInfo, col int) string {
	switch col {
	case 0:
		return sn.Time.Local().Format("Mon 2 Jan 2006 15:04")
	case 1:
		return sn.ShortID
	case 2:
		return fmt.Sprint(sn.Files)
	case 3:
		return backup.HumanBytes(sn.Bytes)
	case 4:
		return bkSeconds(sn.DurationSeconds)
	case 5:
		return strings.Join(sn.Tags, ", ")
	case 6:
		return strings.Join(sn.Paths, ", ")
	}
	return ""
}
