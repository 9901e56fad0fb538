package ui

// The Backups page's browser: the tree of files in one snapshot, listed
// a directory at a time.

import (
	"fmt"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
)

// resetBrowser forgets the tree of the snapshot shown before.
func (p *backupsPage) resetBrowser() {
	p.browseGen++
	p.browsePath = ""
	p.entries = map[string]backup.Entry{}
	p.children = map[string][]string{}
	p.loading = map[string]bool{}
	p.notes = map[string]string{}
}

// browseSnapshot shows a snapshot's tree in the browser; the zero
// snapshot empties it.
func (p *backupsPage) browseSnapshot(sn backup.SnapshotInfo) {
	if p.tree != nil {
		p.tree.UnselectAll()
	}
	p.browse = sn
	p.resetBrowser()
	if sn.ID == "" {
		p.browseTitle.SetText("Select a snapshot to browse its files")
		p.restoreBtn.Disable()
	} else {
		p.browseTitle.SetText(fmt.Sprintf("Snapshot %s · %s · %s", sn.ShortID, sn.Time.Local().Format("Mon 2 Jan 2006 15:04"), bkPaths(sn.Paths)))
		p.restoreBtn.Enable()
	}
	p.tree.CloseAllBranches()
	p.tree.ScrollToTop()
	p.tree.Refresh()
	p.table.Refresh()
}

// placeholder IDs stand for a row saying "loading", "empty" or an error
// under a directory; NUL never occurs in a path.
func bkNoteID(dir string) string { return dir + "\x00" }

// gotDir takes one directory's listing.
func (p *backupsPage) gotDir(dir string, entries []backup.Entry, err error) {
	if err != nil {
		p.children[dir] = []string{bkNoteID(dir)}
		p.notes[bkNoteID(dir)] = "Could not list: " + err.Error()
		p.tree.Refresh()
		return
	}
	bkSortEntries(entries)
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		p.entries[e.Path] = e
		ids = append(ids, e.Path)
	}
	if len(ids) == 0 {
		ids = []string{bkNoteID(dir)}
		p.notes[bkNoteID(dir)] = "Empty folder"
	}
	p.children[dir] = ids
	p.tree.Refresh()
	// A snapshot of one folder opens on that folder's contents.
	if dir == "" && len(entries) == 1 && entries[0].Type == "dir" {
		p.tree.OpenBranch(entries[0].Path)
	}
}

// newSnapshotTree is the browser, listing each directory when opened.
func (p *backupsPage) newSnapshotTree() *widget.Tree {
	t := widget.NewTree(
		func(uid widget.TreeNodeID) []widget.TreeNodeID {
			if p.browse.ID == "" {
				return nil
			}
			if kids, ok := p.children[uid]; ok {
				return kids
			}
			if !p.loading[uid] {
				p.loadDir(uid)
			}
			p.notes[bkNoteID(uid)] = "Loading…"
			return []string{bkNoteID(uid)}
		},
		func(uid widget.TreeNodeID) bool {
			if uid == "" {
				return true
			}
			e, ok := p.entries[uid]
			return ok && e.Type == "dir"
		},
		func(bool) fyne.CanvasObject { return newEntryRow() },
		func(uid widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			row := o.(*entryRow)
			if note, ok := p.notes[uid]; ok && strings.HasSuffix(uid, "\x00") {
				row.set(nil, note, "", "")
				return
			}
			e, ok := p.entries[uid]
			if !ok {
				row.set(nil, "", "", "")
				return
			}
			name := filepath.Base(e.Path)
			icon := theme.FileIcon()
			size := backup.HumanBytes(e.Size)
			switch e.Type {
			case "dir":
				icon, size = theme.FolderIcon(), ""
			case "symlink":
				icon, size = theme.FileIcon(), ""
				name += " (link to " + e.Target + ")"
			}
			row.set(icon, name, size, e.ModTime.Local().Format("2 Jan 2006 15:04"))
		})
	t.OnSelected = func(uid widget.TreeNodeID) {
		if _, ok := p.entries[uid]; ok {
			p.browsePath = uid
		}
	}
	t.OnUnselected = func(uid widget.TreeNodeID) {
		if p.browsePath == uid {
			p.browsePath = ""
		}
	}
	return t
}

// entryRow is one file or directory in the browser.
type entryRow struct {
	widget.BaseWidget
	icon              *widget.Icon
	name, size, mtime *widget.Label
	content           fyne.CanvasObject
}

func newEntryRow() *entryRow {
	r := &entryRow{icon: widget.NewIcon(nil), name: widget.NewLabel(""), size: widget.NewLabel(""), mtime: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.size.Alignment = fyne.TextAlignTrailing
	r.mtime.Alignment = fyne.TextAlignTrailing
	meta := container.NewHBox(
		container.NewGridWrap(fyne.NewSize(90, r.size.MinSize().Height), r.size),
		container.NewGridWrap(fyne.NewSize(150, r.mtime.MinSize().Height), r.mtime))
	r.content = container.NewBorder(nil, nil, r.icon, meta, r.name)
	r.ExtendBaseWidget(r)
	return r
}

func (r *entryRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (r *entryRow) set(icon fyne.Resource, name, size, mtime string) {
	r.icon.SetResource(icon)
	r.name.SetText(name)
	r.size.SetText(size)
	r.mtime.SetText(mtime)
}
