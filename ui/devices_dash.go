package ui

// The Dashboard of a paired peer: the same widgets, fed from the peer's
// live metric stream, its history (monitor.query, served from the peer's
// own store) and its processes and status, all through the engine's
// peers service. When the peer comes back after a disconnect, the charts
// are read again from its history, so they have no hole where the link
// was down.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/collect"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
	"github.com/holdfast/holdfast/peers/wire"
)

// dashRemoteProcesses is how often a peer's processes are read while its
// Dashboard is on screen.
const dashRemoteProcesses = 2 * time.Second

// dashSource reads the history of the named metrics over [start, end].
type dashSource func(ctx context.Context, names []string, start, end time.Time, step time.Duration) (map[string][]tsdb.Series, error)

// localSource reads this device's monitor.
func localSource(mon *monitor.Service) dashSource {
	return func(ctx context.Context, names []string, start, end time.Time, step time.Duration) (map[string][]tsdb.Series, error) {
		out := map[string][]tsdb.Series{}
		for _, n := range names {
			series, _, err := mon.Query(ctx, tsdb.QueryRequest{
				Match: tsdb.Matcher{Name: n}, Start: start, End: end, Step: step, Agg: tsdb.Avg,
			})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", n, err)
			}
			out[n] = series
		}
		return out, nil
	}
}

// remoteSeries is monitor.SeriesJSON as read back: a missing value is
// null.
type remoteSeries struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	Kind   string            `json:"kind"`
	Points [][2]*float64     `json:"points"`
}

// remoteSource reads the peer's history with one monitor.query for every
// metric. The peer measures "last" from its own clock.
func remoteSource(d *devices, t target) dashSource {
	return func(ctx context.Context, names []string, start, end time.Time, step time.Duration) (map[string][]tsdb.Series, error) {
		last := end.Sub(start).Round(time.Second)
		args := monitor.QueryArgs{Names: names, Last: last.String(), Step: max(step, time.Second).String(), Agg: "avg"}
		var got []remoteSeries
		if err := d.call(ctx, t, monitor.OpQuery, args, &got); err != nil {
			return nil, err
		}
		out := map[string][]tsdb.Series{}
		for _, rs := range got {
			s := tsdb.Series{Name: rs.Name, Labels: wireLabels(rs.Labels), Points: make([]tsdb.Point, 0, len(rs.Points))}
			for _, p := range rs.Points {
				if p[0] == nil {
					continue
				}
				v := math.NaN()
				if p[1] != nil {
					v = *p[1]
				}
				s.Points = append(s.Points, tsdb.Point{T: int64(*p[0]), V: v})
			}
			out[rs.Name] = append(out[rs.Name], s)
		}
		return out, nil
	}
}

// wireLabels turns a label map into sorted labels.
func wireLabels(m map[string]string) tsdb.Labels {
	if len(m) == 0 {
		return nil
	}
	ls := make(tsdb.Labels, 0, len(m))
	for k, v := range m {
		ls = append(ls, tsdb.Label{Name: k, Value: v})
	}
	slices.SortFunc(ls, func(a, b tsdb.Label) int { return strings.Compare(a.Name, b.Name) })
	return ls
}

// tickFromWire is a peer's tick as this side's monitor would publish it.
func tickFromWire(w wire.Tick) monitor.Tick {
	t := monitor.Tick{At: time.UnixMilli(w.At), Samples: make([]monitor.Sample, len(w.Samples))}
	for i, s := range w.Samples {
		kind := tsdb.Gauge
		if s.Counter {
			kind = tsdb.Counter
		}
		t.Samples[i] = monitor.Sample{Name: s.Name, Labels: wireLabels(s.Labels), Kind: kind, Value: s.Value}
	}
	return t
}

// processesFromJSON is a peer's process sample as this side's monitor
// would publish it.
func processesFromJSON(p monitor.ProcessesJSON) monitor.Processes {
	out := monitor.Processes{At: p.At, Over: time.Duration(p.OverSeconds * float64(time.Second)), Top: make([]collect.Process, len(p.Processes))}
	for i, pr := range p.Processes {
		cp := collect.Process{PID: pr.PID, Name: pr.Name, User: pr.User, CPURatio: pr.CPURatio, RSSBytes: pr.RSSBytes, Threads: pr.Threads}
		if pr.ReadBytesPerSecond != nil && pr.WriteBytesPerSecond != nil {
			cp.IOKnown, cp.ReadBytesPerSec, cp.WriteBytesPerSec = true, *pr.ReadBytesPerSecond, *pr.WriteBytesPerSecond
		}
		out.Top[i] = cp
	}
	return out
}

// setTarget switches the Dashboard to another device: what was shown is
// cleared, and the new device's values, history and processes are read.
func (d *dashboard) setTarget(t target) {
	d.stopRemote()
	d.tgt = t
	if d.cpu == nil {
		return // build shows the device chosen by then
	}
	d.clear()
	d.startTarget()
}

// startTarget fills the built Dashboard from the device shown.
func (d *dashboard) startTarget() {
	if d.tgt.local() {
		d.charts.setSource(localSource(d.s.eng.Monitor))
		d.facts.SetTitle("This machine")
		d.onStatus(d.s.eng.Status())
		if t := d.s.eng.Monitor.Latest(); !t.At.IsZero() {
			d.update(t)
		}
		if p := d.s.eng.Monitor.LatestProcesses(); !p.At.IsZero() {
			d.procs.set(p)
		}
		d.watchProcesses(d.charts.visible)
		d.charts.show()
		return
	}
	d.facts.SetTitle(d.tgt.name)
	d.charts.setSource(remoteSource(d.s.dev, d.tgt))
	d.startRemote()
	d.watchProcesses(d.charts.visible)
	d.charts.show()
}

// watchProcesses asks for the processes every second while the Dashboard
// is on screen: this device's monitor samples them more often, a peer's
// are read every few seconds.
func (d *dashboard) watchProcesses(v bool) {
	local := d.tgt.local()
	if v && local && d.release == nil {
		d.release = d.s.eng.Monitor.WatchProcesses()
	}
	if (!v || !local) && d.release != nil {
		d.release()
		d.release = nil
	}
	if d.procStop != nil {
		d.procStop()
		d.procStop = nil
	}
	if !v || local {
		return
	}
	ctx, cancel := context.WithCancel(d.s.ctx)
	d.procStop = cancel
	t := d.tgt
	go func() {
		tk := time.NewTicker(dashRemoteProcesses)
		defer tk.Stop()
		for {
			var pj monitor.ProcessesJSON
			if err := d.s.dev.call(ctx, t, monitor.OpProcesses, struct{}{}, &pj); err == nil {
				p := processesFromJSON(pj)
				d.s.opts.do(func() {
					if ctx.Err() == nil {
						d.procs.set(p)
					}
				})
			}
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()
}

// peerBack refills the charts from the peer's history after it
// reconnected: the ticks seen before the link dropped are let go, so the
// history covers the time the link was down.
func (d *dashboard) peerBack(t target) {
	if d.cpu == nil || t != d.tgt {
		return
	}
	d.stopRemote()
	d.prev, d.prevTime = map[string]float64{}, time.Time{}
	d.charts.live = nil
	d.startRemote()
	d.charts.show()
}

// clear empties every value, bar and chart.
func (d *dashboard) clear() {
	for _, l := range []interface{ SetText(string) }{d.cpu, d.mem, d.disk, d.net} {
		l.SetText("–")
	}
	for _, l := range []interface{ SetText(string) }{d.cpuSub, d.memSub, d.diskSub, d.netSub, d.device, d.running, d.home, d.ver} {
		l.SetText("")
	}
	d.prev, d.prevTime = map[string]float64{}, time.Time{}
	d.fsBars = map[string]*fsRow{}
	waiting := mutedLabel()
	waiting.SetText("Waiting for the first sample…")
	d.fsBox.Objects = []fyne.CanvasObject{waiting}
	d.fsBox.Refresh()
	d.procs.set(monitor.Processes{})
	d.charts.live = nil
	d.charts.bucket = dashBucket{}
}

// startRemote follows the peer: its live ticks and its status. It ends
// with stopRemote or the shell.
func (d *dashboard) startRemote() {
	ctx, cancel := context.WithCancel(d.s.ctx)
	d.remote = cancel
	t := d.tgt
	peersSvc := d.s.eng.Peers
	do := func(f func()) {
		d.s.opts.do(func() {
			if ctx.Err() == nil {
				f()
			}
		})
	}
	go func() {
		var st engine.Status
		if err := d.s.dev.call(ctx, t, engine.OpStatus, struct{}{}, &st); err == nil {
			do(func() { d.onStatus(st) })
		} else {
			do(func() { d.running.SetText(err.Error()) })
		}
	}()
	go func() {
		if peersSvc == nil {
			return
		}
		ticks, err := peersSvc.LiveMetrics(ctx, t.id)
		if err != nil {
			do(func() { d.charts.note.SetText(err.Error()) })
			return
		}
		for w := range ticks {
			tick := tickFromWire(w)
			do(func() { d.update(tick) })
		}
		lost := time.Now()
		do(func() {
			d.charts.note.SetText(fmt.Sprintf("%s went offline at %s; the charts fill in from its history when it is back",
				t.name, lost.Format("15:04:05")))
		})
	}()
}

func (d *dashboard) stopRemote() {
	if d.remote != nil {
		d.remote()
		d.remote = nil
	}
}
