package collect

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// series renders a sample's identity as name{label="value",...}.
func series(s Sample) string {
	if len(s.Labels) == 0 {
		return s.Name
	}
	var b strings.Builder
	b.WriteString(s.Name + "{")
	for i, l := range s.Labels {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name + "=" + `"` + l.Value + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

func byName(samples []Sample) map[string]Sample {
	m := make(map[string]Sample, len(samples))
	for _, s := range samples {
		k := series(s)
		if _, dup := m[k]; dup {
			panic("duplicate series " + k)
		}
		m[k] = s
	}
	return m
}

// copyTree copies a fixture tree into a temporary directory.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// logCounter is a slog handler that counts records by message.
type logCounter struct {
	mu   sync.Mutex
	msgs map[string]int
}

func (l *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (l *logCounter) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.msgs == nil {
		l.msgs = map[string]int{}
	}
	l.msgs[r.Level.String()+" "+r.Message]++
	return nil
}
func (l *logCounter) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logCounter) WithGroup(string) slog.Handler      { return l }
func (l *logCounter) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for m, c := range l.msgs {
		if strings.HasPrefix(m, prefix) {
			n += c
		}
	}
	return n
}

func TestCollectFixture(t *testing.T) {
	c := New(Options{ProcRoot: "testdata/real/proc", SysRoot: "testdata/real/sys"})
	ctx := context.Background()
	samples, err := c.Collect(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := byName(samples)
	for k := range m {
		if strings.HasPrefix(k, "cpu_") {
			t.Errorf("first tick has CPU sample %s", k)
		}
	}
	mem := fixture(t, "real", "proc", "meminfo")
	if got, want := m["memory_total_bytes"].Value, float64(atou(t, fieldsOf(t, mem, "MemTotal:")[1])*1024); got != want {
		t.Errorf("memory_total_bytes %v, want %v", got, want)
	}
	if s := m["memory_used_bytes"]; s.Value != m["memory_total_bytes"].Value-m["memory_available_bytes"].Value || s.Kind != Gauge {
		t.Errorf("memory_used_bytes %+v", s)
	}
	if r := m["memory_used_ratio"].Value; r <= 0 || r >= 1 {
		t.Errorf("memory_used_ratio %v", r)
	}
	l, _ := parseLoadavg(fixture(t, "real", "proc", "loadavg"))
	if m["load5"].Value != l.load[1] || m["threads"].Value != float64(l.total) {
		t.Errorf("load5 %v threads %v", m["load5"], m["threads"])
	}
	if _, ok := m["uptime_seconds"]; !ok {
		t.Error("no uptime")
	}

	// Disks: the physical vda only, not loop or zram.
	var disks, nets []string
	for k, s := range m {
		if strings.HasPrefix(k, "disk_reads_total") {
			disks = append(disks, k)
			if s.Kind != Counter {
				t.Errorf("%s is not a counter", k)
			}
		}
		if strings.HasPrefix(k, "network_receive_bytes_total") {
			nets = append(nets, k)
		}
	}
	sort.Strings(disks)
	sort.Strings(nets)
	if strings.Join(disks, " ") != `disk_reads_total{device="vda"}` {
		t.Errorf("disks: %v", disks)
	}
	if strings.Join(nets, " ") != `network_receive_bytes_total{interface="eth0"} network_receive_bytes_total{interface="ifb0"} network_receive_bytes_total{interface="ifb1"}` {
		t.Errorf("interfaces: %v", nets)
	}
	ds, _ := parseDiskstats(fixture(t, "real", "proc", "diskstats"), nil)
	for _, d := range ds {
		if string(d.name) == "vda" {
			if got := m[`disk_written_bytes_total{device="vda"}`].Value; got != float64(d.writeSectors*512) {
				t.Errorf("written bytes %v", got)
			}
			if got := m[`disk_io_time_seconds_total{device="vda"}`].Value; got != float64(d.ioMs)/1000 {
				t.Errorf("io time %v", got)
			}
		}
	}

	// Temperatures: valid readings only, duplicate chip names told apart.
	temps := map[string]float64{}
	for k, s := range m {
		if s.Name == "temperature_celsius" {
			temps[k] = s.Value
		}
	}
	want := map[string]float64{
		`temperature_celsius{sensor="coretemp/Package id 0"}`: 45,
		`temperature_celsius{sensor="coretemp/temp2"}`:        43.5,
		`temperature_celsius{sensor="nvme.1/Composite"}`:      38.85,
		`temperature_celsius{sensor="it8728/temp3"}`:          51,
	}
	if len(temps) != len(want) {
		t.Errorf("temperatures %v", temps)
	}
	for k, v := range want {
		if math.Abs(temps[k]-v) > 1e-9 {
			t.Errorf("%s = %v, want %v", k, temps[k], v)
		}
	}
	probs := strings.Join(c.Problems(), "\n")
	if !strings.Contains(probs, "temperature nvme.0/Composite: ") || strings.Count(probs, "\n") != 0 {
		t.Errorf("problems: %q", probs)
	}

	// Unchanged counters: a second tick has no CPU delta, so still no CPU.
	samples, _ = c.Collect(ctx, time.Now())
	for _, s := range samples {
		if strings.HasPrefix(s.Name, "cpu_") {
			t.Errorf("CPU sample from a zero delta: %+v", s)
		}
	}
}

func TestCollectCPUDeltas(t *testing.T) {
	root := copyTree(t, "testdata/real/proc")
	c := New(Options{ProcRoot: root, SysRoot: "testdata/real/sys"})
	tick := func(name string) map[string]Sample {
		t.Helper()
		writeFile(t, filepath.Join(root, "stat"), fixture(t, "edge", name))
		s, err := c.Collect(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return byName(s)
	}
	check := func(m map[string]Sample, want map[string]float64) {
		t.Helper()
		for k, s := range m {
			if strings.HasPrefix(k, "cpu_") {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected %s = %v", k, s.Value)
				}
			}
		}
		for k, v := range want {
			s, ok := m[k]
			if !ok || math.Abs(s.Value-v) > 1e-9 || s.Kind != Gauge {
				t.Errorf("%s = %v (present %v), want %v", k, s.Value, ok, v)
			}
		}
	}
	check(tick("stat_wrap_1"), nil)
	m := tick("stat_wrap_2")
	check(m, map[string]float64{
		`cpu_usage_ratio`:               0.5,
		`cpu_mode_ratio{mode="user"}`:   0.2,
		`cpu_mode_ratio{mode="system"}`: 0.1,
		`cpu_mode_ratio{mode="iowait"}`: 0,
		`cpu_mode_ratio{mode="steal"}`:  0.2,
		`cpu_usage_ratio{cpu="0"}`:      1,
		`cpu_usage_ratio{cpu="1"}`:      50.0 / 300,
	})
	if m["processes_running"].Value != 1 || m["processes_blocked"].Value != 0 {
		t.Errorf("procs: %v %v", m["processes_running"], m["processes_blocked"])
	}
	// Aggregate iowait went backwards and cpu0 was reset: both skipped.
	check(tick("stat_wrap_3"), map[string]float64{`cpu_usage_ratio{cpu="1"}`: 95.0 / 105})
	// ...and measured again from the new baseline.
	check(tick("stat_wrap_4"), map[string]float64{
		`cpu_usage_ratio`:               0.5,
		`cpu_mode_ratio{mode="user"}`:   0.5,
		`cpu_mode_ratio{mode="system"}`: 0,
		`cpu_mode_ratio{mode="iowait"}`: 0,
		`cpu_mode_ratio{mode="steal"}`:  0,
		`cpu_usage_ratio{cpu="0"}`:      0.1,
		`cpu_usage_ratio{cpu="1"}`:      0.9,
	})
	// A CPU that vanishes (offline) and comes back starts afresh.
	writeFile(t, filepath.Join(root, "stat"), []byte("cpu  1400 0 560 8500 90 0 0 100 0 0\ncpu1 690 0 255 4280 50 0 0 50 0 0\n"))
	c.Collect(context.Background(), time.Now())
	check(tick("stat_wrap_4"), nil)
}

func TestCollectBrokenParts(t *testing.T) {
	root := copyTree(t, "testdata/real/proc")
	writeFile(t, filepath.Join(root, "meminfo"), fixture(t, "edge", "meminfo_garbage"))
	writeFile(t, filepath.Join(root, "net", "dev"), fixture(t, "edge", "netdev_garbage"))
	writeFile(t, filepath.Join(root, "loadavg"), fixture(t, "edge", "loadavg_garbage"))
	os.Remove(filepath.Join(root, "stat"))
	logs := &logCounter{}
	c := New(Options{ProcRoot: root, SysRoot: t.TempDir(), Log: slog.New(logs)})
	for range 3 {
		s, err := c.Collect(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range s {
			if strings.HasPrefix(x.Name, "memory_") || strings.HasPrefix(x.Name, "network_") || strings.HasPrefix(x.Name, "load") || strings.HasPrefix(x.Name, "cpu_") {
				t.Errorf("sample from a broken part: %+v", x)
			}
		}
	}
	probs := c.Problems()
	var parts []string
	for _, p := range probs {
		part, _, _ := strings.Cut(p, ": ")
		parts = append(parts, part)
	}
	if strings.Join(parts, ",") != "cpu,load,memory,network" {
		t.Errorf("problems %q", probs)
	}
	if !strings.Contains(probs[0], filepath.Join(root, "stat")) || !strings.Contains(probs[2], "meminfo") {
		t.Errorf("problems do not say what failed: %q", probs)
	}
	if n := logs.count("WARN "); n != 4 {
		t.Errorf("%d warnings for 4 broken parts over 3 ticks: %v", n, logs.msgs)
	}

	// Repair memory: it comes back and leaves the problem list.
	writeFile(t, filepath.Join(root, "meminfo"), fixture(t, "real", "proc", "meminfo"))
	s, _ := c.Collect(context.Background(), time.Now())
	if _, ok := byName(s)["memory_total_bytes"]; !ok {
		t.Error("memory did not come back")
	}
	if strings.Contains(strings.Join(c.Problems(), "\n"), "memory") {
		t.Errorf("memory still a problem: %q", c.Problems())
	}
}

func TestCollectEverythingMissing(t *testing.T) {
	c := New(Options{ProcRoot: filepath.Join(t.TempDir(), "nope"), SysRoot: t.TempDir()})
	s, err := c.Collect(context.Background(), time.Now())
	if err == nil || len(s) != 0 {
		t.Errorf("got %d samples, err %v", len(s), err)
	}
	if len(c.Problems()) < 6 {
		t.Errorf("problems %q", c.Problems())
	}
}

func TestCollectCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(Options{}).Collect(ctx, time.Now()); err == nil {
		t.Error("no error from a canceled context")
	}
}

func TestStatfsTimeout(t *testing.T) {
	root := copyTree(t, "testdata/real/proc")
	writeFile(t, filepath.Join(root, "self", "mountinfo"), fixture(t, "edge", "mountinfo"))
	logs := &logCounter{}
	c := New(Options{ProcRoot: root, SysRoot: t.TempDir(), StatfsTimeout: 50 * time.Millisecond, Log: slog.New(logs)})
	release := make(chan struct{})
	var hungCalls atomic.Int32
	c.statfs = func(m *mount) (fsStat, error) {
		if m.point == "/mnt/nfs" {
			hungCalls.Add(1)
			<-release
		}
		return statfsToFS(4096, 4096, 1000, 250, 200, 100, 40), nil
	}
	fsSeries := func(s []Sample) []string {
		var out []string
		for _, x := range s {
			if x.Name == "filesystem_size_bytes" {
				out = append(out, x.Labels[0].Value)
			}
		}
		return out
	}

	start := time.Now()
	s, err := c.Collect(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("tick took %v with a hung mount", d)
	}
	if got := strings.Join(fsSeries(s), ","); got != "/,/boot/efi,/mnt/tab\tname,/var" {
		t.Errorf("filesystems %q", got)
	}
	m := byName(s)
	lbl := `{mountpoint="/",device="/dev/vda",fstype="ext4"}`
	if m["filesystem_size_bytes"+lbl].Value != 4096000 || m["filesystem_used_bytes"+lbl].Value != 750*4096 ||
		m["filesystem_available_bytes"+lbl].Value != 200*4096 || m["filesystem_inodes_used"+lbl].Value != 60 {
		t.Errorf("df arithmetic: %v", m["filesystem_used_bytes"+lbl])
	}
	if p := strings.Join(c.Problems(), "\n"); !strings.Contains(p, "filesystem /mnt/nfs: statfs /mnt/nfs: no answer within 50ms") {
		t.Errorf("problems %q", p)
	}

	// Still hung: skipped at once, no second statfs piles up.
	start = time.Now()
	for range 3 {
		s, _ = c.Collect(context.Background(), time.Now())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("ticks with a still-hung mount took %v", d)
	}
	if len(fsSeries(s)) != 4 || hungCalls.Load() != 1 {
		t.Errorf("%d filesystems, %d statfs calls on the hung mount", len(fsSeries(s)), hungCalls.Load())
	}
	if n := logs.count("WARN system metrics: skipping filesystem /mnt/nfs"); n != 1 {
		t.Errorf("hung mount logged %d times", n)
	}

	// It answers: back on the next tick after the stuck call returned.
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s, _ = c.Collect(context.Background(), time.Now()); len(fsSeries(s)) == 5 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(fsSeries(s)) != 5 || len(c.Problems()) != 0 {
		t.Errorf("after recovery: %q, problems %q", fsSeries(s), c.Problems())
	}
}

func TestProcessesFixture(t *testing.T) {
	root := copyTree(t, "testdata/procs/proc")
	c := New(Options{ProcRoot: root})
	ctx := context.Background()
	ps, err := c.Processes(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	page := uint64(os.Getpagesize())
	got := map[int]Process{}
	for _, p := range ps {
		got[p.PID] = p
		if p.CPURatio != 0 {
			t.Errorf("first call: %+v", p)
		}
	}
	if len(ps) != 3 || got[42].Name != "a) (b) c" || got[1].Name != "init" || got[100].Name != "averyveryverylongname" {
		t.Fatalf("processes %+v", ps)
	}
	if got[42].RSSBytes != 2048*page || got[42].Threads != 3 || got[100].RSSBytes != 100000*page {
		t.Errorf("rss/threads %+v", got)
	}
	if got[42].User == "" {
		t.Error("no user")
	}
	if ps[0].PID != 100 {
		t.Errorf("not sorted by CPU then memory: %+v", ps)
	}
	if top, _ := c.Processes(ctx, 1); len(top) != 1 || top[0].PID != 100 {
		t.Errorf("top 1: %+v", top)
	}

	// 42 burns 50 ticks and writes 1 MiB.
	time.Sleep(100 * time.Millisecond)
	st := bytes.Replace(fixture(t, "procs", "proc", "42", "stat"), []byte(" 250 130 "), []byte(" 280 150 "), 1)
	writeFile(t, filepath.Join(root, "42", "stat"), st)
	io := bytes.Replace(fixture(t, "procs", "proc", "42", "io"), []byte("write_bytes: 1048576"), []byte("write_bytes: 2097152"), 1)
	writeFile(t, filepath.Join(root, "42", "io"), io)
	ps, err = c.Processes(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].PID != 42 || ps[0].CPURatio <= 0 || ps[0].CPURatio > 50.0/100/0.1 {
		t.Errorf("CPU ratio after 50 ticks: %+v", ps[0])
	}
	if !ps[0].IOKnown || ps[0].WriteBytesPerSec <= 0 || ps[0].ReadBytesPerSec != 0 {
		t.Errorf("I/O rates: %+v", ps[0])
	}
	for _, p := range ps[1:] {
		if p.CPURatio != 0 {
			t.Errorf("idle process with CPU: %+v", p)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New(Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				switch g {
				case 0:
					if _, err := c.Collect(ctx, time.Now()); err != nil {
						t.Error(err)
					}
				case 1:
					if _, err := c.Processes(ctx, 5); err != nil {
						t.Error(err)
					}
				case 2:
					c.Problems()
				}
			}
		}()
	}
	wg.Wait()
}

func TestCPUModel(t *testing.T) {
	b := fixture(t, "real", "proc", "cpuinfo")
	want := strings.TrimSpace(strings.SplitN(fieldsLine(t, b, "model name"), ":", 2)[1])
	if got := cpuModel(b); got != want || got == "" {
		t.Errorf("cpuModel = %q, want %q", got, want)
	}
	arm := "processor\t: 0\nBogoMIPS\t: 108.00\nCPU part\t: 0xd08\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n"
	if got := cpuModel([]byte(arm)); got != "Raspberry Pi 4 Model B Rev 1.4" {
		t.Errorf("ARM board: %q", got)
	}
}

func fieldsLine(t *testing.T, b []byte, prefix string) string {
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no %q line", prefix)
	return ""
}
