package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// procStat is what one /proc/PID/stat and status read gives.
type procStat struct {
	ppid       int
	cpu        int64 // utime + stime, clock ticks
	startTicks int64
	rssKB      int64
	hwmKB      int64
	threads    int
}

// readStat reads /proc/PID/stat and /proc/PID/status.
func readStat(pid int) (procStat, error) {
	var s procStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name is in parentheses and may hold spaces: split after
	// the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, so f[11].
	if len(f) < 20 {
		return s, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	num := func(j int) int64 { n, _ := strconv.ParseInt(f[j], 10, 64); return n }
	s.ppid = int(num(1))
	s.cpu = num(11) + num(12)
	s.startTicks = num(19)
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(bytes.NewReader(st))
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

// allParents maps every PID on the machine to its parent.
func allParents() map[int]int {
	out := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 1 {
			out[pid], _ = strconv.Atoi(f[1])
		}
	}
	return out
}

// tree returns root and its descendants.
func tree(root int, parents map[int]int) []int {
	pids := []int{root}
	for changed := true; changed; {
		changed = false
		for pid, pp := range parents {
			if slices.Contains(pids, pp) && !slices.Contains(pids, pid) {
				pids = append(pids, pid)
				changed = true
			}
		}
	}
	slices.Sort(pids)
	return pids
}

// tracked is one measured program.
type tracked struct {
	name string
	root int
	last map[int]procStat // by PID, identity checked with startTicks

	cpuTicks int64 // CPU of the tree since the window started
	rssSum   int64 // sum over samples of the tree's RSS, kB
	rssPeak  int64
	rssNow   int64
	procs    int // processes in the tree at the last sample
	threads  int
	samples  int
	hwmKB    int64
}

// Result is one program's figures over a window.
type Result struct {
	Name       string  `json:"name"`
	PID        int     `json:"pid"`
	CPUPercent float64 `json:"cpu_percent_of_one_core"`
	CPUSeconds float64 `json:"cpu_seconds"`
	RSSAvgMiB  float64 `json:"rss_avg_mib"`
	RSSPeakMiB float64 `json:"rss_peak_mib"`
	HWMMiB     float64 `json:"vm_hwm_mib"` // the root process's peak RSS since it started
	Processes  int     `json:"processes"`
	Threads    int     `json:"threads"`
	Samples    int     `json:"samples"`
}

// Phase is one measuring window.
type Phase struct {
	Phase    string    `json:"phase"`
	Start    time.Time `json:"start"`
	Seconds  float64   `json:"seconds"`
	Results  []Result  `json:"results"`
	Machine  Machine   `json:"machine"`
	Interval float64   `json:"interval_seconds"`
}

// Machine is the load the rest of the machine put on the CPUs during the
// window (other helpers compiling, the spawned processes).
type Machine struct {
	CPUs         int     `json:"cpus"`
	BusyCores    float64 `json:"busy_cores"` // average cores busy, all processes
	LoadAvg1End  float64 `json:"loadavg1_end"`
	ProcessesEnd int     `json:"processes_end"`
}

func measureCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("measure", flag.ExitOnError)
	phase := fs.String("phase", "idle", "name of the phase")
	dur := fs.Duration("duration", 600*time.Second, "length of the window")
	interval := fs.Duration("interval", time.Second, "sampling interval")
	out := fs.String("out", "", "write the summary JSON here, the samples to the same name with .csv")
	tck := fs.Int("clk-tck", 100, "kernel clock ticks per second (getconf CLK_TCK)")
	_ = fs.Parse(args)
	if *out == "" || fs.NArg() == 0 {
		return errors.New("measure: need -out and NAME=PID arguments")
	}
	var ts []*tracked
	for _, a := range fs.Args() {
		name, p, ok := strings.Cut(a, "=")
		pid, err := strconv.Atoi(p)
		if !ok || err != nil {
			return fmt.Errorf("measure: argument %q is not NAME=PID", a)
		}
		ts = append(ts, &tracked{name: name, root: pid, last: map[int]procStat{}})
	}
	csvPath := strings.TrimSuffix(*out, ".json") + ".csv"
	csv, err := os.Create(csvPath)
	if err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	defer csv.Close()
	w := bufio.NewWriter(csv)
	fmt.Fprintln(w, "phase,unix,name,pid_count,threads,cpu_ticks_window,rss_kib")

	busy0, total0, err := machineTicks()
	if err != nil {
		return err
	}
	start := time.Now()
	// The first pass sets the baselines.
	if err := sampleAll(ts, true); err != nil {
		return err
	}
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for time.Since(start) < *dur-*interval/2 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			if err := sampleAll(ts, false); err != nil {
				return err
			}
			for _, t := range ts {
				fmt.Fprintf(w, "%s,%d,%s,%d,%d,%d,%d\n", *phase, now.Unix(), t.name, t.procs, t.threads, t.cpuTicks, t.rssNow)
			}
		}
	}
	secs := time.Since(start).Seconds()
	busy1, total1, err := machineTicks()
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("measure: write %s: %w", csvPath, err)
	}
	ph := Phase{Phase: *phase, Start: start.UTC(), Seconds: secs, Interval: interval.Seconds()}
	ph.Machine = Machine{CPUs: ncpu(), BusyCores: float64(busy1-busy0) / float64(total1-total0) * float64(ncpu())}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			ph.Machine.LoadAvg1End, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	ph.Machine.ProcessesEnd = len(allParents())
	const mib = 1024.0
	for _, t := range ts {
		cpuSecs := float64(t.cpuTicks) / float64(*tck)
		ph.Results = append(ph.Results, Result{
			Name: t.name, PID: t.root,
			CPUSeconds: cpuSecs, CPUPercent: 100 * cpuSecs / secs,
			RSSAvgMiB:  float64(t.rssSum) / float64(max(t.samples, 1)) / mib,
			RSSPeakMiB: float64(t.rssPeak) / mib,
			HWMMiB:     float64(t.hwmKB) / mib,
			Processes:  t.procs, Threads: t.threads, Samples: t.samples,
		})
	}
	b, _ := json.MarshalIndent(ph, "", "  ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	for _, r := range ph.Results {
		fmt.Printf("%-14s %6.2f %% of a core  RSS avg %6.1f MiB  peak %6.1f MiB  (%d procs, %d threads)\n",
			r.Name, r.CPUPercent, r.RSSAvgMiB, r.RSSPeakMiB, r.Processes, r.Threads)
	}
	fmt.Printf("machine: %.2f of %d cores busy on average, load %.2f, %d processes\n",
		ph.Machine.BusyCores, ph.Machine.CPUs, ph.Machine.LoadAvg1End, ph.Machine.ProcessesEnd)
	return nil
}

// sampleAll reads every tracked tree once. CPU time is accumulated per
// process as the growth since its previous sample, so descendants that
// come and go are charged for what they ran while they were seen (a child
// living less than one interval is missed; the CSV's pid_count shows
// whether a program had children at all).
func sampleAll(ts []*tracked, first bool) error {
	parents := allParents()
	for _, t := range ts {
		pids := tree(t.root, parents)
		seen := map[int]procStat{}
		var rss int64
		threads := 0
		for _, pid := range pids {
			s, err := readStat(pid)
			if err != nil {
				if pid == t.root {
					return fmt.Errorf("measure: %s (PID %d) is gone: %w", t.name, pid, err)
				}
				continue
			}
			seen[pid] = s
			rss += s.rssKB
			threads += s.threads
			if pid == t.root {
				t.hwmKB = s.hwmKB
			}
			// A process that appeared during the window is counted from
			// its first sample on.
			if prev, ok := t.last[pid]; ok && prev.startTicks == s.startTicks && !first {
				t.cpuTicks += s.cpu - prev.cpu
			}
		}
		t.last = seen
		if first {
			continue
		}
		t.rssSum += rss
		t.rssNow = rss
		t.rssPeak = max(t.rssPeak, rss)
		t.procs, t.threads = len(seen), threads
		t.samples++
	}
	return nil
}

// machineTicks returns the busy and total ticks of all CPUs (/proc/stat).
func machineTicks() (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("measure: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, x := range f[1:] {
		n, _ := strconv.ParseInt(x, 10, 64)
		if i >= 8 { // guest time is already in user
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, nil
}

func ncpu() int {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "cpu") && len(l) > 3 && l[3] >= '0' && l[3] <= '9' {
			n++
		}
	}
	return n
}
