package collect

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user+system, all threads) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the CPU time per operation, which unlike ns/op does not
// count time spent waiting (for the statfs goroutines, for instance).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkCollect is one full tick on this machine. The ticks are dated one
// second apart, as in `holdfast serve`, so that the work done every few
// seconds (process count, mount table) weighs what it does there.
func BenchmarkCollect(b *testing.B) {
	c := New(Options{})
	ctx := context.Background()
	now := time.Now()
	c.Collect(ctx, now)
	var n int
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		now = now.Add(time.Second)
		s, err := c.Collect(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
		n = len(s)
	}
	reportCPU(b, start)
	b.ReportMetric(float64(n), "samples")
}

// BenchmarkProcessesProc is one top-10 sample of the process table read
// straight from /proc.
func BenchmarkProcessesProc(b *testing.B) {
	c := New(Options{})
	ctx := context.Background()
	c.Processes(ctx, 10)
	procs := len(c.procs.rows)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for b.Loop() {
		if _, err := c.Processes(ctx, 10); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
	b.ReportMetric(float64(procs), "procs")
}
