package ui

// The rule dialog: every field of a metric rule, checked with the code
// that checks config.toml (alerts.ParseRuleConfig), each error shown next
// to its field.

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
)

// Choices of the dialog's selects, as shown and as written.
var (
	rdKinds = []string{"Threshold", "Full within (predicts when a filesystem fills up)"}
	rdAggs  = []string{"avg", "min", "max", "last"}
	rdOps   = []string{"above (>)", "below (<)"}
	rdSevs  = []string{"info", "warning", "error", "critical"}
)

// ruleDialog edits one rule; index is its entry, or -1 for a new one.
type ruleDialog struct {
	ed    *rulesEditor
	index int
	dlg   dialog.Dialog

	name, window, raise, clear, forDur *widget.Entry
	within, clearWithin                *widget.Entry
	message, match                     *widget.Entry
	metric, ratio                      *widget.SelectEntry
	kind, agg, op, severity            *widget.Select
	raiseUnit, clearUnit               *widget.Label

	form      *fyne.Container          // the two columns of fields, laid out anew when errors show
	errs      map[string]*widget.Label // per config field
	rows      map[string]fyne.CanvasObject
	general   *widget.Label
	saveBtn   *widget.Button
	threshold []string // the rows only a threshold rule has
}

// metricNames are the metrics a rule may watch: those rules know of, and
// any other series the monitor publishes.
func (ed *rulesEditor) metricNames() []string {
	names := alerts.KnownMetrics()
	if mon := ed.p.s.eng.Monitor; mon != nil {
		for _, s := range mon.Latest().Samples {
			if !slices.Contains(names, s.Name) && alerts.KnownMetric(s.Name) {
				names = append(names, s.Name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// openDialog opens the rule dialog on r.
func (ed *rulesEditor) openDialog(index int, r alerts.Rule, title string) *ruleDialog {
	d := &ruleDialog{ed: ed, index: index, errs: map[string]*widget.Label{}, rows: map[string]fyne.CanvasObject{}}
	metrics := ed.metricNames()
	d.name = widget.NewEntry()
	d.metric = widget.NewSelectEntry(metrics)
	d.ratio = widget.NewSelectEntry(append([]string{""}, metrics...))
	d.ratio.PlaceHolder = "nothing: the metric itself"
	d.kind = widget.NewSelect(rdKinds, func(string) { d.showKind() })
	d.agg = widget.NewSelect(rdAggs, nil)
	d.window = widget.NewEntry()
	d.op = widget.NewSelect(rdOps, nil)
	d.raise, d.clear = widget.NewEntry(), widget.NewEntry()
	d.raiseUnit, d.clearUnit = widget.NewLabel(""), widget.NewLabel("")
	d.within, d.clearWithin = widget.NewEntry(), widget.NewEntry()
	d.forDur = widget.NewEntry()
	d.severity = widget.NewSelect(rdSevs, nil)
	d.message = widget.NewEntry()
	d.match = widget.NewEntry()
	d.window.PlaceHolder = "e.g. 10m"
	d.forDur.PlaceHolder = "0s: fires at once"
	d.clear.PlaceHolder = "same as raise"
	d.clearWithin.PlaceHolder = "1.5 × within"
	d.message.PlaceHolder = "e.g. {{.Labels.mountpoint}} is {{.Value | percent}} full"
	d.match.PlaceHolder = "e.g. mountpoint=!/snap/*, fstype=!squashfs"
	d.metric.OnChanged = func(string) { d.showUnits() }
	d.ratio.OnChanged = func(string) { d.showUnits() }
	d.general = widget.NewLabel("")
	d.general.Importance = widget.DangerImportance
	d.general.Wrapping = fyne.TextWrapWord
	d.general.Hide()
	d.fill(r)

	row := func(field, label string, o fyne.CanvasObject, hint string) fyne.CanvasObject {
		e := widget.NewLabel("")
		e.Importance = widget.DangerImportance
		e.Wrapping = fyne.TextWrapWord
		e.Hide()
		d.errs[field] = e
		parts := []fyne.CanvasObject{o}
		if hint != "" {
			h := alCaption(fyne.TextAlignLeading)
			h.Truncation = fyne.TextTruncateOff
			h.Wrapping = fyne.TextWrapWord
			h.SetText(hint)
			parts = append(parts, h)
		}
		parts = append(parts, e)
		l := widget.NewLabelWithStyle(label, fyne.TextAlignTrailing, fyne.TextStyle{})
		rw := container.NewBorder(nil, nil, alColumn(130, l), nil, alTight(parts...))
		d.rows[field] = rw
		return rw
	}
	withUnit := func(e *widget.Entry, u *widget.Label) fyne.CanvasObject {
		return container.NewBorder(nil, nil, nil, alColumn(36, u), e)
	}
	left := container.NewVBox(
		row("name", "Name", d.name, ""),
		row("metric", "Metric", d.metric, ""),
		row("ratio_of", "Divided by", d.ratio, "For a share: used ÷ size per series, e.g. filesystem_size_bytes."),
		row("kind", "Kind", d.kind, ""),
		row("agg", "Aggregation", d.agg, ""),
		row("window", "Window", d.window, "The span the value is taken over."),
		row("op", "Alert when", d.op, ""),
	)
	right := container.NewVBox(
		row("raise", "Raise at", withUnit(d.raise, d.raiseUnit), ""),
		row("clear", "Clear at", withUnit(d.clear, d.clearUnit), "The value must come back past this to resolve."),
		row("within", "Full within", d.within, "e.g. 8h"),
		row("clear_within", "Clear beyond", d.clearWithin, ""),
		row("for", "For", d.forDur, "How long it must last before it fires."),
		row("severity", "Severity", d.severity, ""),
		row("message", "Message", d.message, "Go template: .Value, .Labels; | percent, bytes, duration, number."),
		row("match", "Label match", d.match, "Globs; '!' negates, '|' separates choices."),
	)
	d.threshold = []string{"agg", "op", "raise", "clear"}
	d.showKind()
	d.showUnits()

	d.saveBtn = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), d.save)
	d.saveBtn.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", func() { d.dlg.Hide() })
	buttons := container.NewHBox(layout.NewSpacer(), cancel, d.saveBtn)
	d.form = container.NewGridWithColumns(2, left, right)
	body := container.NewBorder(nil, container.NewVBox(d.general, buttons), nil, nil, container.NewVScroll(d.form))
	d.dlg = dialog.NewCustomWithoutButtons(title, body, ed.p.s.win)
	d.dlg.Resize(fyne.NewSize(980, 580))
	d.dlg.Show()
	return d
}

// fill puts r into the fields.
func (d *ruleDialog) fill(r alerts.Rule) {
	d.name.SetText(r.Name)
	d.metric.SetText(r.Metric)
	d.ratio.SetText(r.Ratio)
	if r.Kind == alerts.KindFullWithin {
		d.kind.SetSelectedIndex(1)
	} else {
		d.kind.SetSelectedIndex(0)
	}
	agg := r.Agg
	if agg == "" {
		agg = "avg"
	}
	d.agg.SetSelected(agg)
	d.window.SetText(fmtDurOrEmpty(r.Window))
	if r.Op == alerts.OpBelow {
		d.op.SetSelectedIndex(1)
	} else {
		d.op.SetSelectedIndex(0)
	}
	ratio := r.Ratio != "" || strings.HasSuffix(r.Metric, "_ratio")
	num := func(v float64) string {
		if ratio {
			v *= 100
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if r.Kind != alerts.KindFullWithin {
		d.raise.SetText(num(r.Raise))
		if r.Clear != r.Raise {
			d.clear.SetText(num(r.Clear))
		}
	}
	d.within.SetText(fmtDurOrEmpty(r.Within))
	d.clearWithin.SetText(fmtDurOrEmpty(r.ClearWithin))
	d.forDur.SetText(fmtDurOrEmpty(r.For))
	sev := string(r.Severity)
	if sev == "" {
		sev = "warning"
	}
	d.severity.SetSelected(sev)
	d.message.SetText(r.Message)
	d.match.SetText(formatMatch(r.Match))
}

func fmtDurOrEmpty(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return fmtDur(d)
}

// isRatio reports whether the thresholds are percentages.
func (d *ruleDialog) isRatio() bool {
	return strings.TrimSpace(d.ratio.Text) != "" || strings.HasSuffix(strings.TrimSpace(d.metric.Text), "_ratio")
}

func (d *ruleDialog) fullWithin() bool { return d.kind.SelectedIndex() == 1 }

// showKind shows the rows of the rule's kind.
func (d *ruleDialog) showKind() {
	if len(d.rows) == 0 {
		return
	}
	full := d.fullWithin()
	for _, f := range d.threshold {
		setVisible(d.rows[f], !full)
	}
	setVisible(d.rows["within"], full)
	setVisible(d.rows["clear_within"], full)
}

func (d *ruleDialog) showUnits() {
	u := ""
	if d.isRatio() {
		u = "%"
	}
	d.raiseUnit.SetText(u)
	d.clearUnit.SetText(u)
}

func setVisible(o fyne.CanvasObject, v bool) {
	if o == nil {
		return
	}
	if v {
		o.Show()
	} else {
		o.Hide()
	}
}

// formatMatch writes label matchers as "a=x, b=!y".
func formatMatch(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

// parseMatch reads "a=x, b=!y".
func parseMatch(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not label=pattern", part)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("label %q appears twice", k)
		}
		m[k] = strings.TrimSpace(v)
	}
	return m, nil
}

// collect reads the fields into a rule, checked as config.toml is. The
// errors are keyed by config field.
func (d *ruleDialog) collect() (alerts.Rule, map[string]string) {
	errs := map[string]string{}
	c := alerts.RuleConfig{
		Name:     strings.TrimSpace(d.name.Text),
		Metric:   strings.TrimSpace(d.metric.Text),
		RatioOf:  strings.TrimSpace(d.ratio.Text),
		Window:   strings.TrimSpace(d.window.Text),
		For:      strings.TrimSpace(d.forDur.Text),
		Severity: d.severity.Selected,
		Message:  d.message.Text,
	}
	if d.fullWithin() {
		c.Kind = string(alerts.KindFullWithin)
		c.Within = strings.TrimSpace(d.within.Text)
		c.ClearWithin = strings.TrimSpace(d.clearWithin.Text)
	} else {
		c.Agg = d.agg.Selected
		c.Op = alerts.OpAbove
		if d.op.SelectedIndex() == 1 {
			c.Op = alerts.OpBelow
		}
		scale := 1.0
		if d.isRatio() {
			scale = 100
		}
		num := func(field, s string) (float64, bool) {
			s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				errs[field] = fmt.Sprintf("%q is not a number", s)
				return 0, false
			}
			return v / scale, true
		}
		if v, ok := num("raise", d.raise.Text); ok {
			c.Raise = v
		}
		if strings.TrimSpace(d.clear.Text) != "" {
			if v, ok := num("clear", d.clear.Text); ok {
				c.Clear = &v
			}
		}
	}
	m, err := parseMatch(d.match.Text)
	if err != nil {
		errs["match"] = err.Error()
	}
	c.Match = m
	r, err := alerts.ParseRuleConfig(c, alerts.KnownMetric)
	if err != nil {
		for _, e := range unjoinAll(err) {
			var re *alerts.RuleError
			if errors.As(e, &re) {
				// clear is judged against raise: not when raise is unreadable.
				if _, had := errs["raise"]; had && re.Field == "clear" {
					continue
				}
				if _, had := errs[re.Field]; !had {
					errs[re.Field] = re.Problem
				}
			} else {
				errs[""] = e.Error()
			}
		}
	}
	if i := d.ed.index(c.Name); c.Name != "" && i >= 0 && i != d.index {
		errs["name"] = "another rule has the same name"
	}
	if d.index >= 0 && d.ed.entries[d.index].def != nil && c.Name != d.ed.entries[d.index].rule.Name {
		errs["name"] = "a default rule keeps its name; duplicate it to make a rule of your own"
	}
	return r, errs
}

func unjoinAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// showErrors puts each error next to its field; it reports whether there
// were none.
func (d *ruleDialog) showErrors(errs map[string]string) bool {
	for f, l := range d.errs {
		if msg := errs[f]; msg != "" {
			l.SetText(msg)
			l.Show()
		} else {
			l.Hide()
		}
	}
	var other []string
	for f, msg := range errs {
		if _, ok := d.errs[f]; !ok {
			other = append(other, msg)
		}
	}
	sort.Strings(other)
	if len(other) > 0 {
		d.general.SetText(strings.Join(other, "\n"))
		d.general.Show()
	} else {
		d.general.Hide()
	}
	d.form.Refresh() // the rows with an error grew
	return len(errs) == 0
}

// save checks the fields and, when they are right, saves the rules with
// this one and closes the dialog; a failure to save keeps it open.
func (d *ruleDialog) save() {
	r, errs := d.collect()
	if !d.showErrors(errs) {
		return
	}
	ed := d.ed
	es := ed.clone()
	what := "added"
	if d.index >= 0 {
		es[d.index].rule = r
		what = "saved"
	} else {
		es = append(es, ruleEntry{rule: r, enabled: true})
	}
	d.saveBtn.Disable()
	ed.save(es, "Rule "+r.Name+" "+what+".", func(err error) {
		d.saveBtn.Enable()
		if err != nil {
			d.general.SetText("Not saved: " + err.Error())
			d.general.Show()
			return
		}
		d.dlg.Hide()
	})
}
