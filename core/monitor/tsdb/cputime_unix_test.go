//go:build unix

package tsdb

import (
	"syscall"
	"time"
)

// processCPU is the CPU time of the whole process (every thread, so the
// garbage collector's work too), for benchmarks on a machine where other
// work makes wall time per op an overestimate.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
