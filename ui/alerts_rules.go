package ui

// The rule editor of the Alerts page: every metric rule, default or
// added, with a switch, and Add, Edit, Duplicate, Delete and Reset to
// default. Each change is written to config.toml and applied to the
// running alerts service at once (alertcfg.Update).

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/alerts/alertcfg"
	"github.com/holdfast/holdfast/core/config"
)

// ruleEntry is one rule as the editor shows it.
type ruleEntry struct {
	rule    alerts.Rule  // as configured; Disabled is not used, see enabled
	def     *alerts.Rule // the default rule of the same name, if there is one
	enabled bool
}

// changed reports whether a default rule differs from its default.
func (e ruleEntry) changed() bool {
	return e.def != nil && !sameRule(e.rule, *e.def)
}

// sameRule compares two rules as config.toml would write them.
func sameRule(a, b alerts.Rule) bool {
	a.Disabled, b.Disabled = false, false
	return reflect.DeepEqual(a.Config(), b.Config())
}

// ruleEntries lists the default rules, as configured, then the added ones.
func ruleEntries(cfgs []alerts.RuleConfig, cores int) []ruleEntry {
	over := map[string]alerts.Rule{}
	var added []alerts.Rule
	parsed, err := alerts.ParseRules(cfgs)
	if err != nil { // cannot happen for a config that loaded
		parsed = nil
	}
	defaults := alerts.DefaultRules(cores)
	isDefault := map[string]bool{}
	for _, d := range defaults {
		isDefault[d.Name] = true
	}
	for _, r := range parsed {
		over[r.Name] = r
		if !isDefault[r.Name] {
			added = append(added, r)
		}
	}
	var out []ruleEntry
	for i := range defaults {
		d := &defaults[i]
		e := ruleEntry{rule: *d, def: d, enabled: true}
		if o, ok := over[d.Name]; ok {
			e.enabled = !o.Disabled
			if o.Metric != "" { // more than "switch it off"
				e.rule = o
			}
		}
		e.rule.Disabled = false
		out = append(out, e)
	}
	for _, r := range added {
		e := ruleEntry{rule: r, enabled: !r.Disabled}
		e.rule.Disabled = false
		out = append(out, e)
	}
	return out
}

// ruleConfigs is the [[alerts.rule]] list of entries: nothing for a
// default rule as it is, its name and disabled = true for one switched
// off, the whole rule for a changed or added one.
func ruleConfigs(es []ruleEntry) []alerts.RuleConfig {
	var out []alerts.RuleConfig
	for _, e := range es {
		switch {
		case e.def != nil && !e.changed() && e.enabled:
		case e.def != nil && !e.changed():
			out = append(out, alerts.RuleConfig{Name: e.rule.Name, Disabled: true})
		default:
			c := e.rule.Config()
			c.Disabled = !e.enabled
			out = append(out, c)
		}
	}
	return out
}

// alConditionShort is a rule's condition in a few symbols: "avg 10m > 85 %
// (clear < 75 %) for 5m", "full within 8h (clear beyond 12h) over 1h".
func alConditionShort(r alerts.Rule) string {
	var s string
	if r.Kind == alerts.KindFullWithin {
		cw := r.ClearWithin
		if cw == 0 {
			cw = r.Within + r.Within/2
		}
		s = fmt.Sprintf("full within %s (clear beyond %s) at the rate of %s", fmtDur(r.Within), fmtDur(cw), fmtDur(r.Window))
	} else {
		s = fmt.Sprintf("%s %s %s %s", r.Agg, fmtDur(r.Window), r.Op, alThreshold(&r, r.Raise))
		if r.Clear != r.Raise {
			back := alerts.OpBelow
			if r.Op == alerts.OpBelow {
				back = alerts.OpAbove
			}
			s += fmt.Sprintf(" (clear %s %s)", back, alThreshold(&r, r.Clear))
		}
	}
	if r.For > 0 {
		s += " for " + fmtDur(r.For)
	}
	return s
}

// fmtDur writes a duration as config.toml does: "10m", "1h30m".
func fmtDur(d interface{ String() string }) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// rulesEditor holds the editor's state; it lives on the Alerts page and
// is used on the UI thread only.
type rulesEditor struct {
	p       *alertsPage
	entries []ruleEntry
	saving  bool
	list    *widget.List
	add     *widget.Button
	note    *widget.Label // the outcome of the last change
}

func newRulesEditor(p *alertsPage) *rulesEditor {
	ed := &rulesEditor{p: p, note: mutedLabel()}
	ed.entries = ruleEntries(p.s.eng.Config().Alerts.Rules, runtime.NumCPU())
	ed.list = widget.NewList(
		func() int { return len(ed.entries) },
		func() fyne.CanvasObject { return newRuleRow(ed) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(ed.entries) {
				o.(*ruleRow).set(id, ed.entries[id], ed.saving)
			}
		})
	ed.list.OnSelected = func(id widget.ListItemID) {
		ed.list.UnselectAll()
		if id < len(ed.entries) && !ed.saving {
			ed.edit(id)
		}
	}
	ed.add = widget.NewButtonWithIcon("Add rule", theme.ContentAddIcon(), func() {
		r := alerts.Rule{Agg: "avg", Window: 5 * time.Minute, Op: alerts.OpAbove, Severity: alerts.SeverityWarning}
		ed.openDialog(-1, r, "Add a rule")
	})
	return ed
}

// summary is the rules heading: how many are in force.
func (ed *rulesEditor) summary() string {
	on := 0
	for _, e := range ed.entries {
		if e.enabled {
			on++
		}
	}
	s := "Rules · " + alCount(on, "metric rule", "metric rules") + " in force"
	if off := len(ed.entries) - on; off > 0 {
		s += fmt.Sprintf(", %d off", off)
	}
	return s
}

func (ed *rulesEditor) edit(i int) {
	ed.openDialog(i, ed.entries[i].rule, "Edit rule "+ed.entries[i].rule.Name)
}

func (ed *rulesEditor) duplicate(i int) {
	r := ed.entries[i].rule
	r.Name = ed.freeName(r.Name + "_copy")
	r.Match = copyMap(r.Match)
	ed.openDialog(-1, r, "Duplicate "+ed.entries[i].rule.Name)
}

func (ed *rulesEditor) freeName(base string) string {
	name := base
	for n := 2; ed.index(name) >= 0; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	return name
}

// index is the entry of the rule named name, or -1.
func (ed *rulesEditor) index(name string) int {
	for i, e := range ed.entries {
		if e.rule.Name == name {
			return i
		}
	}
	return -1
}

func (ed *rulesEditor) setEnabled(i int, on bool) {
	es := ed.clone()
	es[i].enabled = on
	verb := "switched off"
	if on {
		verb = "switched on"
	}
	ed.save(es, fmt.Sprintf("Rule %s %s.", es[i].rule.Name, verb), nil)
}

func (ed *rulesEditor) remove(i int) {
	name := ed.entries[i].rule.Name
	dialog.ShowConfirm("Delete rule "+name+"?",
		"Its alerts end, and it is removed from config.toml.", func(ok bool) {
			if !ok {
				return
			}
			es := ed.clone()
			es = append(es[:i], es[i+1:]...)
			ed.save(es, "Rule "+name+" deleted.", nil)
		}, ed.p.s.win)
}

func (ed *rulesEditor) reset(i int) {
	es := ed.clone()
	es[i].rule = *es[i].def
	es[i].enabled = true
	ed.save(es, "Rule "+es[i].rule.Name+" is back to its default.", nil)
}

func (ed *rulesEditor) clone() []ruleEntry {
	return append([]ruleEntry(nil), ed.entries...)
}

// save writes the rules to config.toml and applies them, in a goroutine.
// done, when given, gets the outcome on the UI thread; failures are also
// shown under the list.
func (ed *rulesEditor) save(es []ruleEntry, okText string, done func(error)) {
	if ed.saving {
		if done != nil {
			done(fmt.Errorf("another change is being saved"))
		}
		return
	}
	ed.saving = true
	ed.list.Refresh()
	eng := ed.p.s.eng
	cfgs := ruleConfigs(es)
	go func() {
		c, err := alertcfg.Update(eng.Home().ConfigPath(), eng.Alerts, eng.AlertsEnv(),
			func(a *config.Alerts) { a.Rules = cfgs })
		ed.p.do(func() {
			ed.saving = false
			if err == nil {
				ed.entries = ruleEntries(c.Alerts.Rules, runtime.NumCPU())
				ed.note.Importance = widget.LowImportance
				ed.note.SetText(okText + " Saved to config.toml and in force.")
			} else {
				ed.note.Importance = widget.DangerImportance
				ed.note.SetText("Not saved: " + err.Error())
			}
			ed.list.Refresh()
			ed.p.load() // the rules in force, for the alerts' thresholds
			if done != nil {
				done(err)
			}
		})
	}()
}

// view is the editor under its heading: the list and its buttons.
func (ed *rulesEditor) view(head fyne.CanvasObject) fyne.CanvasObject {
	bottom := container.NewBorder(nil, nil, nil, ed.add, ed.note)
	return container.NewBorder(head, bottom, nil, nil, ed.list)
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ruleRow is one rule in the editor: a switch, its name and metric, its
// condition and message, its severity, and its actions.
type ruleRow struct {
	widget.BaseWidget
	ed       *rulesEditor
	i        int
	on       *widget.Check
	name     *widget.Label
	metric   *widget.Label
	when     *widget.Label
	message  *widget.Label
	severity *widget.Label
	edit     *widget.Button
	more     *widget.Button
	content  fyne.CanvasObject
	setting  bool
}

func newRuleRow(ed *rulesEditor) *ruleRow {
	r := &ruleRow{
		ed:       ed,
		name:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		metric:   alCaption(fyne.TextAlignLeading),
		when:     widget.NewLabel(""),
		message:  alCaption(fyne.TextAlignLeading),
		severity: widget.NewLabel(""),
	}
	r.on = widget.NewCheck("", func(on bool) {
		if !r.setting {
			r.ed.setEnabled(r.i, on)
		}
	})
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.when.Truncation = fyne.TextTruncateEllipsis
	r.severity.Alignment = fyne.TextAlignTrailing
	r.edit = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), func() { r.ed.edit(r.i) })
	r.edit.Importance = widget.LowImportance
	r.more = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), r.showMenu)
	r.more.Importance = widget.LowImportance
	sevWidth := alWidest(theme.SizeNameText, false, "Critical", "Warning")
	cols := container.NewGridWithColumns(2, alTight(r.name, r.metric), alTight(r.when, r.message))
	right := container.NewHBox(alColumn(sevWidth, container.NewCenter(r.severity)), r.edit, r.more)
	r.content = container.NewBorder(nil, nil, r.on, right, cols)
	r.ExtendBaseWidget(r)
	return r
}

func (r *ruleRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (r *ruleRow) set(i int, e ruleEntry, busy bool) {
	r.i = i
	r.setting = true
	r.on.SetChecked(e.enabled)
	r.setting = false
	name := e.rule.Name
	switch {
	case e.def == nil:
		name += " · added"
	case e.changed():
		name += " · changed"
	}
	r.name.SetText(name)
	r.metric.SetText(alMetric(e.rule))
	r.when.SetText(alConditionShort(e.rule))
	msg := e.rule.Message
	if msg == "" {
		msg = "(default message)"
	}
	r.message.SetText(msg)
	r.severity.Importance = alSeverityImportance(e.rule.Severity)
	if !e.enabled {
		r.severity.Importance = widget.LowImportance
	}
	r.severity.SetText(alSeverityWord(e.rule.Severity))
	for _, w := range []fyne.Disableable{r.on, r.edit, r.more} {
		if busy {
			w.Disable()
		} else {
			w.Enable()
		}
	}
}

// showMenu offers Duplicate, Reset to default and Delete.
func (r *ruleRow) showMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(r.more)
	if c == nil || r.i >= len(r.ed.entries) {
		return
	}
	i, e := r.i, r.ed.entries[r.i]
	dup := fyne.NewMenuItem("Duplicate", func() { r.ed.duplicate(i) })
	reset := fyne.NewMenuItem("Reset to default", func() { r.ed.reset(i) })
	reset.Disabled = !e.changed()
	del := fyne.NewMenuItem("Delete", func() { r.ed.remove(i) })
	if e.def != nil {
		del.Label = "Delete (a default rule: switch it off instead)"
		del.Disabled = true
	}
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", dup, reset, del), c,
		fyne.NewPos(0, r.more.Size().Height), r.more)
}
