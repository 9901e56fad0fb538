package ui

import (
	"bytes"
	"context"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/engine"
)

func TestTrayBadgeSelection(t *testing.T) {
	st := func(running bool, firing int, worst string) engine.Status {
		return engine.Status{Running: running, Alerts: engine.AlertSummary{Firing: firing, Worst: worst, Top: "disk / almost full"}}
	}
	for _, tc := range []struct {
		st   engine.Status
		want alerts.Severity
		line string
	}{
		{st(true, 0, ""), "", "All good"},
		{st(false, 2, "critical"), "", "Engine starting…"},
		{st(true, 1, "info"), "", "1 alert: disk / almost full"},
		{st(true, 1, "warning"), alerts.SeverityWarning, "1 alert: disk / almost full"},
		{st(true, 2, "error"), alerts.SeverityError, "2 alerts: disk / almost full"},
		{st(true, 3, "critical"), alerts.SeverityCritical, "3 alerts: disk / almost full"},
	} {
		if got := trayBadge(tc.st); got != tc.want {
			t.Errorf("%+v: badge %q, want %q", tc.st.Alerts, got, tc.want)
		}
		if got := trayLine(tc.st); !strings.HasPrefix(got, tc.line) {
			t.Errorf("%+v: line %q, want %q…", tc.st.Alerts, got, tc.line)
		}
	}

	// The plain icon without a badge; each badge in its colour, drawn once.
	if trayIcon("") != Icon || trayIcon(alerts.SeverityInfo) != Icon {
		t.Error("no badge should be the plain icon")
	}
	seen := map[string]bool{}
	for sev, want := range trayBadgeColors {
		r := trayIcon(sev)
		if r != trayIcon(sev) {
			t.Errorf("%s: drawn twice", sev)
		}
		if seen[r.Name()] {
			t.Errorf("%s: name %s used twice", sev, r.Name())
		}
		seen[r.Name()] = true
		img, err := png.Decode(bytes.NewReader(r.Content()))
		if err != nil {
			t.Fatal(err)
		}
		b := img.Bounds()
		size := b.Dx()
		centre := color.NRGBAModel.Convert(img.At(b.Max.X-size*24/100, b.Max.Y-size*24/100)).(color.NRGBA)
		if centre != want {
			t.Errorf("%s: badge centre %v, want %v", sev, centre, want)
		}
		plain, _ := png.Decode(bytes.NewReader(Icon.Content()))
		if img.At(size/4, size/4) != plain.At(size/4, size/4) {
			t.Errorf("%s: the icon itself changed", sev)
		}
	}
}

func TestTrayFollowsAlerts(t *testing.T) {
	s, a, eng := newTestShell(t, Options{TrayHost: true})
	ctx := context.Background()
	waitUI(t, "the plain icon", func() bool { return a.icon == Icon })
	if err := eng.Alerts.Raise(ctx, alerts.Event{Source: "backup", Key: "k", Severity: alerts.SeverityError, Message: "Backup of X failed"}); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the error badge", func() bool { return a.icon != nil && a.icon.Name() == "holdfast-error.png" })
	waitUI(t, "the status line", func() bool { return s.tray.status.Label == "1 alert: Backup of X failed" })
	if err := eng.Alerts.Raise(ctx, alerts.Event{Source: "consistency", Key: "c", Severity: alerts.SeverityCritical, Message: "Repository damaged"}); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the critical badge", func() bool { return a.icon.Name() == "holdfast-critical.png" })
	waitUI(t, "the status line", func() bool { return s.tray.status.Label == "2 alerts: Repository damaged" })
	for _, k := range []struct{ src, key string }{{"backup", "k"}, {"consistency", "c"}} {
		if err := eng.Alerts.Resolve(ctx, k.src, k.key, "fixed"); err != nil {
			t.Fatal(err)
		}
	}
	waitUI(t, "the plain icon again", func() bool { return a.icon == Icon })
}
