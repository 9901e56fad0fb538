package ui

import (
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
