package ui

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/config"
)

func TestRuleEditorAddRuleValidateSaveEvaluate(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	p, _ := newAlertsTestPage(t, s)
	path := eng.Home().ConfigPath()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	var d *ruleDialog
	uiDo(func() {
		d = p.rulesEd.openDialog(-1, alerts.Rule{Agg: "avg", Window: 5 * time.Minute, Op: alerts.OpAbove, Severity: alerts.SeverityWarning}, "Add a rule")
		d.name.SetText("machine_up")
		d.metric.SetText("uptime_secnds")
		d.agg.SetSelected("last")
		d.window.SetText("1m")
		d.raise.SetText("lots")
		d.severity.SetSelected("critical")
		d.message.SetText("Up for {{.Value | duration}}")
		d.save()
	})
	// Both mistakes are shown next to their fields; nothing is saved.
	uiDo(func() {
		if !d.errs["raise"].Visible() || d.errs["raise"].Text != `"lots" is not a number` {
			t.Errorf("raise error %q (shown %v)", d.errs["raise"].Text, d.errs["raise"].Visible())
		}
		if !d.errs["metric"].Visible() || d.errs["metric"].Text != `unknown metric "uptime_secnds"` {
			t.Errorf("metric error %q", d.errs["metric"].Text)
		}
		if d.errs["window"].Visible() || d.errs["name"].Visible() {
			t.Error("errors shown on good fields")
		}
	})
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("an invalid rule changed config.toml")
	}

	// Corrected, it is saved, applied and evaluated.
	uiDo(func() {
		d.metric.SetText("uptime_seconds")
		d.raise.SetText("1")
		d.save()
	})
	waitUI(t, "the rule saved", func() bool { return p.rulesEd.index("machine_up") >= 0 && !p.rulesEd.saving })
	uiDo(func() {
		if d.errs["raise"].Visible() || d.errs["metric"].Visible() {
			t.Error("errors still shown after a good save")
		}
	})
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Alerts.Rules) != 1 || c.Alerts.Rules[0].Name != "machine_up" || c.Alerts.Rules[0].Metric != "uptime_seconds" ||
		c.Alerts.Rules[0].Raise != 1 || c.Alerts.Rules[0].Severity != "critical" {
		t.Fatalf("config.toml rules: %+v", c.Alerts.Rules)
	}
	var inForce *alerts.Rule
	for _, r := range eng.Alerts.Rules() {
		if r.Name == "machine_up" {
			inForce = &r
		}
	}
	if inForce == nil || inForce.Agg != "last" || inForce.Window != time.Minute {
		t.Fatalf("rule in force: %+v", inForce)
	}
	// The service evaluates it against the monitor's history.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_ = eng.Alerts.Evaluate(context.Background(), time.Now())
		var fired bool
		for _, a := range eng.Alerts.Active() {
			fired = fired || a.Rule == "machine_up" && a.State == alerts.StateFiring && strings.HasPrefix(a.Message, "Up for ")
		}
		if fired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new rule did not fire: %+v, errors %v", eng.Alerts.Active(), eng.Alerts.RuleErrors())
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitUI(t, "the row of the added rule", func() bool {
		i := p.rulesEd.index("machine_up")
		return i >= 0 && p.rulesEd.entries[i].def == nil && p.rulesEd.entries[i].enabled
	})

	// Switching it off resolves its alert and says so in config.toml.
	uiDo(func() { p.rulesEd.setEnabled(p.rulesEd.index("machine_up"), false) })
	waitUI(t, "the rule switched off", func() bool { return !p.rulesEd.saving })
	for _, a := range eng.Alerts.Active() {
		if a.Rule == "machine_up" {
			t.Errorf("still active after switching the rule off: %+v", a)
		}
	}
	c, _ = config.Load(path)
	if len(c.Alerts.Rules) != 1 || !c.Alerts.Rules[0].Disabled || c.Alerts.Rules[0].Metric != "uptime_seconds" {
		t.Errorf("config.toml after switching off: %+v", c.Alerts.Rules)
	}
}

func TestRuleEditorDefaultRules(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	p, _ := newAlertsTestPage(t, s)
	path := eng.Home().ConfigPath()
	var i int
	uiDo(func() { i = p.rulesEd.index("disk_space_warning") })
	if i < 0 {
		t.Fatal("no disk_space_warning in the editor")
	}

	// Edit a default rule: percent thresholds in the dialog, a fraction in
	// config.toml.
	var d *ruleDialog
	uiDo(func() {
		d = p.rulesEd.openDialog(i, p.rulesEd.entries[i].rule, "Edit")
		if d.raise.Text != "90" || d.clear.Text != "80" || d.raiseUnit.Text != "%" {
			t.Errorf("thresholds shown as %q/%q %q", d.raise.Text, d.clear.Text, d.raiseUnit.Text)
		}
		d.raise.SetText("95")
		d.clear.SetText("97")
		d.save()
	})
	uiDo(func() {
		if !d.errs["clear"].Visible() || !strings.Contains(d.errs["clear"].Text, "above raise") {
			t.Errorf("clear above raise: %q", d.errs["clear"].Text)
		}
		d.clear.SetText("85")
		d.save()
	})
	waitUI(t, "the change saved", func() bool { return !p.rulesEd.saving && p.rulesEd.entries[i].changed() })
	c, _ := config.Load(path)
	if len(c.Alerts.Rules) != 1 || c.Alerts.Rules[0].Raise != 0.95 || *c.Alerts.Rules[0].Clear != 0.85 {
		t.Fatalf("config.toml: %+v", c.Alerts.Rules)
	}

	// Reset to default: config.toml has no rules again.
	uiDo(func() { p.rulesEd.reset(i) })
	waitUI(t, "the reset saved", func() bool { return !p.rulesEd.saving && !p.rulesEd.entries[i].changed() })
	if c, _ := config.Load(path); len(c.Alerts.Rules) != 0 {
		t.Errorf("after reset: %+v", c.Alerts.Rules)
	}
	if !reflect.DeepEqual(eng.Alerts.Rules(), alertsDefaults(t)) {
		t.Error("the rules in force are not the defaults after reset")
	}

	// Duplicate opens a dialog with a free name; a default rule keeps its name.
	uiDo(func() {
		p.rulesEd.duplicate(i)
		d = p.rulesEd.openDialog(i, p.rulesEd.entries[i].rule, "Edit")
		d.name.SetText("renamed")
		d.save()
		if !d.errs["name"].Visible() {
			t.Error("renaming a default rule was accepted")
		}
	})
	if got := ruleConfigs(ruleEntries(nil, 4)); len(got) != 0 {
		t.Errorf("defaults as they are write %+v", got)
	}
}

func alertsDefaults(t *testing.T) []alerts.Rule {
	t.Helper()
	c := config.Default()
	rules, err := c.Alerts.EffectiveRules(0)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func TestConditionShort(t *testing.T) {
	rules := alerts.DefaultRules(4)
	want := map[string]string{
		"cpu_usage_warning": "avg 10m > 85 % (clear < 75 %)",
		"load_average_high": "last 5m > 8 (clear < 6) for 5m",
		"disk_full_soon":    "full within 8h (clear beyond 12h) at the rate of 1h for 30m",
	}
	for _, r := range rules {
		if w, ok := want[r.Name]; ok {
			if got := alConditionShort(r); got != w {
				t.Errorf("%s: %q, want %q", r.Name, got, w)
			}
		}
	}
	m, err := parseMatch(" fstype=!squashfs|iso9660 , cpu= ")
	if err != nil || len(m) != 2 || m["cpu"] != "" || m["fstype"] != "!squashfs|iso9660" {
		t.Errorf("parseMatch: %v %v", m, err)
	}
	if formatMatch(m) != "cpu=, fstype=!squashfs|iso9660" {
		t.Errorf("formatMatch: %q", formatMatch(m))
	}
	if _, err := parseMatch("fstype"); err == nil {
		t.Error("a label without = was accepted")
	}
}
