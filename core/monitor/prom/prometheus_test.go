package prom

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/monitor"
)

// changingSource is a machine whose values move with every scrape, as the
// engine's do: memory_total_bytes stays, the rest changes.
type changingSource struct{ n atomic.Int64 }

const integrationMemTotal = 17179869184 // 16 GiB

func (s *changingSource) Latest() monitor.Tick {
	n := s.n.Add(1)
	f := float64(n)
	return monitor.Tick{At: time.Now(), Samples: []monitor.Sample{
		gauge("cpu_usage_ratio", float64(n%10)/10),
		gauge("cpu_usage_ratio", float64(n%4)/4, "cpu", "0"),
		gauge("cpu_usage_ratio", float64(n%5)/5, "cpu", "1"),
		gauge("memory_total_bytes", integrationMemTotal),
		gauge("memory_used_bytes", 1e9+f*4096),
		gauge("filesystem_size_bytes", 100e9, "device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"),
		gauge("filesystem_used_bytes", 40e9+f, "device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"),
		gauge("filesystem_inodes_total", 6553600, "device", "/dev/vda1", "fstype", "ext4", "mountpoint", "/"),
		counter("network_receive_bytes_total", 1000*f, "interface", "eth0"),
		counter("disk_reads_total", 3*f, "device", "vda"),
	}}
}

// prometheusBinary finds Prometheus (Debian's package prometheus), or
// $HOLDFAST_PROMETHEUS. Without it the test skips, unless
// HOLDFAST_REQUIRE_PROMETHEUS=1 (CI), where it fails.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("HOLDFAST_PROMETHEUS"), "/usr/bin/prometheus"}
	if p, err := exec.LookPath("prometheus"); err == nil {
		candidates = append(candidates, p)
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return c
		}
	}
	msg := "no Prometheus server: install Debian's package prometheus (apt-get install prometheus, for /usr/bin/prometheus) or set HOLDFAST_PROMETHEUS to its binary"
	if os.Getenv("HOLDFAST_REQUIRE_PROMETHEUS") == "1" {
		t.Fatal(msg + " (HOLDFAST_REQUIRE_PROMETHEUS=1 makes this a failure)")
	}
	t.Skip(msg)
	return ""
}

// freeLoopbackPort picks a port for Prometheus's own web listener.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects Prometheus's log for a failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// promAPI is the envelope of Prometheus's HTTP API.
type promAPI struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

func getAPI(ctx context.Context, base, path string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	var env promAPI
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%s: %d %q", path, resp.StatusCode, body)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, env.ErrorType, env.Error)
	}
	return json.Unmarshal(env.Data, v)
}

// instantQuery returns the series of a PromQL instant query: labels and value.
func instantQuery(ctx context.Context, base, q string) ([]querySeries, error) {
	var data struct {
		ResultType string        `json:"resultType"`
		Result     []querySeries `json:"result"`
	}
	if err := getAPI(ctx, base, "/api/v1/query?query="+url.QueryEscape(q), &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: result type %q", q, data.ResultType)
	}
	return data.Result, nil
}

type querySeries struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"` // [unix seconds, "value"]
}

func (s querySeries) float() (float64, error) {
	str, ok := s.Value[1].(string)
	if !ok {
		return 0, fmt.Errorf("value %v", s.Value)
	}
	return strconv.ParseFloat(str, 64)
}

// TestRealPrometheusScrapes runs a real Prometheus server against the
// endpoint, over loopback, and reads the samples back through its API.
func TestRealPrometheusScrapes(t *testing.T) {
	bin := prometheusBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := Listen(ctx, "127.0.0.1:0", NewHandler(&changingSource{}, Options{Log: log, Version: "9.9.9-it"}), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close metrics endpoint: %v", err)
		}
	})

	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: holdfast
    metrics_path: /metrics
    static_configs:
      - targets: [%q]
`, srv.Addr())
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freeLoopbackPort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var plog syncBuffer
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		"--storage.tsdb.retention.time=1h",
		"--log.level=info",
	)
	cmd.Dir = dir
	cmd.Stdout = &plog
	cmd.Stderr = &plog
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			t.Errorf("prometheus (pid %d) did not exit after kill", cmd.Process.Pid)
		}
	})
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\n--- our endpoint: http://%s/metrics\n--- prometheus log:\n%s", append(args, srv.Addr(), plog.String())...)
	}

	// Poll until Prometheus has scraped us and answers with our value.
	deadline := time.Now().Add(30 * time.Second)
	var lastErr error
	for {
		select {
		case <-exited:
			fail("prometheus exited early: %v", waitErr)
		default:
		}
		res, err := instantQuery(ctx, base, "holdfast_memory_total_bytes")
		if err == nil && len(res) == 1 {
			v, err := res[0].float()
			if err != nil {
				fail("query: %v", err)
			}
			if v != integrationMemTotal {
				fail("holdfast_memory_total_bytes = %v, want %v", v, float64(integrationMemTotal))
			}
			if got := res[0].Metric["job"]; got != "holdfast" {
				t.Errorf("job label %q", got)
			}
			break
		}
		if err != nil {
			lastErr = err
		} else {
			lastErr = fmt.Errorf("%d series", len(res))
		}
		if time.Now().After(deadline) {
			fail("no holdfast_memory_total_bytes from Prometheus within 30 s; last: %v", lastErr)
		}
		time.Sleep(250 * time.Millisecond)
	}

	// The target is up.
	var targets struct {
		ActiveTargets []struct {
			ScrapeURL string `json:"scrapeUrl"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
		} `json:"activeTargets"`
	}
	if err := getAPI(ctx, base, "/api/v1/targets", &targets); err != nil {
		fail("targets: %v", err)
	}
	if len(targets.ActiveTargets) != 1 {
		fail("targets: %+v", targets)
	}
	tg := targets.ActiveTargets[0]
	if tg.Health != "up" || tg.ScrapeURL != "http://"+srv.Addr()+"/metrics" {
		fail("target %+v, want health up at http://%s/metrics", tg, srv.Addr())
	}

	// The other series arrived with their labels, and the counters move.
	checks := []struct {
		query string
		n     int
	}{
		{`holdfast_cpu_usage_ratio`, 3},
		{`holdfast_cpu_usage_ratio{cpu="total"}`, 1},
		{`holdfast_filesystem_size_bytes{mountpoint="/",device="/dev/vda1",fstype="ext4"} == 100e9`, 1},
		{`holdfast_filesystem_inodes`, 1},
		{`holdfast_build_info{version="9.9.9-it"} == 1`, 1},
		{`holdfast_scrape_sample_age_seconds < 5`, 1},
		{`go_goroutines`, 1},
		{`up{job="holdfast"} == 1`, 1},
	}
	for _, c := range checks {
		res, err := instantQuery(ctx, base, c.query)
		if err != nil || len(res) != c.n {
			fail("%s: %d series (%v), want %d", c.query, len(res), err, c.n)
		}
	}
	// A counter's rate needs two scrapes of it; wait for them (bounded).
	deadline = time.Now().Add(15 * time.Second)
	for {
		res, err := instantQuery(ctx, base, `rate(holdfast_network_receive_bytes_total{interface="eth0"}[10s]) > 0`)
		if err == nil && len(res) == 1 {
			break
		}
		if time.Now().After(deadline) {
			fail("no positive rate of holdfast_network_receive_bytes_total within 15 s: %d series, %v", len(res), err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
