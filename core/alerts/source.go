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
	// Since is the time of the oldest sample the answer is made of; zero
	// when the source does not say. An average over a window is trusted
	// only once the samples cover most of that window (MinCoverage).
	Since time.Time
}

// MinCoverage is the share of a rule's window the samples must cover before
// an aggregate over it (avg, min, max) is evaluated: a "10-minute average"
// of the first ten seconds after a start is not one, and alerting on it
// would be wrong.
const MinCoverage = 0.8

// covers says whether v is made of samples spanning at least MinCoverage
// of window ending at now.
func (v Value) covers(window time.Duration, now time.Time) bool {
	if v.Since.IsZero() || window <= 0 {
		return true
	}
	return now.Sub(v.Since) >= time.Duration(float64(window)*MinCoverage)
}
