package tasks

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/control"
)

// runAt runs one quick task that starts at at and takes d.
func (h *harness) runAt(at time.Time, d time.Duration, a workArgs) ID {
	h.t.Helper()
	h.clock.Set(at)
	a.Takes = d
	res := h.router.Dispatch(context.Background(), req(a), nil)
	<-h.started
	if res.TaskID == 0 {
		h.t.Fatalf("no task: %+v", res)
	}
	return ID(res.TaskID)
}

func TestStatsAndRetention(t *testing.T) {
	h := newHarness(t, Options{HistoryDays: 90, AggregateDays: 365})
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	// 100 days ago: a backup of 1000 bytes that took 10 s, and a failed
	// check. 10 days ago: a backup with warnings. Today: a canceled one.
	old := h.runAt(now.Add(-100*day), 10*time.Second, workArgs{Name: "b1"})
	h.runAt(now.Add(-100*day), 20*time.Second, workArgs{Name: "c1", Fail: true})
	h.runAt(now.Add(-10*day), 30*time.Second, workArgs{Name: "b2", Found: true})
	h.clock.Set(now)
	id := h.launch(workArgs{Name: "x", Block: true})
	h.waitStarted("x")
	h.runner.Cancel(id)
	h.wait(id)
	// Kinds are what the specs say; make two of them backups, as the
	// engine's would be.
	for _, id := range []ID{old, old + 2} {
		setKind(t, h, id, "backup")
	}

	folded, dropped, err := h.runner.Fold()
	if err != nil || folded != 2 || dropped != 0 {
		t.Fatalf("Fold = %d, %d, %v", folded, dropped, err)
	}
	if list, _ := h.runner.List(Filter{}); len(list) != 2 {
		t.Fatalf("full history after fold: %d tasks, want 2", len(list))
	}

	st, err := h.runner.Stats(365)
	if err != nil {
		t.Fatal(err)
	}
	o := st.Overview
	if o.TotalTasks != 4 || o.SuccessfulTasks != 2 || o.FailedTasks != 1 || o.CanceledTasks != 1 || o.SuccessRate != 50 {
		t.Errorf("overview %+v", o)
	}
	// Sizes: b1 42 (released at once: size 42), b2 7; both backups.
	if o.TotalSize != 42+7 {
		t.Errorf("total_size %d, want 49", o.TotalSize)
	}
	if want := (10.0 + 20 + 30 + 0) / 4; o.AvgDuration != want {
		t.Errorf("avg_duration %v, want %v", o.AvgDuration, want)
	}
	if len(st.DailyStats) != 365 || st.DailyStats[364].Date != "2025-06-15" || st.DailyStats[0].Date != "2024-06-16" {
		t.Fatalf("daily_stats: %d days, %+v … %+v", len(st.DailyStats), st.DailyStats[0], st.DailyStats[len(st.DailyStats)-1])
	}
	d100 := st.DailyStats[364-100]
	if d100.Date != "2025-03-07" || d100.Tasks != 2 || d100.Successful != 1 || d100.Failed != 1 || d100.SuccessRate != 50 {
		t.Errorf("day -100 (from daily totals): %+v", d100)
	}
	if d10 := st.DailyStats[364-10]; d10.Tasks != 1 || d10.Successful != 1 || d10.SuccessRate != 100 {
		t.Errorf("day -10: %+v", d10)
	}
	if len(st.TypeStats) != 2 || st.TypeStats[0].Type != "backup" || st.TypeStats[0].Count != 2 || st.TypeStats[0].AvgDuration != 20 ||
		st.TypeStats[1].Type != "work" || st.TypeStats[1].Count != 2 {
		t.Errorf("type_stats %+v", st.TypeStats)
	}

	recent, _ := h.runner.Stats(30)
	if recent.Overview.TotalTasks != 2 || len(recent.DailyStats) != 30 {
		t.Errorf("30 days: %+v", recent.Overview)
	}
	raw, _ := json.Marshal(recent)
	var shape map[string]any
	json.Unmarshal(raw, &shape)
	for _, k := range []string{"overview", "daily_stats", "type_stats"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("stats JSON lacks %q: %s", k, raw)
		}
	}

	// 300 days on, the tasks of 100 days ago are older than a year:
	// their daily totals go too.
	h.clock.Set(now.Add(300 * day))
	folded, dropped, err = h.runner.Fold()
	if err != nil || folded != 2 || dropped != 2 { // a backup and a work total
		t.Fatalf("second Fold = %d, %d, %v", folded, dropped, err)
	}
	st, _ = h.runner.Stats(MaxStatsDays)
	if st.Overview.TotalTasks != 2 || st.Overview.TotalSize != 7 {
		t.Errorf("after a year: %+v", st.Overview)
	}
	if _, err := h.runner.Stats(0); err == nil {
		t.Error("Stats(0) accepted")
	}
	args, _ := json.Marshal(StatsArgs{Days: 0})
	if res := h.router.Dispatch(context.Background(), control.Request{Op: OpStats, Args: args}, nil); res.Exit != control.ExitUsage {
		t.Errorf("stats --days 0: %+v", res)
	}
}

func setKind(t *testing.T, h *harness, id ID, kind string) {
	t.Helper()
	task, err := h.runner.st.get(id)
	if err != nil {
		t.Fatal(err)
	}
	task.Kind = kind
	if err := h.runner.st.put(&task); err != nil {
		t.Fatal(err)
	}
}
