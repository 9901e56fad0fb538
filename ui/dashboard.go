package ui

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/monitor"
)

// dashboard shows this machine live: the latest sample of CPU, memory,
// disk and network, charts of their history, the top processes, how full
// each filesystem is, and the engine's facts. It follows the monitor's
// ticks and process samples on the bus and queries the monitor's history
// in the background; it reads nothing itself. While it is on screen it
// asks the monitor for the processes every second instead of every 5 s.
type dashboard struct {
	s *Shell

	cpu, mem, disk, net  *widget.Label
	cpuSub, memSub       *widget.Label
	diskSub, netSub      *widget.Label
	fsBox                *fyne.Container
	fsBars               map[string]*fsRow
	device, running, ver *widget.Label
	home                 *widget.Label

	prev     map[string]float64 // counters at the previous tick
	prevTime time.Time

	charts  *dashCharts
	procs   *procTable
	release func() // ends WatchProcesses while on screen
	facts   *widget.Card

	// tgt is the device shown (devices_dash.go); remote ends a peer's
	// live stream and procStop the reading of its processes.
	tgt              target
	remote, procStop context.CancelFunc
}

type fsRow struct {
	label *widget.Label
	bar   *widget.ProgressBar
	note  *widget.Label
}

// newDashboardPage builds the Dashboard.
func newDashboardPage(s *Shell) *page {
	d := &dashboard{s: s, fsBars: map[string]*fsRow{}, prev: map[string]float64{}}
	p := &page{title: PageDashboard, icon: theme.HomeIcon(), build: d.build, onVisible: d.setVisible, ref: d,
		onStatus: func(st engine.Status) {
			if d.tgt.local() {
				d.onStatus(st)
			}
		},
		heading: func() string { return s.dev.heading(PageDashboard) }}
	s.dev.follow(d.setTarget, d.peerBack)
	s.listen(4, func(ev bus.Event) {
		if p.content == nil || !d.tgt.local() {
			return
		}
		switch ev := ev.(type) {
		case monitor.Tick:
			d.update(ev)
		case monitor.Processes:
			d.procs.set(ev)
		}
	}, monitor.Tick{}.Topic(), monitor.Processes{}.Topic())
	return p
}

// setVisible follows the page on and off the screen: processes every
// second and history reads only while it is seen.
func (d *dashboard) setVisible(v bool) {
	d.watchProcesses(v)
	d.charts.setVisible(v)
}

func bigLabel() *widget.Label {
	l := widget.NewLabelWithStyle("–", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.SizeName = theme.SizeNameHeadingText
	return l
}

func mutedLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.LowImportance
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func (d *dashboard) build() fyne.CanvasObject {
	d.cpu, d.mem, d.disk, d.net = bigLabel(), bigLabel(), bigLabel(), bigLabel()
	d.cpuSub, d.memSub, d.diskSub, d.netSub = mutedLabel(), mutedLabel(), mutedLabel(), mutedLabel()
	stat := func(title string, big, sub *widget.Label) fyne.CanvasObject {
		t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{})
		return widget.NewCard("", "", container.NewVBox(t, big, sub))
	}
	stats := container.NewGridWithColumns(4,
		stat("CPU", d.cpu, d.cpuSub), stat("Memory", d.mem, d.memSub),
		stat("Disk I/O", d.disk, d.diskSub), stat("Network", d.net, d.netSub))
	d.fsBox = container.NewVBox()
	waiting := mutedLabel()
	waiting.SetText("Waiting for the first sample…")
	d.fsBox.Add(waiting)

	d.device, d.running, d.ver, d.home = widget.NewLabel(""), widget.NewLabel(""), widget.NewLabel(""), selectable("")
	facts := widget.NewForm(
		widget.NewFormItem("Device", d.device),
		widget.NewFormItem("Engine", d.running),
		widget.NewFormItem("Home", d.home),
		widget.NewFormItem("Version", d.ver),
	)
	d.charts = newDashCharts(d.s)
	d.procs = newProcTable()
	d.facts = widget.NewCard("This machine", "", facts)
	d.startTarget()
	return container.NewVScroll(container.NewVBox(
		stats,
		d.charts.object,
		widget.NewCard("Top processes", "", container.NewBorder(nil, d.procs.note, nil, nil, d.procs.object)),
		widget.NewCard("Filesystems", "", d.fsBox),
		d.facts,
	))
}

func (d *dashboard) onStatus(st engine.Status) {
	if d.device == nil {
		return
	}
	d.device.SetText(st.Device)
	if st.Started != nil && !d.tgt.local() {
		d.running.SetText(fmt.Sprintf("%s engine running since %s", st.Mode, st.Started.Local().Format("Mon 2 Jan 15:04")))
	} else if st.Started != nil {
		d.running.SetText("running in this app since " + st.Started.Local().Format("Mon 2 Jan 15:04"))
	} else {
		d.running.SetText("starting")
	}
	d.home.SetText(st.Home)
	d.ver.SetText(st.Version)
}

// update shows one tick. Counters become rates against the previous tick.
func (d *dashboard) update(t monitor.Tick) {
	val := map[string]float64{}
	type fs struct {
		mount      string
		size, used float64
		fstype     string
	}
	fss := map[string]*fs{}
	var rx, tx, rd, wr float64
	counters := map[string]float64{}
	for _, smp := range t.Samples {
		switch smp.Name {
		case "cpu_usage_ratio", "memory_total_bytes", "memory_used_bytes", "memory_available_bytes", "memory_cached_bytes",
			"load1", "swap_total_bytes", "swap_used_bytes":
			if smp.Labels.Get("cpu") == "" {
				val[smp.Name] = smp.Value
			}
		case "filesystem_size_bytes", "filesystem_used_bytes":
			m := smp.Labels.Get("mountpoint")
			f := fss[m]
			if f == nil {
				f = &fs{mount: m, fstype: smp.Labels.Get("fstype")}
				fss[m] = f
			}
			if smp.Name == "filesystem_size_bytes" {
				f.size = smp.Value
			} else {
				f.used = smp.Value
			}
		case "network_receive_bytes_total", "network_transmit_bytes_total", "disk_read_bytes_total", "disk_written_bytes_total":
			key := smp.Name + "\x00" + smp.Labels.String()
			counters[key] = smp.Value
			if prev, ok := d.prev[key]; ok && smp.Value >= prev && !d.prevTime.IsZero() {
				rate := (smp.Value - prev) / t.At.Sub(d.prevTime).Seconds()
				switch smp.Name {
				case "network_receive_bytes_total":
					rx += rate
				case "network_transmit_bytes_total":
					tx += rate
				case "disk_read_bytes_total":
					rd += rate
				case "disk_written_bytes_total":
					wr += rate
				}
			}
		}
	}
	haveRates := !d.prevTime.IsZero()
	d.prev, d.prevTime = counters, t.At

	ls := liveSample{at: t.At, cpu: math.NaN(), memUsed: math.NaN(), memCached: math.NaN(),
		rd: math.NaN(), wr: math.NaN(), rx: math.NaN(), tx: math.NaN()}
	if v, ok := val["cpu_usage_ratio"]; ok {
		ls.cpu = 100 * v
	}
	if v, ok := val["memory_used_bytes"]; ok {
		ls.memUsed = v
	}
	if v, ok := val["memory_cached_bytes"]; ok {
		ls.memCached = v
	}
	if haveRates {
		ls.rd, ls.wr, ls.rx, ls.tx = rd, wr, rx, tx
	}
	d.charts.add(ls)

	if v, ok := val["cpu_usage_ratio"]; ok {
		d.cpu.SetText(fmt.Sprintf("%5.1f %%", 100*v))
	}
	if l, ok := val["load1"]; ok {
		d.cpuSub.SetText(fmt.Sprintf("load %.2f", l))
	}
	if total := val["memory_total_bytes"]; total > 0 {
		used := val["memory_used_bytes"]
		d.mem.SetText(fmt.Sprintf("%5.1f %%", 100*used/total))
		sub := fmt.Sprintf("%s of %s", backup.HumanBytes(int64(used)), backup.HumanBytes(int64(total)))
		if st := val["swap_total_bytes"]; st > 0 {
			sub += fmt.Sprintf(" · swap %.0f %%", 100*val["swap_used_bytes"]/st)
		}
		d.memSub.SetText(sub)
	}
	if haveRates {
		d.disk.SetText(rate(rd + wr))
		d.diskSub.SetText(fmt.Sprintf("read %s · write %s", rate(rd), rate(wr)))
		d.net.SetText(rate(rx + tx))
		d.netSub.SetText(fmt.Sprintf("in %s · out %s", rate(rx), rate(tx)))
	}

	mounts := make([]string, 0, len(fss))
	for m, f := range fss {
		if f.size > 0 {
			mounts = append(mounts, m)
		}
	}
	sort.Strings(mounts)
	if len(mounts) == 0 {
		return
	}
	if len(d.fsBars) == 0 {
		d.fsBox.Objects = nil
	}
	for _, m := range mounts {
		f := fss[m]
		row := d.fsBars[m]
		if row == nil {
			row = &fsRow{label: widget.NewLabel(m), bar: widget.NewProgressBar(), note: mutedLabel()}
			row.bar.TextFormatter = func() string { return fmt.Sprintf("%.0f %%", 100*row.bar.Value) }
			d.fsBars[m] = row
			d.fsBox.Add(container.NewBorder(nil, nil,
				container.NewGridWrap(fyne.NewSize(160, row.label.MinSize().Height), row.label),
				container.NewGridWrap(fyne.NewSize(230, row.note.MinSize().Height), row.note),
				row.bar))
		}
		row.bar.SetValue(f.used / f.size)
		row.note.SetText(fmt.Sprintf("%s of %s · %s", backup.HumanBytes(int64(f.used)), backup.HumanBytes(int64(f.size)), f.fstype))
	}
	d.fsBox.Refresh()
}

// rate formats bytes per second.
func rate(bps float64) string {
	return backup.HumanBytes(int64(bps)) + "/s"
}

// selectable is read-only text a person can select and copy.
func selectable(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Selectable = true
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}
