package ui

// The Consistency page's Trash tab: every repair with the files it
// replaced or moved aside; Restore puts a repair's files back (undo), and
// Empty removes repairs for good.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
)

// trashView is the Trash tab. Its fields are read and written on the UI
// thread only.
type trashView struct {
	p *consistencyPage

	entries  []consistency.TrashDetail // newest first
	loaded   bool
	err      error
	loading  bool
	again    bool
	selected string // a repair ID

	status     *widget.Label
	tree       *widget.Tree
	restoreBtn *widget.Button
	emptyBtn   *widget.Button
	body       *fyne.Container
	note       fyne.CanvasObject
	noteText   *widget.Label
}

func newTrashView(p *consistencyPage) *trashView {
	t := &trashView{p: p}
	t.status = widget.NewLabel("Reading the trash…")
	t.status.Truncation = fyne.TextTruncateEllipsis
	t.restoreBtn = widget.NewButtonWithIcon("Restore", theme.ContentUndoIcon(), func() { t.confirmRestore(t.selected) })
	t.restoreBtn.Disable()
	t.emptyBtn = widget.NewButtonWithIcon("Empty trash…", theme.DeleteIcon(), t.showEmpty)
	t.emptyBtn.Disable()
	t.tree = widget.NewTree(t.childIDs, t.isBranch,
		func(bool) fyne.CanvasObject { return newDiffRow() },
		t.updateRow)
	t.tree.OnSelected = func(id widget.TreeNodeID) {
		repair, _, _ := strings.Cut(id, "\x00")
		t.selected = repair
		t.updateButtons()
	}
	t.noteText = widget.NewLabel("")
	t.noteText.Wrapping = fyne.TextWrapWord
	t.noteText.Alignment = fyne.TextAlignCenter
	t.note = container.NewCenter(bkWidth(520, t.noteText))
	t.body = container.NewStack(t.note)
	return t
}

func (t *trashView) build() fyne.CanvasObject {
	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), t.load)
	refresh.Importance = widget.LowImportance
	head := container.NewBorder(nil, nil, nil, container.NewHBox(refresh, t.restoreBtn, t.emptyBtn), t.status)
	t.show()
	return container.NewBorder(head, nil, nil, nil, t.body)
}

// load asks the engine for the trash: the repairs, then each one's files.
func (t *trashView) load() {
	if t.loading {
		t.again = true
		return
	}
	t.loading = true
	p := t.p
	go func() {
		var list []consistency.TrashEntry
		_, err := p.s.engineCall(context.Background(), consistency.OpTrashList, struct{}{}, "", nil, &list)
		var out []consistency.TrashDetail
		for _, e := range list {
			if err != nil {
				break
			}
			var d consistency.TrashDetail
			if _, derr := p.s.engineCall(context.Background(), consistency.OpTrashShow, consistency.UndoArgs{ID: e.ID}, "", nil, &d); derr != nil {
				d = consistency.TrashDetail{TrashEntry: e} // listed without its files
			}
			out = append(out, d)
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
		p.do(func() {
			t.loading = false
			t.loaded, t.err = true, err
			if err == nil {
				t.entries = out
			}
			if _, ok := t.entry(t.selected); !ok {
				t.selected = ""
				t.tree.UnselectAll()
			}
			t.show()
			if t.again {
				t.again = false
				t.load()
			}
		})
	}()
}

func (t *trashView) entry(id string) (consistency.TrashDetail, bool) {
	for _, e := range t.entries {
		if e.ID == id {
			return e, true
		}
	}
	return consistency.TrashDetail{}, false
}

// show brings the tab in line with what is known.
func (t *trashView) show() {
	files, bytes := 0, int64(0)
	for _, e := range t.entries {
		files += e.Files
		bytes += e.Bytes
	}
	switch {
	case !t.loaded:
		t.status.SetText("Reading the trash…")
		t.setBody(t.note)
	case t.err != nil:
		t.status.SetText("Could not read the trash: " + t.err.Error())
		t.noteText.SetText(t.err.Error())
		t.setBody(t.note)
	case len(t.entries) == 0:
		t.status.SetText("The trash is empty")
		t.noteText.SetText("Every file a repair replaces or moves aside is kept here, byte for byte, until you empty " +
			"the trash, so that any repair can be undone.")
		t.setBody(t.note)
	default:
		t.status.SetText(fmt.Sprintf("%d repair%s · %s file%s in the trash · %s", len(t.entries), plural(len(t.entries)),
			cnThousands(files), plural(files), backup.HumanBytes(bytes)))
		t.setBody(t.tree)
	}
	t.tree.Refresh()
	t.updateButtons()
}

func (t *trashView) setBody(o fyne.CanvasObject) {
	if len(t.body.Objects) == 1 && t.body.Objects[0] == o {
		return
	}
	t.body.Objects = []fyne.CanvasObject{o}
	t.body.Refresh()
}

func (t *trashView) updateButtons() {
	if len(t.entries) > 0 {
		t.emptyBtn.Enable()
	} else {
		t.emptyBtn.Disable()
	}
	e, ok := t.entry(t.selected)
	if ok && (e.Undone == nil || e.Files > 0) {
		t.restoreBtn.Enable()
	} else {
		t.restoreBtn.Disable()
	}
}

func (t *trashView) childIDs(id widget.TreeNodeID) []widget.TreeNodeID {
	if id == "" {
		ids := make([]string, len(t.entries))
		for i, e := range t.entries {
			ids[i] = e.ID
		}
		return ids
	}
	e, ok := t.entry(id)
	if !ok {
		return nil
	}
	ids := make([]string, len(e.List))
	for i := range e.List {
		ids[i] = e.ID + "\x00" + strconv.Itoa(i)
	}
	return ids
}

func (t *trashView) isBranch(id widget.TreeNodeID) bool {
	return id == "" || !strings.Contains(id, "\x00")
}

func (t *trashView) updateRow(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
	row := o.(*diffRow)
	repair, idx, isItem := strings.Cut(id, "\x00")
	e, ok := t.entry(repair)
	if !ok {
		return
	}
	if !isItem {
		row.icon.SetResource(theme.HistoryIcon())
		row.name.SetText(fmt.Sprintf("%s · %s", e.Folder, e.Time.Local().Format("2 Jan 2006 15:04")))
		row.class.SetText(fmt.Sprintf("%d file%s in the trash · %s", e.Files, plural(e.Files), backup.HumanBytes(e.Bytes)))
		row.class.Importance = widget.MediumImportance
		detail := fmt.Sprintf("repair %s from snapshot %s", e.ID, bkShort(e.Snapshot))
		if e.Undone != nil {
			detail += " · undone " + e.Undone.Local().Format("2 Jan 15:04")
			row.class.Importance = widget.LowImportance
		}
		row.class.Refresh()
		row.detail.SetText(detail)
		return
	}
	i, _ := strconv.Atoi(idx)
	if i >= len(e.List) {
		return
	}
	it := e.List[i]
	row.name.SetText(it.Path)
	var word, detail string
	icon := theme.FileIcon()
	switch it.Action {
	case "replaced":
		word, detail = "replaced", "the old version is in the trash"
		icon = theme.DocumentCreateIcon()
	case "moved":
		word, detail = "moved aside", "it is in the trash"
		icon = theme.ContentCutIcon()
	case "created":
		word, detail = "created", "was missing; nothing went to the trash"
		icon = theme.ContentAddIcon()
	case "chmod":
		word, detail = "mode put back", "nothing went to the trash"
		icon = theme.SettingsIcon()
	default:
		word = it.Action
	}
	if it.Action == "replaced" || it.Action == "moved" {
		if it.InTrash {
			detail += " (" + backup.HumanBytes(it.Size) + ")"
		} else {
			detail = "put back"
		}
	}
	row.icon.SetResource(icon)
	row.class.SetText(word)
	row.class.Importance = widget.MediumImportance
	row.class.Refresh()
	row.detail.SetText(detail)
}

// confirmRestore asks before a repair's files go back.
func (t *trashView) confirmRestore(id string) {
	e, ok := t.entry(id)
	if !ok {
		return
	}
	what := fmt.Sprintf("Undo repair %s of %s: the %d file%s it replaced or moved aside go back where they were, and "+
		"the files it created are removed. A file edited since the repair is left as it is.", e.ID, e.Folder, e.Files, plural(e.Files))
	if e.Undone != nil {
		what = fmt.Sprintf("Repair %s was undone already; %d file%s stayed in the trash because something was in their place. "+
			"Put back those whose place is free now?", e.ID, e.Files, plural(e.Files))
	}
	d := dialog.NewCustomConfirm("Restore from the trash?", "Restore", "Cancel", bkWidth(460, bkWrapped(what)), func(ok bool) {
		if ok {
			t.restore(id, nil)
		}
	}, t.p.s.win)
	d.Show()
}

// restore undoes a repair, or, once undone, puts back what is still in
// the trash; done, when set, hears the outcome.
func (t *trashView) restore(id string, done func(consistency.UndoResult, error)) {
	e, ok := t.entry(id)
	if !ok {
		return
	}
	p := t.p
	finish := func(res consistency.UndoResult, err error) {
		if done != nil {
			done(res, err)
		}
		switch {
		case err != nil:
			p.showError("Could not restore", err)
		case len(res.Conflicts) > 0:
			p.showError("Some files stayed in the trash", errors.New(bkFirst(res.Conflicts, 5)))
		}
		t.load()
		if r := p.results[e.Folder]; err == nil && r != nil {
			p.afterWatcher(e.Folder, func() {
				if p.run == nil {
					p.checkAgainOf(r)
				}
			})
		}
	}
	if e.Undone == nil {
		p.undoRepair(id, finish)
		return
	}
	go func() {
		var res consistency.UndoResult
		_, err := p.s.engineCall(context.Background(), consistency.OpTrashRestore, consistency.TrashRestoreArgs{ID: id}, "", nil, &res)
		p.do(func() { finish(res, err) })
	}()
}

// Empty trash choices.
var trashAges = []struct {
	label string
	age   string
	d     time.Duration
}{
	{"Everything", "", 0},
	{"Repairs older than a day", "1d", 24 * time.Hour},
	{"Repairs older than a week", "7d", 7 * 24 * time.Hour},
	{"Repairs older than 30 days", "30d", 30 * 24 * time.Hour},
}

// emptyWhat counts the repairs and bytes an age choice would remove.
func (t *trashView) emptyWhat(d time.Duration, now time.Time) (int, int64) {
	n, b := 0, int64(0)
	for _, e := range t.entries {
		if d == 0 || e.Time.Before(now.Add(-d)) {
			n++
			b += e.Bytes
		}
	}
	return n, b
}

func (t *trashView) showEmpty() {
	labels := make([]string, len(trashAges))
	for i, a := range trashAges {
		labels[i] = a.label
	}
	note := bkWrapped("")
	var choice int
	sel := widget.NewSelect(labels, func(s string) {
		for i, a := range trashAges {
			if a.label == s {
				choice = i
			}
		}
		n, b := t.emptyWhat(trashAges[choice].d, time.Now())
		note.SetText(fmt.Sprintf("%d repair%s (%s) will be removed for good: %s can no longer be undone.",
			n, plural(n), backup.HumanBytes(b), cnThemIt(n)))
	})
	sel.SetSelected(labels[0])
	content := container.NewVBox(widget.NewLabel("Remove"), sel, note)
	d := dialog.NewCustomConfirm("Empty the trash?", "Remove for good", "Cancel", bkWidth(440, content), func(ok bool) {
		if ok {
			t.empty(trashAges[choice].age, nil)
		}
	}, t.p.s.win)
	d.Show()
}

// empty removes repairs from the trash, those older than age when set.
func (t *trashView) empty(age string, done func(consistency.TrashEmptyResult, error)) {
	p := t.p
	go func() {
		var res consistency.TrashEmptyResult
		_, err := p.s.engineCall(context.Background(), consistency.OpTrashEmpty, consistency.TrashEmptyArgs{OlderThan: age}, "", nil, &res)
		p.do(func() {
			if done != nil {
				done(res, err)
			}
			if err != nil {
				p.showError("Could not empty the trash", err)
			}
			for _, r := range p.results {
				if r.repair != nil && contains(res.Removed, r.repair.ID) {
					r.repairUndone = true // nothing left to undo with
				}
			}
			p.showResult()
			t.load()
		})
	}()
}
