package ui

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/monitor/tsdb"
	"github.com/holdfast/holdfast/ui/chart"
)

// dashRange is one choice of the range switch; span 0 is Live.
type dashRange struct {
	label string
	span  time.Duration
}

var dashRanges = []dashRange{
	{"Live", 0},
	{"1 h", time.Hour},
	{"24 h", 24 * time.Hour},
	{"7 d", 7 * 24 * time.Hour},
	{"30 d", 30 * 24 * time.Hour},
	{"1 y", 365 * 24 * time.Hour},
}

const (
	// dashLiveSpan is how much the Live range shows.
	dashLiveSpan = 5 * time.Minute
	// dashRefresh is how often a history range is read again while shown.
	dashRefresh = time.Minute
	// dashRetry is how soon a history read that failed is tried again.
	dashRetry = 5 * time.Second
	// dashMaxPoints bounds the points of a history query per series.
	dashMaxPoints = 1000
)

// dashSteps are the point spacings a history range may use.
var dashSteps = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// dashStep is the smallest spacing that gives span at most dashMaxPoints
// points (720 for 1 h, 24 h and 30 d).
func dashStep(span time.Duration) time.Duration {
	for _, s := range dashSteps {
		if span/s <= dashMaxPoints {
			return s
		}
	}
	return (span/dashMaxPoints + 24*time.Hour - 1).Truncate(24 * time.Hour)
}

// liveSample is what the charts take from one monitor tick. NaN: not
// known at this tick (rates need two ticks).
type liveSample struct {
	at                 time.Time
	cpu                float64 // percent of the whole machine
	memUsed, memCached float64 // bytes
	rd, wr, rx, tx     float64 // bytes per second, summed
}

// dashSeries is one line of a chart: where its history comes from and
// where its live value does.
type dashSeries struct {
	name   string
	metric string
	// whole keeps only the series without labels (the whole machine, not
	// each CPU); otherwise every labelled series (disk, interface) is
	// summed.
	whole bool
	scale float64
	live  func(liveSample) float64
}

// dashChartSpec is one of the four charts.
type dashChartSpec struct {
	title  string
	format func(float64) string
	series []dashSeries
}

var dashChartSpecs = []dashChartSpec{
	{"CPU", percentFormat, []dashSeries{
		{"Busy", "cpu_usage_ratio", true, 100, func(l liveSample) float64 { return l.cpu }},
	}},
	{"Memory", bytesFormat, []dashSeries{
		{"Used", "memory_used_bytes", true, 1, func(l liveSample) float64 { return l.memUsed }},
		{"Cached", "memory_cached_bytes", true, 1, func(l liveSample) float64 { return l.memCached }},
	}},
	{"Disk I/O", rateFormat, []dashSeries{
		{"Read", "disk_read_bytes_total", false, 1, func(l liveSample) float64 { return l.rd }},
		{"Write", "disk_written_bytes_total", false, 1, func(l liveSample) float64 { return l.wr }},
	}},
	{"Network", rateFormat, []dashSeries{
		{"Receive", "network_receive_bytes_total", false, 1, func(l liveSample) float64 { return l.rx }},
		{"Transmit", "network_transmit_bytes_total", false, 1, func(l liveSample) float64 { return l.tx }},
	}},
}

// dashCharts is the Dashboard's four charts and their range switch. Live
// shows the last five minutes from the monitor's ticks; the other ranges
// read the history in a goroutine, again every minute while on screen,
// and add the ticks in between, averaged per step.
type dashCharts struct {
	s       *Shell
	charts  []*chart.Chart
	buttons []*widget.Button
	note    *widget.Label
	object  fyne.CanvasObject

	sel      int
	visible  bool
	interval time.Duration // the monitor's tick interval
	live     []liveSample  // the last dashLiveSpan of ticks

	// A query in flight, and the timer of the next refresh.
	gen     int
	cancel  context.CancelFunc
	refresh *time.Timer
	step    time.Duration
	bucket  dashBucket
	// queries counts history reads started (tests).
	queries int
	// src reads the history of the device shown (devices_dash.go).
	src dashSource
}

// dashBucket averages the ticks of one step of a history range.
type dashBucket struct {
	start time.Time
	n     []int
	sum   []float64
}

func newDashCharts(s *Shell) *dashCharts {
	c := &dashCharts{s: s, interval: s.eng.Config().Monitor.Interval.Duration, src: localSource(s.eng.Monitor)}
	if c.interval <= 0 {
		c.interval = time.Second
	}
	cells := make([]fyne.CanvasObject, len(dashChartSpecs))
	for i, spec := range dashChartSpecs {
		ch := chart.New()
		ch.SetTitle(spec.title)
		ch.SetFormat(spec.format)
		ch.SetWindow(dashLiveSpan)
		if spec.title == "CPU" {
			ch.SetYRange(0, 100)
		}
		ch.SetSeries(c.emptySeries(i))
		c.charts = append(c.charts, ch)
		// Fixed height, so the grid does not move when data arrives.
		floor := canvas.NewRectangle(color.Transparent)
		floor.SetMinSize(fyne.NewSize(0, 200))
		cells[i] = widget.NewCard("", "", container.NewStack(floor, ch))
	}
	for i, r := range dashRanges {
		b := widget.NewButton(r.label, func() { c.choose(i) })
		c.buttons = append(c.buttons, b)
	}
	c.note = mutedLabel()
	btns := make([]fyne.CanvasObject, len(c.buttons))
	for i, b := range c.buttons {
		btns[i] = b
	}
	switcher := container.NewHBox(btns...)
	c.object = container.NewVBox(
		container.NewBorder(nil, nil, switcher, nil, c.note),
		container.NewGridWithColumns(2, cells...),
	)
	c.styleButtons()
	c.describe()
	return c
}

func (c *dashCharts) emptySeries(i int) []chart.Series {
	spec := dashChartSpecs[i]
	out := make([]chart.Series, len(spec.series))
	for j, sr := range spec.series {
		out[j] = chart.Series{Name: sr.name}
	}
	return out
}

func (c *dashCharts) styleButtons() {
	for i, b := range c.buttons {
		if i == c.sel {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.LowImportance
		}
		b.Refresh()
	}
}

// describe says what the charts show now.
func (c *dashCharts) describe() {
	r := dashRanges[c.sel]
	if r.span == 0 {
		c.note.SetText(fmt.Sprintf("Last %s, a point every %s", shortDuration(dashLiveSpan), shortDuration(c.interval)))
		return
	}
	c.note.SetText(fmt.Sprintf("Last %s, a point every %s", shortDuration(r.span), shortDuration(dashStep(r.span))))
}

// choose switches the range.
func (c *dashCharts) choose(i int) {
	if i == c.sel && c.visible {
		return
	}
	c.sel = i
	c.styleButtons()
	c.describe()
	c.show()
}

// setVisible starts and stops the history reads with the page.
func (c *dashCharts) setVisible(v bool) {
	c.visible = v
	if v {
		c.show()
		return
	}
	c.stopQuery()
}

func (c *dashCharts) stopQuery() {
	c.gen++
	if c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	if c.refresh != nil {
		c.refresh.Stop()
		c.refresh = nil
	}
}

// show fills the charts for the chosen range.
func (c *dashCharts) show() {
	c.stopQuery()
	r := dashRanges[c.sel]
	span, step := dashLiveSpan, c.interval
	if r.span > 0 {
		span, step = r.span, dashStep(r.span)
	}
	c.step = step
	c.bucket = dashBucket{}
	for i, ch := range c.charts {
		ch.SetWindow(span)
		if r.span == 0 {
			ch.SetSeries(c.liveSeries(i))
		}
	}
	if !c.visible {
		return
	}
	c.query(span, step, r.span == 0)
}

// query reads the history of every chart in a goroutine. For Live, the
// history only fills what the ticks seen so far do not cover.
func (c *dashCharts) query(span, step time.Duration, live bool) {
	c.gen++
	gen := c.gen
	ctx, cancel := context.WithCancel(c.s.ctx)
	c.cancel = cancel
	c.queries++
	src := c.src
	gap := max(2*step, 3*c.interval)
	go func() {
		end := time.Now()
		res, err := dashQuery(ctx, src, end.Add(-span), end, step, gap)
		c.s.opts.do(func() {
			if gen != c.gen || c.s.ctx.Err() != nil {
				return
			}
			cancel()
			c.cancel = nil
			c.applyQuery(res, err, live)
			// A range is read again while shown; a failed read (Live too:
			// a peer's link may have been replaced under it) soon.
			again := dashRefresh
			if err != nil {
				again = dashRetry
			}
			if !live || err != nil {
				c.refresh = time.AfterFunc(again, func() {
					c.s.opts.do(func() {
						if gen == c.gen && c.visible && c.s.ctx.Err() == nil {
							c.query(span, step, live)
						}
					})
				})
			}
		})
	}()
}

func (c *dashCharts) applyQuery(res [][][]chart.Point, err error, live bool) {
	if err != nil {
		c.note.SetText("Could not read the history: " + err.Error())
		return
	}
	c.describe()
	empty := true
	for i, ch := range c.charts {
		series := c.emptySeries(i)
		for j := range series {
			pts := res[i][j]
			if live {
				pts = c.mergeLive(pts, i, j)
			}
			series[j].Points = pts
			if len(pts) > 0 {
				empty = false
			}
		}
		ch.SetSeries(series)
	}
	if empty && !live {
		c.note.SetText(c.note.Text + " · no history in this range yet: it is recorded while the engine runs")
	}
}

// mergeLive puts the history before the first tick seen here and the
// ticks after it.
func (c *dashCharts) mergeLive(hist []chart.Point, i, j int) []chart.Point {
	lv := c.liveSeries(i)[j].Points
	if len(lv) == 0 {
		return hist
	}
	first := lv[0].T
	n := 0
	for n < len(hist) && hist[n].T.Before(first) {
		n++
	}
	return append(hist[:n:n], lv...)
}

// liveSeries is chart i's series from the ticks kept.
func (c *dashCharts) liveSeries(i int) []chart.Series {
	out := c.emptySeries(i)
	gap := 3 * c.interval
	for j, sr := range dashChartSpecs[i].series {
		pts := make([]chart.Point, 0, len(c.live)+4)
		for k, l := range c.live {
			if k > 0 && l.at.Sub(c.live[k-1].at) > gap {
				pts = append(pts, chart.Point{T: c.live[k-1].at.Add(c.interval), V: math.NaN()})
			}
			pts = append(pts, chart.Point{T: l.at, V: sr.live(l)})
		}
		out[j].Points = pts
	}
	return out
}

// add takes one tick: kept for Live, drawn now in Live, and averaged into
// the current step of a history range.
func (c *dashCharts) add(l liveSample) {
	if n := len(c.live); n > 0 && !l.at.After(c.live[n-1].at) {
		return
	}
	gapped := len(c.live) > 0 && l.at.Sub(c.live[len(c.live)-1].at) > 3*c.interval
	c.live = append(c.live, l)
	cut := 0
	for cut < len(c.live) && l.at.Sub(c.live[cut].at) > dashLiveSpan+c.interval {
		cut++
	}
	if cut > 0 {
		c.live = slices.Delete(c.live, 0, cut)
	}
	if !c.visible {
		return
	}
	if dashRanges[c.sel].span == 0 {
		for i, ch := range c.charts {
			for j, sr := range dashChartSpecs[i].series {
				if gapped {
					ch.Append(j, chart.Point{T: l.at.Add(-c.interval), V: math.NaN()})
				}
				ch.Append(j, chart.Point{T: l.at, V: sr.live(l)})
			}
		}
		return
	}
	c.addToBucket(l)
}

// addToBucket averages ticks per step, aligned as the history's steps
// are, and draws each step as it completes.
func (c *dashCharts) addToBucket(l liveSample) {
	start := l.at.Truncate(c.step)
	b := &c.bucket
	if !b.start.IsZero() && !start.Equal(b.start) {
		k := 0
		for i, ch := range c.charts {
			for j := range dashChartSpecs[i].series {
				if b.n[k] > 0 {
					ch.Append(j, chart.Point{T: b.start, V: b.sum[k] / float64(b.n[k])})
				}
				k++
			}
		}
		b.start = time.Time{}
	}
	if b.start.IsZero() {
		n := 0
		for _, spec := range dashChartSpecs {
			n += len(spec.series)
		}
		*b = dashBucket{start: start, n: make([]int, n), sum: make([]float64, n)}
	}
	k := 0
	for _, spec := range dashChartSpecs {
		for _, sr := range spec.series {
			if v := sr.live(l); !math.IsNaN(v) {
				b.n[k]++
				b.sum[k] += v
			}
			k++
		}
	}
}

// dashQuery reads every chart's series over [start, end] from src: per
// chart, per series, the points summed over the series' labels, with a
// NaN wherever the history has a hole longer than gap.
func dashQuery(ctx context.Context, src dashSource, start, end time.Time, step, gap time.Duration) ([][][]chart.Point, error) {
	var names []string
	for _, spec := range dashChartSpecs {
		for _, sr := range spec.series {
			names = append(names, sr.metric)
		}
	}
	got, err := src(ctx, names, start, end, step)
	if err != nil {
		return nil, err
	}
	out := make([][][]chart.Point, len(dashChartSpecs))
	for i, spec := range dashChartSpecs {
		out[i] = make([][]chart.Point, len(spec.series))
		for j, sr := range spec.series {
			out[i][j] = sumSeries(got[sr.metric], sr.whole, sr.scale, gap)
		}
	}
	return out, nil
}

// setSource reads the history from src from now on.
func (c *dashCharts) setSource(src dashSource) { c.src = src }

// sumSeries adds up the series' points at equal times (only the unlabelled
// series when whole), scaled, in time order, with NaN gaps.
func sumSeries(series []tsdb.Series, whole bool, scale float64, gap time.Duration) []chart.Point {
	sum := map[int64]float64{}
	for _, s := range series {
		if whole && len(s.Labels) > 0 {
			continue
		}
		for _, p := range s.Points {
			if !math.IsNaN(p.V) {
				sum[p.T] += p.V * scale
			}
		}
	}
	ts := make([]int64, 0, len(sum))
	for t := range sum {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	out := make([]chart.Point, 0, len(ts)+8)
	gapS := int64(gap / time.Second)
	for k, t := range ts {
		if k > 0 && t-ts[k-1] > gapS {
			out = append(out, chart.Point{T: time.Unix(ts[k-1]+1, 0), V: math.NaN()})
		}
		out = append(out, chart.Point{T: time.Unix(t, 0), V: sum[t]})
	}
	return out
}

// shortDuration writes 5m0s as "5 min", 24h as "24 h", 168h as "7 d".
func shortDuration(d time.Duration) string {
	switch {
	case d >= 365*24*time.Hour && d%(365*24*time.Hour) == 0:
		return fmt.Sprintf("%d y", d/(365*24*time.Hour))
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d d", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%g s", d.Seconds())
}

func percentFormat(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", v)
}

// bytesFormat writes a size compactly in binary units: "512 B", "3.4 GiB".
func bytesFormat(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	u := 0
	for math.Abs(v) >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if math.Abs(v) >= 10 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %s", v, units[u])
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

func rateFormat(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return bytesFormat(v) + "/s"
}
