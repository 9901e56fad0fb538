package chart

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time of the calling OS thread, so that benchmarks can
// report the work done apart from the time spent waiting for a busy machine.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	const rusageThread = 1 // RUSAGE_THREAD
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
