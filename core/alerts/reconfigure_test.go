package alerts

import (
	"strings"
	"testing"
	"time"
)

func TestReconfigureThresholdChangesEvaluation(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	h.src.set("cpu_usage_ratio", v(0.80))
	if ns := h.eval(time.Minute); len(ns) != 0 || len(h.svc.Active()) != 0 {
		t.Fatalf("0.80 under raise 0.85: %v %+v", transitions(ns), h.svc.Active())
	}

	lower := cpuRule(0)
	lower.Raise, lower.Clear = 0.75, 0.70
	if err := h.svc.Reconfigure([]Rule{lower}, Options{Notifiers: []Notifier{h.rec}}); err != nil {
		t.Fatal(err)
	}
	if got := h.svc.Rules(); len(got) != 1 || got[0].Raise != 0.75 {
		t.Fatalf("rules in force %+v", got)
	}
	if ns := h.eval(time.Minute); fmtStrings(transitions(ns)) != `["firing"]` || h.only().State != StateFiring {
		t.Fatalf("0.80 over the new raise 0.75: %v", transitions(ns))
	}

	// Raising the clear threshold above the value resolves the alert at
	// the next evaluation.
	higher := cpuRule(0)
	higher.Raise, higher.Clear = 0.90, 0.85
	if err := h.svc.Reconfigure([]Rule{higher}, Options{Notifiers: []Notifier{h.rec}}); err != nil {
		t.Fatal(err)
	}
	if len(h.svc.Active()) != 1 {
		t.Fatal("a changed rule closed its alert before evaluating it")
	}
	if ns := h.eval(time.Minute); fmtStrings(transitions(ns)) != `["resolved"]` || len(h.svc.Active()) != 0 {
		t.Fatalf("0.80 under the new clear 0.85: %v %+v", transitions(ns), h.svc.Active())
	}
}

func TestReconfigureRemovingAFiringRuleResolvesIt(t *testing.T) {
	mem := Rule{Name: "mem_high", Metric: "memory_used_ratio", Agg: "avg", Window: time.Minute,
		Op: OpAbove, Raise: 0.9, Clear: 0.8, Severity: SeverityCritical}
	h := newHarness(t, []Rule{cpuRule(0), mem}, nil)
	h.src.set("cpu_usage_ratio", v(0.95))
	h.src.set("memory_used_ratio", v(0.95))
	h.eval(time.Minute)
	if len(h.svc.Active()) != 2 || h.svc.WorstSeverity() != SeverityCritical {
		t.Fatalf("active %+v", h.svc.Active())
	}
	if err := h.svc.Reconfigure([]Rule{cpuRule(0)}, Options{Notifiers: []Notifier{h.rec}}); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 0 {
		t.Errorf("removing a rule notified %v", transitions(ns))
	}
	act := h.svc.Active()
	if len(act) != 1 || act[0].Rule != "cpu_high" || h.svc.WorstSeverity() != SeverityWarning {
		t.Fatalf("active after removing mem_high: %+v", act)
	}
	hist := h.svc.History(0)
	if len(hist) != 1 || hist[0].Rule != "mem_high" || hist[0].State != StateResolved ||
		!strings.Contains(hist[0].Resolution, "rule was removed") {
		t.Errorf("history %+v", hist)
	}
}

func TestReconfigureChannels(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	other := &recorder{}
	err := h.svc.Reconfigure([]Rule{cpuRule(0)}, Options{
		Notifiers: []Notifier{other},
		ReNotify:  time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.src.set("cpu_usage_ratio", v(0.95))
	if ns := h.eval(time.Minute); len(ns) != 0 {
		t.Errorf("the old notifier still hears: %v", transitions(ns))
	}
	if got := transitions(other.take()); fmtStrings(got) != `["firing"]` {
		t.Errorf("the new notifier heard %v", got)
	}
	h.eval(time.Hour)
	if got := transitions(other.take()); fmtStrings(got) != `["firing(repeat)"]` {
		t.Errorf("after an hour with re-notify 1h: %v", got)
	}

	// Quiet hours now: the next reminder is held back.
	err = h.svc.Reconfigure([]Rule{cpuRule(0)}, Options{
		Notifiers:  []Notifier{other},
		ReNotify:   time.Hour,
		QuietHours: &QuietHours{Start: "00:00", End: "23:59", Location: time.UTC},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.eval(2 * time.Hour)
	if got := other.take(); len(got) != 0 {
		t.Errorf("during quiet hours: %v", transitions(got))
	}
}

func TestReconfigureRejectsAsAWhole(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	bad := cpuRule(0)
	bad.Metric = "cpu_usage_ratoi"
	err := h.svc.Reconfigure([]Rule{bad}, Options{KnownMetrics: KnownMetric, ReNotify: time.Hour})
	if err == nil || !strings.Contains(err.Error(), `alert rule "cpu_high": metric: unknown metric "cpu_usage_ratoi"`) {
		t.Fatalf("unknown metric: %v", err)
	}
	err = h.svc.Reconfigure([]Rule{cpuRule(0)}, Options{QuietHours: &QuietHours{Start: "25:00", End: "07:00"}})
	if err == nil || !strings.Contains(err.Error(), "quiet hours start") {
		t.Fatalf("bad quiet hours: %v", err)
	}
	if err := h.svc.Reconfigure(nil, Options{ReNotify: -time.Second}); err == nil {
		t.Fatal("negative re-notify accepted")
	}
	// Nothing changed: the old rule and notifier are still in force.
	h.src.set("cpu_usage_ratio", v(0.95))
	if got := transitions(h.eval(time.Minute)); fmtStrings(got) != `["firing"]` {
		t.Errorf("after rejected changes: %v", got)
	}
}

func TestParseRuleConfig(t *testing.T) {
	clear := 0.7
	good := RuleConfig{Name: "disk", Metric: "filesystem_used_bytes", RatioOf: "filesystem_size_bytes",
		Window: "5m", Op: ">", Raise: 0.8, Clear: &clear, Severity: "warn"}
	r, err := ParseRuleConfig(good, KnownMetric)
	if err != nil {
		t.Fatal(err)
	}
	if r.Agg != "avg" || r.Severity != SeverityWarning || r.Window != 5*time.Minute || r.Clear != 0.7 {
		t.Errorf("parsed %+v", r)
	}
	for _, tc := range []struct {
		change func(*RuleConfig)
		want   string
	}{
		{func(c *RuleConfig) { c.Metric = "filesytem_used" }, `alert rule "disk": metric: unknown metric "filesytem_used"`},
		{func(c *RuleConfig) { c.Window = "5 minutes" }, `alert rule "disk": window: not a duration (like "10m" or "1h30m"): "5 minutes"`},
		{func(c *RuleConfig) { c.Raise = 0.5 }, `alert rule "disk": clear: 0.7 is above raise 0.5`},
		{func(c *RuleConfig) { c.Severity = "bad" }, `alert rule "disk": severity: must be info, warning, error or critical, got "bad"`},
		{func(c *RuleConfig) { c.Name = "" }, `alert rule "": name: must not be empty`},
	} {
		c := good
		tc.change(&c)
		_, err := ParseRuleConfig(c, KnownMetric)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
		if strings.Count(err.Error(), "\n") != 0 {
			t.Errorf("one mistake, several errors: %v", err)
		}
	}
}
