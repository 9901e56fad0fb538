//go:build gopsutilbench

// Comparison benchmarks with gopsutil's process and cpu packages. These need
// go.sum entries that the module does not carry yet (gopsutil's cpu and
// process packages import github.com/tklauser/go-sysconf), hence the build
// tag. Run them without touching go.mod with a scratch copy of it:
//
//	cp go.mod go.sum /tmp/m/ && go get -modfile=/tmp/m/go.mod github.com/shirou/gopsutil/v4/process@v4.26.10
//	go test -modfile=/tmp/m/go.mod -tags gopsutilbench -run '^$' -bench Gopsutil ./core/monitor/collect/

package collect

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/load"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// gopsutilTop does what Processes does, the gopsutil way: CPU times, create
// time and memory for every process, then name, user and I/O for the top n
// by CPU and by memory.
func gopsutilTop(ctx context.Context, prev map[int32]float64, elapsed float64, n int) ([]Process, error) {
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, err
	}
	type row struct {
		p   *process.Process
		cpu float64
		rss uint64
	}
	rows := make([]row, 0, len(procs))
	for _, p := range procs {
		t, err := p.TimesWithContext(ctx)
		if err != nil {
			continue
		}
		p.CreateTimeWithContext(ctx)
		secs := t.User + t.System
		r := row{p: p}
		if old, ok := prev[p.Pid]; ok && elapsed > 0 {
			r.cpu = (secs - old) / elapsed
		}
		prev[p.Pid] = secs
		if mi, err := p.MemoryInfoWithContext(ctx); err == nil {
			r.rss = mi.RSS
		}
		p.NumThreadsWithContext(ctx)
		rows = append(rows, r)
	}
	keep := map[int32]bool{}
	slices.SortFunc(rows, func(a, b row) int { return int(b.cpu*1e6 - a.cpu*1e6) })
	for _, r := range rows[:min(n, len(rows))] {
		keep[r.p.Pid] = true
	}
	slices.SortFunc(rows, func(a, b row) int { return int(int64(b.rss) - int64(a.rss)) })
	for _, r := range rows[:min(n, len(rows))] {
		keep[r.p.Pid] = true
	}
	var out []Process
	for _, r := range rows {
		if !keep[r.p.Pid] {
			continue
		}
		p := Process{PID: int(r.p.Pid), CPURatio: r.cpu, RSSBytes: r.rss}
		p.Name, _ = r.p.NameWithContext(ctx)
		p.User, _ = r.p.UsernameWithContext(ctx)
		r.p.IOCountersWithContext(ctx)
		out = append(out, p)
	}
	return out, nil
}

func BenchmarkProcessesGopsutil(b *testing.B) {
	ctx := context.Background()
	prev := map[int32]float64{}
	gopsutilTop(ctx, prev, 0, 10)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	last := time.Now()
	for b.Loop() {
		now := time.Now()
		if _, err := gopsutilTop(ctx, prev, now.Sub(last).Seconds(), 10); err != nil {
			b.Fatal(err)
		}
		last = now
	}
	reportCPU(b, start)
	b.ReportMetric(float64(len(prev)), "procs")
}

// BenchmarkCollectGopsutil reads what one tick reads, through gopsutil.
func BenchmarkCollectGopsutil(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		cpu.TimesWithContext(ctx, false)
		cpu.TimesWithContext(ctx, true)
		load.AvgWithContext(ctx)
		load.MiscWithContext(ctx)
		mem.VirtualMemoryWithContext(ctx)
		mem.SwapMemoryWithContext(ctx)
		disk.IOCountersWithContext(ctx)
		net.IOCountersWithContext(ctx, true)
		parts, _ := disk.PartitionsWithContext(ctx, false)
		for _, p := range parts {
			disk.UsageWithContext(ctx, p.Mountpoint)
		}
	}
	reportCPU(b, start)
}
