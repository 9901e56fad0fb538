package ui

import (
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup/repo"
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
	metrics := "off (set metrics_listen in [monitor])"
	if url := s.eng.Status().Metrics; url != "" {
		metrics = url
	}
	monitoring := widget.NewCard("Monitoring", "", widget.NewForm(
		widget.NewFormItem("Sampling", widget.NewLabel("every "+cfg.Monitor.Interval.String())),
		widget.NewFormItem("History", widget.NewLabel(fmt.Sprintf("every sample for %s, per minute for %s, per hour for %s",
			days(cfg.Monitor.RawRetention.Duration), days(cfg.Monitor.MinuteRetention.Duration), days(cfg.Monitor.HourRetention.Duration)))),
		widget.NewFormItem("Prometheus", selectable(metrics)),
		widget.NewFormItem("Alert rules", widget.NewLabel(fmt.Sprintf("%d rules watching CPU, memory, disks, swap, load and network", len(s.eng.Alerts.Rules())))),
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
	hint := widget.NewLabel("Alerts, notifications and accepting peers are saved from here. To change another setting, edit config.toml (each key is explained there) and restart Holdfast.")
	hint.Wrapping = fyne.TextWrapWord
	info := version.Get(true)
	info.Compressor = repo.CompressorName()
	about := widget.NewCard("About", "", widget.NewLabel(info.String()))
	return container.NewVScroll(container.NewVBox(general, monitoring, newAlertSettings(s).view(),
		widget.NewCard("Peers", "Other Holdfast devices connect here to pair and to be watched", newListenCard(s).object),
		hint, storage, about))
}

// days says a retention in days (or hours below a day).
func days(d time.Duration) string {
	if d < 48*time.Hour {
		return fmt.Sprintf("%.0f hours", d.Hours())
	}
	return fmt.Sprintf("%.0f days", d.Hours()/24)
}
