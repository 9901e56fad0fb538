package ui

import (
	"context"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/engine"
)

// alActiveRowsShown is how many active alerts show before their section
// scrolls; the history below keeps the rest of the page.
const alActiveRowsShown = 3

// alertsPage is the Alerts page: the active alerts first, each with
// Acknowledge and Silence, then the history of those that ended, and the
// editor of the metric rules (alerts_rules.go, alerts_ruledialog.go). Its fields are read and written on the UI thread
// only.
//
// Its parts live in files of their own: alerts_ops.go (every call to the
// engine), alerts_rows.go (the rows of the three lists) and
// alerts_format.go (words and numbers).
type alertsPage struct {
	s *Shell

	active  []alerts.Alert // firing, pending, acknowledged: most severe first
	history []alerts.Alert // ended, newest first
	rules   []alerts.Rule
	loaded  bool
	loadErr error

	loading bool
	again   bool              // the alerts changed while a load was in flight
	ready   chan alertsAnswer // the answer in flight
	busy    map[string]bool   // alerts with an acknowledgement or silence in flight
	minute  time.Time         // the minute the relative times were written in

	// widgets
	root          *fyne.Container
	main          *fyne.Container
	empty         fyne.CanvasObject
	statusDot     *canvas.Circle
	statusText    *widget.Label
	activeSection *fyne.Container
	activeBox     *fyne.Container
	activeSizer   *canvas.Rectangle
	activeRows    []*alertRow
	rowHeight     float32 // of an active alert's row
	historyTitle  *widget.Label
	historyList   *widget.List
	historyNone   *widget.Label
	historyArea   *fyne.Container
	rulesEd       *rulesEditor
	rulesToggle   *widget.Button
	rulesOpen     bool
	rulesSplit    *container.Split // history above, rules below, while open
	body          *fyne.Container

	// tgt is the device whose alerts are shown (devices_alerts.go);
	// remote ends the re-reading of a peer's alerts.
	tgt    target
	remote context.CancelFunc
}

func newAlertsPage(s *Shell) *page {
	p := newAlertsView(s)
	s.dev.follow(p.setTarget, func(target) { p.load() })
	return &page{title: PageAlerts, icon: theme.WarningIcon(), build: p.build, onStatus: p.onStatus, ref: p,
		heading: func() string { return s.dev.heading(PageAlerts) }}
}

// newAlertsView makes the page's widgets, asks the engine for the alerts
// at once, so the answer is usually there when the page is first shown,
// and follows the engine's alerts.changed events from then on. It must
// run on the UI thread.
func newAlertsView(s *Shell) *alertsPage {
	p := &alertsPage{s: s, busy: map[string]bool{}}
	p.makeWidgets()
	p.load()
	s.listen(8, func(bus.Event) { p.load() }, engine.AlertsChanged{}.Topic())
	return p
}

func (p *alertsPage) do(f func()) { p.s.opts.do(f) }

func (p *alertsPage) makeWidgets() {
	p.statusDot = canvas.NewCircle(theme.Color(theme.ColorNameDisabled))
	p.statusText = widget.NewLabel("Reading the alerts…")
	p.statusText.Truncation = fyne.TextTruncateEllipsis

	p.activeBox = container.NewVBox()
	p.activeSizer = canvas.NewRectangle(color.Transparent)
	activeHeading := widget.NewLabelWithStyle("Active", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.activeSection = container.NewVBox(activeHeading,
		container.NewStack(p.activeSizer, container.NewVScroll(p.activeBox)), widget.NewSeparator())

	p.historyTitle = widget.NewLabelWithStyle("History", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.historyList = widget.NewList(
		func() int { return len(p.history) },
		func() fyne.CanvasObject { return newHistoryRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(p.history) {
				o.(*historyRow).set(p.history[id], p.rule(p.history[id].Rule), time.Now())
			}
		})
	p.historyList.OnSelected = func(widget.ListItemID) { p.historyList.UnselectAll() }
	p.historyNone = mutedLabel()
	p.historyNone.SetText("No alert has ended yet. Resolved, acknowledged and dismissed alerts are kept here.")
	p.historyArea = container.NewStack(p.historyList)

	p.rulesEd = newRulesEditor(p)
	p.rulesToggle = widget.NewButtonWithIcon("Rules", theme.MenuExpandIcon(), p.toggleRules)
	p.rulesToggle.Alignment = widget.ButtonAlignLeading
	p.rulesToggle.Importance = widget.LowImportance
}

// build lays the page out: the state line, the active alerts, the
// history filling the rest, and the rules, folded away at the bottom or
// sharing the room with the history.
func (p *alertsPage) build() fyne.CanvasObject {
	dot := container.NewGridWrap(fyne.NewSize(12, 12), p.statusDot)
	statusRow := container.NewBorder(nil, nil, container.NewCenter(dot), nil, p.statusText)

	history := container.NewBorder(p.historyTitle, nil, nil, nil, p.historyArea)
	p.main = container.NewBorder(p.activeSection, nil, nil, nil, history)
	p.empty = bkEmpty(theme.WarningIcon(), "No alerts",
		"Holdfast watches CPU, memory, disks, swap, load and network errors with the rules below, "+
			"and tells you about failed backups and damaged repositories.")
	p.root = container.NewStack()
	p.body = container.NewStack()
	p.layoutBody()

	top := container.NewVBox(statusRow, widget.NewSeparator())
	p.take() // no "reading…" flash when the answer is already here
	p.refreshAll()
	return container.NewPadded(container.NewBorder(top, nil, nil, nil, p.body))
}

// toggleRules opens or folds the rules.
func (p *alertsPage) toggleRules() {
	p.rulesOpen = !p.rulesOpen
	p.layoutBody()
}

// layoutBody puts the rules under the rest of the page: only their
// heading while folded, a pane of their own below a split while open.
func (p *alertsPage) layoutBody() {
	rulesHead := container.NewVBox(widget.NewSeparator(), p.rulesToggle)
	var o fyne.CanvasObject
	if p.rulesOpen {
		p.rulesToggle.SetIcon(theme.MenuDropDownIcon())
		offset := 0.55
		if p.rulesSplit != nil {
			offset = p.rulesSplit.Offset
		}
		p.rulesSplit = container.NewVSplit(p.root, p.rulesEd.view(rulesHead))
		p.rulesSplit.Offset = offset
		o = p.rulesSplit
	} else {
		p.rulesToggle.SetIcon(theme.MenuExpandIcon())
		o = container.NewBorder(nil, rulesHead, nil, nil, p.root)
	}
	p.body.Objects = []fyne.CanvasObject{o}
	p.body.Refresh()
}

// onStatus follows the engine's heartbeat: "since 21:04, 3 min" stays
// true. It runs on every event, so it only redraws when the minute turns.
func (p *alertsPage) onStatus(engine.Status) {
	if p.root == nil {
		return
	}
	if m := time.Now().Truncate(time.Minute); !m.Equal(p.minute) {
		p.refreshAll()
	}
}

// refreshAll brings every part of the page in line with its state.
func (p *alertsPage) refreshAll() {
	if p.root == nil {
		return
	}
	now := time.Now()
	p.minute = now.Truncate(time.Minute)
	p.updateStatus()

	switch {
	case p.loaded && len(p.active) == 0 && len(p.history) == 0:
		p.setRoot(p.empty)
	case !p.loaded && p.loadErr == nil:
		p.setRoot(widget.NewLabel("Reading the alerts…"))
	default:
		p.setRoot(p.main)
	}

	// Active alerts: one row each, reused from refresh to refresh.
	for len(p.activeRows) < len(p.active) {
		p.activeRows = append(p.activeRows, newAlertRow(p))
	}
	objs := make([]fyne.CanvasObject, len(p.active))
	for i, a := range p.active {
		p.activeRows[i].set(a, p.rule(a.Rule), p.busy[a.ID], now)
		objs[i] = p.activeRows[i]
	}
	p.activeRows = p.activeRows[:len(p.active)]
	p.activeBox.Objects = objs
	p.activeBox.Refresh()
	if len(p.active) == 0 {
		p.activeSection.Hide()
	} else {
		p.activeSection.Show()
		if p.rowHeight == 0 {
			p.rowHeight = newAlertRow(p).MinSize().Height
		}
		rowH := p.rowHeight
		shown := float32(min(len(p.active), alActiveRowsShown))
		height := shown*rowH + (shown-1)*theme.Padding()
		if len(p.active) > alActiveRowsShown {
			height += rowH / 2 // half a row says there is more
		}
		p.activeSizer.SetMinSize(fyne.NewSize(0, height))
	}
	p.main.Refresh() // the active section's height may have changed

	// History: the list, or a line saying it is empty.
	switch n := len(p.history); n {
	case 0:
		p.historyTitle.SetText("History")
		p.historyArea.Objects = []fyne.CanvasObject{container.NewVBox(p.historyNone)}
	default:
		p.historyTitle.SetText("History · " + alCount(n, "alert", "alerts") + " ended")
		p.historyArea.Objects = []fyne.CanvasObject{p.historyList}
	}
	p.historyArea.Refresh()
	p.historyList.Refresh()

	// Rules.
	p.rulesToggle.SetText(p.rulesEd.summary())
	p.rulesEd.list.Refresh()
}

func (p *alertsPage) setRoot(o fyne.CanvasObject) {
	if len(p.root.Objects) == 1 && p.root.Objects[0] == o {
		return
	}
	p.root.Objects = []fyne.CanvasObject{o}
	p.root.Refresh()
}

// rule is the metric rule of the given name, or nil (an event alert, or a
// rule since removed).
func (p *alertsPage) rule(name string) *alerts.Rule {
	if name == "" {
		return nil
	}
	for i := range p.rules {
		if p.rules[i].Name == name {
			return &p.rules[i]
		}
	}
	return nil
}

// updateStatus answers "is anything wrong?" in one line: how many alerts
// are active and how bad they are.
func (p *alertsPage) updateStatus() {
	text, kind := alStatusLine(p.active)
	switch {
	case p.loadErr != nil:
		text, kind = "Could not read the alerts: "+p.loadErr.Error(), statusError
	case !p.loaded:
		text, kind = "Reading the alerts…", statusNeutral
	}
	c := theme.Color(theme.ColorNameDisabled)
	switch kind {
	case statusOK:
		c = theme.Color(theme.ColorNameSuccess)
	case statusWarn:
		c = theme.Color(theme.ColorNameWarning)
	case statusError:
		c = theme.Color(theme.ColorNameError)
	}
	p.statusDot.FillColor = c
	p.statusDot.Refresh()
	p.statusText.SetText(text + p.remoteNote())
}
