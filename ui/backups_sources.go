package ui

// "Sources" on the Backups page: the backup jobs — which folders go into
// which repository, when — each with a link to edit it in the Jobs view.

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/tasks/jobs"
)

// maxSourceRows bounds the sources listed on the page; the rest are in
// the Jobs view.
const maxSourceRows = 3

// sourcesSection lists the backup jobs. It follows the Tasks page's view
// of the jobs, which the scheduler keeps current.
type sourcesSection struct {
	s    *Shell
	box  *fyne.Container
	rows *fyne.Container
}

func newSourcesSection(s *Shell) *sourcesSection {
	sec := &sourcesSection{s: s, rows: container.NewVBox()}
	add := widget.NewButtonWithIcon("Schedule a backup", theme.ContentAddIcon(), func() {
		if tp := tasksViewOf(s); tp != nil {
			s.ShowPage(PageTasks)
			tp.showTab(1)
			tp.jobs.showDialog(nil)
		}
	})
	add.Importance = widget.LowImportance
	heading := widget.NewLabelWithStyle("Sources", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	sec.box = container.NewVBox(container.NewBorder(nil, nil, nil, add, heading), sec.rows)
	if tp := tasksViewOf(s); tp != nil {
		tp.jobs.onChange = append(tp.jobs.onChange, sec.update)
		sec.update(tp.jobs.list, tp.jobs.held)
	}
	return sec
}

// update lists the backup jobs.
func (sec *sourcesSection) update(list []jobs.Info, held bool) {
	var rows []fyne.CanvasObject
	n := 0
	now := time.Now()
	for _, j := range list {
		if j.Action != jobs.ActionBackup {
			continue
		}
		n++
		if n > maxSourceRows {
			continue
		}
		name := j.Name
		edit := widget.NewButtonWithIcon("Edit", theme.DocumentCreateIcon(), func() {
			if tp := tasksViewOf(sec.s); tp != nil {
				tp.jobs.editJob(name)
			}
		})
		edit.Importance = widget.LowImportance
		text := fmt.Sprintf("%s: %s into %s · %s · next %s · last %s", j.Name, bkPaths(j.Sources), j.Repo, j.Description,
			jobCell(j, 5, held, now), jobCell(j, 7, held, now))
		l := widget.NewLabel(text)
		l.Truncation = fyne.TextTruncateEllipsis
		if j.LastResult == jobs.ResultFailed {
			l.Importance = widget.DangerImportance
		}
		rows = append(rows, container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), edit, l))
	}
	switch {
	case n == 0:
		hint := widget.NewLabel("No folder is backed up on a schedule yet. A backup job keeps a folder's snapshots coming.")
		hint.Importance = widget.LowImportance
		hint.Truncation = fyne.TextTruncateEllipsis
		rows = append(rows, hint)
	case n > maxSourceRows:
		more := widget.NewButton(fmt.Sprintf("and %d more in Jobs…", n-maxSourceRows), func() {
			if tp := tasksViewOf(sec.s); tp != nil {
				sec.s.ShowPage(PageTasks)
				tp.showTab(1)
			}
		})
		more.Importance = widget.LowImportance
		rows = append(rows, container.NewHBox(more))
	}
	sec.rows.Objects = rows
	sec.rows.Refresh()
	sec.box.Refresh()
}
