package collect

import (
	"bytes"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Parsers for the Linux /proc formats. They live in a file without a build
// tag so that their tests and fuzz targets run everywhere; only the Linux
// collector calls them. None of them allocates on the success path except
// parseMountinfo (called every 30 s): the []byte values they return point
// into the input.

var (
	errNoCPULine   = errors.New("no aggregate cpu line")
	errBadCPULine  = errors.New("malformed cpu line")
	errNoMemTotal  = errors.New("no usable MemTotal")
	errBadMeminfo  = errors.New("malformed value")
	errBadLoadavg  = errors.New("malformed loadavg")
	errBadUptime   = errors.New("malformed uptime")
	errBadDisk     = errors.New("malformed diskstats line")
	errBadNetDev   = errors.New("malformed interface line")
	errBadMount    = errors.New("malformed mountinfo line")
	errBadStat     = errors.New("malformed stat")
	errBadPIDIO    = errors.New("no read_bytes/write_bytes")
	errEmptyStat   = errors.New("empty file")
	errMemOverflow = errors.New("value overflows")
)

// isSpace reports the separators used between /proc fields.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// nextField skips leading spaces and tabs and returns the next token (up to
// a space, tab or newline) and what follows it.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSpace(b[j]) && b[j] != '\n' {
		j++
	}
	return b[i:j], b[j:]
}

// nextLine returns the first line of b (without its newline) and the rest.
func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// parseUint parses a non-empty run of decimal digits.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseInt parses an optionally negative decimal integer.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok || u > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

// parseDecimal parses "123" or "123.45", the only forms the kernel prints in
// loadavg and uptime.
func parseDecimal(b []byte) (float64, bool) {
	ip, fp := b, []byte(nil)
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		ip, fp = b[:i], b[i+1:]
		if len(fp) == 0 || len(fp) > 9 {
			return 0, false
		}
	}
	n, ok := parseUint(ip)
	if !ok {
		return 0, false
	}
	if fp == nil {
		return float64(n), true
	}
	f, ok := parseUint(fp)
	if !ok {
		return 0, false
	}
	pow := uint64(math.Pow10(len(fp)))
	if n < 1<<53/pow {
		// One correctly rounded division, as strconv.ParseFloat would give.
		return float64(n*pow+f) / float64(pow), true
	}
	return float64(n) + float64(f)/float64(pow), true
}

// cpuTimes are the cumulative CPU counters of one CPU (or of all of them),
// in USER_HZ ticks on Linux; only their ratios matter.
type cpuTimes struct {
	user, nice, system, idle, iowait, irq, softirq, steal uint64
}

func (t cpuTimes) total() uint64 {
	return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal
}

// cpuSample is one per-CPU line of /proc/stat.
type cpuSample struct {
	idx int
	t   cpuTimes
}

// sysStat is what the collector uses from /proc/stat.
type sysStat struct {
	all              cpuTimes
	running, blocked uint64
	haveProcs        bool // both procs_running and procs_blocked were present
}

// maxCPUIndex bounds the per-CPU index accepted from /proc/stat, so garbage
// cannot make the collector allocate a huge per-CPU table.
const maxCPUIndex = 1 << 16

// parseSysStat parses /proc/stat: the aggregate "cpu" line, the "cpuN" lines
// (appended to per, which is returned) and procs_running/procs_blocked.
func parseSysStat(b []byte, per []cpuSample) (sysStat, []cpuSample, error) {
	var st sysStat
	per = per[:0]
	haveAll := false
	var haveRun, haveBlk bool
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		name, rest := nextField(line)
		switch {
		case len(name) >= 3 && string(name[:3]) == "cpu":
			t, ok := parseCPUFields(rest)
			if !ok {
				return st, per, errBadCPULine
			}
			if len(name) == 3 {
				st.all, haveAll = t, true
				continue
			}
			idx, ok := parseUint(name[3:])
			if !ok || idx >= maxCPUIndex {
				return st, per, errBadCPULine
			}
			per = append(per, cpuSample{idx: int(idx), t: t})
		case string(name) == "procs_running":
			f, _ := nextField(rest)
			st.running, haveRun = parseUint(f)
		case string(name) == "procs_blocked":
			f, _ := nextField(rest)
			st.blocked, haveBlk = parseUint(f)
		}
	}
	if !haveAll {
		return st, per, errNoCPULine
	}
	st.haveProcs = haveRun && haveBlk
	return st, per, nil
}

// parseCPUFields parses "user nice system idle [iowait irq softirq steal
// [guest guest_nice]]": at least the first four must be there (older kernels
// print fewer columns); guest columns are ignored, since the kernel already
// counts them in user and nice.
func parseCPUFields(b []byte) (cpuTimes, bool) {
	var v [8]uint64
	n := 0
	for n < len(v) {
		var f []byte
		f, b = nextField(b)
		if len(f) == 0 {
			break
		}
		x, ok := parseUint(f)
		if !ok {
			return cpuTimes{}, false
		}
		v[n] = x
		n++
	}
	if n < 4 {
		return cpuTimes{}, false
	}
	return cpuTimes{user: v[0], nice: v[1], system: v[2], idle: v[3], iowait: v[4], irq: v[5], softirq: v[6], steal: v[7]}, true
}

// meminfo holds the /proc/meminfo values the collector uses, in bytes.
type meminfo struct {
	total, free, available, buffers, cached, sreclaimable uint64
	swapTotal, swapFree                                   uint64

	haveAvailable bool // false on kernels before 3.14: available is then estimated
	haveSwap      bool
}

// parseMeminfo parses /proc/meminfo. MemTotal must be present and non-zero;
// a malformed line the collector uses is an error, other lines are ignored.
func parseMeminfo(b []byte) (meminfo, error) {
	var m meminfo
	var have uint16
	const (
		hTotal = 1 << iota
		hFree
		hAvail
		hBuffers
		hCached
		hSRecl
		hSwapTotal
		hSwapFree
	)
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		var dst *uint64
		var bit uint16
		switch string(line[:colon]) {
		case "MemTotal":
			dst, bit = &m.total, hTotal
		case "MemFree":
			dst, bit = &m.free, hFree
		case "MemAvailable":
			dst, bit = &m.available, hAvail
		case "Buffers":
			dst, bit = &m.buffers, hBuffers
		case "Cached":
			dst, bit = &m.cached, hCached
		case "SReclaimable":
			dst, bit = &m.sreclaimable, hSRecl
		case "SwapTotal":
			dst, bit = &m.swapTotal, hSwapTotal
		case "SwapFree":
			dst, bit = &m.swapFree, hSwapFree
		default:
			continue
		}
		f, rest := nextField(line[colon+1:])
		v, ok := parseUint(f)
		if !ok {
			return m, errBadMeminfo
		}
		switch unit, _ := nextField(rest); string(unit) {
		case "kB":
			if v > math.MaxUint64/1024 {
				return m, errMemOverflow
			}
			v *= 1024
		case "":
		default:
			return m, errBadMeminfo
		}
		*dst = v
		have |= bit
	}
	if have&hTotal == 0 || m.total == 0 {
		return m, errNoMemTotal
	}
	m.haveAvailable = have&hAvail != 0
	if !m.haveAvailable {
		// Kernels before 3.14: the classic estimate.
		m.available = m.free + m.buffers + m.cached
	}
	m.available = min(m.available, m.total)
	m.haveSwap = have&(hSwapTotal|hSwapFree) == hSwapTotal|hSwapFree
	m.swapFree = min(m.swapFree, m.swapTotal)
	return m, nil
}

// loadavg is /proc/loadavg.
type loadavg struct {
	load           [3]float64
	running, total uint64 // runnable tasks / all tasks (threads)
}

func parseLoadavg(b []byte) (loadavg, error) {
	var l loadavg
	for i := range l.load {
		var f []byte
		f, b = nextField(b)
		v, ok := parseDecimal(f)
		if !ok {
			return l, errBadLoadavg
		}
		l.load[i] = v
	}
	f, _ := nextField(b)
	slash := bytes.IndexByte(f, '/')
	if slash < 0 {
		return l, errBadLoadavg
	}
	var ok1, ok2 bool
	l.running, ok1 = parseUint(f[:slash])
	l.total, ok2 = parseUint(f[slash+1:])
	if !ok1 || !ok2 {
		return l, errBadLoadavg
	}
	return l, nil
}

// parseUptime returns the first field of /proc/uptime, in seconds.
func parseUptime(b []byte) (float64, error) {
	f, _ := nextField(b)
	v, ok := parseDecimal(f)
	if !ok {
		return 0, errBadUptime
	}
	return v, nil
}

// diskStat is one line of /proc/diskstats; name points into the input.
type diskStat struct {
	name                                           []byte
	reads, readSectors, writes, writeSectors, ioMs uint64
}

// parseDiskstats parses /proc/diskstats (appending to out). Every line must
// have the 14 fields kernels print since 2.6.25; a shorter or non-numeric
// line makes the whole file an error rather than silently losing a disk.
func parseDiskstats(b []byte, out []diskStat) ([]diskStat, error) {
	out = out[:0]
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var f [14][]byte
		rest := line
		for i := range f {
			f[i], rest = nextField(rest)
			if len(f[i]) == 0 {
				return out, errBadDisk
			}
		}
		var v [11]uint64
		for i := range v {
			x, ok := parseUint(f[3+i])
			if !ok {
				return out, errBadDisk
			}
			v[i] = x
		}
		out = append(out, diskStat{name: f[2], reads: v[0], readSectors: v[2], writes: v[4], writeSectors: v[6], ioMs: v[9]})
	}
	return out, nil
}

// netStat is one interface of /proc/net/dev; name points into the input.
type netStat struct {
	name                                []byte
	rxBytes, rxPackets, rxErrs, rxDrops uint64
	txBytes, txPackets, txErrs, txDrops uint64
}

// parseNetDev parses /proc/net/dev (appending to out). The two header lines
// have no colon and are skipped; every other line must be "name: 16 numbers"
// (at least the 12 used).
func parseNetDev(b []byte, out []netStat) ([]netStat, error) {
	out = out[:0]
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			if len(bytes.TrimSpace(line)) == 0 || bytes.IndexByte(line, '|') >= 0 {
				continue // blank or header
			}
			return out, errBadNetDev
		}
		name := bytes.TrimSpace(line[:colon])
		if len(name) == 0 {
			return out, errBadNetDev
		}
		var v [12]uint64
		rest := line[colon+1:]
		for i := range v {
			var f []byte
			f, rest = nextField(rest)
			x, ok := parseUint(f)
			if !ok {
				return out, errBadNetDev
			}
			v[i] = x
		}
		out = append(out, netStat{
			name:    name,
			rxBytes: v[0], rxPackets: v[1], rxErrs: v[2], rxDrops: v[3],
			txBytes: v[8], txPackets: v[9], txErrs: v[10], txDrops: v[11],
		})
	}
	return out, nil
}

// mountEntry is one line of /proc/PID/mountinfo, unescaped.
type mountEntry struct {
	majmin, root, point, fstype, source string
}

// parseMountinfo parses /proc/PID/mountinfo:
//
//	36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func parseMountinfo(b []byte) ([]mountEntry, error) {
	var out []mountEntry
	var f [32][]byte
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		n := 0
		for rest := line; n < len(f); n++ {
			f[n], rest = nextField(rest)
			if len(f[n]) == 0 {
				break
			}
		}
		sep := -1
		for i := 6; i < n; i++ {
			if string(f[i]) == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+2 >= n || bytes.IndexByte(f[2], ':') < 0 {
			return nil, errBadMount
		}
		out = append(out, mountEntry{
			majmin: string(f[2]),
			root:   unescapeOctal(f[3]),
			point:  unescapeOctal(f[4]),
			fstype: string(f[sep+1]),
			source: unescapeOctal(f[sep+2]),
		})
	}
	return out, nil
}

// unescapeOctal undoes the kernel's \ooo escaping of space, tab, newline and
// backslash in mountinfo paths.
func unescapeOctal(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && i+3 < len(b) && isOctal(b[i+1]) && isOctal(b[i+2]) && isOctal(b[i+3]) {
			v := (b[i+1]-'0')<<6 | (b[i+2]-'0')<<3 | (b[i+3] - '0')
			sb.WriteByte(v)
			i += 3
			continue
		}
		sb.WriteByte(b[i])
	}
	return sb.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// pseudoFS are filesystem types that hold no user data worth a disk gauge.
var pseudoFS = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devfs": true, "devpts": true, "devtmpfs": true,
	"efivarfs": true, "fusectl": true, "hugetlbfs": true, "mqueue": true, "nsfs": true,
	"overlay": true, "proc": true, "procfs": true, "pstore": true, "ramfs": true,
	"rpc_pipefs": true, "securityfs": true, "selinuxfs": true, "squashfs": true,
	"erofs": true, "sysfs": true, "tmpfs": true, "tracefs": true, "nfsd": true,
	"aufs": true, "rootfs": true, "none": true, "iso9660": true, "udf": true,
	"fuse.gvfsd-fuse": true, "fuse.portal": true, "fuse.lxcfs": true,
	"fuse.snapfuse": true, "fuse.xdg-document-portal": true, "fuse.kio-fuse": true,
	"fuse.doc": true, "fuse.rofiles-fuse": true,
}

// pseudoMountPrefixes are trees whose mounts belong to the system or to
// container engines, not to the user.
var pseudoMountPrefixes = []string{
	"/proc", "/sys", "/dev", "/run/credentials/", "/var/lib/docker/",
	"/var/lib/containers/storage/", "/var/lib/kubelet/pods/", "/snap/",
	"/run/user/", "/run/netns/", "/run/docker/",
}

// realFilesystem reports whether a mount holds a real filesystem. overlay is
// kept only as "/" (the root of a container).
func realFilesystem(e mountEntry) bool {
	if e.fstype == "overlay" && e.point == "/" {
		return true
	}
	if pseudoFS[e.fstype] {
		return false
	}
	for _, p := range pseudoMountPrefixes {
		if e.point == strings.TrimSuffix(p, "/") || strings.HasPrefix(e.point, p) ||
			(!strings.HasSuffix(p, "/") && strings.HasPrefix(e.point, p+"/")) {
			return false
		}
	}
	return true
}

// maxMounts bounds how many filesystems are sampled each tick.
const maxMounts = 256

// selectMounts keeps the real filesystems and one mount per device: the one
// that shows the filesystem's own root (not a bind of a subdirectory), and
// among those the shortest mount point. The result is sorted by mount point.
func selectMounts(entries []mountEntry) []mountEntry {
	best := make(map[string]int, len(entries))
	var out []mountEntry
	for _, e := range entries {
		if !realFilesystem(e) {
			continue
		}
		i, seen := best[e.majmin]
		if !seen {
			best[e.majmin] = len(out)
			out = append(out, e)
			continue
		}
		if betterMount(e, out[i]) {
			out[i] = e
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].point < out[j].point })
	return out
}

func betterMount(a, b mountEntry) bool {
	if (a.root == "/") != (b.root == "/") {
		return a.root == "/"
	}
	if len(a.point) != len(b.point) {
		return len(a.point) < len(b.point)
	}
	return a.point < b.point
}

// pidStat is what Processes uses from /proc/PID/stat; comm points into the
// input.
type pidStat struct {
	pid          int
	comm         []byte
	state        byte
	ppid         int
	utime, stime uint64 // USER_HZ ticks, whole process
	threads      int64
	start        uint64 // USER_HZ ticks after boot
	rssPages     uint64
}

// parseStat parses /proc/PID/stat. The command name is everything between
// the first '(' and the LAST ')', since it may itself contain spaces,
// parentheses and ") (" sequences; the numeric fields follow it.
func parseStat(b []byte) (pidStat, error) {
	var s pidStat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open <= 0 || closing < open {
		return s, errBadStat
	}
	pid, ok := parseUint(bytes.TrimSpace(b[:open]))
	if !ok || pid > math.MaxInt32 {
		return s, errBadStat
	}
	s.pid = int(pid)
	s.comm = b[open+1 : closing]
	rest := b[closing+1:]
	// Field numbers as in proc(5): 3 is state, 14 utime, 15 stime,
	// 20 num_threads, 22 starttime, 24 rss.
	for n := 3; n <= 24; n++ {
		var f []byte
		f, rest = nextField(rest)
		if len(f) == 0 {
			return s, errBadStat
		}
		switch n {
		case 3:
			if len(f) != 1 {
				return s, errBadStat
			}
			s.state = f[0]
		case 4:
			v, ok := parseInt(f)
			if !ok {
				return s, errBadStat
			}
			s.ppid = int(v)
		case 14, 15, 22:
			v, ok := parseUint(f)
			if !ok {
				return s, errBadStat
			}
			switch n {
			case 14:
				s.utime = v
			case 15:
				s.stime = v
			default:
				s.start = v
			}
		case 20:
			v, ok := parseInt(f)
			if !ok {
				return s, errBadStat
			}
			s.threads = v
		case 24:
			v, ok := parseInt(f)
			if !ok {
				return s, errBadStat
			}
			s.rssPages = uint64(max(v, 0))
		}
	}
	return s, nil
}

// parsePIDIO returns read_bytes and write_bytes from /proc/PID/io: the bytes
// the process made the storage layer read and write.
func parsePIDIO(b []byte) (read, write uint64, err error) {
	var haveR, haveW bool
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		f, _ := nextField(line[colon+1:])
		switch string(line[:colon]) {
		case "read_bytes":
			read, haveR = parseUint(f)
		case "write_bytes":
			write, haveW = parseUint(f)
		}
	}
	if !haveR || !haveW {
		return 0, 0, errBadPIDIO
	}
	return read, write, nil
}

// wholePhysicalDiskName guesses from its name alone whether a block device
// is a whole physical disk; used only when /sys/block cannot be read.
func wholePhysicalDiskName(name string) bool {
	for _, p := range []string{"loop", "ram", "zram", "dm-", "md", "nbd", "fd", "zd"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	switch {
	case strings.HasPrefix(name, "nvme") || strings.HasPrefix(name, "mmcblk"):
		// nvme0n1 / mmcblk0 are disks; nvme0n1p1 / mmcblk0p1 partitions.
		i := strings.LastIndexByte(name, 'p')
		return i < 2 || i == len(name)-1 || !allDigits(name[i+1:])
	case hasAnyPrefix(name, "sd", "vd", "hd", "xvd"):
		// sda is a disk, sda1 a partition.
		return len(name) > 0 && !isDigit(name[len(name)-1])
	}
	return true
}

func hasAnyPrefix(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// itoa is strconv.Itoa, named for readability at call sites.
func itoa(i int) string { return strconv.Itoa(i) }
