//go:build !linux

package collect

import (
	"context"
	"errors"
	"runtime"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/mem"
)

// hostHardware fills the CPU count and model and the memory size.
func hostHardware(ctx context.Context, h *HostInfo) error {
	var errs []error
	n, err := cpu.CountsWithContext(ctx, true)
	if err != nil || n <= 0 {
		n = runtime.NumCPU()
	}
	h.CPUs = n
	if info, err := cpu.InfoWithContext(ctx); err == nil && len(info) > 0 {
		h.CPUModel = info[0].ModelName
	}
	if v, err := mem.VirtualMemoryWithContext(ctx); err != nil {
		errs = append(errs, err)
	} else {
		h.MemoryBytes = v.Total
	}
	return errors.Join(errs...)
}
