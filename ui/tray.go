package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/holdfast/holdfast/assets"
	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/tasks"
)

// tray is the system tray icon and its menu. The icon carries a badge in
// the colour of the worst alert that wants attention; the status line
// (and, where the tray host shows one, the tooltip) says what it is. The
// menu lists the running tasks and offers "Pause all".
type tray struct {
	app    desktop.App
	menu   *fyne.Menu
	open   *fyne.MenuItem
	status *fyne.MenuItem
	pause  *fyne.MenuItem
	quit   *fyne.MenuItem
	tasks  []*fyne.MenuItem // the running tasks' lines
	icon   fyne.Resource

	act     taskActivity
	setHold func(on bool)
	reveal  func(tasks.ID)
}

// trayMaxTasks is how many running tasks the menu lists by name.
const trayMaxTasks = 3

func newTray(a desktop.App, s *Shell) *tray {
	t := &tray{app: a}
	t.open = fyne.NewMenuItem("Open Holdfast", s.Show)
	t.status = fyne.NewMenuItem("", nil)
	t.status.Disabled = true
	t.pause = fyne.NewMenuItem("Pause all", func() {
		if t.setHold != nil {
			t.setHold(!t.act.held)
		}
	})
	t.quit = fyne.NewMenuItem("Quit", s.Quit)
	t.quit.IsQuit = true
	t.menu = fyne.NewMenu("Holdfast")
	t.layout()
	a.SetSystemTrayMenu(t.menu)
	t.update(s.eng.Status())
	return t
}

// layout puts the menu's items in order: open, status and running tasks,
// Pause all (once there are tasks or jobs), quit.
func (t *tray) layout() {
	items := []*fyne.MenuItem{t.open, fyne.NewMenuItemSeparator(), t.status}
	items = append(items, t.tasks...)
	if t.act.any || t.act.held {
		items = append(items, fyne.NewMenuItemSeparator(), t.pause)
	}
	items = append(items, fyne.NewMenuItemSeparator(), t.quit)
	t.menu.Items = items
}

// setActivity lists the running tasks (up to trayMaxTasks, then "and N
// more") and shows "Pause all" or "Resume all".
func (t *tray) setActivity(act taskActivity, setHold func(on bool), reveal func(tasks.ID)) {
	t.act, t.setHold, t.reveal = act, setHold, reveal
	var items []*fyne.MenuItem
	for i, r := range act.live {
		if i == trayMaxTasks {
			more := fyne.NewMenuItem(fmt.Sprintf("and %d more…", len(act.live)-trayMaxTasks), func() { reveal(0) })
			items = append(items, more)
			break
		}
		id := r.id
		items = append(items, fyne.NewMenuItem(trayTaskLine(r), func() { reveal(id) }))
	}
	label := "Pause all"
	if act.held {
		label = "Resume all"
	}
	if !t.changed(items, label) {
		return
	}
	t.tasks = items
	t.pause.Label = label
	t.layout()
	t.menu.Refresh()
}

// changed reports whether the menu would read differently.
func (t *tray) changed(items []*fyne.MenuItem, pauseLabel string) bool {
	if len(items) != len(t.tasks) || pauseLabel != t.pause.Label {
		return true
	}
	for i := range items {
		if items[i].Label != t.tasks[i].Label {
			return true
		}
	}
	has := false
	for _, it := range t.menu.Items {
		has = has || it == t.pause
	}
	return has != (t.act.any || t.act.held)
}

// update mirrors the engine's state in the icon, the menu and the tooltip.
func (t *tray) update(st engine.Status) {
	if icon := trayIcon(trayBadge(st)); icon != t.icon {
		t.icon = icon
		t.app.SetSystemTrayIcon(icon)
	}
	text := trayLine(st)
	if t.status.Label == text {
		return
	}
	t.status.Label = text
	t.menu.Refresh()
	setTrayTooltip("Holdfast · " + text)
}

// trayBadge is the severity the tray icon shows: that of the worst firing
// alert, not acknowledged nor silenced; "" for none. Info alerts do not
// mark the icon.
func trayBadge(st engine.Status) alerts.Severity {
	if !st.Running || st.Alerts.Firing == 0 {
		return ""
	}
	if s := alerts.Severity(st.Alerts.Worst); s.Rank() >= alerts.SeverityWarning.Rank() {
		return s
	}
	return ""
}

// trayLine is the tray's status line: "2 alerts: disk / almost full", or
// the header's state line when nothing fires.
func trayLine(st engine.Status) string {
	if n := st.Alerts.Firing; st.Running && n > 0 {
		return fmt.Sprintf("%s: %s", alCount(n, "alert", "alerts"), st.Alerts.Top)
	}
	text, _ := stateLine(st)
	return text
}

// Badge colours: amber, orange, red.
var trayBadgeColors = map[alerts.Severity]color.NRGBA{
	alerts.SeverityWarning:  {0xF5, 0xA6, 0x23, 0xFF},
	alerts.SeverityError:    {0xEE, 0x5A, 0x1F, 0xFF},
	alerts.SeverityCritical: {0xD6, 0x1F, 0x1F, 0xFF},
}

var (
	trayIconsMu sync.Mutex
	trayIcons   = map[alerts.Severity]fyne.Resource{}
)

// trayIcon is the app icon with a badge for the severity ("" for the plain
// icon), drawn once and cached.
func trayIcon(sev alerts.Severity) fyne.Resource {
	c, ok := trayBadgeColors[sev]
	if !ok {
		return Icon
	}
	trayIconsMu.Lock()
	defer trayIconsMu.Unlock()
	if r := trayIcons[sev]; r != nil {
		return r
	}
	data, err := badgeIcon(assets.IconPNG, c)
	if err != nil {
		fyne.LogError("draw the tray badge", err)
		return Icon
	}
	r := fyne.NewStaticResource("holdfast-"+string(sev)+".png", data)
	trayIcons[sev] = r
	return r
}

// badgeIcon draws a filled circle with a white ring in the lower right
// quarter of a PNG icon, big enough to read at tray size.
func badgeIcon(iconPNG []byte, c color.NRGBA) ([]byte, error) {
	src, err := png.Decode(bytes.NewReader(iconPNG))
	if err != nil {
		return nil, fmt.Errorf("decode icon: %w", err)
	}
	b := src.Bounds()
	img := image.NewNRGBA(b)
	draw.Draw(img, b, src, b.Min, draw.Src)
	size := float64(min(b.Dx(), b.Dy()))
	r := size * 0.22
	cx, cy := float64(b.Max.X)-r-size*0.02, float64(b.Max.Y)-r-size*0.02
	ring := r + size*0.045
	white := color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			d2 := dx*dx + dy*dy
			switch {
			case d2 <= r*r:
				img.SetNRGBA(x, y, c)
			case d2 <= ring*ring:
				img.SetNRGBA(x, y, white)
			}
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		return nil, fmt.Errorf("encode icon: %w", err)
	}
	return out.Bytes(), nil
}
