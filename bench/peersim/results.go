package main

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"time"
)

// Targets of issue 7.
const (
	targetCPUPercent = 5.0   // of one core, for the hub
	targetRSSMiB     = 200.0 // MB in the issue; MiB here, the stricter reading
	targetP99Millis  = 5.0
	targetReconnect  = 5.0 // seconds
)

// Results are one run of the benchmark.
type Results struct {
	Started     time.Time `json:"started"`
	Peers       int       `json:"peers"`
	Series      int       `json:"series_per_tick"`
	StatusBytes int       `json:"status_bytes"` // the canned status answer's JSON
	PairSeconds float64   `json:"pair_seconds"` // all devices paired and online
	Window      Window    `json:"window"`
	// HubToPeer: `status` on a device through the hub's engine
	// (peers.call on engine.sock); PeerToHub: a device's own call of the
	// hub's `status` over its connection, in process.
	HubToPeer Latency `json:"hub_to_peer_ms"`
	// HubLocal: the hub's own `status` over engine.sock, no peer
	// involved: the floor of HubToPeer on this machine.
	HubLocal  Latency    `json:"hub_local_ms"`
	PeerToHub Latency    `json:"peer_to_hub_ms"`
	Restart   Reconnects `json:"restart"`
	Cut       Reconnects `json:"cut"`
}

// Window is the measured window of steady streaming.
type Window struct {
	Seconds           float64 `json:"seconds"`
	HubCPUSeconds     float64 `json:"hub_cpu_seconds"`
	HubCPUPercent     float64 `json:"hub_cpu_percent"` // of one core
	HubRSSAvgMiB      float64 `json:"hub_rss_avg_mib"`
	HubRSSPeakMiB     float64 `json:"hub_rss_peak_mib"`
	HubHWMMiB         float64 `json:"hub_vmhwm_mib"`
	HubThreads        int     `json:"hub_threads"`
	PeersimCPUPercent float64 `json:"peersim_cpu_percent"`
	MachineBusyCores  float64 `json:"machine_busy_cores"`
	// Bytes on the wire per device per second (TLS records, TCP payload):
	// up is device to hub, down hub to device.
	UpBytesPerSec   Summary `json:"up_bytes_per_sec"`
	DownBytesPerSec Summary `json:"down_bytes_per_sec"`
	Streaming       int     `json:"devices_streaming"` // sending over 200 B/s
}

// Summary is the spread of one figure over the devices.
type Summary struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// Latency is the spread of call round trips, in milliseconds.
type Latency struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Reconnects are the times until the hub listed a device online again.
type Reconnects struct {
	Seconds []float64 `json:"seconds"`
	Median  float64   `json:"median"`
	Max     float64   `json:"max"`
}

func summarize(x []float64) Summary {
	if len(x) == 0 {
		return Summary{}
	}
	s := Summary{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, v := range x {
		s.Min, s.Max = min(s.Min, v), max(s.Max, v)
		s.Mean += v
	}
	s.Mean /= float64(len(x))
	return s
}

func latency(ms []float64) Latency {
	if len(ms) == 0 {
		return Latency{}
	}
	s := slicesSorted(ms)
	var sum float64
	for _, v := range s {
		sum += v
	}
	return Latency{N: len(s), P50: percentile(s, 50), P90: percentile(s, 90), P99: percentile(s, 99), Max: s[len(s)-1], Mean: sum / float64(len(s))}
}

// percentile of sorted values, nearest rank.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ncpu() int { return runtime.NumCPU() }

// markdown is the results table with ratios to the targets.
func (r *Results) markdown() string {
	var b strings.Builder
	w := r.Window
	fmt.Fprintf(&b, "Run of %s: %d simulated devices on loopback, each streaming %d series once a second; window %.0f s; the machine's %d cores %.2f busy on average (everything, this program's %.1f %% of a core included).\n\n",
		r.Started.Format("2006-01-02 15:04 UTC"), r.Peers, r.Series, w.Seconds, ncpu(), w.MachineBusyCores, w.PeersimCPUPercent)
	b.WriteString("| metric | measured | target | measured ÷ target |\n|---|---:|---:|---:|\n")
	row := func(name, measured, target string, ratio float64) {
		rs := "–"
		if ratio >= 0 {
			rs = fmt.Sprintf("%.2f", ratio)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, measured, target, rs)
	}
	row("hub CPU, % of one core", fmt.Sprintf("%.2f %%", w.HubCPUPercent), fmt.Sprintf("≤ %.0f %%", targetCPUPercent), w.HubCPUPercent/targetCPUPercent)
	row("hub RSS, average", fmt.Sprintf("%.1f MiB", w.HubRSSAvgMiB), fmt.Sprintf("≤ %.0f MiB", targetRSSMiB), w.HubRSSAvgMiB/targetRSSMiB)
	row("hub RSS, peak (1 s samples)", fmt.Sprintf("%.1f MiB", w.HubRSSPeakMiB), fmt.Sprintf("≤ %.0f MiB", targetRSSMiB), w.HubRSSPeakMiB/targetRSSMiB)
	row("hub VmHWM (peak since start, pairing included)", fmt.Sprintf("%.1f MiB", w.HubHWMMiB), fmt.Sprintf("≤ %.0f MiB", targetRSSMiB), w.HubHWMMiB/targetRSSMiB)
	lat := func(name string, l Latency) {
		row(name+", p99", fmt.Sprintf("%.2f ms", l.P99), fmt.Sprintf("≤ %.0f ms", targetP99Millis), l.P99/targetP99Millis)
		row(name+", p50 / p90 / max", fmt.Sprintf("%.2f / %.2f / %.2f ms", l.P50, l.P90, l.Max), "", -1)
	}
	lat(fmt.Sprintf("remote `status`, hub → device, through the hub's engine.sock (%d calls)", r.HubToPeer.N), r.HubToPeer)
	row(fmt.Sprintf("for comparison: the hub's own `status` through engine.sock, no peer (%d calls), p50 / p90 / p99", r.HubLocal.N),
		fmt.Sprintf("%.2f / %.2f / %.2f ms", r.HubLocal.P50, r.HubLocal.P90, r.HubLocal.P99), "", -1)
	lat(fmt.Sprintf("remote `status`, device → hub, over the peer connection (%d calls)", r.PeerToHub.N), r.PeerToHub)
	rec := func(name string, x Reconnects) {
		if len(x.Seconds) == 0 {
			return
		}
		row(fmt.Sprintf("%s, worst of %d", name, len(x.Seconds)), fmt.Sprintf("%.2f s", x.Max), fmt.Sprintf("≤ %.0f s", targetReconnect), x.Max/targetReconnect)
		row(name+", median", fmt.Sprintf("%.2f s", x.Median), "", -1)
	}
	rec("online again after a device restarts", r.Restart)
	rec("online again after its link is cut", r.Cut)
	row("wire, device → hub, per device", fmt.Sprintf("%.0f B/s (%.0f–%.0f)", w.UpBytesPerSec.Mean, w.UpBytesPerSec.Min, w.UpBytesPerSec.Max), "report", -1)
	row("wire, hub → device, per device", fmt.Sprintf("%.0f B/s (%.0f–%.0f)", w.DownBytesPerSec.Mean, w.DownBytesPerSec.Min, w.DownBytesPerSec.Max), "report", -1)
	row("devices streaming in the window", fmt.Sprintf("%d of %d", w.Streaming, r.Peers), "all", -1)
	fmt.Fprintf(&b, "\nHub: %d threads; %.1f s of CPU in the window. Pairing %d devices (invite by the CLI, join) took %.1f s. The canned `status` answer is %d bytes of JSON.\n",
		w.HubThreads, w.HubCPUSeconds, r.Peers, r.PairSeconds, r.StatusBytes)
	return b.String()
}
