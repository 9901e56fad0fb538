package alerts

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func cpuRule(forDur time.Duration) Rule {
	return Rule{
		Name: "cpu_high", Metric: "cpu_usage_ratio", Agg: "avg", Window: 10 * time.Minute,
		Op: OpAbove, Raise: 0.85, Clear: 0.75, For: forDur, Severity: SeverityWarning,
		Message: "CPU at {{.Value | percent}} for 10 min",
	}
}

type step struct {
	val   float64
	after time.Duration // clock advance before this evaluation
	state State         // "" means no active alert (ok)
	notes []string      // transitions notified at this step
}

func runSteps(t *testing.T, h *harness, metric string, steps []step) {
	t.Helper()
	for i, s := range steps {
		h.src.set(metric, v(s.val))
		got := transitions(h.eval(s.after))
		if fmtStrings(got) != fmtStrings(s.notes) {
			t.Errorf("step %d (value %g): notifications %q, want %q", i, s.val, got, s.notes)
		}
		act := h.svc.Active()
		var state State
		if len(act) > 0 {
			state = act[0].State
		}
		if len(act) > 1 {
			t.Fatalf("step %d: %d active alerts", i, len(act))
		}
		if state != s.state {
			t.Errorf("step %d (value %g): state %q, want %q", i, s.val, state, s.state)
		}
	}
}

func TestStateMachine(t *testing.T) {
	const m = "cpu_usage_ratio"
	tests := []struct {
		name  string
		rule  Rule
		steps []step
	}{
		{
			name: "hysteresis: oscillating between clear and raise does not flap",
			rule: cpuRule(0),
			steps: []step{
				{val: 0.50, state: ""},
				{val: 0.80, after: 10 * time.Second, state: ""}, // between clear and raise: not raised
				{val: 0.90, after: 10 * time.Second, state: StateFiring, notes: []string{"firing"}},
				{val: 0.80, after: 10 * time.Second, state: StateFiring},
				{val: 0.86, after: 10 * time.Second, state: StateFiring},
				{val: 0.76, after: 10 * time.Second, state: StateFiring},
				{val: 0.90, after: 10 * time.Second, state: StateFiring},
				{val: 0.75, after: 10 * time.Second, state: StateFiring}, // equal to clear is not past it
				{val: 0.70, after: 10 * time.Second, state: "", notes: []string{"resolved"}},
				{val: 0.80, after: 10 * time.Second, state: ""},
				{val: 0.84, after: 10 * time.Second, state: ""},
				{val: 0.95, after: 10 * time.Second, state: StateFiring, notes: []string{"firing"}},
			},
		},
		{
			name: "for: pending, then firing",
			rule: cpuRule(time.Minute),
			steps: []step{
				{val: 0.90, state: StatePending},
				{val: 0.90, after: 30 * time.Second, state: StatePending},
				{val: 0.92, after: 30 * time.Second, state: StateFiring, notes: []string{"firing"}},
				{val: 0.92, after: 30 * time.Second, state: StateFiring},
				{val: 0.60, after: 30 * time.Second, state: "", notes: []string{"resolved"}},
			},
		},
		{
			name: "for: clears while pending, back to ok without notifying",
			rule: cpuRule(time.Minute),
			steps: []step{
				{val: 0.90, state: StatePending},
				{val: 0.90, after: 30 * time.Second, state: StatePending},
				{val: 0.80, after: 20 * time.Second, state: ""}, // below raise: pending gives up
				{val: 0.90, after: 20 * time.Second, state: StatePending},
				{val: 0.90, after: 50 * time.Second, state: StatePending}, // the minute starts over
				{val: 0.90, after: 10 * time.Second, state: StateFiring, notes: []string{"firing"}},
			},
		},
		{
			name: "op <: alert when low",
			rule: Rule{Name: "free_low", Metric: m, Agg: "min", Window: time.Minute, Op: OpBelow, Raise: 0.1, Clear: 0.2, Severity: SeverityError},
			steps: []step{
				{val: 0.5, state: ""},
				{val: 0.05, after: time.Second, state: StateFiring, notes: []string{"firing"}},
				{val: 0.15, after: time.Second, state: StateFiring},
				{val: 0.25, after: time.Second, state: "", notes: []string{"resolved"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, []Rule{tc.rule}, nil)
			runSteps(t, h, m, tc.steps)
		})
	}
}

func TestNotificationContent(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	h.src.set("cpu_usage_ratio", v(0.934))
	ns := h.eval(0)
	if len(ns) != 1 {
		t.Fatalf("got %d notifications", len(ns))
	}
	n := ns[0]
	if n.Transition != TransitionFiring || n.Host != "testhost" || n.Alert.State != StateFiring {
		t.Errorf("notification %+v", n)
	}
	if n.Body != "CPU at 93.4% for 10 min" {
		t.Errorf("body %q", n.Body)
	}
	if !strings.Contains(n.Title, "Warning") || !strings.Contains(n.Title, "cpu_high") {
		t.Errorf("title %q", n.Title)
	}
	a := h.only()
	if a.ID == "" || len(a.ID) > 12 || a.Source != SourceMetric || a.Rule != "cpu_high" || a.Value != 0.934 || a.Count != 1 {
		t.Errorf("alert %+v", a)
	}
	if a.NotifiedAt.IsZero() || !a.Since.Equal(t0) || !a.FiredAt.Equal(t0) {
		t.Errorf("times: %+v", a)
	}
	if h.svc.WorstSeverity() != SeverityWarning {
		t.Errorf("worst %q", h.svc.WorstSeverity())
	}

	h.src.set("cpu_usage_ratio", v(0.5))
	ns = h.eval(25 * time.Minute)
	if len(ns) != 1 || ns[0].Transition != TransitionResolved {
		t.Fatalf("got %v", transitions(ns))
	}
	if !strings.Contains(ns[0].Body, "back below 0.75 (now 0.5)") || !strings.Contains(ns[0].Body, "25m") {
		t.Errorf("resolved body %q", ns[0].Body)
	}
	if len(h.svc.Active()) != 0 || h.svc.WorstSeverity() != "" {
		t.Errorf("still active: %+v", h.svc.Active())
	}
	hist := h.svc.History(10)
	if len(hist) != 1 || hist[0].ID != a.ID || hist[0].State != StateResolved || !hist[0].ResolvedAt.Equal(t0.Add(25*time.Minute)) {
		t.Fatalf("history %+v", hist)
	}
}

func TestRatioRulesPerMountpoint(t *testing.T) {
	rule := Rule{
		Name: "disk_full", Metric: "filesystem_used_bytes", Ratio: "filesystem_size_bytes", Agg: "last",
		Window: 5 * time.Minute, Op: OpAbove, Raise: 0.9, Clear: 0.8, Severity: SeverityWarning,
		Message: "{{.Labels.mountpoint}} is {{.Value | percent}} full",
		Match:   map[string]string{"fstype": "!squashfs"},
	}
	h := newHarness(t, []Rule{rule}, nil)
	h.src.set("filesystem_used_bytes",
		v(95, "mountpoint", "/", "fstype", "ext4"),
		v(50, "mountpoint", "/home", "fstype", "ext4"),
		v(99, "mountpoint", "/data", "fstype", "xfs"),         // size 0: skipped
		v(97, "mountpoint", "/orphan", "fstype", "ext4"),      // no size series: skipped
		v(100, "mountpoint", "/snap/x", "fstype", "squashfs"), // excluded by match
		v(9.5, "mountpoint", "/boot", "fstype", "vfat"),
	)
	h.src.set("filesystem_size_bytes",
		v(100, "mountpoint", "/", "fstype", "ext4"),
		v(100, "mountpoint", "/home", "fstype", "ext4"),
		v(0, "mountpoint", "/data", "fstype", "xfs"),
		v(100, "mountpoint", "/snap/x", "fstype", "squashfs"),
		v(10, "mountpoint", "/boot", "fstype", "vfat"),
		v(100, "mountpoint", "/", "fstype", "other"), // same mountpoint, different labels: not a partner
	)
	ns := h.eval(0)
	if len(ns) != 2 {
		t.Fatalf("want 2 notifications, got %d: %+v", len(ns), ns)
	}
	act := h.svc.Active()
	if len(act) != 2 {
		t.Fatalf("want 2 alerts, got %+v", act)
	}
	got := map[string]Alert{}
	for _, a := range act {
		got[a.Labels["mountpoint"]] = a
	}
	if a, ok := got["/"]; !ok || a.Value != 0.95 || a.Message != "/ is 95% full" {
		t.Errorf("/: %+v", a)
	}
	if a, ok := got["/boot"]; !ok || a.Value != 0.95 || a.Message != "/boot is 95% full" {
		t.Errorf("/boot: %+v", a)
	}
	if got["/"].ID == got["/boot"].ID || got["/"].Key == got["/boot"].Key {
		t.Errorf("alerts share an identity: %+v", act)
	}

	// Only /boot recovers: only its alert resolves.
	h.src.set("filesystem_used_bytes",
		v(95, "mountpoint", "/", "fstype", "ext4"),
		v(5, "mountpoint", "/boot", "fstype", "vfat"),
	)
	ns = h.eval(time.Minute)
	if len(ns) != 1 || ns[0].Transition != TransitionResolved || ns[0].Alert.Labels["mountpoint"] != "/boot" {
		t.Fatalf("got %+v", ns)
	}
	if a := h.only(); a.Labels["mountpoint"] != "/" {
		t.Errorf("left %+v", a)
	}
}

func TestMultipleSeriesSeparateAlerts(t *testing.T) {
	rule := cpuRule(0)
	rule.Message = "cpu {{.Labels.cpu}} at {{.Value | percent}}"
	h := newHarness(t, []Rule{rule}, nil)
	h.src.set("cpu_usage_ratio", v(0.9, "cpu", "0"), v(0.5, "cpu", "1"), v(0.99, "cpu", "2"))
	if ns := h.eval(0); len(ns) != 2 {
		t.Fatalf("want 2 notifications, got %v", transitions(ns))
	}
	act := h.svc.Active()
	if len(act) != 2 {
		t.Fatalf("active %+v", act)
	}
	msgs := map[string]bool{}
	for _, a := range act {
		msgs[a.Message] = true
	}
	if !msgs["cpu 0 at 90%"] || !msgs["cpu 2 at 99%"] {
		t.Errorf("messages %v", msgs)
	}
	h.src.set("cpu_usage_ratio", v(0.1, "cpu", "0"), v(0.95, "cpu", "1"), v(0.99, "cpu", "2"))
	ns := h.eval(10 * time.Second)
	if fmtStrings(transitions(ns)) != fmtStrings([]string{"resolved", "firing"}) && fmtStrings(transitions(ns)) != fmtStrings([]string{"firing", "resolved"}) {
		t.Fatalf("got %v", transitions(ns))
	}
	if len(h.svc.Active()) != 2 {
		t.Errorf("active %+v", h.svc.Active())
	}
}

func TestPredictiveFullWithin(t *testing.T) {
	rule := Rule{
		Name: "disk_full_soon", Kind: KindFullWithin, Metric: "filesystem_used_bytes", Ratio: "filesystem_size_bytes",
		Window: time.Hour, Within: 8 * time.Hour, Severity: SeverityWarning,
		Message: "{{.Labels.mountpoint}} full in about {{.Value | duration}}",
	}
	if err := ValidateRule(rule, nil); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, []Rule{rule}, nil)
	gib := float64(1 << 30)
	h.src.set("filesystem_used_bytes", v(60*gib, "mountpoint", "/"), v(10*gib, "mountpoint", "/home"))
	h.src.set("filesystem_size_bytes", v(100*gib, "mountpoint", "/"), v(100*gib, "mountpoint", "/home"))
	// "/": 40 GiB free at 2 GiB/h = 20 h: fine. /home: shrinking: fine.
	h.src.setSlope("filesystem_used_bytes", v(2*gib/3600, "mountpoint", "/"), v(-gib/3600, "mountpoint", "/home"))
	if ns := h.eval(0); len(ns) != 0 || len(h.svc.Active()) != 0 {
		t.Fatalf("fired at 20 h: %+v", h.svc.Active())
	}
	// 10 GiB/h: full in 4 h.
	h.src.setSlope("filesystem_used_bytes", v(10*gib/3600, "mountpoint", "/"), v(0, "mountpoint", "/home"))
	ns := h.eval(time.Minute)
	if len(ns) != 1 || ns[0].Transition != TransitionFiring {
		t.Fatalf("got %v", transitions(ns))
	}
	a := h.only()
	if a.Labels["mountpoint"] != "/" || a.Value < 4*3600-1 || a.Value > 4*3600+1 || a.Message != "/ full in about 4h" {
		t.Errorf("alert %+v", a)
	}
	// 4 GiB/h: 10 h, between within (8 h) and the default clear (12 h): stays.
	h.src.setSlope("filesystem_used_bytes", v(4*gib/3600, "mountpoint", "/"))
	if ns := h.eval(time.Minute); len(ns) != 0 || h.only().State != StateFiring {
		t.Fatalf("flapped: %v", transitions(ns))
	}
	// Stops growing: resolved.
	h.src.setSlope("filesystem_used_bytes", v(0, "mountpoint", "/"))
	ns = h.eval(time.Minute)
	if len(ns) != 1 || ns[0].Transition != TransitionResolved || ns[0].Alert.Resolution != "no longer filling up" {
		t.Fatalf("got %+v", ns)
	}
	// The stored value stays finite (JSON cannot hold +Inf).
	if hist := h.svc.History(1); len(hist) != 1 || hist[0].Value < 10*3600-1 || hist[0].Value > 10*3600+1 {
		t.Errorf("history %+v", hist)
	}
}

func TestAckStopsReNotify(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, func(o *Options) { o.ReNotify = time.Hour })
	h.src.set("cpu_usage_ratio", v(0.9))
	if ns := h.eval(0); len(ns) != 1 {
		t.Fatalf("got %v", transitions(ns))
	}
	if ns := h.eval(30 * time.Minute); len(ns) != 0 {
		t.Fatalf("reminded too early: %v", transitions(ns))
	}
	ns := h.eval(31 * time.Minute)
	if fmtStrings(transitions(ns)) != fmtStrings([]string{"firing(repeat)"}) {
		t.Fatalf("want a reminder, got %v", transitions(ns))
	}
	if !strings.HasPrefix(ns[0].Title, "Still firing") {
		t.Errorf("reminder title %q", ns[0].Title)
	}
	a := h.only()
	if err := h.svc.Ack(a.ID); err != nil {
		t.Fatal(err)
	}
	if a := h.only(); a.State != StateAcknowledged || a.AckedAt.IsZero() {
		t.Fatalf("after ack: %+v", a)
	}
	if h.svc.WorstSeverity() != "" {
		t.Errorf("acknowledged alert still counts: %q", h.svc.WorstSeverity())
	}
	for i := 0; i < 3; i++ {
		if ns := h.eval(time.Hour); len(ns) != 0 {
			t.Fatalf("acknowledged alert notified: %v", transitions(ns))
		}
	}
	// Resolving an acknowledged alert does not notify either.
	h.src.set("cpu_usage_ratio", v(0.1))
	if ns := h.eval(time.Minute); len(ns) != 0 {
		t.Fatalf("got %v", transitions(ns))
	}
	hist := h.svc.History(1)
	if len(hist) != 1 || hist[0].State != StateResolved || hist[0].AckedAt.IsZero() || hist[0].Suppressed != "acknowledged" {
		t.Errorf("history %+v", hist)
	}
	if err := h.svc.Ack("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ack unknown: %v", err)
	}
}

func TestAckPendingIsAnError(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(time.Minute)}, nil)
	h.src.set("cpu_usage_ratio", v(0.9))
	h.eval(0)
	if err := h.svc.Ack(h.only().ID); err == nil {
		t.Fatal("acknowledged a pending alert")
	}
}

func TestSilenceUntil(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, func(o *Options) { o.ReNotify = 10 * time.Minute })
	h.src.set("cpu_usage_ratio", v(0.9))
	h.eval(0)
	a := h.only()
	until := t0.Add(time.Hour)
	if err := h.svc.Silence(a.ID, until); err != nil {
		t.Fatal(err)
	}
	if got := h.only().SilencedUntil; !got.Equal(until) {
		t.Fatalf("silenced until %v", got)
	}
	if h.svc.WorstSeverity() != "" {
		t.Errorf("silenced alert counts for the tray")
	}
	// No reminders while silenced.
	if ns := h.eval(20 * time.Minute); len(ns) != 0 {
		t.Fatalf("silenced alert notified: %v", transitions(ns))
	}
	// Resolves while silenced: not notified, noted.
	h.src.set("cpu_usage_ratio", v(0.5))
	if ns := h.eval(time.Minute); len(ns) != 0 {
		t.Fatalf("got %v", transitions(ns))
	}
	if hist := h.svc.History(1); len(hist) != 1 || hist[0].Suppressed != "silenced" {
		t.Errorf("history %+v", hist)
	}
	// Raises again before the silence ends: still silent.
	h.src.set("cpu_usage_ratio", v(0.95))
	if ns := h.eval(time.Minute); len(ns) != 0 {
		t.Fatalf("re-raised alert ignored the silence: %v", transitions(ns))
	}
	b := h.only()
	if b.ID == a.ID || !b.SilencedUntil.Equal(until) || b.Suppressed != "silenced" {
		t.Fatalf("re-raised %+v", b)
	}
	// The silence ends while it still fires: the held notification goes out.
	h.clk.Set(until.Add(-time.Second))
	if ns := h.eval(0); len(ns) != 0 {
		t.Fatalf("got %v", transitions(ns))
	}
	ns := h.eval(time.Second)
	if fmtStrings(transitions(ns)) != fmtStrings([]string{"firing"}) || ns[0].Alert.ID != b.ID {
		t.Fatalf("after the silence: %v", transitions(ns))
	}
	// Lifting a silence.
	if err := h.svc.Silence(b.ID, t0.Add(100*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Silence(b.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !h.only().SilencedUntil.IsZero() {
		t.Error("silence not lifted")
	}
}

func TestQuietHours(t *testing.T) {
	warn := cpuRule(0)
	crit := Rule{Name: "cpu_critical", Metric: "cpu_usage_ratio", Agg: "avg", Window: 10 * time.Minute,
		Op: OpAbove, Raise: 0.95, Clear: 0.85, Severity: SeverityCritical}
	mem := Rule{Name: "mem", Metric: "memory_used_ratio", Agg: "avg", Window: time.Minute,
		Op: OpAbove, Raise: 0.9, Clear: 0.8, Severity: SeverityWarning}
	h := newHarness(t, []Rule{warn, crit, mem}, func(o *Options) {
		o.QuietHours = &QuietHours{Start: "22:00", End: "07:00", Location: time.UTC}
	})
	h.clk.Set(time.Date(2025, 3, 4, 23, 0, 0, 0, time.UTC))
	h.src.set("cpu_usage_ratio", v(0.99))
	h.src.set("memory_used_ratio", v(0.95))
	ns := h.eval(0)
	if len(ns) != 1 || ns[0].Alert.Severity != SeverityCritical {
		t.Fatalf("during quiet hours want only the critical one, got %+v", ns)
	}
	for _, a := range h.svc.Active() {
		if a.Severity == SeverityWarning && (a.State != StateFiring || a.Suppressed != "quiet hours" || !a.NotifiedAt.IsZero()) {
			t.Errorf("held alert %+v", a)
		}
	}
	// Memory recovers at 03:00: its resolution is not news, and not sent.
	h.clk.Set(time.Date(2025, 3, 5, 3, 0, 0, 0, time.UTC))
	h.src.set("memory_used_ratio", v(0.5))
	if ns := h.eval(0); len(ns) != 0 {
		t.Fatalf("got %+v", ns)
	}
	// 06:59: still quiet.
	h.clk.Set(time.Date(2025, 3, 5, 6, 59, 0, 0, time.UTC))
	if ns := h.eval(0); len(ns) != 0 {
		t.Fatalf("got %+v", ns)
	}
	// 07:00: the CPU warning, still firing, is sent.
	ns = h.eval(time.Minute)
	if len(ns) != 1 || ns[0].Alert.Rule != "cpu_high" || ns[0].Transition != TransitionFiring {
		t.Fatalf("after quiet hours: %+v", ns)
	}
	if ns := h.eval(time.Minute); len(ns) != 0 {
		t.Fatalf("sent twice: %+v", ns)
	}
}

func TestQuietHoursContains(t *testing.T) {
	q := &QuietHours{Start: "22:00", End: "07:00", Location: time.UTC}
	day := func(h, m int) time.Time { return time.Date(2025, 1, 1, h, m, 0, 0, time.UTC) }
	for _, c := range []struct {
		t    time.Time
		want bool
	}{{day(21, 59), false}, {day(22, 0), true}, {day(0, 0), true}, {day(6, 59), true}, {day(7, 0), false}, {day(12, 0), false}} {
		if got := q.Contains(c.t); got != c.want {
			t.Errorf("%v: %v, want %v", c.t, got, c.want)
		}
	}
	day2 := &QuietHours{Start: "12:00", End: "13:30", Location: time.UTC}
	if !day2.Contains(day(13, 29)) || day2.Contains(day(13, 30)) || day2.Contains(day(11, 59)) {
		t.Error("daytime window")
	}
	if err := (&QuietHours{Start: "25:00", End: "07:00"}).Validate(); err == nil {
		t.Error("accepted 25:00")
	}
	if _, err := New(openDB(t, t.TempDir()+"/x.db"), Options{QuietHours: &QuietHours{Start: "22", End: "7"}}); err == nil {
		t.Error("New accepted bad quiet hours")
	}
}

func TestMissingSeries(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(time.Minute)}, nil)
	// A pending alert whose series vanishes starts over.
	h.src.set("cpu_usage_ratio", v(0.9, "cpu", "total"))
	h.eval(0)
	h.src.set("cpu_usage_ratio")
	h.eval(10 * time.Second)
	if len(h.svc.Active()) != 0 {
		t.Fatalf("pending kept: %+v", h.svc.Active())
	}
	// A firing one stays through short gaps, and ends after a long one.
	h.src.set("cpu_usage_ratio", v(0.9, "cpu", "total"))
	h.eval(0)
	h.eval(time.Minute)
	if h.only().State != StateFiring {
		t.Fatal("not firing")
	}
	h.src.set("cpu_usage_ratio")
	for i := 0; i < 5; i++ {
		if ns := h.eval(time.Minute); len(ns) != 0 || len(h.svc.Active()) != 1 {
			t.Fatalf("gap of %d min ended it", i+1)
		}
	}
	h.src.set("cpu_usage_ratio", v(0.9, "cpu", "total")) // back: the gap is forgotten
	h.eval(time.Minute)
	h.src.set("cpu_usage_ratio")
	for i := 0; i < 10; i++ { // missing from the first of these, for 9 minutes
		h.eval(time.Minute)
	}
	if len(h.svc.Active()) != 1 {
		t.Fatal("ended before the window passed")
	}
	ns := h.eval(time.Minute)
	if len(ns) != 1 || ns[0].Transition != TransitionResolved || ns[0].Alert.Resolution != "the series is no longer reported" {
		t.Fatalf("got %+v", ns)
	}
}

func TestSourceErrorKeepsAlerts(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	h.src.set("cpu_usage_ratio", v(0.9))
	h.eval(0)
	h.src.fail("cpu_usage_ratio", errBoom)
	for i := 0; i < 20; i++ {
		err := h.svc.Evaluate(context.Background(), h.clk.Add(time.Minute))
		if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "cpu_high") {
			t.Fatalf("Evaluate error %v", err)
		}
	}
	if ns := h.flush(); len(ns) != 0 || h.only().State != StateFiring {
		t.Fatalf("a failing source changed the alert: %v", transitions(ns))
	}
	if e := h.svc.RuleErrors()["cpu_high"]; !strings.Contains(e, "boom") {
		t.Errorf("rule errors %v", h.svc.RuleErrors())
	}
	h.src.fail("cpu_usage_ratio", nil)
	h.src.set("cpu_usage_ratio", v(0.1))
	if ns := h.eval(time.Minute); len(ns) != 1 || ns[0].Transition != TransitionResolved {
		t.Fatalf("got %v", transitions(ns))
	}
	if len(h.svc.RuleErrors()) != 0 {
		t.Errorf("rule errors kept: %v", h.svc.RuleErrors())
	}
}

func TestNotifierErrorRecorded(t *testing.T) {
	bad := &recorder{name: "webhook", err: errors.New("502 Bad Gateway")}
	var changes atomic.Int32
	h := newHarness(t, []Rule{cpuRule(0)}, func(o *Options) {
		o.Notifiers = append(o.Notifiers, bad)
		o.OnChange = func() { changes.Add(1) }
	})
	h.src.set("cpu_usage_ratio", v(0.9))
	if ns := h.eval(0); len(ns) != 1 {
		t.Fatalf("the working notifier got %d", len(ns))
	}
	if got := h.only().LastNotifyError; got != "webhook: 502 Bad Gateway" {
		t.Errorf("LastNotifyError %q", got)
	}
	// Evaluation carries on.
	h.src.set("cpu_usage_ratio", v(0.1))
	if ns := h.eval(time.Minute); len(ns) != 1 {
		t.Fatalf("got %d", len(ns))
	}
	if hist := h.svc.History(1); len(hist) != 1 || hist[0].LastNotifyError != "webhook: 502 Bad Gateway" {
		t.Errorf("history %+v", hist)
	}
	if changes.Load() == 0 {
		t.Error("OnChange never called")
	}
}

func TestRulesRemovedCloseAlerts(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	h.src.set("cpu_usage_ratio", v(0.9))
	h.eval(0)
	if err := h.svc.SetRules(nil, nil); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 0 || len(h.svc.Active()) != 0 {
		t.Fatalf("after removing the rule: %v %+v", transitions(ns), h.svc.Active())
	}
	if hist := h.svc.History(0); len(hist) != 1 || !strings.Contains(hist[0].Resolution, "rule was removed") {
		t.Errorf("history %+v", hist)
	}
}

func TestStartStop(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, func(o *Options) {
		o.Interval = 5 * time.Millisecond
		o.Now = nil
	})
	h.src.set("cpu_usage_ratio", v(0.9))
	ctx := context.Background()
	if err := h.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Start(ctx); err == nil {
		t.Error("started twice")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(h.svc.Active()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if len(h.svc.Active()) != 1 {
		t.Fatal("the loop did not evaluate")
	}
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h.svc.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if ns := h.rec.take(); len(ns) != 1 {
		t.Errorf("notifications %v", transitions(ns))
	}
	if err := h.svc.Stop(stopCtx); err != nil {
		t.Error(err)
	}
}

func TestQuietHoursUnannouncedAlertResolvesQuietly(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, func(o *Options) {
		o.QuietHours = &QuietHours{Start: "22:00", End: "07:00", Location: time.UTC}
	})
	h.clk.Set(time.Date(2025, 3, 4, 23, 0, 0, 0, time.UTC))
	h.src.set("cpu_usage_ratio", v(0.9))
	if ns := h.eval(0); len(ns) != 0 {
		t.Fatalf("got %v", transitions(ns))
	}
	// First evaluation after the quiet hours finds it recovered: nobody
	// heard it fire, so nobody hears it resolve.
	h.clk.Set(time.Date(2025, 3, 5, 7, 0, 0, 0, time.UTC))
	h.src.set("cpu_usage_ratio", v(0.5))
	if ns := h.eval(0); len(ns) != 0 {
		t.Fatalf("got %v", transitions(ns))
	}
	hist := h.svc.History(1)
	if len(hist) != 1 || hist[0].Suppressed != "quiet hours" || !hist[0].NotifiedAt.IsZero() {
		t.Fatalf("history %+v", hist)
	}
}

// A window's aggregate made of a few seconds of samples (an engine that has
// just started on a fresh home) is not evaluated; once the samples cover
// most of the window it is.
func TestAggregateNeedsCoverage(t *testing.T) {
	const m = "cpu_usage_ratio"
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	start := h.clk.Now()
	tests := []struct {
		since time.Time
		after time.Duration
		want  State
	}{
		{since: start, after: 10 * time.Second, want: ""},                // 10 s of a 10 min window
		{since: start, after: 7 * time.Minute, want: ""},                 // 7m10s: under 80 %
		{since: start, after: time.Minute, want: StateFiring},            // 8m10s: covered
		{since: time.Time{}, after: 10 * time.Second, want: StateFiring}, // a source that does not say
	}
	for i, tc := range tests {
		h.src.set(m, Value{V: 0.99, Since: tc.since})
		h.eval(tc.after)
		var got State
		if act := h.svc.Active(); len(act) > 0 {
			got = act[0].State
		}
		if got != tc.want {
			t.Errorf("step %d (%v after the first sample): state %q, want %q", i, h.clk.Now().Sub(start), got, tc.want)
		}
	}
}
