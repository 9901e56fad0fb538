package ui

// The rows of the Alerts page: an active alert as a card with its
// actions, an ended alert in the history, and a metric rule.

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
)

// alTight stacks a line and its caption without the usual gap.
func alTight(o ...fyne.CanvasObject) *fyne.Container {
	return container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), o...)
}

// alColumn gives its content a fixed width, so that columns line up from
// row to row; longer texts are cut short.
func alColumn(width float32, o fyne.CanvasObject) fyne.CanvasObject {
	w := canvas.NewRectangle(color.Transparent)
	w.SetMinSize(fyne.NewSize(width, 0))
	return container.NewStack(w, o)
}

// alWidest is the width of the widest text, as a label of the given size.
func alWidest(size fyne.ThemeSizeName, bold bool, texts ...string) float32 {
	var w float32
	for _, t := range texts {
		l := widget.NewLabelWithStyle(t, fyne.TextAlignLeading, fyne.TextStyle{Bold: bold})
		l.SizeName = size
		w = max(w, l.MinSize().Width)
	}
	return w + theme.Padding() // digits differ in width
}

func alCaption(align fyne.TextAlign) *widget.Label {
	l := widget.NewLabel("")
	l.SizeName = theme.SizeNameCaptionText
	l.Alignment = align
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// alertRow is an active alert: a severity strip, the message and what is
// known about it, the value for metric alerts, and its actions.
type alertRow struct {
	widget.BaseWidget
	p     *alertsPage
	alert alerts.Alert

	bar             *canvas.Rectangle
	message, meta   *widget.Label
	value, raises   *widget.Label
	valueCol        fyne.CanvasObject
	ack, silenceBtn *widget.Button
	content         fyne.CanvasObject
}

func newAlertRow(p *alertsPage) *alertRow {
	r := &alertRow{
		p:       p,
		bar:     canvas.NewRectangle(theme.Color(theme.ColorNameDisabled)),
		message: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		meta:    alCaption(fyne.TextAlignLeading),
		value:   widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}),
		raises:  alCaption(fyne.TextAlignTrailing),
	}
	r.message.Truncation = fyne.TextTruncateEllipsis
	r.value.Truncation = fyne.TextTruncateEllipsis
	r.bar.SetMinSize(fyne.NewSize(4, 0))
	r.bar.CornerRadius = 2
	r.ack = widget.NewButtonWithIcon("Acknowledge", theme.ConfirmIcon(), func() {
		r.p.acknowledge(r.alert.ID, nil)
	})
	r.silenceBtn = widget.NewButtonWithIcon("Silence", theme.MenuDropDownIcon(), r.showSilenceMenu)
	r.silenceBtn.IconPlacement = widget.ButtonIconTrailingText

	valueWidth := max(
		alWidest(theme.SizeNameText, true, "100.0 %", "full in 23 h 59 min"),
		alWidest(theme.SizeNameCaptionText, false, "raised above 100 %"))
	r.valueCol = alColumn(valueWidth, alTight(r.value, r.raises))
	actions := container.NewHBox(
		r.valueCol,
		container.NewCenter(r.ack),
		container.NewCenter(r.silenceBtn))
	body := container.NewBorder(nil, nil, nil, actions, alTight(r.message, r.meta))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	r.content = container.NewStack(bg,
		container.NewBorder(nil, nil, r.bar, nil, container.NewPadded(body)))
	r.ExtendBaseWidget(r)
	return r
}

func (r *alertRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

// set shows an alert; busy while a change to it is on its way.
func (r *alertRow) set(a alerts.Alert, rule *alerts.Rule, busy bool, now time.Time) {
	r.alert = a
	r.bar.FillColor = alSeverityColor(a.Severity)
	r.bar.Refresh()
	r.message.SetText(a.Message)
	r.meta.SetText(alActiveMeta(a, rule, now))
	// Only metric alerts have a value; an event's message has the room.
	if a.Source == alerts.SourceMetric {
		r.value.SetText(alValue(rule, a.Value))
		r.raises.SetText(alRaises(rule))
		r.valueCol.Show()
	} else {
		r.valueCol.Hide()
	}
	// A pending alert has nothing to acknowledge yet; an acknowledged one
	// is done.
	if busy || a.State != alerts.StateFiring {
		r.ack.Disable()
	} else {
		r.ack.Enable()
	}
	if busy {
		r.silenceBtn.Disable()
	} else {
		r.silenceBtn.Enable()
	}
	// A peer's alert: Acknowledge only with its control permission.
	showIf(r.ack, r.p.canAck())
	showIf(r.silenceBtn, r.p.canSilence())
}

// showSilenceMenu offers the silences under the Silence button.
func (r *alertRow) showSilenceMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(r.silenceBtn)
	if c == nil {
		return
	}
	id := r.alert.ID
	var items []*fyne.MenuItem
	for _, ch := range alSilenceChoices(time.Now()) {
		until := ch.until
		items = append(items, fyne.NewMenuItem(ch.label, func() { r.p.silence(id, until, nil) }))
	}
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", items...), c,
		fyne.NewPos(0, r.silenceBtn.Size().Height), r.silenceBtn)
}

// historyRow is an ended alert: what it was, how it ended and when.
type historyRow struct {
	widget.BaseWidget
	dot           *canvas.Circle
	message, meta *widget.Label
	ended, lasted *widget.Label
	content       fyne.CanvasObject
}

func newHistoryRow() *historyRow {
	r := &historyRow{
		dot:     canvas.NewCircle(theme.Color(theme.ColorNameDisabled)),
		message: widget.NewLabel(""),
		meta:    alCaption(fyne.TextAlignLeading),
		ended:   widget.NewLabel(""),
		lasted:  alCaption(fyne.TextAlignTrailing),
	}
	r.message.Truncation = fyne.TextTruncateEllipsis
	r.ended.Alignment = fyne.TextAlignTrailing
	r.ended.Truncation = fyne.TextTruncateEllipsis
	width := max(
		alWidest(theme.SizeNameText, false, "yesterday 23:59", "28 Sep 23:59"),
		alWidest(theme.SizeNameCaptionText, false, "lasted 23 h 59 min", "lasted less than a minute"))
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSize(8, 8), r.dot))
	r.content = container.NewBorder(nil, nil, dot, alColumn(width, alTight(r.ended, r.lasted)),
		alTight(r.message, r.meta))
	r.ExtendBaseWidget(r)
	return r
}

func (r *historyRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (r *historyRow) set(a alerts.Alert, _ *alerts.Rule, now time.Time) {
	// The history is the past: its colours are faded.
	c := color.NRGBAModel.Convert(alSeverityColor(a.Severity)).(color.NRGBA)
	c.A = 0x90
	r.dot.FillColor = c
	r.dot.Refresh()
	r.message.SetText(a.Message)
	r.meta.SetText(alHistoryMeta(a))
	if a.ResolvedAt.IsZero() {
		r.ended.SetText("")
		r.lasted.SetText("")
		return
	}
	r.ended.SetText(alClock(a.ResolvedAt, now))
	r.lasted.SetText("lasted " + alSpan(a.ResolvedAt.Sub(a.Since)))
}
