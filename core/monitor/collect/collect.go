package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Kind tells how a sample's value behaves over time.
type Kind uint8

const (
	// Gauge is an instantaneous value (bytes in use, a ratio, a load).
	Gauge Kind = iota
	// Counter is a cumulative count that only grows, except when the
	// kernel resets it (reboot, device re-plug, wrap).
	Counter
)

func (k Kind) String() string {
	switch k {
	case Gauge:
		return "gauge"
	case Counter:
		return "counter"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Label is one name="value" pair of a series.
type Label struct {
	Name, Value string
}

// Sample is one value of one series at one tick. Labels may be shared
// between samples and ticks and must not be modified.
type Sample struct {
	Name   string
	Labels []Label
	Kind   Kind
	Value  float64
}

// Options configure a Collector. The zero value is ready to use.
type Options struct {
	// Log receives one message per part that starts failing (and Debug
	// messages when it fails again later or recovers). Nil discards.
	Log *slog.Logger
	// ProcRoot is where procfs is mounted; default "/proc". Tests point it
	// at fixture trees.
	ProcRoot string
	// SysRoot is where sysfs is mounted; default "/sys".
	SysRoot string
	// StatfsTimeout bounds how long a tick waits for one filesystem's
	// statfs; default 250ms.
	StatfsTimeout time.Duration
	// MountRefresh is how often the mount table, the disk classification
	// and the list of temperature sensors are re-read; default 30s.
	MountRefresh time.Duration
}

// HostInfo are the machine's facts that do not change while it runs.
type HostInfo struct {
	Hostname        string
	OS              string // runtime.GOOS style: "linux", "darwin", "windows"
	Platform        string // distribution: "debian", "ubuntu", "darwin", "Microsoft Windows 11 Pro"
	PlatformVersion string
	Kernel          string // kernel version
	Arch            string // as uname -m: "x86_64", "aarch64"
	CPUs            int    // logical CPUs online
	CPUModel        string
	MemoryBytes     uint64
	BootTime        time.Time
}

// Process is one row of the top-process table.
type Process struct {
	PID  int
	Name string
	User string // user name, or the numeric uid when it has no name
	// CPURatio is CPU time over wall time since the previous Processes call:
	// 1 means one core fully busy, so it can exceed 1. 0 on the first call.
	CPURatio float64
	RSSBytes uint64
	Threads  int
	// ReadBytesPerSec and WriteBytesPerSec are the bytes the process made
	// the storage layer read and write, averaged since the previous reading
	// of this process's I/O counters; valid only when IOKnown (the counters
	// were readable now and at an earlier call).
	ReadBytesPerSec, WriteBytesPerSec float64
	IOKnown                           bool
}

// Collector samples the machine. Collect and Processes may be called from
// different goroutines; each serializes with itself.
type Collector struct {
	opts Options
	log  *slog.Logger

	mu           sync.Mutex // serializes Collect; guards everything below up to pmu
	out          []Sample
	tick         uint64
	tickParts    int
	tickFailures int
	now          time.Time // this tick's time
	refreshedAt  time.Time
	refreshed    bool // the mount table etc. were re-read this tick

	cpuAll cpuState
	cpus   []cpuState // by CPU number

	mounts  []*mount
	fsGen   uint64
	fsTimer *time.Timer
	fsDone  chan fsResult
	statfs  func(*mount) (fsStat, error) // replaced in tests

	sys osState

	pmu   sync.Mutex // serializes Processes
	procs procState

	probMu   sync.Mutex
	problems map[string]*problem
	nActive  atomic.Int32
}

// New returns a Collector. It does no I/O: the first Collect reads the mount
// table and sensor list.
func New(opts Options) *Collector {
	if opts.ProcRoot == "" {
		opts.ProcRoot = "/proc"
	}
	if opts.SysRoot == "" {
		opts.SysRoot = "/sys"
	}
	if opts.StatfsTimeout <= 0 {
		opts.StatfsTimeout = 250 * time.Millisecond
	}
	if opts.MountRefresh <= 0 {
		opts.MountRefresh = 30 * time.Second
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Collector{
		opts:     opts,
		log:      log,
		problems: make(map[string]*problem),
		fsDone:   make(chan fsResult, 2*maxMounts),
		statfs:   statfsMount,
	}
	c.fsTimer = time.NewTimer(time.Hour)
	c.fsTimer.Stop()
	c.initOS()
	return c
}

// Collect returns the samples for one tick. now is the tick's time; it only
// paces the periodic re-reading of the mount table and the process count.
// The returned slice (and its label slices) are reused by the next call.
//
// A part that fails is skipped and listed by Problems; Collect returns an
// error only when ctx is done or when every part failed.
func (c *Collector) Collect(ctx context.Context, now time.Time) ([]Sample, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.tick++
	c.tickParts, c.tickFailures = 0, 0
	c.out = c.out[:0]
	c.refreshed = false
	c.now = now
	if c.tick == 1 || now.Sub(c.refreshedAt) >= c.opts.MountRefresh || now.Before(c.refreshedAt) {
		c.refreshedAt = now
		c.refreshed = true
	}
	c.collectOS(ctx)
	if err := ctx.Err(); err != nil {
		return c.out, err
	}
	if c.tickParts > 0 && c.tickFailures == c.tickParts {
		return c.out, errors.New("collect: every part failed; see Problems")
	}
	return c.out, nil
}

func (c *Collector) gauge(name string, v float64, labels []Label) {
	c.out = append(c.out, Sample{Name: name, Labels: labels, Kind: Gauge, Value: v})
}

func (c *Collector) counter(name string, v float64, labels []Label) {
	c.out = append(c.out, Sample{Name: name, Labels: labels, Kind: Counter, Value: v})
}

// ---- problems ----

type problem struct {
	err    error
	active bool
}

// fail records that part key was skipped this tick because of err. The first
// failure of a key is logged as a warning; later ones only at debug level.
func (c *Collector) fail(key string, err error) {
	c.tickParts++
	c.tickFailures++
	c.probMu.Lock()
	p := c.problems[key]
	first := p == nil
	if first {
		p = &problem{}
		c.problems[key] = p
	}
	again := !first && !p.active
	if !p.active {
		c.nActive.Add(1)
	}
	p.active, p.err = true, err
	c.probMu.Unlock()
	switch {
	case first:
		c.log.Warn("system metrics: skipping "+key, "err", err)
	case again:
		c.log.Debug("system metrics: skipping "+key+" again", "err", err)
	}
}

// ok records that part key worked this tick.
func (c *Collector) ok(key string) {
	c.tickParts++
	c.clear(key)
}

// clear forgets a problem with key, if any.
func (c *Collector) clear(key string) {
	if c.nActive.Load() == 0 {
		return
	}
	c.probMu.Lock()
	p := c.problems[key]
	recovered := p != nil && p.active
	if recovered {
		p.active, p.err = false, nil
		c.nActive.Add(-1)
	}
	c.probMu.Unlock()
	if recovered {
		c.log.Debug("system metrics: " + key + " works again")
	}
}

// Problems lists, sorted, the parts being skipped right now and why, as
// "part: error".
func (c *Collector) Problems() []string {
	c.probMu.Lock()
	defer c.probMu.Unlock()
	var out []string
	for k, p := range c.problems {
		if p.active {
			out = append(out, k+": "+p.err.Error())
		}
	}
	sort.Strings(out)
	return out
}

// ---- CPU ----

type cpuState struct {
	prev   cpuTimes
	have   bool
	seen   uint64
	labels []Label
}

// update stores cur and returns the difference from the previous value;
// ok is false on the first value, when nothing elapsed, or when any counter
// went backwards (reset or wrap): that tick is skipped.
func (s *cpuState) update(cur cpuTimes) (d cpuTimes, ok bool) {
	prev, had := s.prev, s.have
	s.prev, s.have = cur, true
	if !had {
		return d, false
	}
	if cur.user < prev.user || cur.nice < prev.nice || cur.system < prev.system ||
		cur.idle < prev.idle || cur.iowait < prev.iowait || cur.irq < prev.irq ||
		cur.softirq < prev.softirq || cur.steal < prev.steal {
		return d, false
	}
	d = cpuTimes{
		user: cur.user - prev.user, nice: cur.nice - prev.nice, system: cur.system - prev.system,
		idle: cur.idle - prev.idle, iowait: cur.iowait - prev.iowait, irq: cur.irq - prev.irq,
		softirq: cur.softirq - prev.softirq, steal: cur.steal - prev.steal,
	}
	return d, d.total() > 0
}

func busyRatio(d cpuTimes) float64 {
	t := float64(d.total())
	return clamp01(float64(d.total()-d.idle-d.iowait) / t)
}

func clamp01(v float64) float64 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

var (
	labelsModeUser   = []Label{{"mode", "user"}}
	labelsModeSystem = []Label{{"mode", "system"}}
	labelsModeIowait = []Label{{"mode", "iowait"}}
	labelsModeSteal  = []Label{{"mode", "steal"}}
)

// emitCPU turns this tick's cumulative CPU counters into ratios.
func (c *Collector) emitCPU(all cpuTimes, per []cpuSample) {
	if d, ok := c.cpuAll.update(all); ok {
		t := float64(d.total())
		c.gauge("cpu_usage_ratio", busyRatio(d), nil)
		c.gauge("cpu_mode_ratio", clamp01(float64(d.user+d.nice)/t), labelsModeUser)
		c.gauge("cpu_mode_ratio", clamp01(float64(d.system+d.irq+d.softirq)/t), labelsModeSystem)
		c.gauge("cpu_mode_ratio", clamp01(float64(d.iowait)/t), labelsModeIowait)
		c.gauge("cpu_mode_ratio", clamp01(float64(d.steal)/t), labelsModeSteal)
	}
	for _, p := range per {
		if p.idx >= len(c.cpus) {
			c.cpus = append(c.cpus, make([]cpuState, p.idx+1-len(c.cpus))...)
		}
		s := &c.cpus[p.idx]
		if s.labels == nil {
			s.labels = []Label{{"cpu", itoa(p.idx)}}
		}
		if s.seen != c.tick-1 {
			s.have = false // offline (or absent) last tick: start afresh
		}
		s.seen = c.tick
		if d, ok := s.update(p.t); ok {
			c.gauge("cpu_usage_ratio", busyRatio(d), s.labels)
		}
	}
}

// ---- label caches ----

// labelCache keeps one single-label slice per device, interface or sensor
// name so that steady-state ticks allocate nothing. Entries not seen during a
// refresh tick are dropped, which bounds it when names churn (veth pairs).
type labelCache struct {
	name string
	m    map[string]*labelEntry
}

type labelEntry struct {
	labels     []Label
	seen       uint64
	classified bool // for disks: keep is valid
	keep       bool
}

func newLabelCache(name string) labelCache {
	return labelCache{name: name, m: make(map[string]*labelEntry)}
}

func (lc *labelCache) get(v []byte, tick uint64) *labelEntry {
	if e, ok := lc.m[string(v)]; ok {
		e.seen = tick
		return e
	}
	s := string(v)
	e := &labelEntry{labels: []Label{{lc.name, s}}, seen: tick}
	lc.m[s] = e
	return e
}

func (lc *labelCache) prune(tick uint64) {
	for k, e := range lc.m {
		if e.seen != tick {
			delete(lc.m, k)
		}
	}
}

// ---- disks and network, shared by both implementations ----

func (c *Collector) emitDisk(labels []Label, readBytes, writtenBytes, reads, writes uint64, ioSeconds float64) {
	c.counter("disk_read_bytes_total", float64(readBytes), labels)
	c.counter("disk_written_bytes_total", float64(writtenBytes), labels)
	c.counter("disk_reads_total", float64(reads), labels)
	c.counter("disk_writes_total", float64(writes), labels)
	c.counter("disk_io_time_seconds_total", ioSeconds, labels)
}

func (c *Collector) emitNet(labels []Label, n *netStat) {
	c.counter("network_receive_bytes_total", float64(n.rxBytes), labels)
	c.counter("network_transmit_bytes_total", float64(n.txBytes), labels)
	c.counter("network_receive_packets_total", float64(n.rxPackets), labels)
	c.counter("network_transmit_packets_total", float64(n.txPackets), labels)
	c.counter("network_receive_errors_total", float64(n.rxErrs), labels)
	c.counter("network_transmit_errors_total", float64(n.txErrs), labels)
	c.counter("network_receive_drops_total", float64(n.rxDrops), labels)
	c.counter("network_transmit_drops_total", float64(n.txDrops), labels)
}

func (c *Collector) emitMemory(m meminfo) {
	used := m.total - m.available
	c.gauge("memory_total_bytes", float64(m.total), nil)
	c.gauge("memory_available_bytes", float64(m.available), nil)
	c.gauge("memory_used_bytes", float64(used), nil)
	c.gauge("memory_cached_bytes", float64(m.cached+m.buffers+m.sreclaimable), nil)
	c.gauge("memory_used_ratio", float64(used)/float64(m.total), nil)
	if m.haveSwap {
		c.gauge("swap_total_bytes", float64(m.swapTotal), nil)
		c.gauge("swap_used_bytes", float64(m.swapTotal-m.swapFree), nil)
	}
}
