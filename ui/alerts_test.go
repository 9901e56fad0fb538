package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/holdfast/holdfast/core/alerts"
)

// newAlertsTestPage puts an Alerts page of the shell's engine in a window
// of its own, so its lists are laid out and drawn.
func newAlertsTestPage(t *testing.T, s *Shell) (*alertsPage, fyne.Window) {
	t.Helper()
	var p *alertsPage
	var w fyne.Window
	uiDo(func() {
		p = newAlertsView(s)
		w = test.NewWindow(p.build())
		w.Resize(fyne.NewSize(1100, 800))
	})
	t.Cleanup(func() { uiDo(w.Close) })
	return p, w
}

func TestAlertsPageAcknowledgeSilenceResolve(t *testing.T) {
	s, _, eng := newQuietTestShell(t, Options{})
	ctx := context.Background()
	p, w := newAlertsTestPage(t, s)

	waitUI(t, "the empty state", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, "No alerts") && strings.Contains(got, "with the rules below") &&
			p.statusText.Text == "No active alerts" && strings.Contains(got, "metric rules in force")
	})

	if err := eng.Alerts.Raise(ctx, alerts.Event{Source: "backup", Key: "k", Severity: alerts.SeverityError, Message: "Backup of X failed"}); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the alert on the page", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, "Backup of X failed") && strings.Contains(got, "Error · backup · since ") &&
			p.statusText.Text == "1 active: 1 error"
	})
	var id string
	uiDo(func() {
		if len(p.active) != 1 || len(p.activeRows) != 1 {
			t.Fatalf("%d active alerts, %d rows", len(p.active), len(p.activeRows))
		}
		id = p.active[0].ID
		if p.activeRows[0].ack.Disabled() {
			t.Error("Acknowledge is disabled on a firing alert")
		}
	})

	// Acknowledge it, as its button does.
	var acked bool
	var ackErr error
	uiDo(func() { p.acknowledge(id, func(err error) { acked, ackErr = true, err }) })
	waitUI(t, "alerts.ack", func() bool { return acked })
	if ackErr != nil {
		t.Fatal(ackErr)
	}
	if a, ok := eng.Alerts.Get(id); !ok || a.State != alerts.StateAcknowledged || a.AckedAt.IsZero() {
		t.Fatalf("after Acknowledge: %+v, %v", a, ok)
	}
	waitUI(t, "the row to say acknowledged", func() bool {
		return strings.Contains(p.activeRows[0].meta.Text, "acknowledged ") && p.activeRows[0].ack.Disabled() &&
			p.statusText.Text == "1 active: 1 error · 1 acknowledged"
	})

	// Silence it for an hour, as the Silence menu does.
	var silenced bool
	var silErr error
	until := time.Now().Add(time.Hour)
	uiDo(func() { p.silence(id, until, func(err error) { silenced, silErr = true, err }) })
	waitUI(t, "alerts.silence", func() bool { return silenced })
	if silErr != nil {
		t.Fatal(silErr)
	}
	if a, _ := eng.Alerts.Get(id); a.SilencedUntil.Sub(until).Abs() > time.Second {
		t.Errorf("silenced until %v, want %v", a.SilencedUntil, until)
	}
	waitUI(t, "the row to say silenced", func() bool {
		return strings.Contains(p.activeRows[0].meta.Text, "silenced until "+alClock(until, time.Now()))
	})

	// A second, worse alert: the status line counts both, worst first.
	if err := eng.Alerts.Raise(ctx, alerts.Event{Source: "consistency", Key: "c", Severity: alerts.SeverityCritical, Message: "Repository demo is damaged"}); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "two alerts", func() bool {
		return p.statusText.Text == "2 active: 1 critical, 1 error · 1 acknowledged" &&
			len(p.active) == 2 && p.active[0].Severity == alerts.SeverityCritical
	})

	// Resolve both: they move to the history, newest first, with how
	// they ended.
	if err := eng.Alerts.Resolve(ctx, "backup", "k", "Backup of X succeeded"); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the first alert in the history", func() bool {
		got := texts(w.Content())
		return len(p.active) == 1 && len(p.history) == 1 && p.history[0].ID == id &&
			strings.Contains(got, "ended: Backup of X succeeded") && strings.Contains(got, "History · 1 alert ended") &&
			p.statusText.Text == "1 active: 1 critical"
	})
	if _, ok := eng.Alerts.Get(id); ok {
		t.Error("the resolved alert is still active")
	}
	if err := eng.Alerts.Resolve(ctx, "consistency", "c", "Repository demo repaired"); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "no active alerts", func() bool {
		got := texts(w.Content())
		return len(p.active) == 0 && len(p.history) == 2 && p.history[1].ID == id &&
			p.statusText.Text == "No active alerts" && !p.activeSection.Visible() &&
			strings.Contains(got, "ended: Repository demo repaired") && strings.Contains(got, "History · 2 alerts ended")
	})
}

func TestAlertsWords(t *testing.T) {
	now := time.Date(2025, 5, 28, 21, 7, 0, 0, time.Local)
	if got := alSince(now.Add(-3*time.Minute), now); got != "since 21:04, 3 min" {
		t.Errorf("alSince: %q", got)
	}
	if got := alSince(now.Add(-26*time.Hour), now); got != "since yesterday 19:07, 26 h" {
		t.Errorf("alSince a day ago: %q", got)
	}
	choices := alSilenceChoices(now)
	if len(choices) != 4 || choices[2].label != "Until tomorrow 08:00" ||
		!choices[2].until.Equal(time.Date(2025, 5, 29, 8, 0, 0, 0, time.Local)) || !choices[3].until.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("silence choices at 21:07: %+v", choices)
	}
	early := time.Date(2025, 5, 28, 2, 30, 0, 0, time.Local)
	if c := alSilenceChoices(early)[2]; c.label != "Until 08:00 today" || c.until.Day() != 28 {
		t.Errorf("silence choice at 02:30: %+v", c)
	}

	rules := alerts.DefaultRules(4)
	rule := func(name string) *alerts.Rule {
		for i := range rules {
			if rules[i].Name == name {
				return &rules[i]
			}
		}
		t.Fatalf("no rule %s", name)
		return nil
	}
	if got := alValue(rule("disk_space_warning"), 0.934); got != "93.4 %" {
		t.Errorf("disk value %q", got)
	}
	if got := alRaises(rule("disk_space_warning")); got != "raised above 90 %" {
		t.Errorf("disk threshold %q", got)
	}
	if got := alValue(rule("network_receive_errors"), 3.25); got != "3.25/s" {
		t.Errorf("network value %q", got)
	}
	if got := alValue(rule("disk_full_soon"), 6*3600); got != "full in 6 h" {
		t.Errorf("full-within value %q", got)
	}
	when, clears := alCondition(*rule("cpu_usage_warning"))
	if when != "average over 10 min above 85 %" || clears != "clears below 75 %" {
		t.Errorf("cpu rule: %q, %q", when, clears)
	}
	when, clears = alCondition(*rule("load_average_high"))
	if when != "latest value above 8" || clears != "clears below 6 · must last 5 min" {
		t.Errorf("load rule: %q, %q", when, clears)
	}

	for want, labels := range map[string]map[string]string{
		"disk_space_warning (/home)": {"mountpoint": "/home", "device": "/dev/sda2", "fstype": "ext4"},
		"disk_space_warning (cpu 1)": {"cpu": "1"},
		"disk_space_warning":         nil,
	} {
		a := alerts.Alert{Source: alerts.SourceMetric, Rule: "disk_space_warning", Labels: labels}
		if got := alSource(a); got != want {
			t.Errorf("alSource(%v) = %q, want %q", labels, got, want)
		}
	}
	if got := alSource(alerts.Alert{Source: "backup", Key: "backup:job:documents"}); got != "backup" {
		t.Errorf("alSource of an event: %q", got)
	}

	text, kind := alStatusLine([]alerts.Alert{
		{Severity: alerts.SeverityCritical, State: alerts.StateFiring},
		{Severity: alerts.SeverityWarning, State: alerts.StateFiring},
	})
	if text != "2 active: 1 critical, 1 warning" || kind != statusError {
		t.Errorf("status line %q, %v", text, kind)
	}
	text, kind = alStatusLine([]alerts.Alert{{Severity: alerts.SeverityWarning, State: alerts.StatePending}})
	if text != "1 active: 1 warning · 1 pending" || kind != statusNeutral {
		t.Errorf("pending status line %q, %v", text, kind)
	}
	if text, kind = alStatusLine(nil); text != "No active alerts" || kind != statusOK {
		t.Errorf("empty status line %q, %v", text, kind)
	}
}
