package collect

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

// The Linux collector reads procfs and sysfs itself: each file is opened by
// a pre-built NUL-terminated path (no allocation per open), read into one
// reused buffer and parsed in place.

type osState struct {
	buf    []byte // file contents; valid until the next read
	dirbuf []byte // getdents buffer

	pStat, pLoadavg, pUptime, pMeminfo, pDiskstats, pNetDev, pProc []byte
	mountinfo                                                      string

	mountsOK     bool
	haveSysBlock bool

	procCount   int // -1: unknown
	procCountAt time.Time

	perCPU []cpuSample
	disks  []diskStat
	nets   []netStat

	diskLC, netLC labelCache
	sensors       []*sensor
}

// sensor is one hwmon temperature input.
type sensor struct {
	path   []byte // NUL-terminated
	key    string
	labels []Label
}

// cpath returns s as a NUL-terminated byte slice for raw system calls.
func cpath(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}

func (c *Collector) initOS() {
	r := c.opts.ProcRoot
	s := &c.sys
	s.buf = make([]byte, 16<<10)
	s.dirbuf = make([]byte, 16<<10)
	s.pStat = cpath(r + "/stat")
	s.pLoadavg = cpath(r + "/loadavg")
	s.pUptime = cpath(r + "/uptime")
	s.pMeminfo = cpath(r + "/meminfo")
	s.pDiskstats = cpath(r + "/diskstats")
	s.pNetDev = cpath(r + "/net/dev")
	s.pProc = cpath(r)
	s.mountinfo = r + "/self/mountinfo"
	s.procCount = -1
	s.diskLC = newLabelCache("device")
	s.netLC = newLabelCache("interface")
}

// openPath opens a NUL-terminated path read-only without allocating.
func openPath(p []byte, flags int) (int, error) {
	dirfd := atFDCWD
	for {
		fd, _, e := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&p[0])),
			uintptr(flags|syscall.O_RDONLY|syscall.O_CLOEXEC), 0, 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return -1, &os.PathError{Op: "open", Path: string(p[:len(p)-1]), Err: e}
		}
		return int(fd), nil
	}
}

// atFDCWD is AT_FDCWD, which package syscall does not export; a variable so
// that converting it to uintptr is legal.
var atFDCWD = -100

const maxFileSize = 64 << 20

// readFileInto reads the whole file at the NUL-terminated path p into *buf,
// growing it if needed, and returns the contents (which alias *buf).
func readFileInto(buf *[]byte, p []byte) ([]byte, error) {
	fd, err := openPath(p, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	b := (*buf)[:cap(*buf)]
	n := 0
	for {
		if n == len(b) {
			if len(b) >= maxFileSize {
				return nil, fmt.Errorf("%s: larger than %d bytes", p[:len(p)-1], maxFileSize)
			}
			nb := make([]byte, 2*len(b))
			copy(nb, b[:n])
			b = nb
			*buf = nb
		}
		m, err := syscall.Read(fd, b[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: string(p[:len(p)-1]), Err: err}
		}
		if m == 0 {
			return b[:n], nil
		}
		n += m
	}
}

func (c *Collector) read(p []byte) ([]byte, error) { return readFileInto(&c.sys.buf, p) }

func pathErr(p []byte, err error) error {
	return fmt.Errorf("%s: %w", p[:len(p)-1], err)
}

func (c *Collector) collectOS(ctx context.Context) {
	s := &c.sys
	if c.refreshed || !s.mountsOK {
		c.refreshMounts()
	}
	if c.refreshed {
		c.refreshSensors()
		_, err := os.Stat(filepath.Join(c.opts.SysRoot, "block"))
		s.haveSysBlock = err == nil
		for _, e := range s.diskLC.m {
			e.classified = false
		}
	}
	start := c.startFS()
	c.collectStat()
	c.collectLoadavg()
	c.collectUptime()
	c.collectMemory()
	c.collectProcessCount()
	c.collectDisks()
	c.collectNetwork()
	c.collectTemperatures()
	c.finishFS(ctx, start)
	if c.refreshed {
		s.diskLC.prune(c.tick)
		s.netLC.prune(c.tick)
	}
}

func (c *Collector) collectStat() {
	const key = "cpu"
	b, err := c.read(c.sys.pStat)
	if err != nil {
		c.fail(key, err)
		return
	}
	st, per, err := parseSysStat(b, c.sys.perCPU)
	c.sys.perCPU = per
	if err != nil {
		c.fail(key, pathErr(c.sys.pStat, err))
		return
	}
	c.ok(key)
	c.emitCPU(st.all, per)
	if st.haveProcs {
		c.gauge("processes_running", float64(st.running), nil)
		c.gauge("processes_blocked", float64(st.blocked), nil)
	}
}

func (c *Collector) collectLoadavg() {
	const key = "load"
	b, err := c.read(c.sys.pLoadavg)
	if err != nil {
		c.fail(key, err)
		return
	}
	l, err := parseLoadavg(b)
	if err != nil {
		c.fail(key, pathErr(c.sys.pLoadavg, err))
		return
	}
	c.ok(key)
	c.gauge("load1", l.load[0], nil)
	c.gauge("load5", l.load[1], nil)
	c.gauge("load15", l.load[2], nil)
	c.gauge("threads", float64(l.total), nil)
}

func (c *Collector) collectUptime() {
	const key = "uptime"
	b, err := c.read(c.sys.pUptime)
	if err != nil {
		c.fail(key, err)
		return
	}
	up, err := parseUptime(b)
	if err != nil {
		c.fail(key, pathErr(c.sys.pUptime, err))
		return
	}
	c.ok(key)
	c.gauge("uptime_seconds", up, nil)
}

func (c *Collector) collectMemory() {
	const key = "memory"
	b, err := c.read(c.sys.pMeminfo)
	if err != nil {
		c.fail(key, err)
		return
	}
	m, err := parseMeminfo(b)
	if err != nil {
		c.fail(key, pathErr(c.sys.pMeminfo, err))
		return
	}
	c.ok(key)
	c.emitMemory(m)
}

// processCountEvery is how often /proc is listed to count processes. That
// listing is the dearest read of a tick (about as much CPU as all the others
// together), and the count moves slowly; the last count is emitted meanwhile.
const processCountEvery = 5 * time.Second

// collectProcessCount counts the numeric directories of /proc.
func (c *Collector) collectProcessCount() {
	const key = "processes"
	s := &c.sys
	if s.procCount < 0 || c.now.Sub(s.procCountAt) >= processCountEvery || c.now.Before(s.procCountAt) {
		n, err := countPIDs(s.pProc, s.dirbuf)
		if err != nil {
			s.procCount = -1
			c.fail(key, err)
			return
		}
		s.procCount, s.procCountAt = n, c.now
	}
	c.ok(key)
	c.gauge("processes", float64(s.procCount), nil)
}

func countPIDs(dir, buf []byte) (int, error) {
	fd, err := openPath(dir, syscall.O_DIRECTORY)
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	count := 0
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 0, &os.PathError{Op: "getdents", Path: string(dir[:len(dir)-1]), Err: err}
		}
		if n <= 0 {
			return count, nil
		}
		for b := buf[:n]; len(b) > 0; {
			var name []byte
			var ok bool
			name, b, ok = nextDirent(b)
			if !ok {
				break
			}
			if _, isPID := parseUint(name); isPID {
				count++
			}
		}
	}
}

// nextDirent decodes the first linux_dirent64 record of b.
func nextDirent(b []byte) (name, rest []byte, ok bool) {
	const nameOff = 19 // d_ino u64, d_off i64, d_reclen u16, d_type u8
	if len(b) < nameOff {
		return nil, nil, false
	}
	reclen := int(binary.NativeEndian.Uint16(b[16:18]))
	if reclen < nameOff || reclen > len(b) {
		return nil, nil, false
	}
	name = b[nameOff:reclen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return name, b[reclen:], true
}

func (c *Collector) collectDisks() {
	const key = "disks"
	s := &c.sys
	b, err := c.read(s.pDiskstats)
	if err != nil {
		c.fail(key, err)
		return
	}
	s.disks, err = parseDiskstats(b, s.disks)
	if err != nil {
		c.fail(key, pathErr(s.pDiskstats, err))
		return
	}
	c.ok(key)
	for i := range s.disks {
		d := &s.disks[i]
		e := s.diskLC.get(d.name, c.tick)
		if !e.classified {
			e.keep = c.physicalDisk(e.labels[0].Value)
			e.classified = true
		}
		if e.keep {
			// Sectors in diskstats are always 512 bytes, whatever the
			// device's own sector size.
			c.emitDisk(e.labels, d.readSectors*512, d.writeSectors*512, d.reads, d.writes, float64(d.ioMs)/1000)
		}
	}
}

// physicalDisk reports whether a diskstats name is a whole physical disk:
// listed in /sys/block (so not a partition) with a "device" link (so not
// loop, ram, zram, dm or md).
func (c *Collector) physicalDisk(name string) bool {
	if strings.ContainsAny(name, "/\x00") || name == "." || name == ".." {
		return false
	}
	if !c.sys.haveSysBlock {
		return wholePhysicalDiskName(name)
	}
	dir := filepath.Join(c.opts.SysRoot, "block", name)
	if _, err := os.Stat(dir); err != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(dir, "device"))
	return err == nil
}

func (c *Collector) collectNetwork() {
	const key = "network"
	s := &c.sys
	b, err := c.read(s.pNetDev)
	if err != nil {
		c.fail(key, err)
		return
	}
	s.nets, err = parseNetDev(b, s.nets)
	if err != nil {
		c.fail(key, pathErr(s.pNetDev, err))
		return
	}
	c.ok(key)
	for i := range s.nets {
		n := &s.nets[i]
		if string(n.name) == "lo" {
			continue
		}
		c.emitNet(s.netLC.get(n.name, c.tick).labels, n)
	}
}

// refreshMounts re-reads the mount table.
func (c *Collector) refreshMounts() {
	const key = "filesystems"
	b, err := os.ReadFile(c.sys.mountinfo)
	if err != nil {
		c.sys.mountsOK = false
		c.fail(key, err)
		return
	}
	entries, err := parseMountinfo(b)
	if err != nil {
		c.sys.mountsOK = false
		c.fail(key, fmt.Errorf("%s: %w", c.sys.mountinfo, err))
		return
	}
	c.sys.mountsOK = true
	c.ok(key)
	c.setMounts(selectMounts(entries))
}

func statfsMount(m *mount) (fsStat, error) {
	var st syscall.Statfs_t
	for {
		err := syscall.Statfs(m.point, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fsStat{}, &os.PathError{Op: "statfs", Path: m.point, Err: err}
		}
		break
	}
	return statfsToFS(uint64(st.Frsize), uint64(st.Bsize), st.Blocks, st.Bfree, st.Bavail, st.Files, st.Ffree), nil
}

// statfsToFS computes what df shows: size = blocks*frsize,
// used = (blocks-bfree)*frsize, available = bavail*frsize.
func statfsToFS(frsize, bsize, blocks, bfree, bavail, files, ffree uint64) fsStat {
	bs := frsize
	if bs == 0 {
		bs = bsize
	}
	bfree = min(bfree, blocks)
	ffree = min(ffree, files)
	return fsStat{
		size:       blocks * bs,
		used:       (blocks - bfree) * bs,
		avail:      bavail * bs,
		inodes:     files,
		inodesUsed: files - ffree,
	}
}

// refreshSensors lists the hwmon temperature inputs.
func (c *Collector) refreshSensors() {
	base := filepath.Join(c.opts.SysRoot, "class", "hwmon")
	dirs, _ := filepath.Glob(filepath.Join(base, "hwmon*"))
	sort.Slice(dirs, func(i, j int) bool { return hwmonIndex(dirs[i]) < hwmonIndex(dirs[j]) })
	type chip struct {
		dir, name string
		inputs    []string
	}
	var chips []chip
	count := map[string]int{}
	for _, d := range dirs {
		name := readTrim(filepath.Join(d, "name"))
		inputs, _ := filepath.Glob(filepath.Join(d, "temp*_input"))
		if len(inputs) == 0 {
			// Older drivers keep their files under device/.
			inputs, _ = filepath.Glob(filepath.Join(d, "device", "temp*_input"))
			if name == "" {
				name = readTrim(filepath.Join(d, "device", "name"))
			}
		}
		if len(inputs) == 0 {
			continue
		}
		if name == "" {
			name = filepath.Base(d)
		}
		count[name]++
		chips = append(chips, chip{dir: d, name: name, inputs: inputs})
	}
	seen := map[string]int{}
	var sensors []*sensor
	for _, ch := range chips {
		chipName := ch.name
		if count[ch.name] > 1 {
			chipName = ch.name + "." + strconv.Itoa(seen[ch.name])
			seen[ch.name]++
		}
		sort.Slice(ch.inputs, func(i, j int) bool { return tempIndex(ch.inputs[i]) < tempIndex(ch.inputs[j]) })
		for _, in := range ch.inputs {
			base := strings.TrimSuffix(filepath.Base(in), "_input")
			label := readTrim(strings.TrimSuffix(in, "_input") + "_label")
			if label == "" {
				label = base
			}
			name := chipName + "/" + label
			sensors = append(sensors, &sensor{
				path:   cpath(in),
				key:    "temperature " + name,
				labels: []Label{{"sensor", name}},
			})
		}
	}
	for _, old := range c.sys.sensors {
		c.clear(old.key)
	}
	c.sys.sensors = sensors
}

func hwmonIndex(p string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "hwmon"))
	return n
}

func tempIndex(p string) int {
	b := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "temp"), "_input")
	n, _ := strconv.Atoi(b)
	return n
}

func readTrim(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

var errTempRange = errors.New("reading outside -40..127 °C (no sensor connected?)")

func (c *Collector) collectTemperatures() {
	for _, s := range c.sys.sensors {
		b, err := c.read(s.path)
		if err != nil {
			c.fail(s.key, err)
			continue
		}
		f, _ := nextField(b)
		milli, ok := parseInt(f)
		if !ok {
			c.fail(s.key, pathErr(s.path, errors.New("not an integer")))
			continue
		}
		t := float64(milli) / 1000
		if t <= -40 || t >= 127 {
			c.fail(s.key, errTempRange)
			continue
		}
		c.ok(s.key)
		c.gauge("temperature_celsius", t, s.labels)
	}
}
