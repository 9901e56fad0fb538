package ui

import (
	"context"
	"image/color"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks"
)

func TestStatsTabShowsTheHistory(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	release := addSlowOp(t, eng)
	p := showTasksPage(t, s)
	uiDo(func() { p.showTab(2) })
	waitUI(t, "the empty statistics", func() bool {
		return p.stats.loaded && strings.Contains(p.stats.overview.Text, "No task ended in the last 30 days")
	})

	// Three tasks: two succeed, one is canceled.
	ctx := context.Background()
	var ids []tasks.ID
	for range 3 {
		id, err := eng.Tasks.Launch(ctx, control.Request{Op: opSlow}, tasks.Origin{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The first one is canceled while it runs: wait for the runner to say
	// so (the page's own view follows its events and is checked below).
	waitUI(t, "the first task running", func() bool {
		tk, err := eng.Tasks.Get(ids[0])
		return err == nil && tk.State == tasks.Running
	})
	if _, err := eng.Tasks.Cancel(ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Tasks.Wait(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	close(release)
	for _, id := range ids[1:] {
		if _, err := eng.Tasks.Wait(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	// The tab is on screen: it reads the statistics again as tasks end.
	waitUI(t, "the statistics", func() bool {
		return p.stats.st.Overview.TotalTasks == 3 && strings.Contains(p.stats.overview.Text, "3 tasks in the last 30 days · 66.7 % succeeded")
	})
	uiDo(func() {
		series := p.stats.rate.Series()
		var rates []float64
		for _, pt := range series[0].Points {
			if !math.IsNaN(pt.V) {
				rates = append(rates, pt.V)
			}
		}
		if len(rates) != 1 || math.Abs(rates[0]-66.67) > 0.01 {
			t.Errorf("success rate points %v", rates)
		}
		if n := len(p.stats.perDay.bars); n != 30 || p.stats.perDay.bars[29].total() != 3 {
			t.Errorf("%d days, today %v", n, p.stats.perDay.bars[n-1])
		}
		if k := p.stats.perKind.bars; len(k) != 1 || k[0].label != "slow" || k[0].text != "3 · 100 %" {
			t.Errorf("kinds %+v", k)
		}
		// The bars are drawn: green for the two that succeeded, grey for
		// the canceled one, in proportion.
		green := theme.Color(theme.ColorNameSuccess)
		var widths = map[color.Color]float32{}
		for _, o := range test.WidgetRenderer(p.stats.perKind).Objects() {
			if r, ok := o.(*canvas.Rectangle); ok {
				widths[r.FillColor] += r.Size().Width
			}
		}
		if widths[green] == 0 || len(widths) != 2 {
			t.Errorf("bar parts %v", widths)
		}
	})

	// Another period reads again.
	uiDo(func() { p.stats.rangeSel.SetSelected("7 days") })
	waitUI(t, "the week", func() bool { return p.stats.st.Days == 7 && len(p.stats.perDay.bars) == 7 })
	uiDo(func() {
		img := s.Window().Canvas().Capture()
		if img.Bounds().Dx() == 0 {
			t.Error("nothing drawn")
		}
	})
}
