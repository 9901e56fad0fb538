// Command report turns the records of bench/backup/run.sh (one JSON object
// a line) and the output of the Go stage benchmarks into
// bench/out/backup-results.json and a Markdown summary.
//
//	report -records FILE -gobench FILE -json OUT.json -md OUT.md
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var tools = []string{"holdfast", "restic", "borg"}

// contended is the CPU use by other processes, in cores, above which a
// run's wall time is called disturbed.
const contended = 0.25

type opRec struct {
	Type    string  `json:"type"`
	Dataset string  `json:"dataset,omitempty"`
	Tool    string  `json:"tool"`
	Op      string  `json:"op"`
	Run     int     `json:"run"`
	WallS   float64 `json:"wall_s,omitempty"`
	RSSKB   int64   `json:"rss_kb,omitempty"`
	CPUS    float64 `json:"cpu_s,omitempty"`
	// OtherCores is the CPU the rest of the machine used during the
	// run, in cores (a shared machine makes timings noisy).
	OtherCores float64 `json:"other_cores,omitempty"`
	Bytes      *int64  `json:"bytes,omitempty"`
	Extra      any     `json:"extra,omitempty"`
	Cmd        string  `json:"cmd,omitempty"`
}

// best is the best of several runs of one measurement.
type best struct {
	WallS float64 `json:"wall_s,omitempty"`
	RSSKB int64   `json:"peak_rss_kb,omitempty"`
	CPUS  float64 `json:"cpu_s,omitempty"`
	// BestOther is the CPU other processes used during the run with the
	// best wall time, in cores.
	BestOther float64  `json:"best_run_other_cores"`
	Bytes     int64    `json:"bytes,omitempty"`
	Runs      []opRec  `json:"runs"`
	MBps      *float64 `json:"mb_per_s,omitempty"`
	Cmd       string   `json:"cmd,omitempty"`
}

func bestOf(recs []opRec) *best {
	if len(recs) == 0 {
		return nil
	}
	b := &best{Runs: recs, WallS: math.Inf(1), RSSKB: math.MaxInt64, Bytes: math.MaxInt64, CPUS: math.Inf(1), Cmd: recs[0].Cmd}
	for _, r := range recs {
		if r.Type == "size" {
			b.Bytes = min(b.Bytes, *r.Bytes)
			continue
		}
		if r.WallS < b.WallS {
			b.WallS, b.BestOther = r.WallS, r.OtherCores
		}
		b.RSSKB = min(b.RSSKB, r.RSSKB)
		b.CPUS = min(b.CPUS, r.CPUS)
	}
	if math.IsInf(b.CPUS, 1) {
		b.CPUS = 0
	}
	if math.IsInf(b.WallS, 1) {
		b.WallS = 0
	}
	if b.RSSKB == math.MaxInt64 {
		b.RSSKB = 0
	}
	if b.Bytes == math.MaxInt64 {
		b.Bytes = 0
	}
	return b
}

type stage struct {
	Name string  `json:"name"`
	MBps float64 `json:"mb_per_s"`
	From string  `json:"from"`
}

type ceiling struct {
	Model        string  `json:"model"`
	Unique       float64 `json:"unique_share"` // share of the bytes compressed and encrypted (after dedup)
	Stages       []stage `json:"stages"`
	PerCoreMBps  float64 `json:"per_core_mb_per_s"`
	Cores        int     `json:"cores"`
	MBps         float64 `json:"mb_per_s"`
	Share        float64 `json:"compressible_share"`
	HoldfastMBps float64 `json:"holdfast_initial_backup_mb_per_s,omitempty"`
}

func main() {
	records := flag.String("records", "", "records file (JSON lines)")
	gobench := flag.String("gobench", "", "output of the Go benchmarks (may be missing)")
	jsonOut := flag.String("json", "", "JSON output")
	mdOut := flag.String("md", "", "Markdown output")
	flag.Parse()

	meta := map[string]any{}
	datasets := map[string]map[string]any{}
	var dsOrder []string
	ops := map[string]map[string]map[string][]opRec{} // dataset -> tool -> op -> runs
	kdf := map[string]map[string][]opRec{}            // tool -> command -> runs
	var kdfOrder [][2]string

	f, err := os.Open(*records)
	check(err)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(strings.TrimSpace(string(line))) == 0 {
			continue
		}
		var kind struct {
			Type string `json:"type"`
		}
		check(json.Unmarshal(line, &kind))
		switch kind.Type {
		case "meta":
			var m map[string]any
			check(json.Unmarshal(line, &m))
			delete(m, "type")
			for k, v := range m {
				meta[k] = v
			}
		case "dataset":
			var m map[string]any
			check(json.Unmarshal(line, &m))
			name := m["name"].(string)
			if datasets[name] == nil {
				datasets[name] = map[string]any{}
				dsOrder = append(dsOrder, name)
			}
			for k, v := range m {
				if k != "type" {
					datasets[name][k] = v
				}
			}
		case "op", "size":
			var r opRec
			check(json.Unmarshal(line, &r))
			if ops[r.Dataset] == nil {
				ops[r.Dataset] = map[string]map[string][]opRec{}
			}
			if ops[r.Dataset][r.Tool] == nil {
				ops[r.Dataset][r.Tool] = map[string][]opRec{}
			}
			ops[r.Dataset][r.Tool][r.Op] = append(ops[r.Dataset][r.Tool][r.Op], r)
		case "kdf":
			var r opRec
			check(json.Unmarshal(line, &r))
			if kdf[r.Tool] == nil {
				kdf[r.Tool] = map[string][]opRec{}
			}
			if kdf[r.Tool][r.Op] == nil {
				kdfOrder = append(kdfOrder, [2]string{r.Tool, r.Op})
			}
			kdf[r.Tool][r.Op] = append(kdf[r.Tool][r.Op], r)
		}
	}
	check(sc.Err())
	f.Close()

	// Best of the runs, and ratios.
	results := map[string]map[string]map[string]*best{}
	ratios := map[string]map[string]map[string]float64{}
	for ds, byTool := range ops {
		results[ds] = map[string]map[string]*best{}
		for tool, byOp := range byTool {
			results[ds][tool] = map[string]*best{}
			for op, runs := range byOp {
				b := bestOf(runs)
				if bytes := num(datasets[ds]["bytes"]); b.WallS > 0 && bytes > 0 && (op == "backup_initial" || op == "restore") {
					v := bytes / 1e6 / b.WallS
					b.MBps = &v
				}
				results[ds][tool][op] = b
			}
		}
		ratios[ds] = map[string]map[string]float64{}
		hf := results[ds]["holdfast"]
		for _, other := range []string{"restic", "borg"} {
			o := results[ds][other]
			if hf == nil || o == nil {
				continue
			}
			r := map[string]float64{}
			for op, hb := range hf {
				ob := o[op]
				if ob == nil {
					continue
				}
				if hb.WallS > 0 && ob.WallS > 0 {
					r[op+"_wall"] = hb.WallS / ob.WallS
				}
				if hb.RSSKB > 0 && ob.RSSKB > 0 {
					r[op+"_rss"] = float64(hb.RSSKB) / float64(ob.RSSKB)
				}
				if hb.CPUS > 0 && ob.CPUS > 0 {
					r[op+"_cpu"] = hb.CPUS / ob.CPUS
				}
				if hb.Bytes > 0 && ob.Bytes > 0 {
					r[op] = float64(hb.Bytes) / float64(ob.Bytes)
				}
			}
			ratios[ds]["holdfast/"+other] = r
		}
	}
	kdfBest := map[string]map[string]*best{}
	for tool, byCmd := range kdf {
		kdfBest[tool] = map[string]*best{}
		for c, runs := range byCmd {
			kdfBest[tool][c] = bestOf(runs)
		}
	}

	// Stage figures and the ceiling.
	bench, benchLines := parseGoBench(*gobench)
	cipher, _ := meta["cipher"].(string)
	if cipher == "" {
		cipher = "xaes-256-gcm"
	}
	cores := int(num(meta["cores"]))
	ceilings := map[string][]*ceiling{}
	formula := "per-core MB/s = 1 / (1/read + 1/chunk + 1/hash + u*(1/compress + 1/encrypt)), ceiling = per-core x cores. " +
		"read = cat of the data set from the page cache (one process); chunk = BenchmarkChunker; " +
		"hash = 1/(1/BenchmarkHashFile - 1/BenchmarkChunker), BenchmarkHashFile being what the archiver runs per file " +
		"(chunking plus BLAKE3 of every chunk and of the whole file), so chunk+hash together cost 1/BenchmarkHashFile; " +
		"encrypt = BenchmarkSeal/" + cipher + "/1024KiB. Model \"as specified\": u = 1 and compress = " +
		"1/(s/BenchmarkCompress/text/holdfast-payload + (1-s)/BenchmarkCompress/random/holdfast-payload), s the data set's " +
		"compressible share (bytes in 1 MiB blocks that zstd default shrinks by >= 3%); holdfast-payload is Holdfast's " +
		"blob compression (libzstd in the cgo build). Model \"data-aware\": compress = " +
		"Holdfast's compressor (repo.CompressFrame) measured on the data set's own 1 MiB blocks, in thread CPU time, and " +
		"u = data_added / bytes_read of Holdfast's initial backup (only new, deduplicated bytes are compressed and encrypted)"
	chunk, hf := bench["BenchmarkChunker"], bench["BenchmarkHashFile"]
	text, random := bench["BenchmarkCompress/text/holdfast-payload"], bench["BenchmarkCompress/random/holdfast-payload"]
	seal := bench["BenchmarkSeal/"+cipher+"/1024KiB"]
	if chunk > 0 && hf < chunk && text > 0 && random > 0 && seal > 0 && cores > 0 {
		hash := 1 / (1/hf - 1/chunk)
		for _, ds := range dsOrder {
			read := num(datasets[ds]["read_mbps"])
			s := num(datasets[ds]["compressible_share"])
			if read <= 0 {
				continue
			}
			var hfMBps float64
			unique := 1.0
			if b := results[ds]["holdfast"]["backup_initial"]; b != nil {
				if b.MBps != nil {
					hfMBps = *b.MBps
				}
				if e, ok := b.Runs[0].Extra.(map[string]any); ok && num(e["bytes_read"]) > 0 {
					unique = min(1, num(e["data_added"])/num(e["bytes_read"]))
				}
			}
			models := []struct {
				name   string
				comp   float64
				from   string
				unique float64
			}{
				{"as specified", 1 / (s/text + (1-s)/random), fmt.Sprintf("Go benchmarks, %.0f%% compressible", 100*s), 1},
			}
			if z := num(datasets[ds]["zstd_mbps"]); z > 0 {
				models = append(models, struct {
					name   string
					comp   float64
					from   string
					unique float64
				}{"data-aware", z, "zstd default on the data set itself", unique})
			}
			for _, m := range models {
				c := &ceiling{Model: m.name, Unique: m.unique, Cores: cores, Share: s, HoldfastMBps: hfMBps, Stages: []stage{
					{"read", read, "cat from page cache"},
					{"chunk", chunk, "BenchmarkChunker"},
					{"hash", hash, "derived from BenchmarkHashFile and BenchmarkChunker"},
					{"compress", m.comp, m.from},
					{"encrypt", seal, "BenchmarkSeal/" + cipher + "/1024KiB"},
				}}
				inv := 1/read + 1/chunk + 1/hash + m.unique*(1/m.comp+1/seal)
				c.PerCoreMBps = 1 / inv
				c.MBps = c.PerCoreMBps * float64(cores)
				ceilings[ds] = append(ceilings[ds], c)
			}
		}
	}

	out := map[string]any{
		"meta": meta, "datasets": datasets, "results": results, "ratios": ratios,
		"key_derivation": kdfBest,
		"ceiling":        map[string]any{"formula": formula, "go_benchmarks_mb_per_s": bench, "per_dataset": ceilings},
	}
	raw, err := json.MarshalIndent(out, "", "  ")
	check(err)
	check(os.WriteFile(*jsonOut, append(raw, '\n'), 0o644))

	// Markdown.
	var md strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&md, format, a...) }
	w("# Backup benchmark: Holdfast vs restic vs Borg\n\n")
	w("%s; %v cores, %v GiB RAM; Holdfast %v (`%s`); %v; %v.\n\n", str(meta["date"]), meta["cores"], meta["mem_gib"],
		str(meta["holdfast_source"]), str(meta["holdfast_version"]), str(meta["restic_version"]), str(meta["borg_version"]))
	w("Mode: **%s**, best of %v run(s) per measurement, plus any extra runs listed below (minimum wall time; minimum peak RSS, CPU and size separately). "+
		"Every run starts from a fresh repository and a fresh copy of the data set; the three backups run in a row on it "+
		"(initial, no change, then after `gendata mutate` changed 1%% of the files), then a full restore into an empty "+
		"directory, checked file by file against the source (content, type, mode, mtime). Borg: `--compression zstd,3`, "+
		"repokey-blake2; restic: repository format v%s, compression auto; Holdfast: defaults (%s). "+
		"CPU is user+sys of the process and its children; \"rest of machine\" in the log is the CPU other processes used meanwhile.\n\n",
		str(meta["cache_mode"]), meta["runs"], str(meta["restic_repo_version"]), cipher)
	// Other processes' CPU use: on a shared machine it slows the tools
	// down unevenly. Runs disturbed by it were repeated by run.sh; a best
	// figure that still comes from a disturbed run is marked.
	var extras []string
	suspect := 0
	for _, ds := range dsOrder {
		for _, t := range tools {
			n := map[int]bool{}
			for op, runs := range ops[ds][t] {
				for _, r := range runs {
					n[r.Run] = true
				}
				if b := results[ds][t][op]; b != nil && b.BestOther > contended {
					suspect++
				}
			}
			if len(n) > int(num(meta["runs"])) {
				extras = append(extras, fmt.Sprintf("%s/%s %d", ds, t, len(n)-int(num(meta["runs"]))))
			}
		}
	}
	if len(extras) > 0 {
		w("Extra runs made because other processes used more than a quarter core during a run: %s.\n\n", strings.Join(extras, ", "))
	}
	if suspect > 0 {
		w("**Warning: the machine was shared.** %d best figure(s) marked \\* still come from a run during which other processes "+
			"used more than %.2f core (of %d): those wall times are pessimistic. CPU times are less affected.\n\n", suspect, contended, cores)
	}
	if f, ok := meta["filesystem"].(string); ok {
		w("Work file system (data set copies, repositories, restores): %s.\n\n", f)
	}
	if n, ok := meta["page_cache_note"].(string); ok && str(meta["cache_mode"]) != "" && strings.HasPrefix(str(meta["cache_mode"]), "warm") {
		w("Note: %s; in warm-cache mode the source (for restores, the repository) is read into the page cache right before each timed command.\n\n", n)
	}
	w("Ratios are Holdfast / other: below 1 means Holdfast is faster, smaller or uses less memory.\n\n")
	rows := []struct{ op, label string }{
		{"backup_initial", "initial backup"},
		{"backup_nochange", "no-change backup"},
		{"backup_changed", "backup after 1% changed"},
		{"restore", "full restore"},
	}
	for _, ds := range dsOrder {
		d := datasets[ds]
		w("## %s\n\n", str(d["label"]))
		w("%s: %.0f MB in %d files, %d dirs, %d symlinks; %.0f%% of the bytes compressible (zstd default shrinks those to %.0f%%).\n\n",
			str(d["path"]), num(d["bytes"])/1e6, int(num(d["files"])), int(num(d["dirs"])), int(num(d["symlinks"])),
			100*num(d["compressible_share"]), 100*num(d["compressible_ratio"]))
		w("| metric | holdfast | restic | borg | holdfast/restic | holdfast/borg |\n|---|---:|---:|---:|---:|---:|\n")
		res := results[ds]
		get := func(tool, op string) *best {
			if res[tool] == nil {
				return nil
			}
			return res[tool][op]
		}
		ratio := func(op string, val func(*best) float64) (string, string) {
			h := get("holdfast", op)
			var out [2]string
			for i, o := range []string{"restic", "borg"} {
				b := get(o, op)
				out[i] = "–"
				if h != nil && b != nil && val(b) > 0 && val(h) > 0 {
					out[i] = fmt.Sprintf("%.2f", val(h)/val(b))
				}
			}
			return out[0], out[1]
		}
		for _, r := range rows {
			cells := make([]string, 3)
			for i, t := range tools {
				b := get(t, r.op)
				cells[i] = "–"
				if b != nil {
					cells[i] = fmt.Sprintf("%.2f s", b.WallS)
					if b.MBps != nil {
						cells[i] += fmt.Sprintf(" (%.0f MB/s)", *b.MBps)
					}
					if b.BestOther > contended {
						cells[i] += "\\*"
					}
				}
			}
			r1, r2 := ratio(r.op, func(b *best) float64 { return b.WallS })
			w("| %s, wall | %s | %s | %s | %s | %s |\n", r.label, cells[0], cells[1], cells[2], r1, r2)
			for i, t := range tools {
				cells[i] = "–"
				if b := get(t, r.op); b != nil {
					cells[i] = fmt.Sprintf("%.0f MiB", float64(b.RSSKB)/1024)
				}
			}
			r1, r2 = ratio(r.op, func(b *best) float64 { return float64(b.RSSKB) })
			w("| %s, peak RSS | %s | %s | %s | %s | %s |\n", r.label, cells[0], cells[1], cells[2], r1, r2)
			for i, t := range tools {
				cells[i] = "–"
				if b := get(t, r.op); b != nil {
					cells[i] = fmt.Sprintf("%.2f s", b.CPUS)
				}
			}
			r1, r2 = ratio(r.op, func(b *best) float64 { return b.CPUS })
			w("| %s, CPU (user+sys) | %s | %s | %s | %s | %s |\n", r.label, cells[0], cells[1], cells[2], r1, r2)
		}
		for _, s := range []struct{ op, label string }{{"repo_initial", "repository size after initial backup"}, {"repo_final", "repository size after all 3 backups"}} {
			cells := make([]string, 3)
			for i, t := range tools {
				cells[i] = "–"
				if b := get(t, s.op); b != nil {
					cells[i] = fmt.Sprintf("%.1f MB", float64(b.Bytes)/1e6)
				}
			}
			r1, r2 := ratio(s.op, func(b *best) float64 { return float64(b.Bytes) })
			w("| %s | %s | %s | %s | %s | %s |\n", s.label, cells[0], cells[1], cells[2], r1, r2)
		}
		w("\n")
	}

	w("## Fixed per-command cost (key derivation) on an empty repository\n\n")
	w("The CLIs do not report key-derivation time; a read-only command on an empty repository is the fixed cost every command pays " +
		"(process start, opening the repository, deriving the key from the password). `version` is process start alone.\n\n")
	w("| tool | command | wall (best) | minus process start | peak RSS |\n|---|---|---:|---:|---:|\n")
	sort.SliceStable(kdfOrder, func(i, j int) bool { return toolIndex(kdfOrder[i][0]) < toolIndex(kdfOrder[j][0]) })
	for _, k := range kdfOrder {
		b := kdfBest[k[0]][k[1]]
		net := "–"
		if v := kdfBest[k[0]]["version"]; v != nil && k[1] != "version" {
			net = fmt.Sprintf("%.3f s", b.WallS-v.WallS)
		}
		label := k[0] + " " + k[1]
		if k[0] == "borg" && k[1] == "version" {
			label = "borg --version"
		}
		w("| %s | `%s` | %.3f s | %s | %.0f MiB |\n", k[0], label, b.WallS, net, float64(b.RSSKB)/1024)
	}
	w("\n")

	w("## Physical ceiling\n\n")
	if len(ceilings) == 0 {
		w("Not computed: the Go stage benchmarks did not run or did not parse (see the log).\n\n")
	} else {
		w("Formula: %s.\n\n", formula)
		w("| data set | model | read | chunk | hash | compress | encrypt | u | per core | × cores | Holdfast initial backup | of ceiling |\n")
		w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, ds := range dsOrder {
			for _, c := range ceilings[ds] {
				w("| %s | %s |", str(datasets[ds]["label"]), c.Model)
				for _, s := range c.Stages {
					w(" %.0f |", s.MBps)
				}
				pct := "–"
				if c.HoldfastMBps > 0 {
					pct = fmt.Sprintf("%.0f%%", 100*c.HoldfastMBps/c.MBps)
				}
				w(" %.2f | %.0f | %.0f (%d) | %.0f | %s |\n", c.Unique, c.PerCoreMBps, c.MBps, c.Cores, c.HoldfastMBps, pct)
			}
		}
		w("\nAll figures in MB/s (10^6 bytes). Go benchmark lines:\n\n```\n%s```\n", strings.Join(benchLines, ""))
	}
	if *mdOut != "" {
		check(os.WriteFile(*mdOut, []byte(md.String()), 0o644))
	}
	fmt.Print(md.String())
}

func toolIndex(t string) int {
	for i, x := range tools {
		if x == t {
			return i
		}
	}
	return len(tools)
}

var benchRe = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+[\d.]+ ns/op\s+([\d.]+) MB/s`)

// parseGoBench returns MB/s by benchmark name (without the -GOMAXPROCS
// suffix) and the lines that carried them.
func parseGoBench(path string) (map[string]float64, []string) {
	out := map[string]float64{}
	var lines []string
	if path == "" {
		return out, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return out, nil
	}
	for _, l := range strings.Split(string(raw), "\n") {
		m := benchRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		out[m[1]] = max(out[m[1]], v) // with -count > 1, the best run
		lines = append(lines, l+"\n")
	}
	return out, lines
}

func num(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

func str(v any) string {
	if v == nil {
		return "?"
	}
	return fmt.Sprint(v)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}
