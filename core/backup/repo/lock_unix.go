//go:build unix

package repo

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this PID exists on this
// host. EPERM means it exists but belongs to someone else.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false // kill(0|-n) would address process groups
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
