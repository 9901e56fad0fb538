package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/collect"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
	"github.com/holdfast/holdfast/ui/chart"
)

// TestDashboardShowsLiveSamples waits for the real monitor's ticks to reach
// the Dashboard: CPU and memory in percent, and the root filesystem's bar.
func TestDashboardShowsLiveSamples(t *testing.T) {
	s, _, _ := newTestShell(t, Options{})
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got string
		uiDo(func() {
			s.ShowPage(PageDashboard)
			got = texts(s.Window().Content())
		})
		if strings.Count(got, " %") >= 2 && strings.Contains(got, "\n/\n") && strings.Contains(got, "This machine") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Dashboard shows no live values after 10 s:\n%s", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dashFind walks o's laid-out objects for the first of type T that ok
// accepts.
func dashFind[T fyne.CanvasObject](o fyne.CanvasObject, ok func(T) bool) (T, bool) {
	for _, obj := range test.LaidOutObjects(o) {
		if v, is := obj.(T); is && ok(v) {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// showDashboard puts the Dashboard on screen in a shown window.
func showDashboard(t *testing.T) (*Shell, *engine.Engine) {
	t.Helper()
	s, _, eng := newTestShell(t, Options{})
	uiDo(func() {
		s.ShowPage(PageDashboard)
		s.Show()
		s.Window().Resize(fyne.NewSize(1100, 720))
	})
	return s, eng
}

// TestDashboardShowsPublishedProcesses publishes a process sample on the
// bus and waits for its rows in the table, top CPU first. The real
// monitor publishes its own samples too, so the test's is published again
// until it is seen.
func TestDashboardShowsPublishedProcesses(t *testing.T) {
	s, eng := showDashboard(t)
	if n := eng.Monitor.ProcessWatchers(); n != 1 {
		t.Errorf("the Dashboard on screen: %d process watchers, want 1", n)
	}
	sample := monitor.Processes{At: time.Now(), Over: time.Second, Top: []collect.Process{
		{PID: 4242, Name: "hf-test-idle", User: "alice", CPURatio: 0.01, RSSBytes: 3 << 30},
		{PID: 4343, Name: "hf-test-busy", User: "bob", CPURatio: 1.5, RSSBytes: 1 << 20,
			IOKnown: true, ReadBytesPerSec: 2048, WriteBytesPerSec: 0},
	}}
	deadline := time.Now().Add(10 * time.Second)
	for {
		eng.Bus().Publish(sample)
		time.Sleep(50 * time.Millisecond)
		var got string
		uiDo(func() { got = texts(s.Window().Content()) })
		busy, idle := strings.Index(got, "hf-test-busy"), strings.Index(got, "hf-test-idle")
		if busy >= 0 && idle > busy {
			for _, want := range []string{"4343", "bob", "150.0 %", "2 KiB/s", "3 GiB", "–"} {
				if !strings.Contains(got, want) {
					t.Errorf("the table lacks %q:\n%s", want, got)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the published processes are not shown, busy first:\n%s", got)
		}
	}

	// Away from the Dashboard, the monitor goes back to its slow pace.
	uiDo(func() { s.ShowPage(PageSettings) })
	if n := eng.Monitor.ProcessWatchers(); n != 0 {
		t.Errorf("the Dashboard off screen: %d process watchers, want 0", n)
	}
	uiDo(func() { s.ShowPage(PageDashboard) })
	if n := eng.Monitor.ProcessWatchers(); n != 1 {
		t.Errorf("back on the Dashboard: %d process watchers, want 1", n)
	}
}

// TestProcTableSorts sorts a sample of twelve by each kind of column.
func TestProcTableSorts(t *testing.T) {
	test.NewTempApp(t)
	p := newProcTable()
	var top []collect.Process
	for i := range 12 {
		top = append(top, collect.Process{PID: 100 + i, Name: fmt.Sprintf("p%02d", 11-i), CPURatio: float64(i) / 10, RSSBytes: uint64(12-i) << 20})
	}
	p.set(monitor.Processes{At: time.Now(), Over: time.Second, Top: top})
	pids := func() []int {
		out := make([]int, len(p.rows))
		for i, r := range p.rows {
			out[i] = r.PID
		}
		return out
	}
	if got := pids(); len(got) != procRows || got[0] != 111 || got[9] != 102 {
		t.Errorf("by CPU: %v", got)
	}
	p.sortBy(0) // Name, A to Z
	if got := pids(); got[0] != 111 || p.rows[1].Name != "p01" {
		t.Errorf("by name: %v", got)
	}
	p.sortBy(0) // Z to A
	if got := pids(); got[0] != 100 {
		t.Errorf("by name, reversed: %v", got)
	}
	p.sortBy(4) // Memory, largest first
	if got := pids(); got[0] != 100 || got[9] != 109 {
		t.Errorf("by memory: %v", got)
	}
}

// TestDashboardRangeSwitchQueriesHistory taps "1 h" and waits for the
// charts to fill from the real monitor's history (the samples the engine
// takes while the test runs), then checks the values are in range.
func TestDashboardRangeSwitchQueriesHistory(t *testing.T) {
	s, _ := showDashboard(t)
	var btn *widget.Button
	var charts []*chart.Chart
	uiDo(func() {
		btn, _ = dashFind(s.Window().Content(), func(b *widget.Button) bool { return b.Text == "1 h" })
		for _, o := range test.LaidOutObjects(s.Window().Content()) {
			if c, ok := o.(*chart.Chart); ok {
				charts = append(charts, c)
			}
		}
	})
	if btn == nil || len(charts) != 4 {
		t.Fatalf("range button %v, %d charts", btn, len(charts))
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		uiDo(func() { test.Tap(btn) })
		time.Sleep(300 * time.Millisecond)
		var cpu []chart.Point
		var note string
		uiDo(func() {
			cpu = charts[0].Series()[0].Points
			note = texts(s.Window().Content())
		})
		var seen int
		for _, p := range cpu {
			if !math.IsNaN(p.V) {
				seen++
				if p.V < 0 || p.V > 100 {
					t.Fatalf("CPU point %v outside 0..100 %%", p)
				}
			}
		}
		// Two ticks give the first CPU sample; the query sees unflushed
		// samples too.
		if seen > 0 {
			if !strings.Contains(note, "Last 1 h, a point every 5 s") {
				t.Errorf("the range note is missing:\n%s", note)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no CPU history after choosing 1 h; note:\n%s", note)
		}
		// Back to Live, so the next tap queries again.
		uiDo(func() {
			live, _ := dashFind(s.Window().Content(), func(b *widget.Button) bool { return b.Text == "Live" })
			test.Tap(live)
		})
	}
}

// TestDashboardRetriesAFailedHistoryRead: a Live history read that fails
// (a peer's link replaced under it) is tried again soon, and the charts
// fill from the second read.
func TestDashboardRetriesAFailedHistoryRead(t *testing.T) {
	s, eng := showDashboard(t)
	var d *dashboard
	uiDo(func() { d = s.pages[0].ref.(*dashboard) })
	var mu sync.Mutex
	reads := 0
	local := localSource(eng.Monitor)
	failOnce := func(ctx context.Context, names []string, start, end time.Time, step time.Duration) (map[string][]tsdb.Series, error) {
		mu.Lock()
		reads++
		first := reads == 1
		mu.Unlock()
		if first {
			return nil, errors.New("connection to peer X lost: replaced by a newer connection")
		}
		return local(ctx, names, start, end, step)
	}
	uiDo(func() {
		d.charts.setSource(failOnce)
		d.charts.show()
	})
	waitUI(t, "the failed read said", func() bool {
		return strings.Contains(d.charts.note.Text, "Could not read the history: connection to peer X lost")
	})
	waitUI(t, "the history read again", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return reads >= 2 && !strings.Contains(d.charts.note.Text, "Could not read")
	})
}

func TestDashStep(t *testing.T) {
	for _, tc := range []struct {
		span, want time.Duration
	}{
		{time.Hour, 5 * time.Second},
		{24 * time.Hour, 2 * time.Minute},
		{7 * 24 * time.Hour, 15 * time.Minute},
		{30 * 24 * time.Hour, time.Hour},
		{365 * 24 * time.Hour, 12 * time.Hour},
		{5 * 365 * 24 * time.Hour, 2 * 24 * time.Hour},
	} {
		got := dashStep(tc.span)
		if got != tc.want {
			t.Errorf("dashStep(%v) = %v, want %v", tc.span, got, tc.want)
		}
		if n := tc.span / got; n > dashMaxPoints {
			t.Errorf("dashStep(%v) gives %d points", tc.span, n)
		}
	}
}

func TestSumSeriesAddsAndGaps(t *testing.T) {
	mk := func(labels tsdb.Labels, pts ...tsdb.Point) tsdb.Series {
		return tsdb.Series{Name: "x", Labels: labels, Points: pts}
	}
	sda, _ := tsdb.NewKey("x", tsdb.Label{Name: "device", Value: "sda"})
	in := []tsdb.Series{
		mk(nil, tsdb.Point{T: 100, V: 1}),
		mk(sda.Labels(), tsdb.Point{T: 100, V: 2}, tsdb.Point{T: 105, V: 3}, tsdb.Point{T: 200, V: 4}),
	}
	got := sumSeries(in, false, 10, 10*time.Second)
	want := []float64{30, 30, math.NaN(), 40}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i, p := range got {
		if math.IsNaN(want[i]) != math.IsNaN(p.V) || (!math.IsNaN(want[i]) && p.V != want[i]) {
			t.Errorf("point %d = %v, want %v", i, p, want[i])
		}
	}
	if whole := sumSeries(in, true, 1, time.Minute); len(whole) != 1 || whole[0].V != 1 {
		t.Errorf("whole machine only: %v", whole)
	}
}
