package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// reportCmd prints the Markdown tables of the side-by-side run: one table
// per phase with absolute figures and the ratios Holdfast ÷ each other
// program, then the versions.
func reportCmd(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	versions := fs.String("versions", "", "file of 'program: version' lines")
	_ = fs.Parse(args)
	if fs.NArg() == 0 {
		return errors.New("report: need phase JSON files")
	}
	var b strings.Builder
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		var ph Phase
		if err := json.Unmarshal(data, &ph); err != nil {
			return fmt.Errorf("report: %s: %w", path, err)
		}
		phaseTable(&b, &ph)
	}
	if *versions != "" {
		f, err := os.Open(*versions)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer f.Close()
		b.WriteString("Versions: ")
		sc := bufio.NewScanner(f)
		var vs []string
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" {
				vs = append(vs, l)
			}
		}
		b.WriteString(strings.Join(vs, "; ") + ".\n")
	}
	fmt.Print(b.String())
	return nil
}

func phaseTable(b *strings.Builder, ph *Phase) {
	byName := map[string]Result{}
	var names []string
	for _, r := range ph.Results {
		byName[r.Name] = r
		names = append(names, r.Name)
	}
	hf, ok := byName["holdfast"]
	var others []string
	for _, n := range names {
		if n != "holdfast" {
			others = append(others, n)
		}
	}
	fmt.Fprintf(b, "#### %s: %.0f s from %s, %d processes on the machine, %.2f of %d cores busy on average (everything)\n\n",
		ph.Phase, ph.Seconds, ph.Start.Format("2006-01-02 15:04 MST"), ph.Machine.ProcessesEnd, ph.Machine.BusyCores, ph.Machine.CPUs)
	b.WriteString("| metric |")
	for _, n := range names {
		fmt.Fprintf(b, " %s |", n)
	}
	if ok {
		for _, n := range others {
			fmt.Fprintf(b, " holdfast/%s |", n)
		}
	}
	b.WriteString("\n|---|")
	for range names {
		b.WriteString("---:|")
	}
	if ok {
		for range others {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	metrics := []struct {
		label string
		get   func(Result) float64
		unit  string
		prec  int
	}{
		{"CPU, % of one core", func(r Result) float64 { return r.CPUPercent }, " %", 2},
		{"RSS, average", func(r Result) float64 { return r.RSSAvgMiB }, " MiB", 1},
		{"RSS, peak (1 s samples)", func(r Result) float64 { return r.RSSPeakMiB }, " MiB", 1},
		{"VmHWM, main process (peak since start)", func(r Result) float64 { return r.HWMMiB }, " MiB", 1},
	}
	for _, m := range metrics {
		fmt.Fprintf(b, "| %s |", m.label)
		for _, n := range names {
			fmt.Fprintf(b, " %.*f%s |", m.prec, m.get(byName[n]), m.unit)
		}
		if ok {
			for _, n := range others {
				if d := m.get(byName[n]); d > 0 {
					fmt.Fprintf(b, " %.2f |", m.get(hf)/d)
				} else {
					b.WriteString(" – |")
				}
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("| processes, threads |")
	for _, n := range names {
		fmt.Fprintf(b, " %d, %d |", byName[n].Processes, byName[n].Threads)
	}
	if ok {
		for range others {
			b.WriteString(" |")
		}
	}
	b.WriteString("\n\n")
}
