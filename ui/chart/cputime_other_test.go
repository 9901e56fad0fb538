//go:build !linux

package chart

import "time"

func threadCPU() (time.Duration, bool) { return 0, false }
