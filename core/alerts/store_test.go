package alerts

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestPersistenceAcrossReopen(t *testing.T) {
	pending := Rule{Name: "mem_slow", Metric: "memory_used_ratio", Agg: "avg", Window: time.Minute,
		Op: OpAbove, Raise: 0.9, Clear: 0.8, For: time.Hour, Severity: SeverityWarning}
	h := newHarness(t, []Rule{cpuRule(0), pending}, nil)
	ctx := context.Background()
	h.src.set("cpu_usage_ratio", v(0.9, "cpu", "total"))
	h.src.set("memory_used_ratio", v(0.95))
	h.eval(0)
	if err := h.svc.Raise(ctx, backupFailed("unreachable")); err != nil {
		t.Fatal(err)
	}
	ackOnly := Event{Source: "consistency", Key: "consistency:folder:x", Severity: SeverityWarning, Message: "drift", Resolve: ByAck}
	if err := h.svc.Raise(ctx, ackOnly); err != nil {
		t.Fatal(err)
	}
	h.flush()
	var cpuID, backupID string
	for _, a := range h.svc.Active() {
		switch a.Source {
		case SourceMetric:
			if a.Rule == "cpu_high" {
				cpuID = a.ID
			}
		case "backup":
			backupID = a.ID
		}
	}
	silenceUntil := t0.Add(48 * time.Hour)
	if err := h.svc.Silence(backupID, silenceUntil); err != nil {
		t.Fatal(err)
	}
	// Something in the history too.
	if err := h.svc.Raise(ctx, Event{Source: "peers", Key: "peers:nas", Severity: SeverityInfo, Message: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Resolve(ctx, "peers", "peers:nas", "back"); err != nil {
		t.Fatal(err)
	}
	h.flush()
	if n := len(h.svc.Active()); n != 4 {
		t.Fatalf("%d active before reopen", n)
	}

	h.reopen()
	h.clk.Add(time.Hour)

	act := h.svc.Active()
	if len(act) != 3 {
		t.Fatalf("after reopen want 3 active (the pending one starts over), got %+v", act)
	}
	byID := map[string]Alert{}
	for _, a := range act {
		byID[a.ID] = a
	}
	cpu, ok := byID[cpuID]
	if !ok || cpu.State != StateFiring || cpu.Labels["cpu"] != "total" || cpu.NotifiedAt.IsZero() || cpu.Message != "CPU at 90% for 10 min" {
		t.Fatalf("cpu alert after reopen: %+v", cpu)
	}
	if b, ok := byID[backupID]; !ok || !b.SilencedUntil.Equal(silenceUntil) || b.Resolve != BySuccess {
		t.Fatalf("backup alert after reopen: %+v", b)
	}
	found := false
	for _, a := range act {
		if a.Source == "consistency" && a.Resolve == ByAck {
			found = true
		}
	}
	if !found {
		t.Errorf("ack-only event lost its mode: %+v", act)
	}
	if hist := h.svc.History(0); len(hist) != 1 || hist[0].Source != "peers" || hist[0].Resolution != "back" {
		t.Fatalf("history after reopen: %+v", hist)
	}
	if h.svc.WorstSeverity() != SeverityWarning {
		t.Errorf("worst %q", h.svc.WorstSeverity())
	}

	// Still high: no second notification for the same firing alert.
	if ns := h.eval(10 * time.Second); len(ns) != 0 {
		t.Fatalf("re-notified after restart: %v", transitions(ns))
	}
	// Clears: resolved, notified.
	h.src.set("cpu_usage_ratio", v(0.1, "cpu", "total"))
	ns := h.eval(10 * time.Second)
	if len(ns) != 1 || ns[0].Transition != TransitionResolved || ns[0].Alert.ID != cpuID {
		t.Fatalf("got %+v", ns)
	}
	// The silence survives even after the alert ends and raises again.
	if err := h.svc.Resolve(ctx, "backup", "backup:job:documents", "ok"); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	if err := h.svc.Raise(ctx, backupFailed("again")); err != nil {
		t.Fatal(err)
	}
	if ns := h.flush(); len(ns) != 0 {
		t.Fatalf("silence forgotten across restart: %+v", ns)
	}
}

func TestHistoryBounded(t *testing.T) {
	path := t.TempDir() + "/h.db"
	db := openDB(t, path)
	defer db.Close()
	st, err := openStore(db)
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	// One entry older than 90 days, then more than the maximum.
	old := &record{Alert: Alert{ID: "old", Source: "x", ResolvedAt: now.Add(-91 * 24 * time.Hour)}}
	ch := newChanges()
	ch.hist = append(ch.hist, old)
	if err := st.commit(ch, now.Add(-91*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ch = newChanges()
	for i := 0; i < HistoryMaxEntries+5; i++ {
		ch.hist = append(ch.hist, &record{Alert: Alert{ID: fmt.Sprintf("a%05d", i), Source: "x", ResolvedAt: now.Add(time.Duration(i) * time.Second)}})
	}
	if err := st.commit(ch, now); err != nil {
		t.Fatal(err)
	}
	all, err := st.history(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != HistoryMaxEntries {
		t.Fatalf("history has %d entries", len(all))
	}
	if all[0].ID != fmt.Sprintf("a%05d", HistoryMaxEntries+4) || all[len(all)-1].ID != "a00005" {
		t.Errorf("kept %s … %s", all[0].ID, all[len(all)-1].ID)
	}
	if st.histCount != HistoryMaxEntries {
		t.Errorf("count %d", st.histCount)
	}
	// The age limit alone.
	ch = newChanges()
	ch.hist = append(ch.hist, &record{Alert: Alert{ID: "new", Source: "x", ResolvedAt: now.Add(100 * 24 * time.Hour)}})
	if err := st.commit(ch, now.Add(100*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	all, _ = st.history(0)
	if len(all) != 1 || all[0].ID != "new" {
		t.Fatalf("after 100 days: %d entries", len(all))
	}
	// The count is right when reopened.
	st2, err := openStore(db)
	if err != nil {
		t.Fatal(err)
	}
	if st2.histCount != 1 {
		t.Errorf("reopened count %d", st2.histCount)
	}
	if got, _ := st.history(1); len(got) != 1 {
		t.Error("limit")
	}
}

func TestCorruptRecordSkipped(t *testing.T) {
	path := t.TempDir() + "/c.db"
	db := openDB(t, path)
	defer db.Close()
	if _, err := openStore(db); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketActive).Put([]byte("event\x00x\x00y"), []byte("{not json"))
	}); err != nil {
		t.Fatal(err)
	}
	s, err := New(db, Options{})
	if err != nil {
		t.Fatalf("a corrupt record stopped the service: %v", err)
	}
	defer s.Stop(context.Background())
	if len(s.Active()) != 0 {
		t.Errorf("active %+v", s.Active())
	}
}
