package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/holdfast/holdfast/core/engine"
)

// tray is the system tray icon and its menu.
type tray struct {
	app    desktop.App
	menu   *fyne.Menu
	status *fyne.MenuItem
}

func newTray(a desktop.App, s *Shell) *tray {
	t := &tray{app: a}
	open := fyne.NewMenuItem("Open Holdfast", s.Show)
	t.status = fyne.NewMenuItem("", nil)
	t.status.Disabled = true
	quit := fyne.NewMenuItem("Quit", s.Quit)
	quit.IsQuit = true
	t.menu = fyne.NewMenu("Holdfast", open, fyne.NewMenuItemSeparator(), t.status, fyne.NewMenuItemSeparator(), quit)
	t.update(s.eng.Status())
	a.SetSystemTrayMenu(t.menu)
	a.SetSystemTrayIcon(Icon)
	return t
}

// update mirrors the header's state line in the menu.
func (t *tray) update(st engine.Status) {
	text, _ := stateLine(st)
	if t.status.Label == text {
		return
	}
	t.status.Label = text
	t.menu.Refresh()
}
