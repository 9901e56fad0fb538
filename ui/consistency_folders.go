package ui

// The list of watched folders: each with its state, size, last check and
// score, and its actions.

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/watch"
)

// folderRow is one watched folder in the list.
type folderRow struct {
	widget.BaseWidget
	p       *consistencyPage
	path    string
	dot     *canvas.Circle
	name    *widget.Label
	state   *widget.Label
	size    *widget.Label
	check   *widget.Label
	verify  *widget.Button
	compare *widget.Button
	remove  *widget.Button
	box     fyne.CanvasObject
}

func newFolderRow(p *consistencyPage) *folderRow {
	r := &folderRow{p: p,
		dot:   canvas.NewCircle(theme.Color(theme.ColorNameDisabled)),
		name:  widget.NewLabelWithStyle("/home/user/Documents", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		state: widget.NewLabelWithStyle(cnStateUpToDate, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		size:  widget.NewLabel("12,345 files · 1.0 GiB"),
		check: widget.NewLabel("never checked"),
	}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.check.Truncation = fyne.TextTruncateEllipsis
	r.verify = widget.NewButtonWithIcon("Verify…", theme.ConfirmIcon(), func() { p.showVerify(r.path) })
	r.compare = widget.NewButtonWithIcon("Compare…", theme.ViewRestoreIcon(), func() { p.showCompare(r.path) })
	r.remove = widget.NewButtonWithIcon("", theme.DeleteIcon(), func() { p.confirmRemove(r.path) })
	r.remove.Importance = widget.LowImportance
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSize(12, 12), r.dot))
	line2 := container.NewBorder(nil, nil, container.NewHBox(r.state, r.size), nil, r.check)
	text := container.NewVBox(r.name, line2)
	// The labels' padding stacks up; pull the two lines together.
	r.box = container.NewBorder(nil, nil, dot, container.NewCenter(container.NewHBox(r.verify, r.compare, r.remove)), text)
	r.ExtendBaseWidget(r)
	return r
}

func (r *folderRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

func (r *folderRow) update(f watch.FolderInfo) {
	r.path = f.Path
	var rec *consistency.CheckRecord
	if c, ok := r.p.checks[f.Path]; ok {
		rec = &c
	}
	word, kind := cnFolderState(f, rec)
	r.dot.FillColor = cnKindColor(kind)
	r.dot.Refresh()
	r.name.SetText(f.Path)
	r.state.SetText(word)
	r.state.Importance = cnImportance(kind)
	r.state.Refresh()
	r.size.SetText("· " + cnFolderSize(f) + " ·")
	r.check.SetText(cnLastCheck(rec, time.Now()))
	busy := r.p.run != nil
	for _, b := range []*widget.Button{r.verify, r.compare, r.remove} {
		if busy {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

func cnKindColor(k statusKind) color.Color {
	switch k {
	case statusOK:
		return theme.Color(theme.ColorNameSuccess)
	case statusWarn:
		return theme.Color(theme.ColorNameWarning)
	case statusError:
		return theme.Color(theme.ColorNameError)
	case statusBusy:
		return theme.Color(theme.ColorNamePrimary)
	}
	return theme.Color(theme.ColorNameDisabled)
}

// pickFolderToWatch asks for a folder in the folder dialog and watches it.
func (p *consistencyPage) pickFolderToWatch() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			p.showError("Could not open the folder", err)
			return
		}
		if u == nil {
			return
		}
		p.addFolder(u.Path(), nil)
	}, p.s.win)
	d.Resize(fyne.NewSize(820, 560))
	d.Show()
}

// confirmRemove asks before the folder stops being watched.
func (p *consistencyPage) confirmRemove(path string) {
	msg := bkWrapped("Holdfast stops keeping the index of " + path + " current. " +
		"The folder and its files are not touched, and its backups stay as they are.")
	d := dialog.NewCustomConfirm("Stop watching this folder?", "Stop watching", "Cancel", bkWidth(440, msg), func(ok bool) {
		if ok {
			p.removeFolder(path, nil)
		}
	}, p.s.win)
	d.Show()
}

// showError shows the engine's message in a dialog.
func (p *consistencyPage) showError(title string, err error) {
	msg := bkWrapped(err.Error())
	msg.Selectable = true
	d := dialog.NewCustom(title, "OK", bkWidth(440, msg), p.s.win)
	d.SetIcon(theme.ErrorIcon())
	d.Show()
}
