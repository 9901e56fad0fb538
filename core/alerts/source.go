package alerts

import (
	"context"
	"time"
)

// Source answers the aggregation of a metric over a window for each
// matching series. The monitor's time-series store implements it.
type Source interface {
	// Aggregate returns, for every series named metric, its agg ("avg",
	// "min", "max", "last") over (now-window, now], with the series' labels.
	// Counters are given as per-second rates.
	Aggregate(ctx context.Context, metric string, agg string, window time.Duration, now time.Time) ([]Value, error)
	// Slope returns the per-second linear trend of every series named
	// metric over (now-window, now], for "full within 8h" predictions.
	Slope(ctx context.Context, metric string, window time.Duration, now time.Time) ([]Value, error)
}

// Value is one series' answer.
type Value struct {
	Labels map[string]string
	V      float64
}
