package ui

// The Statistics tab of the Tasks page: success rate over time, tasks per
// day, the share of each kind and their durations, over 7, 30, 90 or 365
// days, from the runner's statistics (the same as `holdfast stats`).

import (
	"fmt"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/ui/chart"
)

// statsRanges are the periods offered, in days.
var statsRanges = []struct {
	label string
	days  int
}{{"7 days", 7}, {"30 days", 30}, {"90 days", 90}, {"1 year", 365}}

type statsView struct {
	p *tasksPage

	days    int
	st      tasks.Stats
	loaded  bool
	err     error
	gen     int
	visible bool
	old     bool // tasks ended since the last read

	rangeSel  *widget.RadioGroup
	overview  *widget.Label
	rate      *chart.Chart
	perDay    *barChart
	perKind   *barChart
	durations *barChart
	legend    *fyne.Container
}

func newStatsView(p *tasksPage) *statsView { return &statsView{p: p, days: 30} }

func (v *statsView) build() fyne.CanvasObject {
	labels := make([]string, len(statsRanges))
	for i, r := range statsRanges {
		labels[i] = r.label
	}
	v.rangeSel = widget.NewRadioGroup(labels, func(label string) {
		for _, r := range statsRanges {
			if r.label == label && r.days != v.days {
				v.days = r.days
				v.load()
			}
		}
	})
	v.rangeSel.Horizontal = true
	v.rangeSel.Required = true
	for _, r := range statsRanges {
		if r.days == v.days {
			v.rangeSel.SetSelected(r.label)
		}
	}
	v.overview = widget.NewLabel("Reading the statistics…")
	v.overview.Wrapping = fyne.TextWrapWord

	v.rate = chart.New()
	v.rate.SetYRange(0, 100)
	v.rate.SetFormat(func(x float64) string { return fmt.Sprintf("%.0f %%", x) })
	v.perDay = newBarChart(true)
	v.perDay.maxText = func(x float64) string { return alCount(int(x), "task", "tasks") }
	v.perKind = newBarChart(false)
	v.durations = newBarChart(false)
	v.legend = container.NewHBox(
		statsKey(theme.ColorNameSuccess, "succeeded"), statsKey(theme.ColorNameError, "failed"),
		statsKey(theme.ColorNameDisabled, "canceled"))

	card := func(title string, body fyne.CanvasObject, extra ...fyne.CanvasObject) fyne.CanvasObject {
		head := container.NewHBox(widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		for _, e := range extra {
			head.Add(e)
		}
		return container.NewBorder(head, nil, nil, nil, body)
	}
	grid := container.NewGridWithColumns(2,
		card("Success rate per day", v.rate),
		card("Tasks per day", v.perDay, v.legend),
		card("Tasks by kind", container.NewVScroll(v.perKind)),
		card("Average duration by kind", container.NewVScroll(v.durations)),
	)
	top := container.NewVBox(container.NewHBox(widget.NewLabel("Period:"), v.rangeSel), v.overview)
	if v.loaded {
		v.show()
	}
	return container.NewBorder(top, nil, nil, nil, grid)
}

// statsKey is one entry of a legend: a swatch and a word.
func statsKey(c fyne.ThemeColorName, word string) fyne.CanvasObject {
	sw := newBarChart(false)
	sw.setBars([]bar{{segs: []barSeg{{1, c}}}})
	l := widget.NewLabel(word)
	l.SizeName = theme.SizeNameCaptionText
	return container.NewHBox(container.NewGridWrap(fyne.NewSize(14, 14), sw), l)
}

// setVisible hears when the tab comes on screen: statistics are read
// then, and again while on screen when tasks end.
func (v *statsView) setVisible(on bool) {
	v.visible = on
	if on && (!v.loaded || v.old) {
		v.load()
	}
}

// stale hears that tasks ended.
func (v *statsView) stale() {
	v.old = true
	if v.visible {
		v.load()
	}
}

func (v *statsView) load() {
	v.old = false
	v.gen++
	gen, days := v.gen, v.days
	run := v.p.s.eng.Tasks
	go func() {
		st, err := run.Stats(days)
		v.p.s.opts.do(func() {
			if gen != v.gen || v.p.s.ctx.Err() != nil {
				return
			}
			v.loaded, v.err, v.st = true, err, st
			v.show()
		})
	}()
}

// show draws the statistics last read.
func (v *statsView) show() {
	if v.overview == nil {
		return
	}
	if v.err != nil {
		v.overview.SetText("Could not read the statistics: " + v.err.Error())
		return
	}
	st := v.st
	o := st.Overview
	if o.TotalTasks == 0 {
		v.overview.SetText(fmt.Sprintf("No task ended in the last %d days.", st.Days))
	} else {
		text := fmt.Sprintf("%s in the last %d days · %.1f %% succeeded · %d failed", alCount(o.TotalTasks, "task", "tasks"),
			st.Days, o.SuccessRate, o.FailedTasks)
		if o.CanceledTasks > 0 {
			text += fmt.Sprintf(" · %d canceled", o.CanceledTasks)
		}
		if o.AvgDuration > 0 {
			text += " · " + bkSeconds(o.AvgDuration) + " on average"
		}
		if o.TotalSize > 0 {
			text += " · " + backup.HumanBytes(o.TotalSize) + " backed up"
		}
		v.overview.SetText(text)
	}

	// Success rate: one point per day that had tasks, at noon; the
	// period's ends are gaps, so the axis spans the whole period.
	var pts []chart.Point
	var days []bar
	for i, d := range st.DailyStats {
		day, err := time.ParseInLocation(time.DateOnly, d.Date, time.Local)
		if err != nil {
			continue
		}
		noon := day.Add(12 * time.Hour)
		switch {
		case d.Tasks > 0:
			pts = append(pts, chart.Point{T: noon, V: d.SuccessRate})
		case i == 0 || i == len(st.DailyStats)-1:
			pts = append(pts, chart.Point{T: noon, V: math.NaN()})
		}
		other := d.Tasks - d.Successful - d.Failed
		days = append(days, bar{label: day.Format("2 Jan"), segs: []barSeg{
			{float64(d.Successful), theme.ColorNameSuccess}, {float64(d.Failed), theme.ColorNameError},
			{float64(max(other, 0)), theme.ColorNameDisabled}}})
	}
	v.rate.SetSeries([]chart.Series{{Name: "success rate", Points: pts}})
	v.perDay.setBars(days)

	var kinds, durations []bar
	for _, k := range st.TypeStats {
		share := 0.0
		if o.TotalTasks > 0 {
			share = 100 * float64(k.Count) / float64(o.TotalTasks)
		}
		other := k.Count - k.Successful - k.Failed
		kinds = append(kinds, bar{label: k.Type, text: fmt.Sprintf("%d · %.0f %%", k.Count, share), segs: []barSeg{
			{float64(k.Successful), theme.ColorNameSuccess}, {float64(k.Failed), theme.ColorNameError},
			{float64(max(other, 0)), theme.ColorNameDisabled}}})
		durations = append(durations, bar{label: k.Type, text: bkSeconds(k.AvgDuration),
			segs: []barSeg{{k.AvgDuration, theme.ColorNamePrimary}}})
	}
	v.perKind.setBars(kinds)
	v.durations.setBars(durations)
}
