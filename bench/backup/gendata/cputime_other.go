//go:build !linux

package main

import "time"

var clockStart = time.Now()

// threadClock falls back to wall time where per-thread CPU time is not
// available.
func threadClock() time.Duration { return time.Since(clockStart) }

func lockThread() {}
