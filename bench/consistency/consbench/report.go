package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// record is one line of records.jsonl; which fields are set depends on
// Type.
type record struct {
	Type  string  `json:"type"`
	Files int     `json:"files"`
	Op    string  `json:"op"`
	Run   int     `json:"run"`
	Wall  float64 `json:"wall_s"`
	RSS   int64   `json:"rss_kb"`
	CPU   float64 `json:"cpu_s"`
	Other float64 `json:"other_cores"`

	Latencies []float64 `json:"latencies_s"`

	Entries   int   `json:"indexed_entries"`
	ServeRSS  int64 `json:"serve_rss_kb"`
	IdleRSS   int64 `json:"idle_rss_kb"`
	ServeAnon int64 `json:"serve_anon_kb"`
	IdleAnon  int64 `json:"idle_anon_kb"`
	Bytes     int64 `json:"bytes"`
	Keys      int   `json:"keys"`

	Note string `json:"note"`
}

func cmdReport(args []string) error {
	fl := flag.NewFlagSet("report", flag.ExitOnError)
	path := fl.String("records", "", "records.jsonl")
	mdPath := fl.String("md", "", "markdown out")
	_ = fl.Parse(args)
	f, err := os.Open(*path)
	if err != nil {
		return err
	}
	defer f.Close()
	var recs []record
	var notes []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("%s: %w", *path, err)
		}
		if r.Type == "meta" && r.Note != "" {
			notes = append(notes, r.Note)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	var sizes []int
	for _, r := range recs {
		if r.Files > 0 && !slices.Contains(sizes, r.Files) {
			sizes = append(sizes, r.Files)
		}
	}
	slices.Sort(sizes)
	var b strings.Builder
	for _, n := range sizes {
		writeSize(&b, recs, n)
	}
	writeMarginalMemory(&b, recs)
	for _, n := range notes {
		fmt.Fprintf(&b, "%s\n\n", n)
	}
	fmt.Print(b.String())
	if *mdPath != "" {
		return os.WriteFile(*mdPath, []byte(b.String()), 0o644)
	}
	return nil
}

// best returns the record of op with the lowest wall time.
func best(recs []record, n int, op string) (record, int, bool) {
	var out record
	found, runs := false, 0
	for _, r := range recs {
		if r.Type == "op" && r.Files == n && r.Op == op {
			runs++
			if !found || r.Wall < out.Wall {
				out, found = r, true
			}
		}
	}
	return out, runs, found
}

func mib(kb int64) float64 { return float64(kb) / 1024 }

func writeSize(b *strings.Builder, recs []record, n int) {
	fmt.Fprintf(b, "### %d files (A, and B = a copy of A with 10 changes)\n\n", n)
	fmt.Fprintf(b, "| measure | holdfast | rsync | holdfast/rsync | target | met |\n|---|---:|---:|---:|---:|---|\n")
	row := func(label, op, ref, refLabel string, target float64) {
		h, runs, ok1 := best(recs, n, op)
		r, _, ok2 := best(recs, n, ref)
		if !ok1 || !ok2 {
			return
		}
		ratio := h.Wall / r.Wall
		met := "yes"
		if ratio > target {
			met = "**no**"
		}
		fmt.Fprintf(b, "| %s (best of %d) | %.3f s (cpu %.2f s, %.0f MiB) | %.3f s `%s` (cpu %.2f s) | %.2f | ≤ %.2f | %s |\n",
			label, runs, h.Wall, h.CPU, mib(h.RSS), r.Wall, refLabel, r.CPU, ratio, target, met)
	}
	row("compare, two watched folders, through `holdfast serve`", "hf_compare_watched", "rsync_rn", "rsync -rn", 0.25)
	row("compare, two unwatched folders, index in the home", "hf_compare_unwatched", "rsync_rn", "rsync -rn", 0.75)
	row("first index of A, page cache warm", "hf_first_index", "rsync_rlptcn", "rsync -rlptcn", 0.8)
	for _, r := range recs {
		if r.Type == "latency" && r.Files == n && len(r.Latencies) > 0 {
			l := slices.Clone(r.Latencies)
			slices.Sort(l)
			q := func(p float64) float64 { return l[min(len(l)-1, int(math.Ceil(p*float64(len(l))))-1)] }
			met := "yes"
			if l[len(l)-1] >= 1 {
				met = "**no**"
			}
			fmt.Fprintf(b, "| write → updated tree, %d writes (median / p90 / max) | %.3f / %.3f / %.3f s | – | – | < 1 s | %s |\n",
				len(l), q(0.5), q(0.9), l[len(l)-1], met)
		}
	}
	for _, r := range recs {
		if r.Type == "memory" && r.Files == n && r.Entries > 0 {
			per := float64(r.ServeAnon-r.IdleAnon) / 1024 / float64(r.Entries) * 1e6
			perAll := float64(r.ServeRSS-r.IdleRSS) / 1024 / float64(r.Entries) * 1e6
			met := "yes"
			if per > 300 {
				met = "**no**"
			}
			fmt.Fprintf(b, "| memory per million indexed entries: anonymous RSS of `holdfast serve` watching A and B (%d entries) %.0f MiB, minus an idle serve's %.0f MiB (all of RSS, the index's mapped pages included: %.0f − %.0f MiB, %.0f MiB per million) | %.0f MiB | – | – | ≤ 300 MB | %s |\n",
				r.Entries, mib(r.ServeAnon), mib(r.IdleAnon), mib(r.ServeRSS), mib(r.IdleRSS), perAll, per, met)
		}
	}
	for _, r := range recs {
		if r.Type == "db" && r.Files == n && r.Keys > 0 {
			fmt.Fprintf(b, "| file index in holdfast.db (%d records) | %.0f bytes per file | – | – | – | – |\n", r.Keys, float64(r.Bytes)/float64(r.Keys))
		}
	}
	b.WriteString("\n")
}

// writeMarginalMemory gives the memory each further million indexed
// entries costs, from the serves of the smallest and the largest tree:
// the difference of their anonymous RSS over the difference of their
// entries, so the fixed cost of a serve watching folders (its buffers,
// the runtime's spare heap) is not spread over the entries as in the
// per-size figures.
func writeMarginalMemory(b *strings.Builder, recs []record) {
	var lo, hi *record
	for i := range recs {
		r := &recs[i]
		if r.Type != "memory" || r.Entries <= 0 {
			continue
		}
		if lo == nil || r.Entries < lo.Entries {
			lo = r
		}
		if hi == nil || r.Entries > hi.Entries {
			hi = r
		}
	}
	if lo == nil || hi == nil || hi.Entries == lo.Entries {
		return
	}
	per := float64(hi.ServeAnon-lo.ServeAnon) / 1024 / float64(hi.Entries-lo.Entries) * 1e6
	met := "yes"
	if per > 300 {
		met = "**no**"
	}
	fmt.Fprintf(b, "### Memory per million indexed entries, marginal\n\n")
	fmt.Fprintf(b, "| measure | holdfast | target | met |\n|---|---:|---:|---|\n")
	fmt.Fprintf(b, "| anonymous RSS of the serve: %.0f MiB watching %d entries, %.0f MiB watching %d; the difference per million entries | %.0f MiB | ≤ 300 MB | %s |\n\n",
		mib(lo.ServeAnon), lo.Entries, mib(hi.ServeAnon), hi.Entries, per, met)
}
