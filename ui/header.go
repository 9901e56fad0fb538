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

// header is the bar above every page: which device, how it is doing, and
// "Pause all" once there are tasks or schedules to pause.
type header struct {
	object fyne.CanvasObject
	device *widget.Button // the device switcher (devices.go)
	dot    *canvas.Circle
	state  *widget.Label
	pause  *widget.Button

	last    engine.Status
	act     taskActivity
	setHold func(on bool)

	// viewing is the peer the pages show ("" this device); pick opens
	// the switcher's menu.
	viewing       string
	viewingOnline bool
	pick          func(under fyne.CanvasObject)
}

func newHeader(eng *engine.Engine) *header {
	h := &header{
		dot:   canvas.NewCircle(theme.Color(theme.ColorNameSuccess)),
		state: widget.NewLabel(""),
	}
	h.device = widget.NewButtonWithIcon("", theme.MenuDropDownIcon(), func() {
		if h.pick != nil {
			h.pick(h.device)
		}
	})
	h.device.IconPlacement = widget.ButtonIconTrailingText
	h.device.Importance = widget.LowImportance
	h.pause = widget.NewButtonWithIcon("Pause all", theme.MediaPauseIcon(), func() {
		if h.setHold != nil {
			h.setHold(!h.act.held)
		}
	})
	h.pause.Importance = widget.LowImportance
	h.pause.Hide()
	logo := canvas.NewImageFromResource(Icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(28, 28))
	dot := container.NewGridWrap(fyne.NewSize(12, 12), h.dot)
	status := container.NewHBox(container.NewCenter(dot), h.state)
	bar := container.NewBorder(nil, nil,
		container.NewHBox(logo, h.device),
		h.pause,
		container.NewHBox(layout.NewSpacer(), status, layout.NewSpacer()))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	h.object = container.NewVBox(container.NewStack(bg, container.NewPadded(bar)), widget.NewSeparator())
	h.update(eng.Status())
	return h
}

// update shows the engine's state in words and colour.
func (h *header) update(st engine.Status) {
	h.last = st
	name := st.Device
	if h.viewing != "" {
		name = h.viewing
		if !h.viewingOnline {
			name += " (offline)"
		}
	}
	h.device.SetText("Holdfast · " + name)
	text, c := stateLine(st)
	if h.act.held && st.Running && st.Alerts.Firing == 0 {
		text, c = heldLine(h.act), theme.Color(theme.ColorNameWarning)
	}
	h.state.SetText(text)
	h.dot.FillColor = c
	h.dot.Refresh()
}

// setActivity shows the tasks' state: the "Pause all" toggle (offered
// once there are tasks or jobs) and, while everything is held, "Paused".
func (h *header) setActivity(act taskActivity, setHold func(on bool)) {
	was := h.act
	h.act, h.setHold = act, setHold
	if act.any || act.held {
		if act.held {
			h.pause.SetText("Resume all")
			h.pause.SetIcon(theme.MediaPlayIcon())
			h.pause.Importance = widget.WarningImportance
		} else {
			h.pause.SetText("Pause all")
			h.pause.SetIcon(theme.MediaPauseIcon())
			h.pause.Importance = widget.LowImportance
		}
		h.pause.Show()
		h.pause.Refresh()
	} else {
		h.pause.Hide()
	}
	if was.held != act.held {
		h.update(h.last)
	}
}

// heldLine says that "Pause all" is in force.
func heldLine(act taskActivity) string {
	if n := act.running(); n > 0 {
		return fmt.Sprintf("Paused · schedules held, %s on hold", alCount(n, "task", "tasks"))
	}
	return "Paused · schedules held; nothing runs until you resume"
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

// setViewing names the peer the pages show ("" for this device) and
// whether it is online.
func (h *header) setViewing(name string, online bool) {
	h.viewing, h.viewingOnline = name, online
	h.update(h.last)
}
