package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/engine"
)

// newDashboardPage shows what is known about this machine's engine today
// and where the live charts will go.
func newDashboardPage(s *Shell) *page {
	device, running, home, ver := widget.NewLabel(""), widget.NewLabel(""), selectable(""), widget.NewLabel("")
	update := func(st engine.Status) {
		device.SetText(st.Device)
		if st.Started != nil {
			running.SetText("running in this app since " + st.Started.Local().Format("Mon 2 Jan 15:04"))
		} else {
			running.SetText("starting")
		}
		home.SetText(st.Home)
		ver.SetText(st.Version)
	}
	build := func() fyne.CanvasObject {
		facts := widget.NewForm(
			widget.NewFormItem("Device", device),
			widget.NewFormItem("Engine", running),
			widget.NewFormItem("Home", home),
			widget.NewFormItem("Version", ver),
		)
		update(s.eng.Status())
		monitoring := emptyState(theme.ViewRefreshIcon(), "Live charts will appear here",
			"CPU, memory, disk I/O and network charts, how full each filesystem is, the busiest processes, "+
				"and your latest backup and consistency results. Monitoring is not available in this version yet.")
		return container.NewBorder(container.NewPadded(widget.NewCard("This machine", "", facts)), nil, nil, nil, monitoring)
	}
	return &page{title: PageDashboard, icon: theme.HomeIcon(), build: build, onStatus: update}
}

// selectable is read-only text a person can select and copy.
func selectable(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Selectable = true
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}
