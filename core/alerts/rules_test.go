package alerts

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestValidateRuleNamesRuleAndField(t *testing.T) {
	known := func(m string) bool {
		return m == "cpu_usage_ratio" || m == "filesystem_used_bytes" || m == "filesystem_size_bytes"
	}
	good := cpuRule(0)
	if err := ValidateRule(good, known); err != nil {
		t.Fatalf("good rule: %v", err)
	}
	tests := []struct {
		field string
		edit  func(*Rule)
	}{
		{"metric", func(r *Rule) { r.Metric = "cpu_usag_ratio" }},
		{"metric", func(r *Rule) { r.Metric = "" }},
		{"ratio_of", func(r *Rule) { r.Ratio = "nope_bytes" }},
		{"op", func(r *Rule) { r.Op = "=" }},
		{"op", func(r *Rule) { r.Op = ">=" }},
		{"clear", func(r *Rule) { r.Clear = 0.9 }},                         // above raise with ">"
		{"clear", func(r *Rule) { r.Op = OpBelow; r.Clear = 0.5 }},         // below raise with "<"
		{"raise", func(r *Rule) { r.Raise = math.NaN() }},                  //
		{"severity", func(r *Rule) { r.Severity = "fatal" }},               //
		{"severity", func(r *Rule) { r.Severity = "" }},                    //
		{"agg", func(r *Rule) { r.Agg = "sum" }},                           //
		{"window", func(r *Rule) { r.Window = 0 }},                         //
		{"for", func(r *Rule) { r.For = -time.Second }},                    //
		{"message", func(r *Rule) { r.Message = "CPU {{.Value | nope}}" }}, //
		{"match", func(r *Rule) { r.Match = map[string]string{"": "x"} }},
		{"kind", func(r *Rule) { r.Kind = "magic" }},
		{"ratio_of", func(r *Rule) { r.Kind = KindFullWithin; r.Metric = "filesystem_used_bytes"; r.Within = time.Hour }},
		{"within", func(r *Rule) {
			r.Kind = KindFullWithin
			r.Metric, r.Ratio = "filesystem_used_bytes", "filesystem_size_bytes"
		}},
		{"clear_within", func(r *Rule) {
			r.Kind = KindFullWithin
			r.Metric, r.Ratio = "filesystem_used_bytes", "filesystem_size_bytes"
			r.Within, r.ClearWithin = 8*time.Hour, time.Hour
		}},
	}
	for _, tc := range tests {
		r := good
		tc.edit(&r)
		err := ValidateRule(r, known)
		if err == nil {
			t.Errorf("%s: no error", tc.field)
			continue
		}
		var re *RuleError
		if !errors.As(err, &re) {
			t.Errorf("%s: %T is not a *RuleError", tc.field, err)
			continue
		}
		if re.Rule != "cpu_high" || re.Field != tc.field {
			t.Errorf("want rule cpu_high field %s, got %+v (%v)", tc.field, re, err)
		}
		if msg := err.Error(); !strings.Contains(msg, `"cpu_high"`) || !strings.Contains(msg, tc.field+":") {
			t.Errorf("message does not name rule and field: %s", msg)
		}
	}
	// Without a knownMetrics function, any metric name goes.
	r := good
	r.Metric = "anything"
	if err := ValidateRule(r, nil); err != nil {
		t.Error(err)
	}
	// Clear equal to raise: no hysteresis, allowed.
	r = good
	r.Clear = r.Raise
	if err := ValidateRule(r, known); err != nil {
		t.Error(err)
	}
	r.Name = ""
	if err := ValidateRule(r, known); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("empty name: %v", err)
	}
}

func TestDefaultRulesValid(t *testing.T) {
	rules := DefaultRules(4)
	names := map[string]bool{}
	for _, r := range rules {
		if err := ValidateRule(r, nil); err != nil {
			t.Error(err)
		}
		if names[r.Name] {
			t.Errorf("duplicate %s", r.Name)
		}
		names[r.Name] = true
	}
	for _, want := range []string{"cpu_usage_warning", "cpu_usage_critical", "memory_usage_warning", "memory_usage_critical",
		"disk_space_warning", "disk_space_critical", "disk_full_soon", "swap_usage_warning", "load_average_high",
		"network_receive_errors", "network_transmit_errors", "network_receive_drops", "network_transmit_drops"} {
		if !names[want] {
			t.Errorf("missing %s", want)
		}
	}
	for _, r := range rules {
		if r.Name == "load_average_high" && (r.Raise != 8 || r.Clear != 6) {
			t.Errorf("load for 4 cores: %+v", r)
		}
		if r.Name == "cpu_usage_critical" && (r.Raise != 0.95 || r.Clear != 0.85 || r.Severity != SeverityCritical) {
			t.Errorf("cpu critical: %+v", r)
		}
	}
	if len(DefaultRules(0)) != len(rules) {
		t.Error("DefaultRules(0)")
	}
	if _, err := New(openDB(t, t.TempDir()+"/d.db"), Options{Rules: rules}); err != nil {
		t.Fatal(err)
	}
}

func TestDefaultRulesEvaluate(t *testing.T) {
	h := newHarness(t, DefaultRules(2), nil)
	gib := float64(1 << 30)
	h.src.set(MetricCPUUsage, v(0.97))
	h.src.set(MetricMemoryUsed, v(0.5))
	h.src.set(MetricFilesystemUsed, v(99*gib, "mountpoint", "/", "fstype", "ext4"), v(1*gib, "mountpoint", "/snap/core", "fstype", "squashfs"))
	h.src.set(MetricFilesystemSize, v(100*gib, "mountpoint", "/", "fstype", "ext4"), v(1*gib, "mountpoint", "/snap/core", "fstype", "squashfs"))
	h.src.set(MetricSwapUsed, v(0))
	h.src.set(MetricSwapTotal, v(0)) // no swap: skipped, not divided by zero
	h.src.set(MetricLoad15, v(5))
	h.src.set(MetricNetRxErrors, v(3, "device", "eth0"), v(0, "device", "lo"))
	h.eval(0)
	got := map[string]string{}
	for _, a := range h.svc.Active() {
		got[a.Rule] = a.Message
	}
	want := map[string]string{
		"cpu_usage_warning":      "CPU at 97% on average over the last 10 minutes",
		"cpu_usage_critical":     "CPU at 97% on average over the last 10 minutes",
		"disk_space_warning":     "Filesystem / is 99% full",
		"disk_space_critical":    "Filesystem / is 99% full",
		"network_receive_errors": "eth0: 3 receive errors per second over the last 10 minutes",
		"load_average_high":      "15-minute load average 5 on 2 cores",
	}
	for rule, msg := range want {
		if got[rule] != msg {
			t.Errorf("%s: %q, want %q", rule, got[rule], msg)
		}
	}
	for rule := range got {
		if _, ok := want[rule]; !ok {
			t.Errorf("unexpected alert %s: %s", rule, got[rule])
		}
	}
	if h.svc.WorstSeverity() != SeverityCritical {
		t.Errorf("worst %q", h.svc.WorstSeverity())
	}
}

func TestParseRules(t *testing.T) {
	clear := 0.75
	rules, err := ParseRules([]RuleConfig{
		{Name: "cpu", Metric: "cpu_usage_ratio", Window: "10m", Op: ">", Raise: 0.85, Clear: &clear, For: "1m", Severity: "warn", Message: "CPU {{.Value | percent}}"},
		{Name: "disk", Metric: "filesystem_used_bytes", RatioOf: "filesystem_size_bytes", Agg: "last", Window: "5m", Op: ">", Raise: 0.9, Severity: "critical",
			Match: map[string]string{"mountpoint": "/data|/srv/*"}},
		{Name: "fill", Kind: "full_within", Metric: "filesystem_used_bytes", RatioOf: "filesystem_size_bytes", Window: "1h", Within: "8h", Severity: "warning"},
		{Name: "load_average_high", Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 4 {
		t.Fatalf("%d rules", len(rules))
	}
	cpu := rules[0]
	if cpu.Agg != "avg" || cpu.Window != 10*time.Minute || cpu.For != time.Minute || cpu.Clear != 0.75 || cpu.Severity != SeverityWarning {
		t.Errorf("cpu %+v", cpu)
	}
	if rules[1].Clear != 0.9 || rules[1].Ratio != "filesystem_size_bytes" {
		t.Errorf("clear defaults to raise: %+v", rules[1])
	}
	if rules[2].Kind != KindFullWithin || rules[2].Within != 8*time.Hour {
		t.Errorf("fill %+v", rules[2])
	}
	// Round trip through Config.
	var cfgs []RuleConfig
	for _, r := range rules {
		cfgs = append(cfgs, r.Config())
	}
	again, err := ParseRules(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rules {
		if rules[i].Name != again[i].Name || rules[i].Window != again[i].Window || rules[i].Clear != again[i].Clear || rules[i].Within != again[i].Within {
			t.Errorf("round trip %d: %+v != %+v", i, rules[i], again[i])
		}
	}
	if cfgs[0].Window != "10m" {
		t.Errorf("window written as %q", cfgs[0].Window)
	}

	// Merge: disable one default, override another, add one.
	merged := MergeRules(DefaultRules(2), rules)
	names := map[string]Rule{}
	for _, r := range merged {
		names[r.Name] = r
	}
	if _, ok := names["load_average_high"]; ok {
		t.Error("disabled default kept")
	}
	if _, ok := names["cpu"]; !ok {
		t.Error("added rule missing")
	}
	if len(merged) != len(DefaultRules(2))-1+3 {
		t.Errorf("%d merged rules", len(merged))
	}
}

func TestParseRulesErrors(t *testing.T) {
	_, err := ParseRules([]RuleConfig{
		{Name: "cpu", Metric: "cpu_usage_ratio", Window: "ten minutes", Op: ">", Raise: 0.85, Severity: "warning"},
		{Metric: "x", Window: "1m", Op: ">", Raise: 1, Severity: "warning"},
		{Name: "dup", Metric: "x", Window: "1m", Op: ">", Raise: 1, Severity: "warning"},
		{Name: "dup", Metric: "x", Window: "1m", Op: ">", Raise: 1, Severity: "loud"},
	})
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{
		`alert rule "cpu": window: not a duration`,
		`alert rule "#2": name: must not be empty`,
		`alert rule "dup": name: another rule has the same name`,
		`alert rule "dup": severity:`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

func TestFormatters(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtPercent(0.934), "93.4%"},
		{fmtPercent(0.9), "90%"},
		{fmtPercent(1), "100%"},
		{fmtBytes(512), "512 B"},
		{fmtBytes(1536), "1.5 KiB"},
		{fmtBytes(3 << 30), "3 GiB"},
		{fmtSeconds(45), "45s"},
		{fmtSeconds(45 * 60), "45m"},
		{fmtSeconds(3*3600 + 20*60), "3h20m"},
		{fmtSeconds(52 * 3600), "2d4h"},
		{fmtSeconds(math.Inf(1)), "never"},
		{fmtNumber(0.5), "0.5"},
		{fmtNumber(1.234), "1.23"},
		{fmtNumber(1234.5), "1234"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestMatch(t *testing.T) {
	m, err := compileMatcher("mountpoint", "!/snap/*|/boot/efi")
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{"/": true, "/snap/core/123": false, "/boot/efi": false, "/boot": true, "/snap": true} {
		if got := matchLabels([]labelMatcher{m}, map[string]string{"mountpoint": path}); got != want {
			t.Errorf("%s: %v", path, got)
		}
	}
	m2, _ := compileMatcher("device", "eth?")
	if !matchLabels([]labelMatcher{m2}, map[string]string{"device": "eth0"}) || matchLabels([]labelMatcher{m2}, map[string]string{"device": "eth10"}) || matchLabels([]labelMatcher{m2}, nil) {
		t.Error("glob ?")
	}
}
