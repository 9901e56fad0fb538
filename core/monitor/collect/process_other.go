//go:build !linux

package collect

import (
	"context"
	"slices"
	"time"

	"github.com/shirou/gopsutil/v4/process"
)

// procState is what Processes keeps between calls.
type procState struct {
	prev   map[int32]procPrev
	gen    uint32
	prevAt time.Time
}

type procPrev struct {
	cpuSeconds      float64
	created         int64
	gen             uint32
	ioRead, ioWrite uint64
	ioAt            time.Time
	haveIO          bool
}

type procRow struct {
	p       *process.Process
	cpu     float64
	rss     uint64
	threads int32
}

// Processes returns the union of the n processes using the most CPU and the
// n using the most resident memory (n <= 0: all processes), sorted by CPU
// then memory. CPU ratios and I/O rates are measured since the previous
// call; the first call reports 0 CPU. Outside Linux this goes through
// gopsutil and is much more expensive.
func (c *Collector) Processes(ctx context.Context, n int) ([]Process, error) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	ps := &c.procs
	if ps.prev == nil {
		ps.prev = make(map[int32]procPrev)
	}
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	elapsed := 0.0
	if !ps.prevAt.IsZero() {
		elapsed = now.Sub(ps.prevAt).Seconds()
	}
	ps.gen++
	rows := make([]procRow, 0, len(procs))
	for _, p := range procs {
		t, err := p.TimesWithContext(ctx)
		if err != nil {
			continue
		}
		created, _ := p.CreateTimeWithContext(ctx)
		secs := t.User + t.System
		prev, had := ps.prev[p.Pid]
		cpu := 0.0
		if elapsed > 0 && had && prev.created == created && secs >= prev.cpuSeconds {
			cpu = (secs - prev.cpuSeconds) / elapsed
		} else if elapsed > 0 && !had && created >= ps.prevAt.UnixMilli() {
			cpu = secs / elapsed
		}
		if !had || prev.created != created {
			prev = procPrev{created: created}
		}
		prev.cpuSeconds, prev.gen = secs, ps.gen
		ps.prev[p.Pid] = prev
		r := procRow{p: p, cpu: cpu}
		if mi, err := p.MemoryInfoWithContext(ctx); err == nil {
			r.rss = mi.RSS
		}
		if th, err := p.NumThreadsWithContext(ctx); err == nil {
			r.threads = th
		}
		rows = append(rows, r)
	}
	for pid, p := range ps.prev {
		if p.gen != ps.gen {
			delete(ps.prev, pid)
		}
	}
	ps.prevAt = now

	byCPU := func(a, b procRow) int {
		switch {
		case a.cpu != b.cpu:
			if a.cpu > b.cpu {
				return -1
			}
			return 1
		case a.rss != b.rss:
			if a.rss > b.rss {
				return -1
			}
			return 1
		}
		return int(a.p.Pid - b.p.Pid)
	}
	sel := rows
	if n > 0 && n < len(rows) {
		keep := map[int32]bool{}
		slices.SortFunc(rows, byCPU)
		for _, r := range rows[:n] {
			keep[r.p.Pid] = true
		}
		slices.SortFunc(rows, func(a, b procRow) int {
			if a.rss != b.rss {
				if a.rss > b.rss {
					return -1
				}
				return 1
			}
			return int(a.p.Pid - b.p.Pid)
		})
		for _, r := range rows[:n] {
			keep[r.p.Pid] = true
		}
		sel = nil
		for _, r := range rows {
			if keep[r.p.Pid] {
				sel = append(sel, r)
			}
		}
	}
	slices.SortFunc(sel, byCPU)
	out := make([]Process, 0, len(sel))
	for _, r := range sel {
		p := Process{PID: int(r.p.Pid), CPURatio: r.cpu, RSSBytes: r.rss, Threads: int(r.threads)}
		p.Name, _ = r.p.NameWithContext(ctx)
		p.User, _ = r.p.UsernameWithContext(ctx)
		if io, err := r.p.IOCountersWithContext(ctx); err == nil && io != nil {
			rd, wr := io.ReadBytes, io.WriteBytes
			if io.DiskReadBytes != 0 || io.DiskWriteBytes != 0 {
				rd, wr = io.DiskReadBytes, io.DiskWriteBytes
			}
			prev := ps.prev[r.p.Pid]
			if prev.haveIO && rd >= prev.ioRead && wr >= prev.ioWrite {
				if dt := now.Sub(prev.ioAt).Seconds(); dt > 0 {
					p.ReadBytesPerSec = float64(rd-prev.ioRead) / dt
					p.WriteBytesPerSec = float64(wr-prev.ioWrite) / dt
					p.IOKnown = true
				}
			}
			prev.ioRead, prev.ioWrite, prev.ioAt, prev.haveIO = rd, wr, now, true
			ps.prev[r.p.Pid] = prev
		}
		out = append(out, p)
	}
	return out, nil
}
