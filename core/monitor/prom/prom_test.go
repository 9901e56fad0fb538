package prom

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

// fakeSource serves a tick set by the test.
type fakeSource struct {
	mu   sync.Mutex
	tick monitor.Tick
}

func (f *fakeSource) Latest() monitor.Tick {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tick
}

func (f *fakeSource) set(t monitor.Tick) {
	f.mu.Lock()
	f.tick = t
	f.mu.Unlock()
}

func labels(kv ...string) tsdb.Labels {
	var ls tsdb.Labels
	for i := 0; i+1 < len(kv); i += 2 {
		ls = append(ls, tsdb.Label{Name: kv[i], Value: kv[i+1]})
	}
	return ls
}

func gauge(name string, v float64, kv ...string) monitor.Sample {
	return monitor.Sample{Name: name, Labels: labels(kv...), Kind: tsdb.Gauge, Value: v}
}

func counter(name string, v float64, kv ...string) monitor.Sample {
	return monitor.Sample{Name: name, Labels: labels(kv...), Kind: tsdb.Counter, Value: v}
}

var t0 = time.Date(2026, 11, 23, 19, 45, 24, 0, time.UTC)

// machineTick is a small machine: two cores, one filesystem, one disk, one
// interface.
func machineTick() monitor.Tick {
	return monitor.Tick{At: t0, Samples: []monitor.Sample{
		gauge("cpu_usage_ratio", 0.25),
		gauge("cpu_mode_ratio", 0.125, "mode", "user"),
		gauge("cpu_mode_ratio", 0.0625, "mode", "system"),
		gauge("cpu_usage_ratio", 0.5, "cpu", "0"),
		gauge("cpu_usage_ratio", 0, "cpu", "1"),
		gauge("load1", 1.5),
		gauge("memory_total_bytes", 8589934592),
		gauge("memory_used_ratio", 0.375),
		gauge("filesystem_size_bytes", 100e9, "device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"),
		gauge("filesystem_used_bytes", 40e9, "device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"),
		gauge("filesystem_inodes_total", 6553600, "device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"),
		gauge("filesystem_size_bytes", 1e9, "device", "/dev/vdb", "fstype", "xfs", "mountpoint", `/mnt/my "disk"`),
		counter("disk_read_bytes_total", 123456789, "device", "vda"),
		counter("disk_io_time_seconds_total", 12.5, "device", "vda"),
		counter("network_receive_bytes_total", 4096, "interface", "eth0"),
		gauge("uptime_seconds", 3600),
		gauge("some_new_series", 7),
	}}
}

func newTestHandler(t *testing.T, src Source, logTo io.Writer) http.Handler {
	t.Helper()
	if logTo == nil {
		logTo = io.Discard
	}
	return NewHandler(src, Options{
		Log:     slog.New(slog.NewTextHandler(logTo, nil)),
		Version: "1.2.3-test",
		Now:     func() time.Time { return t0.Add(1500 * time.Millisecond) },
	})
}

// scrape fetches /metrics in the text format.
func scrape(t *testing.T, h http.Handler) []byte {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, MetricsPath, nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("Content-Type %q", ct)
	}
	return rec.Body.Bytes()
}

func parse(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	return fams
}

// value finds the series of family name with exactly the labels kv.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, kv ...string) float64 {
	t.Helper()
	mf := fams[name]
	if mf == nil {
		t.Fatalf("no family %s", name)
	}
	want := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		want[kv[i]] = kv[i+1]
	}
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			if l.GetValue() != "" { // as Prometheus: an empty label is no label
				got[l.GetName()] = l.GetValue()
			}
		}
		if !sameLabels(got, want) {
			continue
		}
		switch mf.GetType() {
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		default:
			return m.GetUntyped().GetValue()
		}
	}
	t.Fatalf("no series %s%v in %v", name, want, mf.GetMetric())
	return 0
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestHandlerExportsTheLatestTick(t *testing.T) {
	src := &fakeSource{}
	src.set(machineTick())
	body := scrape(t, newTestHandler(t, src, nil))
	fams := parse(t, body)

	type want struct {
		name  string
		typ   dto.MetricType
		help  string // prefix
		kv    []string
		value float64
	}
	for _, w := range []want{
		{"holdfast_cpu_usage_ratio", dto.MetricType_GAUGE, "Share of the time the CPU was busy", []string{"cpu", "total"}, 0.25},
		{"holdfast_cpu_usage_ratio", dto.MetricType_GAUGE, "", []string{"cpu", "0"}, 0.5},
		{"holdfast_cpu_usage_ratio", dto.MetricType_GAUGE, "", []string{"cpu", "1"}, 0},
		{"holdfast_cpu_mode_ratio", dto.MetricType_GAUGE, "Share of the CPU time", []string{"mode", "user"}, 0.125},
		{"holdfast_cpu_mode_ratio", dto.MetricType_GAUGE, "", []string{"mode", "system"}, 0.0625},
		{"holdfast_load1", dto.MetricType_GAUGE, "Load average", nil, 1.5},
		{"holdfast_memory_total_bytes", dto.MetricType_GAUGE, "Physical memory", nil, 8589934592},
		{"holdfast_memory_used_ratio", dto.MetricType_GAUGE, "Share of the physical memory", nil, 0.375},
		{"holdfast_filesystem_size_bytes", dto.MetricType_GAUGE, "Size of a mounted filesystem",
			[]string{"device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"}, 100e9},
		{"holdfast_filesystem_size_bytes", dto.MetricType_GAUGE, "",
			[]string{"device", "/dev/vdb", "fstype", "xfs", "mountpoint", `/mnt/my "disk"`}, 1e9},
		{"holdfast_filesystem_used_bytes", dto.MetricType_GAUGE, "Space used",
			[]string{"device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"}, 40e9},
		{"holdfast_filesystem_inodes", dto.MetricType_GAUGE, "Inodes of a mounted filesystem in all",
			[]string{"device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"}, 6553600},
		{"holdfast_disk_read_bytes_total", dto.MetricType_COUNTER, "Bytes read", []string{"device", "vda"}, 123456789},
		{"holdfast_disk_io_time_seconds_total", dto.MetricType_COUNTER, "Seconds a whole disk", []string{"device", "vda"}, 12.5},
		{"holdfast_network_receive_bytes_total", dto.MetricType_COUNTER, "Bytes received", []string{"interface", "eth0"}, 4096},
		{"holdfast_uptime_seconds", dto.MetricType_GAUGE, "Time since the machine booted", nil, 3600},
		{"holdfast_some_new_series", dto.MetricType_GAUGE, "Holdfast's some_new_series, a gauge", nil, 7},
		{"holdfast_build_info", dto.MetricType_GAUGE, "Holdfast's build",
			[]string{"version", "1.2.3-test", "goversion", runtime.Version()}, 1},
		{"holdfast_scrape_sample_age_seconds", dto.MetricType_GAUGE, "How old the samples", nil, 1.5},
	} {
		mf := fams[w.name]
		if mf == nil {
			t.Errorf("no %s in\n%s", w.name, body)
			continue
		}
		if mf.GetType() != w.typ {
			t.Errorf("%s: type %v, want %v", w.name, mf.GetType(), w.typ)
		}
		if !strings.HasPrefix(mf.GetHelp(), w.help) || mf.GetHelp() == "" {
			t.Errorf("%s: help %q, want it to start with %q", w.name, mf.GetHelp(), w.help)
		}
		if got := value(t, fams, w.name, w.kv...); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.kv, got, w.value)
		}
	}
	if n := len(fams["holdfast_cpu_usage_ratio"].GetMetric()); n != 3 {
		t.Errorf("cpu_usage_ratio: %d series, want 3", n)
	}
	if n := len(fams["holdfast_filesystem_size_bytes"].GetMetric()); n != 2 {
		t.Errorf("filesystem_size_bytes: %d series, want 2", n)
	}
	for _, name := range []string{"holdfast_filesystem_inodes_total", "cpu_usage_ratio", "memory_total_bytes"} {
		if fams[name] != nil {
			t.Errorf("unexpected family %s", name)
		}
	}
	// The engine's own runtime and process.
	for _, name := range []string{"go_goroutines", "go_info", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if runtime.GOOS != "linux" && strings.HasPrefix(name, "process_") {
			continue
		}
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}

	t.Run("promtool", func(t *testing.T) {
		promtool, err := exec.LookPath("promtool")
		if err != nil {
			t.Skip("promtool not on PATH (Debian package prometheus)")
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = bytes.NewReader(body)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtool check metrics: %v\n%s\n--- exposition:\n%s", err, out, body)
		}
	})
}

func TestHandlerFollowsTheTicks(t *testing.T) {
	src := &fakeSource{}
	h := newTestHandler(t, src, nil)
	for i := range 3 {
		tick := machineTick()
		tick.Samples = append(tick.Samples, counter("network_transmit_bytes_total", float64(1000*i), "interface", "eth0"))
		src.set(tick)
		fams := parse(t, scrape(t, h))
		if got := value(t, fams, "holdfast_network_transmit_bytes_total", "interface", "eth0"); got != float64(1000*i) {
			t.Fatalf("scrape %d: %v", i, got)
		}
	}
}

func TestHandlerBeforeTheFirstTick(t *testing.T) {
	h := newTestHandler(t, &fakeSource{}, nil)
	fams := parse(t, scrape(t, h))
	if got := value(t, fams, "holdfast_build_info", "version", "1.2.3-test", "goversion", runtime.Version()); got != 1 {
		t.Errorf("build info %v", got)
	}
	if fams["go_goroutines"] == nil {
		t.Error("no Go metrics")
	}
	for name := range fams {
		if strings.HasPrefix(name, "holdfast_") && name != "holdfast_build_info" {
			t.Errorf("unexpected %s before the first tick", name)
		}
	}
}

// TestHandlerOddSamples: samples Prometheus cannot take as they are are
// renamed, filled in or dropped, never failing the scrape.
func TestHandlerOddSamples(t *testing.T) {
	var logs bytes.Buffer
	src := &fakeSource{}
	src.set(monitor.Tick{At: t0, Samples: []monitor.Sample{
		gauge("temperature.celsius", 42, "sensor", "cpu"),                   // '.' is no Prometheus name character
		counter("fans_spun", 3),                                             // a counter without _total
		gauge("memory_total_bytes", 1),                                      // kept
		gauge("memory_total_bytes", 2),                                      // duplicate: dropped
		counter("memory_total_bytes", 3),                                    // becomes a _total counter
		gauge("total", 1),                                                   // holdfast_total, a gauge
		counter("total", 2),                                                 // holdfast_total too, a counter: dropped
		gauge("temperature_celsius", 40, "sensor", "gpu"),                   // joins the '.' one
		gauge("temperature_celsius", 41, "sensor", "nvme", "chip", "nvme0"), // a label the others lack
		gauge("build_info", 5),                                              // its name is taken
		gauge("odd_value", math.NaN(), "path", "bad\xffutf8"),               // NaN and bad UTF-8
		gauge("reserved_label", 1, "__name__", "x"),                         // reserved label: dropped
	}})
	body := scrape(t, newTestHandler(t, src, &logs))
	fams := parse(t, body)
	if got := value(t, fams, "holdfast_temperature_celsius", "sensor", "cpu"); got != 42 {
		t.Errorf("temperature.celsius %v", got)
	}
	if got := value(t, fams, "holdfast_temperature_celsius", "sensor", "gpu"); got != 40 {
		t.Errorf("temperature_celsius gpu %v", got)
	}
	if got := value(t, fams, "holdfast_temperature_celsius", "sensor", "nvme", "chip", "nvme0"); got != 41 {
		t.Errorf("temperature_celsius nvme %v", got)
	}
	if got := value(t, fams, "holdfast_fans_spun_total"); got != 3 || fams["holdfast_fans_spun_total"].GetType() != dto.MetricType_COUNTER {
		t.Errorf("fans_spun %v %v", got, fams["holdfast_fans_spun_total"].GetType())
	}
	if mf := fams["holdfast_memory_total_bytes"]; len(mf.GetMetric()) != 1 || mf.GetType() != dto.MetricType_GAUGE {
		t.Errorf("memory_total_bytes %v", mf)
	} else if got := value(t, fams, "holdfast_memory_total_bytes"); got != 1 {
		t.Errorf("memory_total_bytes %v", got)
	}
	if got := value(t, fams, "holdfast_build_info", "version", "1.2.3-test", "goversion", runtime.Version()); got != 1 {
		t.Errorf("build info %v", got)
	}
	if got := value(t, fams, "holdfast_memory_total_bytes_total"); got != 3 || fams["holdfast_memory_total_bytes_total"].GetType() != dto.MetricType_COUNTER {
		t.Errorf("memory_total_bytes counter %v", got)
	}
	if got := value(t, fams, "holdfast_total"); got != 1 || fams["holdfast_total"].GetType() != dto.MetricType_GAUGE {
		t.Errorf("total %v", got)
	}
	if got := value(t, fams, "holdfast_odd_value", "path", "bad\uFFFDutf8"); !math.IsNaN(got) {
		t.Errorf("odd_value %v", got)
	}
	if fams["holdfast_reserved_label"] != nil {
		t.Error("series with a reserved label exported")
	}
	for _, msg := range []string{"same labels", "both a gauge and a counter", "its name is taken", "label name Prometheus cannot take"} {
		if !strings.Contains(logs.String(), msg) {
			t.Errorf("no log about %q in\n%s", msg, logs.String())
		}
	}
}

func TestHandlerLogsEachProblemOnce(t *testing.T) {
	var logs bytes.Buffer
	src := &fakeSource{}
	src.set(monitor.Tick{At: t0, Samples: []monitor.Sample{gauge("x", 1), gauge("x", 2)}})
	h := newTestHandler(t, src, &logs)
	scrape(t, h)
	n := logs.Len()
	if n == 0 {
		t.Fatal("no log")
	}
	scrape(t, h)
	if logs.Len() != n {
		t.Errorf("logged again:\n%s", logs.String())
	}
}

func TestExportName(t *testing.T) {
	for _, c := range []struct {
		name string
		kind tsdb.Kind
		want string
	}{
		{"cpu_usage_ratio", tsdb.Gauge, "holdfast_cpu_usage_ratio"},
		{"disk_reads_total", tsdb.Counter, "holdfast_disk_reads_total"},
		{"filesystem_inodes_total", tsdb.Gauge, "holdfast_filesystem_inodes"},
		{"fans", tsdb.Counter, "holdfast_fans_total"},
		{"a.b:c", tsdb.Gauge, "holdfast_a_b_c"},
		{"total", tsdb.Gauge, "holdfast_total"},
	} {
		if got := ExportName(c.name, c.kind); got != c.want {
			t.Errorf("ExportName(%q, %v) = %q, want %q", c.name, c.kind, got, c.want)
		}
	}
}

func TestHelpCoversTheDocumentedSeries(t *testing.T) {
	for _, name := range []string{"cpu_usage_ratio", "memory_total_bytes", "filesystem_inodes_used", "network_transmit_drops_total", "temperature_celsius"} {
		if strings.HasPrefix(Help(name, tsdb.Gauge), "Holdfast's ") {
			t.Errorf("no help text of its own for %s", name)
		}
	}
}

func TestListenAndClose(t *testing.T) {
	src := &fakeSource{}
	src.set(machineTick())
	srv, err := Listen(context.Background(), "127.0.0.1:0", newTestHandler(t, src, nil), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(srv.Addr(), ":0") {
		t.Fatalf("Addr %s", srv.Addr())
	}
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("holdfast_memory_total_bytes 8.589934592e+09")) {
		t.Fatalf("%d\n%s", resp.StatusCode, body)
	}
	for path, code := range map[string]int{"/": http.StatusOK, "/nope": http.StatusNotFound} {
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, code)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := http.Get("http://" + srv.Addr() + "/metrics"); err == nil {
		t.Fatal("still serving after Close")
	}
	// The port is free again, and a taken one is an error.
	srv2, err := Listen(context.Background(), srv.Addr(), http.NotFoundHandler(), nil)
	if err != nil {
		t.Fatalf("listen again on %s: %v", srv.Addr(), err)
	}
	defer srv2.Close(ctx)
	if _, err := Listen(context.Background(), srv2.Addr(), http.NotFoundHandler(), nil); err == nil {
		t.Fatal("listened twice on one port")
	}
}

func TestConcurrentScrapes(t *testing.T) {
	src := &fakeSource{}
	h := newTestHandler(t, src, nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				tick := machineTick()
				tick.Samples[0].Value = float64(i*100 + j)
				src.set(tick)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, MetricsPath, nil))
				p := expfmt.NewTextParser(model.LegacyValidation)
				if _, err := p.TextToMetricFamilies(rec.Body); rec.Code != http.StatusOK || err != nil {
					t.Errorf("scrape: %d %v", rec.Code, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
