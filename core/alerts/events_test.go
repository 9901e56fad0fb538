package alerts

import (
	"context"
	"strings"
	"testing"
	"time"
)

func backupFailed(msg string) Event {
	return Event{Source: "backup", Key: "backup:job:documents", Severity: SeverityError, Message: msg}
}

func TestEventRaiseDedup(t *testing.T) {
	h := newHarness(t, nil, func(o *Options) { o.ReNotify = 6 * time.Hour })
	ctx := context.Background()
	if err := h.svc.Raise(ctx, backupFailed("repository unreachable")); err != nil {
		t.Fatal(err)
	}
	ns := h.flush()
	if len(ns) != 1 || ns[0].Transition != TransitionFiring || ns[0].Body != "repository unreachable" {
		t.Fatalf("got %+v", ns)
	}
	if !strings.Contains(ns[0].Title, "Error") || !strings.Contains(ns[0].Title, "backup:job:documents") {
		t.Errorf("title %q", ns[0].Title)
	}
	first := h.only()
	if first.Source != "backup" || first.Key != "backup:job:documents" || first.State != StateFiring || first.Count != 1 {
		t.Fatalf("alert %+v", first)
	}

	h.clk.Add(time.Hour)
	if err := h.svc.Raise(ctx, backupFailed("repository unreachable: timeout")); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 0 {
		t.Fatalf("re-raise notified: %+v", ns)
	}
	a := h.only()
	if a.ID != first.ID || a.Count != 2 || a.Message != "repository unreachable: timeout" || !a.Updated.Equal(t0.Add(time.Hour)) || !a.Since.Equal(t0) {
		t.Fatalf("after re-raise %+v", a)
	}

	// Another key is another alert.
	other := backupFailed("disk full")
	other.Key = "backup:job:photos"
	if err := h.svc.Raise(ctx, other); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 1 {
		t.Fatalf("got %d", len(ns))
	}
	if len(h.svc.Active()) != 2 {
		t.Fatalf("active %+v", h.svc.Active())
	}

	// Past the re-notify interval, a re-raise reminds.
	h.clk.Add(6 * time.Hour)
	if err := h.svc.Raise(ctx, backupFailed("still unreachable")); err != nil {
		t.Fatal(err)
	}
	ns = h.flush()
	if len(ns) != 1 || !ns[0].Repeat || ns[0].Alert.Count != 3 || !strings.Contains(ns[0].Body, "Reported 3 times") {
		t.Fatalf("got %+v", ns)
	}

	// A worse severity is news even before the interval.
	worse := backupFailed("repository corrupt")
	worse.Severity = SeverityCritical
	if err := h.svc.Raise(ctx, worse); err != nil {
		t.Fatal(err)
	}
	ns = h.flush()
	if len(ns) != 1 || ns[0].Alert.Severity != SeverityCritical || ns[0].Repeat {
		t.Fatalf("escalation: %+v", ns)
	}
	if h.svc.WorstSeverity() != SeverityCritical {
		t.Errorf("worst %q", h.svc.WorstSeverity())
	}
}

func TestEventResolveBySuccess(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	// Resolving what is not active is fine and quiet.
	if err := h.svc.Resolve(ctx, "backup", "backup:job:documents", "ok"); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Raise(ctx, backupFailed("repository unreachable")); err != nil {
		t.Fatal(err)
	}
	h.flush()
	id := h.only().ID
	h.clk.Add(2 * time.Hour)
	if err := h.svc.Resolve(ctx, "backup", "backup:job:documents", "backup of Documents succeeded"); err != nil {
		t.Fatal(err)
	}
	ns := h.flush()
	if len(ns) != 1 || ns[0].Transition != TransitionResolved || !strings.HasPrefix(ns[0].Body, "backup of Documents succeeded") {
		t.Fatalf("got %+v", ns)
	}
	if len(h.svc.Active()) != 0 {
		t.Fatal("still active")
	}
	hist := h.svc.History(0)
	if len(hist) != 1 || hist[0].ID != id || hist[0].State != StateResolved || hist[0].Resolution != "backup of Documents succeeded" || !hist[0].ResolvedAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("history %+v", hist)
	}
	// Raising again starts a new alert with a new ID.
	if err := h.svc.Raise(ctx, backupFailed("again")); err != nil {
		t.Fatal(err)
	}
	if a := h.only(); a.ID == id || a.Count != 1 {
		t.Errorf("new alert %+v", a)
	}
}

func TestEventAckOnly(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	ev := Event{Source: "consistency", Key: "consistency:folder:photos", Severity: SeverityWarning, Message: "3 files drifted", Resolve: ByAck}
	if err := h.svc.Raise(ctx, ev); err != nil {
		t.Fatal(err)
	}
	h.flush()
	// A later success does not end an ack-only alert.
	if err := h.svc.Resolve(ctx, ev.Source, ev.Key, "check passed"); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 0 {
		t.Fatalf("got %+v", ns)
	}
	// Nor does time.
	for i := 0; i < 3; i++ {
		h.eval(24 * time.Hour)
	}
	a := h.only()
	if a.State != StateFiring {
		t.Fatalf("alert %+v", a)
	}
	if err := h.svc.Ack(a.ID); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 0 {
		t.Fatalf("ack notified: %+v", ns)
	}
	if len(h.svc.Active()) != 0 {
		t.Fatalf("still active after ack: %+v", h.svc.Active())
	}
	hist := h.svc.History(0)
	if len(hist) != 1 || hist[0].State != StateAcknowledged || hist[0].AckedAt.IsZero() || hist[0].ResolvedAt.IsZero() {
		t.Fatalf("history %+v", hist)
	}
}

func TestEventAckBySuccessStaysUntilSuccess(t *testing.T) {
	h := newHarness(t, nil, func(o *Options) { o.ReNotify = time.Hour })
	ctx := context.Background()
	if err := h.svc.Raise(ctx, backupFailed("unreachable")); err != nil {
		t.Fatal(err)
	}
	h.flush()
	id := h.only().ID
	if err := h.svc.Ack(id); err != nil {
		t.Fatal(err)
	}
	h.clk.Add(2 * time.Hour)
	if err := h.svc.Raise(ctx, backupFailed("unreachable")); err != nil {
		t.Fatal(err)
	}
	if ns := h.eval(2 * time.Hour); len(ns) != 0 {
		t.Fatalf("acknowledged event notified: %+v", ns)
	}
	if a := h.only(); a.State != StateAcknowledged || a.Count != 2 {
		t.Fatalf("alert %+v", a)
	}
	if err := h.svc.Resolve(ctx, "backup", "backup:job:documents", "ok"); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 0 {
		t.Fatalf("acknowledged resolution notified: %+v", ns)
	}
	if len(h.svc.Active()) != 0 {
		t.Fatal("still active")
	}
}

func TestEventDismiss(t *testing.T) {
	h := newHarness(t, []Rule{cpuRule(0)}, nil)
	ctx := context.Background()
	if err := h.svc.Raise(ctx, Event{Source: "peers", Key: "peers:nas", Severity: SeverityWarning, Message: "nas offline for 2 h"}); err != nil {
		t.Fatal(err)
	}
	id := h.only().ID
	if err := h.svc.Dismiss(id); err != nil {
		t.Fatal(err)
	}
	if len(h.svc.Active()) != 0 || h.svc.History(1)[0].Resolution != "dismissed" {
		t.Fatal("not dismissed")
	}
	h.src.set("cpu_usage_ratio", v(0.9))
	h.eval(0)
	if err := h.svc.Dismiss(h.only().ID); err == nil {
		t.Error("dismissed a metric alert")
	}
}

func TestEventValidation(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	for _, ev := range []Event{
		{Key: "k", Severity: SeverityError},
		{Source: "backup", Severity: SeverityError},
		{Source: "backup", Key: "k"},
		{Source: SourceMetric, Key: "k", Severity: SeverityError},
		{Source: "backup", Key: "k", Severity: SeverityError, Resolve: 7},
	} {
		if err := h.svc.Raise(ctx, ev); err == nil {
			t.Errorf("accepted %+v", ev)
		}
	}
	if len(h.svc.Active()) != 0 {
		t.Error("an invalid event was recorded")
	}
	var _ Raiser = h.svc
}
