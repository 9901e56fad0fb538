//go:build !linux

package collect

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
	"github.com/shirou/gopsutil/v4/sensors"
)

// Outside Linux the collector is a thin layer over gopsutil: slower and
// allocating, but portable. Series and semantics are the same as on Linux;
// processes_running, processes_blocked and threads are not collected (darwin
// would need to run ps every tick).

type osState struct {
	perCPU   []cpuSample
	mountsOK bool
	tempsOff bool // sensors failed: retried at the next refresh only

	diskLC, netLC, sensorLC labelCache
}

func (c *Collector) initOS() {
	c.sys.diskLC = newLabelCache("device")
	c.sys.netLC = newLabelCache("interface")
	c.sys.sensorLC = newLabelCache("sensor")
}

func (c *Collector) collectOS(ctx context.Context) {
	s := &c.sys
	if c.refreshed || !s.mountsOK {
		c.refreshMounts(ctx)
	}
	if c.refreshed {
		s.tempsOff = false
	}
	start := c.startFS()
	c.collectCPU(ctx)
	c.collectLoad(ctx)
	c.collectMemory(ctx)
	c.collectMisc(ctx)
	c.collectDisks(ctx)
	c.collectNetwork(ctx)
	c.collectTemperatures(ctx)
	c.finishFS(ctx, start)
	if c.refreshed {
		s.diskLC.prune(c.tick)
		s.netLC.prune(c.tick)
		s.sensorLC.prune(c.tick)
	}
}

// toTimes converts gopsutil's float seconds to integer microseconds.
func toTimes(t cpu.TimesStat) cpuTimes {
	us := func(s float64) uint64 {
		if s <= 0 {
			return 0
		}
		return uint64(s * 1e6)
	}
	// gopsutil's User and Nice already include guest time, as on Linux.
	return cpuTimes{
		user: us(t.User), nice: us(t.Nice), system: us(t.System), idle: us(t.Idle),
		iowait: us(t.Iowait), irq: us(t.Irq), softirq: us(t.Softirq), steal: us(t.Steal),
	}
}

func (c *Collector) collectCPU(ctx context.Context) {
	const key = "cpu"
	all, err := cpu.TimesWithContext(ctx, false)
	if err != nil || len(all) == 0 {
		c.fail(key, orErr(err, "no CPU times"))
		return
	}
	per, err := cpu.TimesWithContext(ctx, true)
	if err != nil {
		per = nil // the aggregate is still worth having
	}
	c.ok(key)
	s := &c.sys
	s.perCPU = s.perCPU[:0]
	for i, t := range per {
		idx := i
		if n, err := strconv.Atoi(strings.TrimPrefix(t.CPU, "cpu")); err == nil && n >= 0 && n < maxCPUIndex {
			idx = n
		}
		s.perCPU = append(s.perCPU, cpuSample{idx: idx, t: toTimes(t)})
	}
	c.emitCPU(toTimes(all[0]), s.perCPU)
}

func orErr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

func (c *Collector) collectLoad(ctx context.Context) {
	const key = "load"
	l, err := load.AvgWithContext(ctx)
	if err != nil || l == nil {
		c.fail(key, orErr(err, "no load average"))
		return
	}
	c.ok(key)
	c.gauge("load1", l.Load1, nil)
	c.gauge("load5", l.Load5, nil)
	c.gauge("load15", l.Load15, nil)
}

func (c *Collector) collectMemory(ctx context.Context) {
	const key = "memory"
	v, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil || v == nil || v.Total == 0 {
		c.fail(key, orErr(err, "no memory total"))
		return
	}
	m := meminfo{
		total: v.Total, available: min(v.Available, v.Total),
		cached: v.Cached, buffers: v.Buffers, sreclaimable: v.Sreclaimable,
		haveAvailable: true,
	}
	if sw, err := mem.SwapMemoryWithContext(ctx); err == nil && sw != nil {
		m.haveSwap = true
		m.swapTotal = sw.Total
		m.swapFree = sw.Total - min(sw.Used, sw.Total)
	}
	c.ok(key)
	c.emitMemory(m)
}

// collectMisc emits the process count and the uptime.
func (c *Collector) collectMisc(ctx context.Context) {
	if pids, err := process.PidsWithContext(ctx); err != nil {
		c.fail("processes", err)
	} else {
		c.ok("processes")
		c.gauge("processes", float64(len(pids)), nil)
	}
	if up, err := host.UptimeWithContext(ctx); err != nil {
		c.fail("uptime", err)
	} else {
		c.ok("uptime")
		c.gauge("uptime_seconds", float64(up), nil)
	}
}

func (c *Collector) collectDisks(ctx context.Context) {
	const key = "disks"
	io, err := disk.IOCountersWithContext(ctx)
	if err != nil {
		c.fail(key, err)
		return
	}
	c.ok(key)
	for name, d := range io {
		e := c.sys.diskLC.get([]byte(name), c.tick)
		c.emitDisk(e.labels, d.ReadBytes, d.WriteBytes, d.ReadCount, d.WriteCount, float64(d.IoTime)/1000)
	}
}

func (c *Collector) collectNetwork(ctx context.Context) {
	const key = "network"
	nics, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		c.fail(key, err)
		return
	}
	c.ok(key)
	for _, n := range nics {
		if n.Name == "lo" || n.Name == "lo0" || strings.Contains(n.Name, "Loopback") {
			continue
		}
		ns := netStat{
			rxBytes: n.BytesRecv, rxPackets: n.PacketsRecv, rxErrs: n.Errin, rxDrops: n.Dropin,
			txBytes: n.BytesSent, txPackets: n.PacketsSent, txErrs: n.Errout, txDrops: n.Dropout,
		}
		c.emitNet(c.sys.netLC.get([]byte(n.Name), c.tick).labels, &ns)
	}
}

func (c *Collector) collectTemperatures(ctx context.Context) {
	const key = "temperatures"
	if c.sys.tempsOff {
		return
	}
	temps, err := sensors.TemperaturesWithContext(ctx)
	if len(temps) == 0 {
		if err != nil && !strings.Contains(err.Error(), "not implemented") {
			c.sys.tempsOff = true
			c.fail(key, err)
		}
		return
	}
	c.ok(key)
	for _, t := range temps {
		if t.Temperature <= -40 || t.Temperature >= 127 {
			continue
		}
		c.gauge("temperature_celsius", t.Temperature, c.sys.sensorLC.get([]byte(t.SensorKey), c.tick).labels)
	}
}

func (c *Collector) refreshMounts(ctx context.Context) {
	const key = "filesystems"
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil && len(parts) == 0 {
		c.sys.mountsOK = false
		c.fail(key, err)
		return
	}
	c.sys.mountsOK = true
	c.ok(key)
	entries := make([]mountEntry, 0, len(parts))
	for _, p := range parts {
		if skipOtherMount(p.Mountpoint) {
			continue
		}
		entries = append(entries, mountEntry{majmin: p.Device, root: "/", point: p.Mountpoint, fstype: p.Fstype, source: p.Device})
	}
	c.setMounts(selectMounts(entries))
}

// skipOtherMount leaves out macOS's system APFS volumes, which share their
// container's space with "/" and /System/Volumes/Data.
func skipOtherMount(point string) bool {
	return strings.HasPrefix(point, "/System/Volumes/") && point != "/System/Volumes/Data"
}

func statfsMount(m *mount) (fsStat, error) {
	u, err := disk.UsageWithContext(context.Background(), m.point)
	if err != nil {
		return fsStat{}, err
	}
	return fsStat{
		size: u.Total, used: u.Used, avail: u.Free,
		inodes: u.InodesTotal, inodesUsed: min(u.InodesUsed, u.InodesTotal),
	}, nil
}
