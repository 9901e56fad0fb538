package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

// Classes of series, in report order. See classify.
var classes = []string{"counter", "ratio", "gauge", "constant"}

var classDoc = map[string]string{
	"counter":  "counters that moved (bytes, operations, packets; stored as cumulative counts)",
	"ratio":    "ratios that moved (`*_ratio`: CPU busy ÷ total ticks, memory used ÷ total)",
	"gauge":    "other gauges that moved (bytes in use, load, processes, threads, uptime)",
	"constant": "series that never changed in the window (totals and sizes, idle interfaces' counters, swap without swap)",
}

// ClassStat sums the stored blocks of one class of series.
type ClassStat struct {
	Class  string `json:"class"`
	Series int    `json:"series"`
	// Samples are raw points; Bytes and KeyBytes the raw tier's encoded
	// blocks and their bbolt keys; AllTierBytes adds the 1-minute and
	// 1-hour rollup blocks and keys.
	Samples        int     `json:"samples"`
	Bytes          int64   `json:"bytes"`
	KeyBytes       int64   `json:"key_bytes"`
	AllTierBytes   int64   `json:"all_tier_bytes"`
	BytesPerSample float64 `json:"bytes_per_sample"`
	WithKeys       float64 `json:"bytes_per_sample_with_keys"`
	AllTiers       float64 `json:"bytes_per_sample_all_tiers"`
	// Codecs counts raw blocks by the codec of their value column: XOR,
	// decimal (delta), decimal (delta of delta), rational.
	Codecs [4]int `json:"raw_codecs"`
}

// Storage is the storage tool's report.
type Storage struct {
	Home      string      `json:"home"`
	First     time.Time   `json:"first_sample"`
	Last      time.Time   `json:"last_sample"`
	FileBytes int64       `json:"bbolt_file_bytes"`
	Classes   []ClassStat `json:"classes"`
	Total     ClassStat   `json:"total"`
	Series    []SeriesRow `json:"series"`
	Corrupt   int         `json:"corrupt_blocks"`
}

// SeriesRow is one series' raw-tier figures.
type SeriesRow struct {
	Series         string  `json:"series"`
	Class          string  `json:"class"`
	Samples        int     `json:"samples"`
	BytesPerSample float64 `json:"bytes_per_sample"`
	Codec          string  `json:"codec"`
}

var codecNames = [4]string{"xor", "decimal", "decimal-dod", "rational"}

func storageCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("storage", flag.ExitOnError)
	home := fs.String("home", "", "Holdfast home whose engine has stopped")
	out := fs.String("json", "", "also write the report as JSON here")
	_ = fs.Parse(args)
	if *home == "" {
		return errors.New("storage: need -home")
	}
	path := filepath.Join(*home, "holdfast.db")
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("storage: open %s read-only (is the engine still running?): %w", path, err)
	}
	defer bdb.Close()
	db, err := tsdb.Open(bdb, tsdb.Options{})
	if err != nil {
		return fmt.Errorf("storage: %s: %w", path, err)
	}
	defer db.Close()
	rep, err := storage(ctx, db)
	if err != nil {
		return fmt.Errorf("storage: %s: %w", path, err)
	}
	rep.Home, rep.FileBytes = *home, st.Size()
	if *out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("storage: %w", err)
		}
	}
	fmt.Print(storageMarkdown(rep))
	return nil
}

// storage classifies every series and sums its blocks per class.
func storage(ctx context.Context, db *tsdb.DB) (*Storage, error) {
	stats, err := db.BlockStats(ctx)
	if err != nil {
		return nil, err
	}
	class, first, last, err := classify(ctx, db)
	if err != nil {
		return nil, err
	}
	rep := &Storage{First: first, Last: last}
	byClass := map[string]*ClassStat{}
	for _, c := range classes {
		byClass[c] = &ClassStat{Class: c}
	}
	rows := map[string]*SeriesRow{}
	for _, s := range stats {
		rep.Corrupt += s.Corrupt
		c := byClass[class[s.Series]]
		if c == nil {
			continue // a series with no raw samples left (expired)
		}
		c.AllTierBytes += s.Bytes + s.KeyBytes
		if s.Tier != tsdb.TierRaw {
			continue
		}
		c.Samples += s.Points
		c.Bytes += s.Bytes
		c.KeyBytes += s.KeyBytes
		c.Series++
		for i, n := range s.Codecs {
			c.Codecs[i] += n
		}
		r := &SeriesRow{Series: s.Series, Class: class[s.Series], Samples: s.Points, BytesPerSample: float64(s.Bytes) / float64(max(s.Points, 1))}
		var names []string
		for i, n := range s.Codecs {
			if n > 0 {
				names = append(names, fmt.Sprintf("%s×%d", codecNames[i], n))
			}
		}
		r.Codec = strings.Join(names, " ")
		rows[s.Series] = r
	}
	total := ClassStat{Class: "total"}
	for _, c := range classes {
		cs := byClass[c]
		finish(cs)
		rep.Classes = append(rep.Classes, *cs)
		total.Series += cs.Series
		total.Samples += cs.Samples
		total.Bytes += cs.Bytes
		total.KeyBytes += cs.KeyBytes
		total.AllTierBytes += cs.AllTierBytes
		for i := range cs.Codecs {
			total.Codecs[i] += cs.Codecs[i]
		}
	}
	finish(&total)
	rep.Total = total
	for _, r := range rows {
		rep.Series = append(rep.Series, *r)
	}
	slices.SortFunc(rep.Series, func(a, b SeriesRow) int { return strings.Compare(a.Series, b.Series) })
	return rep, nil
}

func finish(c *ClassStat) {
	n := float64(max(c.Samples, 1))
	c.BytesPerSample = float64(c.Bytes) / n
	c.WithKeys = float64(c.Bytes+c.KeyBytes) / n
	c.AllTiers = float64(c.AllTierBytes) / n
}

// classify reads every series' raw samples and puts it in a class:
// "constant" when all its values (for a counter: all its per-second rates)
// are equal over the stored raw data, else "counter" for counters,
// "ratio" for gauges named *_ratio and "gauge" for the other gauges. It
// also returns the times of the first and last raw sample.
func classify(ctx context.Context, db *tsdb.DB) (map[string]string, time.Time, time.Time, error) {
	now := time.Now()
	// The raw tier keeps 24 h by default; ask for a little less so the
	// query is answered from it, one point per second.
	res, _, err := db.Query(ctx, tsdb.QueryRequest{Start: now.Add(-23 * time.Hour), End: now, Step: time.Second})
	if err != nil {
		return nil, time.Time{}, time.Time{}, err
	}
	out := map[string]string{}
	var first, last int64
	for _, s := range res {
		key, err := tsdb.NewKey(s.Name, s.Labels...)
		if err != nil {
			return nil, time.Time{}, time.Time{}, err
		}
		c := "constant"
		for _, p := range s.Points {
			if p.V != s.Points[0].V {
				c = ""
				break
			}
		}
		if c == "" {
			switch {
			case s.Kind == tsdb.Counter:
				c = "counter"
			case strings.HasSuffix(s.Name, "_ratio"):
				c = "ratio"
			default:
				c = "gauge"
			}
		}
		out[key.String()] = c
		if n := len(s.Points); n > 0 {
			if first == 0 || s.Points[0].T < first {
				first = s.Points[0].T
			}
			last = max(last, s.Points[n-1].T)
		}
	}
	return out, time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC(), nil
}

func storageMarkdown(r *Storage) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Stored history of `holdfast serve` (default settings), %s to %s (%s), %d series; bbolt file %.1f MB (the whole database).\n\n",
		r.First.Format("15:04:05"), r.Last.Format("15:04:05 MST"), r.Last.Sub(r.First).Round(time.Second), r.Total.Series, float64(r.FileBytes)/1e6)
	b.WriteString("| kind of series | series | samples | block bytes ÷ samples | with bbolt keys | all tiers (raw + 1m + 1h, keys) | raw blocks by codec |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|\n")
	row := func(name string, c ClassStat) {
		var cod []string
		for i, n := range c.Codecs {
			if n > 0 {
				cod = append(cod, fmt.Sprintf("%s %d", codecNames[i], n))
			}
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.2f | %.2f | %s |\n", name, c.Series, c.Samples, c.BytesPerSample, c.WithKeys, c.AllTiers, strings.Join(cod, ", "))
	}
	for _, c := range r.Classes {
		row(classDoc[c.Class], c)
	}
	row("**all series**", r.Total)
	if r.Corrupt > 0 {
		fmt.Fprintf(&b, "\n%d corrupt blocks were left out.\n", r.Corrupt)
	}
	return b.String()
}
