package tsdb

import "fmt"

// Kind says how a series' values are interpreted.
type Kind uint8

const (
	// Gauge is a value that goes up and down (a ratio, a byte count, a
	// temperature). Queries return the values.
	Gauge Kind = 1
	// Counter is a monotonically increasing count that may reset to zero
	// (bytes sent, packets, operations). Queries return per-second rates.
	Counter Kind = 2
)

func (k Kind) String() string {
	switch k {
	case Gauge:
		return "gauge"
	case Counter:
		return "counter"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

func (k Kind) valid() bool { return k == Gauge || k == Counter }

// Tier is one resolution of stored history.
type Tier uint8

const (
	// TierRaw holds every sample at 1 s resolution.
	TierRaw Tier = iota
	// TierMinute holds per-minute min, max, sum and count.
	TierMinute
	// TierHour holds per-hour min, max, sum and count.
	TierHour
	numTiers
)

func (t Tier) String() string {
	switch t {
	case TierRaw:
		return "raw"
	case TierMinute:
		return "1m"
	case TierHour:
		return "1h"
	}
	return fmt.Sprintf("Tier(%d)", uint8(t))
}

// Resolution is the spacing of the tier's points in seconds.
func (t Tier) resolution() int64 {
	switch t {
	case TierMinute:
		return 60
	case TierHour:
		return 3600
	}
	return 1
}

// window is the span of time one stored block of the tier covers, in
// seconds; blocks are aligned to multiples of it.
func (t Tier) window() int64 {
	switch t {
	case TierMinute:
		return 4 * 3600 // 240 points
	case TierHour:
		return 7 * 86400 // 168 points
	}
	return 600 // 600 samples
}

// Agg chooses how points are combined into one step of a query.
type Agg uint8

const (
	// Avg is the mean of the values in the step.
	Avg Agg = iota
	// Min is the smallest value in the step.
	Min
	// Max is the largest value in the step.
	Max
)

func (a Agg) String() string {
	switch a {
	case Avg:
		return "avg"
	case Min:
		return "min"
	case Max:
		return "max"
	}
	return fmt.Sprintf("Agg(%d)", uint8(a))
}

// MarshalText writes "gauge" or "counter".
func (k Kind) MarshalText() ([]byte, error) {
	if !k.valid() {
		return nil, fmt.Errorf("tsdb: invalid kind %d", uint8(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads "gauge" or "counter".
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "gauge":
		*k = Gauge
	case "counter":
		*k = Counter
	default:
		return fmt.Errorf("tsdb: unknown kind %q", b)
	}
	return nil
}

// MarshalText writes "raw", "1m" or "1h".
func (t Tier) MarshalText() ([]byte, error) { return []byte(t.String()), nil }
