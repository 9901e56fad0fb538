package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clkTck is the kernel's clock ticks per second (getconf CLK_TCK): 100 on
// every Linux Go supports.
const clkTck = 100

// procSample is one read of /proc/PID/stat and /proc/PID/status.
type procSample struct {
	cpuTicks int64 // utime + stime
	rssKB    int64
	hwmKB    int64
	threads  int
}

// readProc reads a process's CPU time and memory from procfs under root.
func readProc(root string, pid int) (procSample, error) {
	var s procSample
	b, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", root, pid))
	if err != nil {
		return s, err
	}
	// The command name is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return s, fmt.Errorf("%s/%d/stat: no ')'", root, pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return s, fmt.Errorf("%s/%d/stat: %d fields", root, pid, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("%s/%d/stat: utime %q, stime %q", root, pid, f[11], f[12])
	}
	s.cpuTicks = ut + st
	b, err = os.ReadFile(fmt.Sprintf("%s/%d/status", root, pid))
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			s.rssKB = n
		case "VmHWM":
			s.hwmKB = n
		case "Threads":
			s.threads = int(n)
		}
	}
	return s, nil
}

// machineTicks is the whole machine's busy and total CPU ticks
// (/proc/stat's first line).
func machineTicks(root string) (busy, total int64, err error) {
	b, err := os.ReadFile(root + "/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("%s/stat: unexpected first line %q", root, line)
	}
	for i, x := range f[1:] {
		n, _ := strconv.ParseInt(x, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, nil
}
