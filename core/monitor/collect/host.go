package collect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/shirou/gopsutil/v4/host"
)

// Host returns the machine's fixed facts. It is meant to be called once, at
// start: it may run a helper program (lsb_release) on some distributions.
// Fields that cannot be read are left empty and named in the error; the rest
// are still filled in.
func Host() (HostInfo, error) {
	ctx := context.Background()
	h := HostInfo{OS: runtime.GOOS}
	var errs []error
	note := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	var err error
	h.Hostname, err = os.Hostname()
	note("hostname", err)
	h.Platform, _, h.PlatformVersion, err = host.PlatformInformationWithContext(ctx)
	note("platform", err)
	h.Kernel, err = host.KernelVersionWithContext(ctx)
	note("kernel version", err)
	h.Arch, err = host.KernelArch()
	note("architecture", err)
	if h.Arch == "" {
		h.Arch = runtime.GOARCH
	}
	boot, err := host.BootTimeWithContext(ctx)
	note("boot time", err)
	if err == nil && boot > 0 {
		h.BootTime = time.Unix(int64(boot), 0)
	}
	note("cpus and memory", hostHardware(ctx, &h))
	return h, errors.Join(errs...)
}
