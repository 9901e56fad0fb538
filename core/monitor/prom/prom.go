// Package prom exposes the engine's latest samples on a Prometheus /metrics endpoint.
//
// Every scrape turns the monitor's latest tick into constant metrics on a
// registry of the package's own (never the global one), next to the
// standard Go runtime and process metrics of the engine itself.
//
// How the samples are exported:
//
//   - Every name gets the prefix holdfast_: cpu_usage_ratio becomes
//     holdfast_cpu_usage_ratio. Characters a Prometheus name cannot hold
//     become '_'.
//   - Gauges are exported as gauges, counters (raw monotonic counters, not
//     rates) as counters. A counter whose name lacks the _total suffix gets
//     it; a gauge whose name has it loses it, as Prometheus reserves the
//     suffix for counters: filesystem_inodes_total, the inodes a filesystem
//     has in all, is holdfast_filesystem_inodes.
//   - Labels are those of the samples. Prometheus wants every series of a
//     name to carry the same label names, so a series that lacks a label its
//     siblings have gets it with an empty value (which Prometheus treats as
//     absent), except for one case: the whole-machine series of
//     cpu_usage_ratio, which has no labels while the per-core ones have cpu,
//     is exported as holdfast_cpu_usage_ratio{cpu="total"}, so that
//     avg/max over cpu!="total" covers the cores alone.
//   - holdfast_build_info{version,goversion} is always 1;
//     holdfast_scrape_sample_age_seconds is how old the served tick is.
//     Before the first tick the endpoint serves build info and the Go and
//     process metrics only.
package prom

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
	"github.com/holdfast/holdfast/core/version"
)

// Namespace prefixes every exported Holdfast metric.
const Namespace = "holdfast"

// MetricsPath is where the handler serves the metrics.
const MetricsPath = "/metrics"

// DefaultTimeout bounds one scrape.
const DefaultTimeout = 5 * time.Second

// Source gives the latest tick; *monitor.Service is one.
type Source interface {
	Latest() monitor.Tick
}

// Options configure the handler. The zero value is fine.
type Options struct {
	// Log receives scrape errors and skipped series; default slog.Default().
	Log *slog.Logger
	// Version is the version label of holdfast_build_info; default
	// version.Version.
	Version string
	// Timeout bounds one scrape; default DefaultTimeout.
	Timeout time.Duration
	// Now is the clock for holdfast_scrape_sample_age_seconds; default
	// time.Now.
	Now func() time.Time
}

// NewHandler serves the metrics of src at /metrics (and a short page
// pointing there at /).
func NewHandler(src Source, opts Options) http.Handler {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Version == "" {
		opts.Version = version.Version
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newCollector(src, opts),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	metrics := promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: errorLog{opts.Log},
		// A broken series must not hide all the others.
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg,
		Timeout:       opts.Timeout,
	}))
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, metrics)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>Holdfast metrics</title><p>Holdfast exposes its metrics at <a href="/metrics">/metrics</a>.</p>`)
	})
	return mux
}

// errorLog adapts slog to promhttp.Logger.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Println(v ...any) {
	l.log.Warn("prometheus metrics endpoint", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}

// collector turns the latest tick into constant metrics on each scrape. It
// describes nothing up front (an "unchecked" collector): the series come
// and go with the machine (disks, interfaces, filesystems).
type collector struct {
	src  Source
	opts Options

	buildInfo *prometheus.Desc
	age       *prometheus.Desc

	mu     sync.Mutex
	warned map[string]bool // problems already logged, so each is logged once
}

func newCollector(src Source, opts Options) *collector {
	return &collector{
		src:  src,
		opts: opts,
		buildInfo: prometheus.NewDesc(Namespace+"_build_info",
			"Holdfast's build: always 1, with the release and the Go version it was built with as labels.",
			nil, prometheus.Labels{"version": opts.Version, "goversion": runtime.Version()}),
		age: prometheus.NewDesc(Namespace+"_scrape_sample_age_seconds",
			"How old the samples served by this scrape are: the time since the engine last sampled the machine.",
			nil, nil),
		warned: map[string]bool{},
	}
}

// Describe sends nothing: the collector is unchecked.
func (c *collector) Describe(chan<- *prometheus.Desc) {}

// reserved are the names the collector itself exports.
var reserved = map[string]bool{
	Namespace + "_build_info":                true,
	Namespace + "_scrape_sample_age_seconds": true,
}

// family is the samples of one exported name.
type family struct {
	name    string // exported
	raw     string // as sampled
	kind    tsdb.Kind
	labels  []string // union of the label names, sorted
	samples []monitor.Sample
}

// Collect implements prometheus.Collector.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.buildInfo, prometheus.GaugeValue, 1)
	tick := c.src.Latest()
	if tick.At.IsZero() && len(tick.Samples) == 0 {
		return
	}
	if !tick.At.IsZero() {
		age := max(c.opts.Now().Sub(tick.At).Seconds(), 0)
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age)
	}
	for _, f := range c.families(tick.Samples) {
		c.emit(ch, f)
	}
}

// families groups the samples by exported name, keeping the first kind
// seen for a name and dropping samples of another kind.
func (c *collector) families(samples []monitor.Sample) []*family {
	byName := map[string]*family{}
	var out []*family
	for _, s := range samples {
		if s.Kind != tsdb.Gauge && s.Kind != tsdb.Counter {
			c.warnOnce("kind:"+s.Name, "metric series of unknown kind not exported", "name", s.Name, "kind", s.Kind.String())
			continue
		}
		name := ExportName(s.Name, s.Kind)
		if reserved[name] {
			c.warnOnce("reserved:"+s.Name, "metric series not exported: its name is taken", "name", s.Name, "exported", name)
			continue
		}
		f := byName[name]
		if f == nil {
			f = &family{name: name, raw: s.Name, kind: s.Kind}
			byName[name] = f
			out = append(out, f)
		} else if f.kind != s.Kind {
			c.warnOnce("mixed:"+name, "metric series not exported: its name is both a gauge and a counter",
				"name", s.Name, "exported", name, "kept", f.kind.String())
			continue
		}
		f.samples = append(f.samples, s)
	}
	for _, f := range out {
		seen := map[string]bool{}
		for _, s := range f.samples {
			for _, l := range s.Labels {
				if !seen[l.Name] {
					seen[l.Name] = true
					f.labels = append(f.labels, l.Name)
				}
			}
		}
		sort.Strings(f.labels)
	}
	return out
}

// emit sends the series of one family, all with the same label names.
func (c *collector) emit(ch chan<- prometheus.Metric, f *family) {
	for _, l := range f.labels {
		if !validLabelName(l) {
			c.warnOnce("label:"+f.name+":"+l, "metric series not exported: a label name Prometheus cannot take",
				"name", f.raw, "label", l)
			return
		}
	}
	desc := prometheus.NewDesc(f.name, Help(f.raw, f.kind), f.labels, nil)
	vt := prometheus.GaugeValue
	if f.kind == tsdb.Counter {
		vt = prometheus.CounterValue
	}
	seen := map[string]bool{}
	values := make([]string, len(f.labels))
	for _, s := range f.samples {
		for i, l := range f.labels {
			v, ok := labelValue(s.Labels, l)
			if !ok {
				v = missingLabel(f.raw, l)
			}
			values[i] = strings.ToValidUTF8(v, "\uFFFD")
		}
		id := strings.Join(values, "\x00")
		if seen[id] {
			c.warnOnce("dup:"+f.name+":"+id, "metric series not exported: another series has the same labels",
				"name", f.raw, "labels", s.Labels.String())
			continue
		}
		seen[id] = true
		m, err := prometheus.NewConstMetric(desc, vt, s.Value, values...)
		if err != nil {
			c.warnOnce("bad:"+f.name+":"+id, "metric series not exported", "name", f.raw, "labels", s.Labels.String(), "err", err)
			continue
		}
		ch <- m
	}
}

func (c *collector) warnOnce(key, msg string, args ...any) {
	c.mu.Lock()
	done := c.warned[key]
	if !done && len(c.warned) < 1000 {
		c.warned[key] = true
	}
	c.mu.Unlock()
	if !done {
		c.opts.Log.Warn(msg, args...)
	}
}

func labelValue(ls tsdb.Labels, name string) (string, bool) {
	for _, l := range ls {
		if l.Name == name {
			return l.Value, true
		}
	}
	return "", false
}

// missingLabel is the value given to a label that one series of a name
// lacks while others have it.
func missingLabel(name, label string) string {
	if name == "cpu_usage_ratio" && label == "cpu" {
		return "total" // the whole machine
	}
	return "" // as good as absent, for Prometheus
}

// validLabelName: [a-zA-Z_][a-zA-Z0-9_]*, and not reserved (__…).
func validLabelName(s string) bool {
	if s == "" || strings.HasPrefix(s, "__") {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b == '_' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || i > 0 && '0' <= b && b <= '9') {
			return false
		}
	}
	return utf8.ValidString(s)
}

// ExportName is the Prometheus name of a Holdfast series: prefixed with
// holdfast_, with every character outside [a-zA-Z0-9_] made '_', the
// _total suffix added to counters that lack it and taken from gauges that
// have it.
func ExportName(name string, kind tsdb.Kind) string {
	var b strings.Builder
	b.Grow(len(Namespace) + 1 + len(name) + len("_total"))
	b.WriteString(Namespace)
	b.WriteByte('_')
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	switch {
	case kind == tsdb.Counter && !strings.HasSuffix(s, "_total"):
		s += "_total"
	case kind != tsdb.Counter && strings.HasSuffix(s, "_total") && len(s) > len(Namespace)+1+len("_total"):
		s = strings.TrimSuffix(s, "_total")
	}
	return s
}
