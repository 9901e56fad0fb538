package ui

import (
	"net/url"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/version"
)

// settingsPage shows the settings in force and where they live. Values are
// changed in config.toml for now; the page says so rather than offering
// controls that would not persist.
func settingsPage(s *Shell) fyne.CanvasObject {
	cfg := s.eng.Config()
	h := s.eng.Home()
	onOff := map[bool]string{true: "on", false: "off"}
	closeToTray := onOff[cfg.UI.CloseToTray]
	if !s.opts.TrayHost {
		closeToTray += " (no system tray here: closing the window quits)"
	}
	general := widget.NewCard("General", "", widget.NewForm(
		widget.NewFormItem("Device name", widget.NewLabel(cfg.DeviceName())),
		widget.NewFormItem("Theme", widget.NewLabel(cfg.UI.Theme)),
		widget.NewFormItem("Close to tray", widget.NewLabel(closeToTray)),
		widget.NewFormItem("Log level", widget.NewLabel(cfg.General.LogLevel)),
	))
	openHome := widget.NewButton("Open folder", func() {
		u := &url.URL{Scheme: "file", Path: filepath.ToSlash(h.Dir)}
		_ = fyne.CurrentApp().OpenURL(u)
	})
	storage := widget.NewCard("Where Holdfast keeps its state", "", container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("Home", selectable(h.Dir)),
			widget.NewFormItem("Settings file", selectable(h.ConfigPath())),
			widget.NewFormItem("Database", selectable(h.DBPath())),
			widget.NewFormItem("Logs", selectable(h.LogsPath())),
		),
		container.NewHBox(openHome),
	))
	hint := widget.NewLabel("To change a setting, edit config.toml (each key is explained there) and restart Holdfast.")
	hint.Wrapping = fyne.TextWrapWord
	about := widget.NewCard("About", "", widget.NewLabel(version.Get(true).String()))
	return container.NewVScroll(container.NewVBox(general, hint, storage, about))
}
