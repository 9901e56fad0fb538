package collect

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Tests against the machine the tests run on: the values must agree with
// what the kernel (and df) say, read independently right after.

func realCollect(t *testing.T) (*Collector, map[string]Sample) {
	t.Helper()
	c := New(Options{})
	s, err := c.Collect(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p := c.Problems(); len(p) > 0 {
		t.Logf("problems on this machine: %q", p)
	}
	return c, byName(s)
}

func TestRealMemoryTotal(t *testing.T) {
	_, m := realCollect(t)
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	want := float64(atou(t, fieldsOf(t, b, "MemTotal:")[1]) * 1024)
	if got := m["memory_total_bytes"].Value; got != want {
		t.Errorf("memory_total_bytes = %v, /proc/meminfo says %v", got, want)
	}
	if a := m["memory_available_bytes"].Value; a <= 0 || a > want {
		t.Errorf("memory_available_bytes = %v", a)
	}
}

func TestRealFilesystemRootMatchesDf(t *testing.T) {
	dfPath, err := exec.LookPath("df")
	if err != nil {
		t.Skip("no df")
	}
	_, m := realCollect(t)
	out, err := exec.Command(dfPath, "-B1", "/").Output()
	if err != nil {
		t.Skipf("df -B1 /: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) < 6 {
		t.Fatalf("df output %q", out)
	}
	size, used, avail := atou(t, f[1]), atou(t, f[2]), atou(t, f[3])

	var got map[string]float64
	for _, s := range m {
		if strings.HasPrefix(s.Name, "filesystem_") && s.Labels[0].Value == "/" {
			if got == nil {
				got = map[string]float64{}
			}
			got[s.Name] = s.Value
		}
	}
	if got == nil {
		t.Fatalf("no filesystem sample for / (df says %q)", lines[len(lines)-1])
	}
	if got["filesystem_size_bytes"] != float64(size) {
		t.Errorf("size %v, df %d", got["filesystem_size_bytes"], size)
	}
	tol := max(64<<20, 0.005*float64(size)) // the disk is in use meanwhile
	if d := got["filesystem_used_bytes"] - float64(used); d > tol || d < -tol {
		t.Errorf("used %v, df %d", got["filesystem_used_bytes"], used)
	}
	if d := got["filesystem_available_bytes"] - float64(avail); d > tol || d < -tol {
		t.Errorf("available %v, df %d", got["filesystem_available_bytes"], avail)
	}
	t.Logf("/ : size %.0f used %.0f avail %.0f; df: %d %d %d", got["filesystem_size_bytes"], got["filesystem_used_bytes"], got["filesystem_available_bytes"], size, used, avail)
}

func TestRealNetworkMatchesProc(t *testing.T) {
	_, m := realCollect(t)
	b, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		f := strings.Fields(rest)
		lbl := `{interface="` + name + `"}`
		rx, hasRx := m["network_receive_bytes_total"+lbl]
		tx := m["network_transmit_bytes_total"+lbl]
		if name == "lo" {
			if hasRx {
				t.Error("lo collected")
			}
			continue
		}
		if !hasRx {
			t.Errorf("interface %s missing", name)
			continue
		}
		for _, c := range []struct {
			got  float64
			want uint64
		}{{rx.Value, atou(t, f[0])}, {tx.Value, atou(t, f[8])}, {m["network_receive_packets_total"+lbl].Value, atou(t, f[1])}} {
			// Read after: equal, or slightly more.
			if c.got > float64(c.want) || float64(c.want)-c.got > 64<<20 {
				t.Errorf("%s: collected %v, /proc/net/dev then says %d", name, c.got, c.want)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Skip("no network interface but lo")
	}
}

func TestRealDisksMatchProc(t *testing.T) {
	_, m := realCollect(t)
	ds, err := parseDiskstats(mustRead(t, "/proc/diskstats"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		s, ok := m[`disk_read_bytes_total{device="`+string(d.name)+`"}`]
		if !ok {
			continue
		}
		if s.Value > float64(d.readSectors*512) || float64(d.readSectors*512)-s.Value > 1<<30 {
			t.Errorf("%s read bytes %v, then %d", d.name, s.Value, d.readSectors*512)
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// spin burns d of CPU time (not wall time: on a loaded machine the test may
// wait for a CPU), giving up after 10 s.
func spin(d time.Duration) int {
	n := 0
	start, deadline := cpuTime(), time.Now().Add(10*time.Second)
	for cpuTime()-start < d && time.Now().Before(deadline) {
		for range 10000 {
			n++
		}
	}
	return n
}

func TestRealCPURatio(t *testing.T) {
	c, _ := realCollect(t)
	spin(300 * time.Millisecond)
	s, err := c.Collect(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := byName(s)
	all, ok := m["cpu_usage_ratio"]
	if !ok {
		t.Fatal("no cpu_usage_ratio on the second tick")
	}
	if all.Value <= 0 || all.Value > 1 {
		t.Errorf("cpu_usage_ratio = %v while spinning", all.Value)
	}
	sum, perCPU := 0.0, 0
	for _, x := range s {
		if x.Value < 0 || x.Value > 1 {
			if strings.HasPrefix(x.Name, "cpu_") {
				t.Errorf("%s = %v", series(x), x.Value)
			}
		}
		if x.Name == "cpu_mode_ratio" {
			sum += x.Value
		}
		if x.Name == "cpu_usage_ratio" && len(x.Labels) == 1 {
			perCPU++
		}
	}
	if sum > 1+1e-9 || sum < all.Value-1e-9 {
		t.Errorf("modes add up to %v, busy %v", sum, all.Value)
	}
	if want := strings.Count(string(mustRead(t, "/proc/stat")), "\ncpu"); perCPU != want {
		t.Errorf("%d per-CPU ratios, %d CPUs", perCPU, want)
	}
}

func TestRealProcessCount(t *testing.T) {
	_, m := realCollect(t)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			n++
		}
	}
	if d := m["processes"].Value - float64(n); d > 30 || d < -30 {
		t.Errorf("processes = %v, /proc has %d", m["processes"].Value, n)
	}
	if m["threads"].Value < m["processes"].Value-30 {
		t.Errorf("threads %v < processes %v", m["threads"].Value, m["processes"].Value)
	}
}

func TestRealProcesses(t *testing.T) {
	c := New(Options{})
	ctx := context.Background()
	if _, err := c.Processes(ctx, 0); err != nil {
		t.Fatal(err)
	}
	spin(300 * time.Millisecond)
	ps, err := c.Processes(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	self, err := parseStat(mustRead(t, "/proc/self/stat"))
	if err != nil {
		t.Fatal(err)
	}
	var me *Process
	for i := range ps {
		if ps[i].PID == os.Getpid() {
			me = &ps[i]
		}
	}
	if me == nil {
		t.Fatalf("own process not among %d", len(ps))
	}
	if !strings.HasPrefix(me.Name, string(self.comm)) || me.RSSBytes == 0 || me.Threads < 1 {
		t.Errorf("own process %+v (comm %q)", *me, self.comm)
	}
	if me.CPURatio < 0.02 || me.CPURatio > float64(len(ps)) {
		t.Errorf("own CPU ratio %v after spinning", me.CPURatio)
	}
	if os.Geteuid() == 0 && !me.IOKnown {
		t.Errorf("own I/O unknown as root: %+v", *me)
	}
	if top, _ := c.Processes(ctx, 3); len(top) < 3 || len(top) > 6 {
		t.Errorf("top 3 by CPU ∪ top 3 by memory gave %d", len(top))
	}
}

func TestRealHost(t *testing.T) {
	h, err := Host()
	if err != nil {
		t.Fatal(err)
	}
	mem := mustRead(t, "/proc/meminfo")
	if h.MemoryBytes != atou(t, fieldsOf(t, mem, "MemTotal:")[1])*1024 {
		t.Errorf("memory %d", h.MemoryBytes)
	}
	if rel := strings.TrimSpace(string(mustRead(t, "/proc/sys/kernel/osrelease"))); h.Kernel != rel {
		t.Errorf("kernel %q, want %q", h.Kernel, rel)
	}
	btime := time.Unix(int64(atou(t, fieldsOf(t, mustRead(t, "/proc/stat"), "btime")[1])), 0)
	if d := h.BootTime.Sub(btime); d > 2*time.Second || d < -2*time.Second {
		t.Errorf("boot time %v, btime %v", h.BootTime, btime)
	}
	if h.CPUs < 1 || h.Hostname == "" || h.OS != "linux" || h.Arch == "" {
		t.Errorf("%+v", h)
	}
	t.Logf("%+v", h)
}

func TestCollectAllocations(t *testing.T) {
	c := New(Options{})
	ctx := context.Background()
	c.Collect(ctx, time.Now())
	c.Collect(ctx, time.Now())
	mounts := len(c.mounts)
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := c.Collect(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
	})
	// One goroutine per statfs (its closure and the path syscall.Statfs
	// copies); nothing else in the steady state.
	if limit := float64(3*mounts + 1); allocs > limit {
		t.Errorf("%.1f allocations per tick with %d filesystems (limit %.0f)", allocs, mounts, limit)
	}
	t.Logf("%.1f allocations per tick, %d filesystems", allocs, mounts)
}
