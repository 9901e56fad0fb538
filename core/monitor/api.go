package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

// OpQuery is the control operation behind `holdfast metrics`.
const OpQuery = "monitor.query"

// OpProcesses is the control operation behind `holdfast top`.
const OpProcesses = "monitor.processes"

// ProcessesJSON is the latest process sample as `holdfast top --json`
// prints it.
type ProcessesJSON struct {
	At          time.Time     `json:"at"`
	OverSeconds float64       `json:"over_seconds"`
	Processes   []ProcessJSON `json:"processes"`
}

// ProcessJSON is one process of a sample. The I/O rates are absent where
// the process's I/O counters cannot be read (another user's process, or an
// OS that does not count them).
type ProcessJSON struct {
	PID                 int      `json:"pid"`
	Name                string   `json:"name"`
	User                string   `json:"user"`
	CPURatio            float64  `json:"cpu_ratio"`
	RSSBytes            uint64   `json:"rss_bytes"`
	Threads             int      `json:"threads"`
	ReadBytesPerSecond  *float64 `json:"read_bytes_per_second,omitempty"`
	WriteBytesPerSecond *float64 `json:"write_bytes_per_second,omitempty"`
}

// NewProcessesJSON converts a sample.
func NewProcessesJSON(p Processes) ProcessesJSON {
	out := ProcessesJSON{At: p.At.UTC(), OverSeconds: p.Over.Seconds(), Processes: make([]ProcessJSON, len(p.Top))}
	for i, pr := range p.Top {
		j := ProcessJSON{PID: pr.PID, Name: pr.Name, User: pr.User, CPURatio: pr.CPURatio, RSSBytes: pr.RSSBytes, Threads: pr.Threads}
		if pr.IOKnown {
			r, w := pr.ReadBytesPerSec, pr.WriteBytesPerSec
			j.ReadBytesPerSecond, j.WriteBytesPerSecond = &r, &w
		}
		out.Processes[i] = j
	}
	return out
}

func (s *Service) handleProcesses(ctx context.Context, c *control.Call) (any, error) {
	var args struct{}
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	p, err := s.CurrentProcesses(ctx)
	if err != nil {
		return nil, err
	}
	return NewProcessesJSON(p), nil
}

// QueryArgs select series and a time range.
type QueryArgs struct {
	Names []string `json:"names,omitempty"` // series selectors such as cpu_usage_ratio{cpu="0"}; none: every series
	Last  string   `json:"last,omitempty"`  // a duration back from now; default 1h
	Step  string   `json:"step,omitempty"`  // point spacing; default: raw up to 1 h, else ≤ 1000 points
	Agg   string   `json:"agg,omitempty"`   // avg (default), min or max within a step
}

// SeriesJSON is one series as `holdfast metrics --json` prints it.
type SeriesJSON struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	Kind   string            `json:"kind"`
	Points []PointJSON       `json:"points"`
}

// PointJSON is [unix_seconds, value].
type PointJSON [2]float64

// MarshalJSON writes the time as an integer.
func (p PointJSON) MarshalJSON() ([]byte, error) {
	v := p[1]
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte(fmt.Sprintf("[%d,null]", int64(p[0]))), nil
	}
	return json.Marshal([]any{int64(p[0]), v})
}

// Register adds the monitor's operations to r.
func (s *Service) Register(r interface {
	Handle(op string, h control.Handler)
}) {
	r.Handle(OpQuery, s.handleQuery)
	r.Handle(OpProcesses, s.handleProcesses)
}

func (s *Service) handleQuery(ctx context.Context, c *control.Call) (any, error) {
	var args QueryArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	last := time.Hour
	if args.Last != "" {
		d, err := time.ParseDuration(args.Last)
		if err != nil || d <= 0 {
			return nil, control.Usagef("metrics: --last %q: give a duration like 15m, 1h or 168h", args.Last)
		}
		last = d
	}
	var step time.Duration
	if args.Step != "" {
		d, err := time.ParseDuration(args.Step)
		if err != nil || d < time.Second {
			return nil, control.Usagef("metrics: --step %q: give a duration of at least 1s, like 1m", args.Step)
		}
		step = d
	}
	agg := tsdb.Avg
	if args.Agg != "" {
		a, err := tsdb.ParseAgg(args.Agg)
		if err != nil {
			return nil, control.Usagef("metrics: --agg: %v", err)
		}
		agg = a
	}
	matchers := []tsdb.Matcher{{}}
	if len(args.Names) > 0 {
		matchers = matchers[:0]
		for _, n := range args.Names {
			m, err := tsdb.ParseMatcher(n)
			if err != nil {
				return nil, control.Usagef("metrics: series %q: %v", n, err)
			}
			matchers = append(matchers, m)
		}
	}
	end := time.Now()
	out := []SeriesJSON{}
	for _, m := range matchers {
		series, stats, err := s.Query(ctx, tsdb.QueryRequest{Match: m, Start: end.Add(-last), End: end, Step: step, Agg: agg})
		if err != nil {
			return nil, err
		}
		if stats.SkippedBlocks > 0 {
			c.Logf("warning: %d damaged history blocks were skipped", stats.SkippedBlocks)
		}
		for _, sr := range series {
			sj := SeriesJSON{Name: sr.Name, Labels: map[string]string{}, Kind: sr.Kind.String(), Points: make([]PointJSON, len(sr.Points))}
			for _, l := range sr.Labels {
				sj.Labels[l.Name] = l.Value
			}
			for i, p := range sr.Points {
				sj.Points[i] = PointJSON{float64(p.T), p.V}
			}
			out = append(out, sj)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
