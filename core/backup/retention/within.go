package retention

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Units of restic-style durations, in hours.
const (
	hoursPerYear  = 365 * 24
	hoursPerMonth = 30 * 24
	hoursPerDay   = 24
)

// resticDuration matches "1y2m3d4h" and any non-empty subset of it, with the
// units in that order, each at most once.
var resticDuration = regexp.MustCompile(`^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?$`)

// ParseWithin parses the duration of --keep-within. It accepts
//
//   - restic-style durations like "1y2m3d4h", "7d" or "36h": whole numbers
//     followed by y (365 days), m (30 days), d (24 hours) and h (an hour),
//     each unit at most once and in that order;
//   - otherwise, Go durations (time.ParseDuration) like "1h30m" or "90s".
//
// The restic reading wins where both apply: "30m" is 30 months, not 30
// minutes (write "30m0s" or "0.5h" for minutes). A duration must not be
// negative; "0d" or "0" parse as 0, which in a Policy means "not used".
func ParseWithin(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf(`empty duration: want e.g. "7d" or "1y2m3d4h"`)
	}
	if m := resticDuration.FindStringSubmatch(s); m != nil {
		var hours int64
		for i, mult := range []int64{hoursPerYear, hoursPerMonth, hoursPerDay, 1} {
			if m[i+1] == "" {
				continue
			}
			n, err := strconv.ParseInt(m[i+1], 10, 64)
			if err != nil || n > maxHours/mult || hours > maxHours-n*mult {
				return 0, fmt.Errorf("duration %q is too large (at most about 292 years)", s)
			}
			hours += n * mult
		}
		return time.Duration(hours) * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf(`invalid duration %q: want restic-style like "1y2m3d4h" `+
			`(y=365d, m=30d, d=24h, h=1h, in that order) or a Go duration like "1h30m"`, s)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	return d, nil
}

// maxHours is the largest whole number of hours a time.Duration holds.
const maxHours = math.MaxInt64 / int64(time.Hour)

// FormatWithin formats d ≥ 0 so that ParseWithin reads it back as d: whole
// hours as restic-style "1y63d4h" (using y and d only, never the
// ambiguous m), anything else as a Go duration ("1h30m0s").
func FormatWithin(d time.Duration) string {
	if d <= 0 || d%time.Hour != 0 {
		return d.String()
	}
	h := int64(d / time.Hour)
	var b strings.Builder
	for _, u := range []struct {
		unit  string
		hours int64
	}{{"y", hoursPerYear}, {"d", hoursPerDay}, {"h", 1}} {
		if n := h / u.hours; n > 0 {
			b.WriteString(strconv.FormatInt(n, 10) + u.unit)
			h -= n * u.hours
		}
	}
	return b.String()
}
