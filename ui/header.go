package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/engine"
)

// header is the bar above every page: which device, and how it is doing.
type header struct {
	object fyne.CanvasObject
	device *widget.Label
	dot    *canvas.Circle
	state  *widget.Label
}

func newHeader(eng *engine.Engine) *header {
	h := &header{
		device: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		dot:    canvas.NewCircle(theme.Color(theme.ColorNameSuccess)),
		state:  widget.NewLabel(""),
	}
	logo := canvas.NewImageFromResource(Icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(28, 28))
	dot := container.NewGridWrap(fyne.NewSize(12, 12), h.dot)
	status := container.NewHBox(container.NewCenter(dot), h.state)
	bar := container.NewBorder(nil, nil,
		container.NewHBox(logo, h.device),
		nil,
		container.NewHBox(layout.NewSpacer(), status, layout.NewSpacer()))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	h.object = container.NewVBox(container.NewStack(bg, container.NewPadded(bar)), widget.NewSeparator())
	h.update(eng.Status())
	return h
}

// update shows the engine's state in words and colour.
func (h *header) update(st engine.Status) {
	h.device.SetText("Holdfast · " + st.Device)
	text, c := stateLine(st)
	h.state.SetText(text)
	h.dot.FillColor = c
	h.dot.Refresh()
}

// stateLine says in words how the engine is doing: the worst firing
// alert first, else what it is busy with.
func stateLine(st engine.Status) (string, color.Color) {
	if !st.Running {
		return "Engine starting…", theme.Color(theme.ColorNameWarning)
	}
	if n := st.Alerts.Firing; n > 0 {
		c := theme.Color(theme.ColorNameWarning)
		if st.Alerts.Worst == "error" || st.Alerts.Worst == "critical" {
			c = theme.Color(theme.ColorNameError)
		}
		text := st.Alerts.Top
		if n > 1 {
			text = fmt.Sprintf("%d alerts · %s", n, text)
		}
		return text, c
	}
	text := "All good · engine up " + humanDuration(time.Duration(st.UptimeSeconds*float64(time.Second)))
	if n := len(st.Active); n > 0 {
		text += fmt.Sprintf(" · %d operation%s in progress", n, plural(n))
	}
	return text, theme.Color(theme.ColorNameSuccess)
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		m := int(d.Minutes())
		return fmt.Sprintf("%d minute%s", m, plural(m))
	case d < 48*time.Hour:
		h := int(d.Hours())
		return fmt.Sprintf("%d hour%s", h, plural(h))
	default:
		days := int(d.Hours() / 24)
		return fmt.Sprintf("%d days", days)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
