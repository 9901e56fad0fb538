// Package schedule parses the schedules jobs run on and computes their
// next runs: a fixed interval ("every 6h"), a time of day on some days of
// the week ("at 02:30 on mon-fri"), or a standard five-field cron
// expression ("cron 0 */6 * * *", "@daily"). Times of day are local
// wall-clock times: on a spring-forward day a time that does not exist runs
// at the first instant after it, and on a fall-back day a repeated time
// runs once.
package schedule

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Horizon is how far ahead a schedule must have a run: one that cannot run
// within it is rejected.
const Horizon = 5 * 366 * 24 * time.Hour

// MinEvery is the shortest interval `every` accepts.
const MinEvery = time.Minute

// TestMinEveryEnv names an environment variable that lowers MinEvery, for
// end-to-end tests that must see a scheduled run within seconds. It is
// meant for tests only: a process that honours it says so in its log (see
// MinEveryOverride).
const TestMinEveryEnv = "HOLDFAST_TEST_MIN_EVERY"

var minEveryOnce = sync.OnceValues(func() (time.Duration, bool) {
	v := os.Getenv(TestMinEveryEnv)
	if v == "" {
		return MinEvery, false
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d >= MinEvery {
		return MinEvery, false
	}
	return d, true
})

// MinEveryOverride reports the lowered minimum interval when
// HOLDFAST_TEST_MIN_EVERY is set, for the caller to log.
func MinEveryOverride() (time.Duration, bool) { return minEveryOnce() }

// Kind says which form a schedule has.
type Kind string

// The three forms.
const (
	KindEvery Kind = "every"
	KindAt    Kind = "at"
	KindCron  Kind = "cron"
)

// Schedule is a parsed schedule. Its zero value is not usable; get one
// from Parse.
type Schedule struct {
	kind  Kind
	src   string
	every time.Duration
	m     *matcher // at and cron
	loc   *time.Location
}

// Parse parses a schedule in the local time zone. See ParseIn.
func Parse(s string) (Schedule, error) { return ParseIn(s, time.Local) }

// ParseIn parses a schedule whose times of day are in loc:
//
//	every DURATION          e.g. "every 6h", "every 90m", "every 2d" (at least 1m)
//	at HH:MM [on DAYS]      e.g. "at 02:30", "at 09:30 on mon-fri", "at 10:00 on sat,sun"
//	cron MIN HOUR DOM MON DOW, or the five fields alone, or @hourly, @daily,
//	@weekly, @monthly, @yearly
//
// A schedule that cannot run within Horizon is rejected, with the reason.
func ParseIn(s string, loc *time.Location) (Schedule, error) {
	return parseAt(s, loc, time.Now())
}

func parseAt(s string, loc *time.Location, now time.Time) (Schedule, error) {
	if loc == nil {
		loc = time.Local
	}
	src := strings.Join(strings.Fields(s), " ")
	if src == "" {
		return Schedule{}, errors.New("empty schedule: use --every DURATION, --at HH:MM [--days ...] or --cron EXPR")
	}
	sc := Schedule{src: src, loc: loc}
	word, rest, _ := strings.Cut(src, " ")
	var err error
	switch strings.ToLower(word) {
	case "every":
		sc.kind = KindEvery
		sc.every, err = ParseEvery(rest)
	case "at":
		sc.kind = KindAt
		sc.m, err = parseAtForm(rest)
	case "cron":
		sc.kind = KindCron
		sc.m, err = parseCron(rest)
	default:
		sc.kind = KindCron
		sc.m, err = parseCron(src)
	}
	if err != nil {
		return Schedule{}, err
	}
	if sc.m != nil && sc.Next(now).IsZero() {
		return Schedule{}, fmt.Errorf("schedule %q never runs: %s", src, sc.m.neverReason())
	}
	return sc, nil
}

// ParseEvery parses the DURATION of "every DURATION": a Go duration
// ("90m", "1h30m") or a whole number of days or weeks ("2d", "1w"), at
// least MinEvery.
func ParseEvery(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("every: no interval given (e.g. every 6h)")
	}
	var d time.Duration
	if n, unit, ok := wholeUnits(s); ok {
		d = time.Duration(n) * unit
	} else {
		var err error
		d, err = time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("every %s: not a duration (use e.g. 30m, 6h, 1h30m, 2d)", s)
		}
	}
	min, _ := minEveryOnce()
	if d < min {
		return 0, fmt.Errorf("every %s: the interval must be at least %s", s, fmtDuration(min))
	}
	if d > 366*24*time.Hour {
		return 0, fmt.Errorf("every %s: the interval must be at most 366d", s)
	}
	return d, nil
}

// wholeUnits reads "12d" or "3w".
func wholeUnits(s string) (int64, time.Duration, bool) {
	if len(s) < 2 {
		return 0, 0, false
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, 0, false
	}
	var n int64
	for _, c := range s[:len(s)-1] {
		if c < '0' || c > '9' || n > 1e6 {
			return 0, 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, unit, true
}

// Kind is the schedule's form.
func (s Schedule) Kind() Kind { return s.kind }

// String is the schedule as given (with whitespace collapsed); Parse
// accepts it back.
func (s Schedule) String() string { return s.src }

// Every is the interval of an "every" schedule, else zero.
func (s Schedule) Every() time.Duration { return s.every }

// Location is the time zone of its times of day.
func (s Schedule) Location() *time.Location { return s.loc }

// Next returns the first run strictly after after, or the zero time when
// there is none within Horizon.
//
// Intervals are aligned to the Unix epoch, not to when the job was added,
// so "every 6h" runs at the same instants whatever the history: slots do
// not drift and no state is needed to know them.
func (s Schedule) Next(after time.Time) time.Time {
	switch {
	case s.every > 0:
		n := after.UnixNano()
		d := int64(s.every)
		k := n / d
		if n < 0 && n%d != 0 {
			k--
		}
		return time.Unix(0, (k+1)*d).In(s.loc)
	case s.m != nil:
		return s.m.next(after, s.loc)
	}
	return time.Time{}
}

// NextN returns up to n runs after after, in order (for previews).
func (s Schedule) NextN(after time.Time, n int) []time.Time {
	var out []time.Time
	for len(out) < n {
		t := s.Next(after)
		if t.IsZero() {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// Describe says the schedule in words: "every 6h", "every day at 02:00",
// "Mon–Fri at 09:30".
func (s Schedule) Describe() string {
	switch {
	case s.every > 0:
		return "every " + fmtDuration(s.every)
	case s.m != nil:
		return s.m.describe(s.src)
	}
	return ""
}

// fmtDuration writes 90m as 1h30m, 48h as 2d, and drops zero parts.
func fmtDuration(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dh", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dm", m)
		d -= m * time.Minute
	}
	if d > 0 {
		if d%time.Second == 0 {
			fmt.Fprintf(&b, "%ds", d/time.Second)
		} else {
			b.WriteString(d.String())
		}
	}
	return b.String()
}
