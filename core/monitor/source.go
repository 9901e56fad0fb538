package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

// Aggregate answers the alerts service: every series named metric,
// aggregated over (now-window, now]. Counters come as per-second rates.
func (s *Service) Aggregate(ctx context.Context, metric, agg string, window time.Duration, now time.Time) ([]alerts.Value, error) {
	req := tsdb.QueryRequest{Match: tsdb.Matcher{Name: metric}, Start: now.Add(-window), End: now}
	if agg != "last" {
		a, err := tsdb.ParseAgg(agg)
		if err != nil {
			return nil, fmt.Errorf("metric %s: %w", metric, err)
		}
		req.Agg = a
	}
	series, _, err := s.db.Query(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Value, 0, len(series))
	for _, sr := range series {
		if len(sr.Points) == 0 {
			continue
		}
		v := aggregate(sr.Points, agg)
		out = append(out, alerts.Value{Labels: labelMap(sr.Labels), V: v, Since: time.Unix(sr.Points[0].T, 0)})
	}
	return out, nil
}

func aggregate(ps []tsdb.Point, agg string) float64 {
	switch agg {
	case "last":
		return ps[len(ps)-1].V
	case "min":
		m := ps[0].V
		for _, p := range ps[1:] {
			m = min(m, p.V)
		}
		return m
	case "max":
		m := ps[0].V
		for _, p := range ps[1:] {
			m = max(m, p.V)
		}
		return m
	}
	var sum float64
	for _, p := range ps {
		sum += p.V
	}
	return sum / float64(len(ps))
}

// Slope is the per-second least-squares trend of every series named
// metric over (now-window, now].
func (s *Service) Slope(ctx context.Context, metric string, window time.Duration, now time.Time) ([]alerts.Value, error) {
	series, _, err := s.db.Query(ctx, tsdb.QueryRequest{Match: tsdb.Matcher{Name: metric}, Start: now.Add(-window), End: now})
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Value, 0, len(series))
	for _, sr := range series {
		if len(sr.Points) < 2 {
			continue
		}
		out = append(out, alerts.Value{Labels: labelMap(sr.Labels), V: slope(sr.Points)})
	}
	return out, nil
}

func slope(ps []tsdb.Point) float64 {
	t0 := float64(ps[0].T)
	var n, sx, sy, sxx, sxy float64
	for _, p := range ps {
		x := float64(p.T) - t0
		n++
		sx += x
		sy += p.V
		sxx += x * x
		sxy += x * p.V
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

func labelMap(ls tsdb.Labels) map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Name] = l.Value
	}
	return m
}

// Known reports whether the machine has a series named metric, for
// validating alert rules.
func (s *Service) Known(metric string) bool {
	for _, smp := range s.Latest().Samples {
		if smp.Name == metric {
			return true
		}
	}
	return false
}
