package collect

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func fixture(t testing.TB, path ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, path...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fieldsOf finds the line of b that starts with key and returns its fields,
// with a deliberately different (strings.Fields) parser.
func fieldsOf(t testing.TB, b []byte, key string) []string {
	t.Helper()
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == key {
			return f
		}
	}
	t.Fatalf("no line %q", key)
	return nil
}

func atou(t testing.TB, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseSysStatReal(t *testing.T) {
	b := fixture(t, "real", "proc", "stat")
	st, per, err := parseSysStat(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := fieldsOf(t, b, "cpu")
	want := cpuTimes{user: atou(t, f[1]), nice: atou(t, f[2]), system: atou(t, f[3]), idle: atou(t, f[4]),
		iowait: atou(t, f[5]), irq: atou(t, f[6]), softirq: atou(t, f[7]), steal: atou(t, f[8])}
	if st.all != want {
		t.Errorf("aggregate = %+v, want %+v", st.all, want)
	}
	if len(per) != strings.Count(string(b), "\ncpu") {
		t.Errorf("%d per-CPU lines", len(per))
	}
	for i, p := range per {
		if p.idx != i {
			t.Errorf("cpu index %d at %d", p.idx, i)
		}
	}
	if !st.haveProcs || st.running != atou(t, fieldsOf(t, b, "procs_running")[1]) {
		t.Errorf("procs_running: %+v", st)
	}
}

func TestParseSysStatEdge(t *testing.T) {
	st, per, err := parseSysStat(fixture(t, "edge", "stat_old"), nil)
	if err != nil || st.all.user != 100 || st.all.idle != 850 || st.all.iowait != 0 || len(per) != 1 {
		t.Errorf("old 4-column kernel: %+v %v %v", st, per, err)
	}
	if st.haveProcs {
		t.Error("procs_running reported although absent")
	}
	for _, name := range []string{"stat_garbage", "stat_nocpu"} {
		if _, _, err := parseSysStat(fixture(t, "edge", name), nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for _, in := range []string{"", "cpu", "cpu 1 2 3", "cpu 1 2 3 4\ncpuX 1 2 3 4", "cpu 1 2 3 4\ncpu99999999 1 2 3 4", "cpu 1 2 3 -4"} {
		if _, _, err := parseSysStat([]byte(in), nil); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseMeminfo(t *testing.T) {
	b := fixture(t, "real", "proc", "meminfo")
	m, err := parseMeminfo(b)
	if err != nil {
		t.Fatal(err)
	}
	kb := func(k string) uint64 { return atou(t, fieldsOf(t, b, k+":")[1]) * 1024 }
	if m.total != kb("MemTotal") || m.available != kb("MemAvailable") || m.cached != kb("Cached") ||
		m.buffers != kb("Buffers") || m.sreclaimable != kb("SReclaimable") || m.swapTotal != kb("SwapTotal") {
		t.Errorf("real meminfo parsed as %+v", m)
	}
	if !m.haveAvailable || !m.haveSwap {
		t.Errorf("flags: %+v", m)
	}

	m, err = parseMeminfo(fixture(t, "edge", "meminfo_old"))
	if err != nil {
		t.Fatal(err)
	}
	if m.haveAvailable || m.available != (512000+100000+400000)*1024 {
		t.Errorf("pre-3.14 estimate: %+v", m)
	}
	if !m.haveSwap || m.swapTotal-m.swapFree != 100000*1024 {
		t.Errorf("swap: %+v", m)
	}

	m, err = parseMeminfo(fixture(t, "edge", "meminfo_noswap"))
	if err != nil || m.haveSwap || m.available != m.total {
		t.Errorf("no swap lines / available > total: %+v %v", m, err)
	}

	for _, name := range []string{"meminfo_garbage", "meminfo_nototal"} {
		if _, err := parseMeminfo(fixture(t, "edge", name)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for _, in := range []string{"", "MemTotal: 0 kB", "MemTotal: 5 MB", "MemTotal: 99999999999999999999 kB", "MemTotal: 18446744073709551615 kB"} {
		if _, err := parseMeminfo([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseLoadavgUptime(t *testing.T) {
	b := fixture(t, "real", "proc", "loadavg")
	l, err := parseLoadavg(b)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	want, _ := strconv.ParseFloat(f[0], 64)
	if l.load[0] != want {
		t.Errorf("load1 %v, want %v", l.load[0], want)
	}
	if got := strconv.FormatUint(l.running, 10) + "/" + strconv.FormatUint(l.total, 10); got != f[3] {
		t.Errorf("tasks %s, want %s", got, f[3])
	}
	if _, err := parseLoadavg(fixture(t, "edge", "loadavg_garbage")); err == nil {
		t.Error("garbage loadavg accepted")
	}
	if _, err := parseLoadavg([]byte("0.00 0.01 0.05 1 2")); err == nil {
		t.Error("loadavg without slash accepted")
	}

	up, err := parseUptime(fixture(t, "real", "proc", "uptime"))
	if err != nil || up <= 0 {
		t.Errorf("uptime %v %v", up, err)
	}
	if v, err := parseUptime([]byte("12.05 3.00\n")); err != nil || v != 12.05 {
		t.Errorf("uptime 12.05 → %v %v", v, err)
	}
	for _, in := range []string{"", "abc", "1.", ".5", "1.2.3", "-1.0"} {
		if _, err := parseUptime([]byte(in)); err == nil {
			t.Errorf("uptime %q accepted", in)
		}
	}
}

func TestParseDiskstats(t *testing.T) {
	b := fixture(t, "real", "proc", "diskstats")
	ds, err := parseDiskstats(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != strings.Count(strings.TrimSpace(string(b)), "\n")+1 {
		t.Errorf("%d disks", len(ds))
	}
	for _, d := range ds {
		line := ""
		for _, l := range strings.Split(string(b), "\n") {
			if ff := strings.Fields(l); len(ff) > 2 && ff[2] == string(d.name) {
				line = l
			}
		}
		ff := strings.Fields(line)
		if d.reads != atou(t, ff[3]) || d.readSectors != atou(t, ff[5]) || d.writes != atou(t, ff[7]) ||
			d.writeSectors != atou(t, ff[9]) || d.ioMs != atou(t, ff[12]) {
			t.Errorf("%s parsed as %+v", d.name, d)
		}
	}
	if _, err := parseDiskstats(fixture(t, "edge", "diskstats_short"), nil); err == nil {
		t.Error("short diskstats line accepted")
	}
}

func TestParseNetDev(t *testing.T) {
	b := fixture(t, "real", "proc", "net", "dev")
	ns, err := parseNetDev(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != strings.Count(string(b), ":") {
		t.Errorf("%d interfaces", len(ns))
	}
	for _, n := range ns {
		f := fieldsOf(t, b, string(n.name)+":")
		if n.rxBytes != atou(t, f[1]) || n.rxPackets != atou(t, f[2]) || n.rxErrs != atou(t, f[3]) || n.rxDrops != atou(t, f[4]) ||
			n.txBytes != atou(t, f[9]) || n.txPackets != atou(t, f[10]) || n.txErrs != atou(t, f[11]) || n.txDrops != atou(t, f[12]) {
			t.Errorf("%s parsed as %+v", n.name, n)
		}
	}

	ns, err = parseNetDev(fixture(t, "edge", "netdev_tight"), nil)
	if err != nil || len(ns) != 2 || string(ns[1].name) != "wlp2s0" || ns[1].rxBytes != 18446744073709551615 ||
		ns[1].rxErrs != 3 || ns[1].rxDrops != 4 || ns[1].txErrs != 5 || ns[1].txDrops != 6 {
		t.Errorf("no space after colon: %+v %v", ns, err)
	}
	if _, err := parseNetDev(fixture(t, "edge", "netdev_garbage"), nil); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := parseNetDev([]byte("eth0: 1 2 3\n"), nil); err == nil {
		t.Error("short line accepted")
	}
}

func TestParseMountinfo(t *testing.T) {
	es, err := parseMountinfo(fixture(t, "edge", "mountinfo"))
	if err != nil {
		t.Fatal(err)
	}
	if es[2].point != "/mnt/bind with space" || es[2].root != "/srv/data" {
		t.Errorf("escaped bind mount: %+v", es[2])
	}
	if es[9].fstype != "vfat" || es[9].source != "/dev/nvme0n1p1" || es[9].point != "/boot/efi" {
		t.Errorf("optional fields: %+v", es[9])
	}
	got := selectMounts(es)
	var points []string
	for _, e := range got {
		points = append(points, e.point+"="+e.source)
	}
	want := []string{"/=/dev/vda", "/boot/efi=/dev/nvme0n1p1", "/mnt/nfs=server:/export", "/mnt/tab\tname=/dev/sdb1", "/var=/dev/nvme0n1p2"}
	if strings.Join(points, ",") != strings.Join(want, ",") {
		t.Errorf("selected %q\nwant     %q", points, want)
	}

	real, err := parseMountinfo(fixture(t, "real", "proc", "self", "mountinfo"))
	if err != nil {
		t.Fatal(err)
	}
	if sel := selectMounts(real); len(sel) != 1 || sel[0].point != "/" || sel[0].fstype != "ext4" {
		t.Errorf("real machine: %+v", sel)
	}

	overlay := "1 0 0:50 / / rw - overlay overlay rw\n2 1 0:51 / /etc/hosts rw - overlay overlay rw\n"
	es, _ = parseMountinfo([]byte(overlay))
	if sel := selectMounts(es); len(sel) != 1 || sel[0].point != "/" {
		t.Errorf("container root overlay: %+v", sel)
	}
	for _, in := range []string{"1 2 3 4\n", "1 2 0:1 / /x rw shared:1 - ext4\n", "1 2 nocolon / /x rw - ext4 /dev/x rw\n"} {
		if _, err := parseMountinfo([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if _, err := parseMountinfo(fixture(t, "edge", "mountinfo_garbage")); err == nil {
		t.Error("garbage accepted")
	}
}

func TestParseStat(t *testing.T) {
	b := fixture(t, "real", "pid_stat")
	s, err := parseStat(b)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if strconv.Itoa(s.pid) != f[0] || "("+string(s.comm)+")" != f[1] || s.utime != atou(t, f[13]) ||
		s.stime != atou(t, f[14]) || s.start != atou(t, f[21]) || s.rssPages != atou(t, f[23]) {
		t.Errorf("real stat parsed as %+v", s)
	}

	s, err = parseStat(fixture(t, "edge", "pid_stat_parens"))
	if err != nil {
		t.Fatal(err)
	}
	if s.pid != 1234 || s.state != 'S' || s.ppid != 1 || s.utime != 250 || s.stime != 130 || s.threads != 3 ||
		s.start != 98765 || s.rssPages != 2048 || string(s.comm) != "a) (b) c" {
		t.Errorf("comm with ') (': %+v %q", s, s.comm)
	}

	s, err = parseStat(fixture(t, "edge", "pid_stat_kthread"))
	if err != nil || string(s.comm) != "kworker/u4:2-events_unbound" || s.state != 'I' || s.rssPages != 0 || s.stime != 27 {
		t.Errorf("kernel thread: %+v %v", s, err)
	}

	for _, name := range []string{"pid_stat_short", "pid_stat_noparen", "pid_stat_garbage"} {
		if _, err := parseStat(fixture(t, "edge", name)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	tail := " S 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 99 0 5"
	for comm, ok := range map[string]bool{
		"":           true,
		")":          true,
		"(":          true,
		"x y\nz":     true,
		") S 1 2 3 ": true,
	} {
		s, err := parseStat([]byte("9 (" + comm + ")" + tail))
		if (err == nil) != ok || (ok && (string(s.comm) != comm || s.utime != 7 || s.stime != 8 || s.rssPages != 5)) {
			t.Errorf("comm %q: %+v %v", comm, s, err)
		}
	}
	for _, in := range []string{"", "()", "9 (x)", "(x)" + tail, "-9 (x)" + tail, "9 (x) SS 1 1 1 0 -1 0 0 0 0 0 7 8 0 0 20 0 1 0 99 0 5"} {
		if _, err := parseStat([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestParsePIDIO(t *testing.T) {
	r, w, err := parsePIDIO(fixture(t, "real", "pid_io"))
	if err != nil {
		t.Fatal(err)
	}
	b := fixture(t, "real", "pid_io")
	if r != atou(t, fieldsOf(t, b, "read_bytes:")[1]) || w != atou(t, fieldsOf(t, b, "write_bytes:")[1]) {
		t.Errorf("got %d %d", r, w)
	}
	if _, _, err := parsePIDIO([]byte("rchar: 1\nread_bytes: 2\n")); err == nil {
		t.Error("missing write_bytes accepted")
	}
}

func TestWholePhysicalDiskName(t *testing.T) {
	for name, want := range map[string]bool{
		"sda": true, "sda1": false, "vda": true, "vdb3": false, "xvda": true, "xvda1": false,
		"nvme0n1": true, "nvme0n1p2": false, "mmcblk0": true, "mmcblk0p1": false,
		"loop0": false, "ram1": false, "zram0": false, "dm-0": false, "md127": false, "nbd0": false,
		"sr0": true,
	} {
		if got := wholePhysicalDiskName(name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
}

func TestParseNumbers(t *testing.T) {
	if v, ok := parseUint([]byte("18446744073709551615")); !ok || v != 18446744073709551615 {
		t.Error("max uint64")
	}
	for _, in := range []string{"18446744073709551616", "", "1a", "+1", "99999999999999999999999"} {
		if _, ok := parseUint([]byte(in)); ok {
			t.Errorf("%q accepted", in)
		}
	}
	if v, ok := parseInt([]byte("-42")); !ok || v != -42 {
		t.Error("-42")
	}
	if _, ok := parseInt([]byte("-")); ok {
		t.Error(`"-" accepted`)
	}
	if v, ok := parseDecimal([]byte("0.05")); !ok || v != 0.05 {
		t.Errorf("0.05 → %v", v)
	}
	if got := unescapeOctal([]byte(`a\040b\134c\011d\`)); got != "a b\\c\td\\" {
		t.Errorf("unescape: %q", got)
	}
}
