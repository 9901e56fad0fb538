package collect

import (
	"bytes"
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
)

// hostHardware fills the CPU count and model and the memory size from /proc.
func hostHardware(_ context.Context, h *HostInfo) error {
	var errs []error
	if b, err := os.ReadFile("/proc/stat"); err != nil {
		errs = append(errs, err)
		h.CPUs = runtime.NumCPU()
	} else if _, per, err := parseSysStat(b, nil); err != nil || len(per) == 0 {
		h.CPUs = runtime.NumCPU()
	} else {
		h.CPUs = len(per)
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		h.CPUModel = cpuModel(b)
	}
	if b, err := os.ReadFile("/proc/meminfo"); err != nil {
		errs = append(errs, err)
	} else if m, err := parseMeminfo(b); err != nil {
		errs = append(errs, err)
	} else {
		h.MemoryBytes = m.total
	}
	return errors.Join(errs...)
}

// cpuModel picks the processor's name from /proc/cpuinfo: "model name" on
// x86, "Model" or "Hardware" on ARM boards, "cpu" on POWER.
func cpuModel(b []byte) string {
	found := map[string]string{}
	for len(b) > 0 {
		var line []byte
		line, b = nextLine(b)
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		key := strings.TrimSpace(string(k))
		if _, dup := found[key]; !dup {
			found[key] = strings.TrimSpace(string(v))
		}
	}
	for _, k := range []string{"model name", "Model", "Hardware", "cpu model", "cpu", "uarch"} {
		if v := found[k]; v != "" {
			return v
		}
	}
	return ""
}
