package schedule

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"time"
)

// matcher is a cron expression as bit sets, which "at HH:MM on DAYS" also
// compiles to.
type matcher struct {
	minute uint64 // bits 0–59
	hour   uint32 // bits 0–23
	dom    uint32 // bits 1–31
	month  uint16 // bits 1–12
	dow    uint8  // bits 0–6, Sunday is 0
	// domStar and dowStar: the field began with '*'. As in Vixie cron,
	// when both day fields are restricted a day matches either; otherwise
	// it must match both.
	domStar, dowStar bool
	fromAt           bool
}

type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	dayNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}

	fMinute = field{"minute", 0, 59, nil}
	fHour   = field{"hour", 0, 23, nil}
	fDom    = field{"day-of-month", 1, 31, nil}
	fMonth  = field{"month", 1, 12, monthNames}
	fDow    = field{"day-of-week", 0, 7, dayNames}
)

var macros = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

// parseCron parses five fields or a macro.
func parseCron(expr string) (*matcher, error) {
	expr = strings.TrimSpace(expr)
	if strings.HasPrefix(expr, "@") {
		if expr == "@reboot" {
			return nil, errors.New("cron @reboot: Holdfast runs jobs on a clock, not at boot; use a time or an interval")
		}
		full, ok := macros[strings.ToLower(expr)]
		if !ok {
			return nil, fmt.Errorf("cron %s: unknown macro (use @hourly, @daily, @weekly, @monthly or @yearly)", expr)
		}
		expr = full
	}
	fs := strings.Fields(expr)
	if len(fs) != 5 {
		return nil, fmt.Errorf("cron %q: want 5 fields (minute hour day-of-month month day-of-week), got %d", expr, len(fs))
	}
	m := &matcher{}
	var err error
	var v uint64
	if v, err = parseField(fs[0], fMinute); err != nil {
		return nil, err
	}
	m.minute = v
	if v, err = parseField(fs[1], fHour); err != nil {
		return nil, err
	}
	m.hour = uint32(v)
	if v, err = parseField(fs[2], fDom); err != nil {
		return nil, err
	}
	m.dom = uint32(v)
	if v, err = parseField(fs[3], fMonth); err != nil {
		return nil, err
	}
	m.month = uint16(v)
	if v, err = parseField(fs[4], fDow); err != nil {
		return nil, err
	}
	if v&(1<<7) != 0 { // 7 is Sunday too
		v = v&^(1<<7) | 1
	}
	m.dow = uint8(v)
	m.domStar = strings.HasPrefix(fs[2], "*")
	m.dowStar = strings.HasPrefix(fs[4], "*")
	return m, nil
}

// parseField parses a comma list of *, N, N-M, with an optional /STEP.
func parseField(s string, f field) (uint64, error) {
	var set uint64
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			return 0, fmt.Errorf("cron %s field %q: empty list element", f.name, s)
		}
		rng, stepStr, hasStep := strings.Cut(part, "/")
		lo, hi := f.min, f.max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return 0, err
			}
			if hi, err = f.value(b); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("cron %s range %s: the start is after the end", f.name, rng)
			}
		default:
			var err error
			if lo, err = f.value(rng); err != nil {
				return 0, err
			}
			hi = lo
			if hasStep { // N/S means N through the maximum, every S
				hi = f.max
			}
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("cron %s step %q: want a whole number of at least 1", f.name, stepStr)
			}
			if n > f.max-f.min+1 {
				return 0, fmt.Errorf("cron %s step %d: larger than the field's range %d–%d", f.name, n, f.min, f.max)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func (f field) value(s string) (int, error) {
	if v, ok := f.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 4 {
		if f.names != nil {
			return 0, fmt.Errorf("cron %s %q: not a number or a name (%s)", f.name, s, nameList(f.names))
		}
		return 0, fmt.Errorf("cron %s %q: not a number", f.name, s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("cron %s %d: out of range %d–%d", f.name, n, f.min, f.max)
	}
	return n, nil
}

func nameList(names map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range names {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v < l[j].v })
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.k
	}
	return strings.Join(out, ", ")
}

// parseAtForm parses "HH:MM [on DAYS]".
func parseAtForm(s string) (*matcher, error) {
	clock, days, hasDays := strings.Cut(strings.TrimSpace(s), " ")
	h, mi, err := ParseClock(clock)
	if err != nil {
		return nil, err
	}
	m := &matcher{minute: 1 << uint(mi), hour: 1 << uint(h), dom: allBits(1, 31), month: uint16(allBits(1, 12)),
		dow: 0x7f, domStar: true, dowStar: true, fromAt: true}
	if hasDays {
		days = strings.TrimSpace(days)
		rest, ok := strings.CutPrefix(days+" ", "on ")
		if !ok {
			return nil, fmt.Errorf("at %s: after the time, want \"on DAYS\" (e.g. at 09:30 on mon-fri), got %q", clock, days)
		}
		set, err := ParseDays(rest)
		if err != nil {
			return nil, err
		}
		m.dow, m.dowStar = set, set == 0x7f
	}
	return m, nil
}

// ParseClock parses HH:MM (24-hour).
func ParseClock(s string) (hour, minute int, err error) {
	hs, ms, ok := strings.Cut(s, ":")
	bad := func(why string) (int, int, error) {
		return 0, 0, fmt.Errorf("at %q: %s (want HH:MM, 00:00 to 23:59)", s, why)
	}
	if !ok || len(hs) < 1 || len(hs) > 2 || len(ms) != 2 {
		return bad("not a time of day")
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || hs[0] == '+' || hs[0] == '-' || ms[0] == '+' || ms[0] == '-' {
		return bad("not a time of day")
	}
	if h > 23 {
		return bad(fmt.Sprintf("there is no hour %d", h))
	}
	if m > 59 {
		return bad(fmt.Sprintf("there is no minute %d", m))
	}
	return h, m, nil
}

// ParseDays parses a comma list of day names and ranges ("mon,wed",
// "mon-fri", "weekdays", "weekends", "daily") into a bit set, Sunday bit 0.
func ParseDays(s string) (uint8, error) {
	var set uint8
	for _, part := range strings.Split(strings.ToLower(strings.TrimSpace(s)), ",") {
		part = strings.TrimSpace(part)
		switch part {
		case "weekdays":
			set |= 0b0111110
			continue
		case "weekends":
			set |= 0b1000001
			continue
		case "daily", "all", "every day":
			set |= 0x7f
			continue
		}
		a, b, isRange := strings.Cut(part, "-")
		lo, err := dayValue(a)
		if err != nil {
			return 0, err
		}
		hi := lo
		if isRange {
			if hi, err = dayValue(b); err != nil {
				return 0, err
			}
		}
		for d := lo; ; d = (d + 1) % 7 { // mon-sun and fri-mon wrap
			set |= 1 << uint(d)
			if d == hi {
				break
			}
		}
	}
	return set, nil
}

var longDays = map[string]int{"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6}

func dayValue(s string) (int, error) {
	if v, ok := dayNames[s]; ok {
		return v, nil
	}
	if v, ok := longDays[s]; ok {
		return v, nil
	}
	if s == "" {
		return 0, errors.New("days: empty day name (use mon, tue, wed, thu, fri, sat, sun)")
	}
	return 0, fmt.Errorf("days: unknown day %q (use mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, weekdays or weekends)", s)
}

func allBits(lo, hi int) uint32 {
	var v uint32
	for i := lo; i <= hi; i++ {
		v |= 1 << uint(i)
	}
	return v
}

// dayMatches says whether the date of t (in its location) can run.
func (m *matcher) dayMatches(t time.Time) bool {
	if m.month&(1<<uint(t.Month())) == 0 {
		return false
	}
	dom := m.dom&(1<<uint(t.Day())) != 0
	dow := m.dow&(1<<uint(t.Weekday())) != 0
	if m.domStar || m.dowStar {
		return dom && dow
	}
	return dom || dow
}

// horizonDays bounds the search for a matching day.
const horizonDays = int(Horizon / (24 * time.Hour))

// next is the first matching instant strictly after after.
func (m *matcher) next(after time.Time, loc *time.Location) time.Time {
	a := after.In(loc)
	y, mo, d := a.Date()
	for i := 0; i <= horizonDays; i++ {
		noon := time.Date(y, mo, d+i, 12, 0, 0, 0, loc)
		if !m.dayMatches(noon) {
			continue
		}
		if t := m.firstInDay(noon, after, loc); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// firstInDay is the earliest matching instant on day's date after after.
func (m *matcher) firstInDay(day, after time.Time, loc *time.Location) time.Time {
	y, mo, d := day.Date()
	// On a day with a time-zone transition wall order and instant order
	// may differ: look at every slot. Otherwise the first slot after is it.
	_, off0 := time.Date(y, mo, d, 0, 0, 0, 0, loc).Zone()
	_, off1 := time.Date(y, mo, d+1, 0, 0, 0, 0, loc).Zone()
	_, offNoon := day.Zone()
	transition := off0 != off1 || off0 != offNoon
	// Every hour listed: a repeated hour runs in both its occurrences, as
	// an hourly job should; a fixed hour runs once, at its first.
	allHours := m.hour == 1<<24-1
	minH := 0
	if al := after.In(loc); !transition {
		if ay, am, ad := al.Date(); ay == y && am == mo && ad == d {
			minH = al.Hour()
		}
	}
	var best time.Time
	for h := minH; h < 24; h++ {
		if m.hour&(1<<uint(h)) == 0 {
			continue
		}
		for mi := 0; mi < 60; mi++ {
			if m.minute&(1<<uint(mi)) == 0 {
				continue
			}
			first, second := resolve(y, mo, d, h, mi, loc)
			if !allHours {
				second = time.Time{}
			}
			for _, t := range [2]time.Time{first, second} {
				if t.IsZero() || !t.After(after) {
					continue
				}
				if !transition {
					return t
				}
				if best.IsZero() || t.Before(best) {
					best = t
				}
			}
		}
	}
	return best
}

// resolve turns a local wall-clock time into instants: normally one; two
// when the clock goes back over it (first and second occurrence); and, when
// the clock skips it, the first valid instant after it (the transition).
func resolve(y int, mo time.Month, d, h, mi int, loc *time.Location) (first, second time.Time) {
	want := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	t := time.Date(y, mo, d, h, mi, 0, 0, loc)
	if wall(t) != want {
		// In a gap: Go picked an instant on one side of it.
		start, end := t.ZoneBounds()
		if wall(t).After(want) {
			return start, time.Time{}
		}
		return end, time.Time{}
	}
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	if !start.IsZero() {
		_, prev := start.Add(-time.Second).Zone()
		if prev > off {
			alt := t.Add(-time.Duration(prev-off) * time.Second)
			if alt.Before(start) && wall(alt) == want {
				return alt, t
			}
		}
	}
	if !end.IsZero() {
		_, nxt := end.Zone()
		if nxt < off {
			alt := t.Add(time.Duration(off-nxt) * time.Second)
			if !alt.Before(end) && wall(alt) == want {
				return t, alt
			}
		}
	}
	return t, time.Time{}
}

// wall is t's local wall-clock reading as a UTC time, for comparing.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// daysIn is the most days month mo can have (29 for February).
var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// neverReason explains why no day matches.
func (m *matcher) neverReason() string {
	if !m.domStar && !m.dowStar {
		return fmt.Sprintf("no matching day within %d years", horizonDays/366)
	}
	var months []string
	for mo := 1; mo <= 12; mo++ {
		if m.month&(1<<uint(mo)) == 0 {
			continue
		}
		if m.dom&allBits(1, daysIn[mo]) != 0 {
			return fmt.Sprintf("no day matches both its day-of-month and its day-of-week within %d years", horizonDays/366)
		}
		months = append(months, time.Month(mo).String())
	}
	var days []string
	for d := 1; d <= 31; d++ {
		if m.dom&(1<<uint(d)) != 0 {
			days = append(days, strconv.Itoa(d))
		}
	}
	return fmt.Sprintf("day %s never occurs in %s", strings.Join(days, ","), strings.Join(months, ", "))
}

var weekOrder = []int{1, 2, 3, 4, 5, 6, 0} // Monday first
var shortDay = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// describe says the matcher in words where it is a plain time of day on
// some weekdays; other cron expressions are quoted.
func (m *matcher) describe(src string) string {
	if bits.OnesCount64(m.minute) == 1 && bits.OnesCount32(m.hour) == 1 && m.domStar && m.month == uint16(allBits(1, 12)) &&
		(m.dom == allBits(1, 31)) {
		clock := fmt.Sprintf("%02d:%02d", bits.TrailingZeros32(m.hour), bits.TrailingZeros64(m.minute))
		return describeDays(m.dow) + " at " + clock
	}
	if m.minute == 1 && m.hour == 1<<24-1 && m.domStar && m.dowStar && m.dom == allBits(1, 31) && m.month == uint16(allBits(1, 12)) {
		return "every hour at :00"
	}
	expr := strings.TrimSpace(strings.TrimPrefix(src, "cron"))
	return "cron " + expr
}

func describeDays(set uint8) string {
	switch set & 0x7f {
	case 0x7f:
		return "every day"
	case 0b0111110:
		return "Mon–Fri"
	case 0b1000001:
		return "Sat–Sun"
	}
	// Runs of three or more consecutive days (Monday first) as ranges.
	var parts []string
	for i := 0; i < 7; {
		if set&(1<<uint(weekOrder[i])) == 0 {
			i++
			continue
		}
		j := i
		for j+1 < 7 && set&(1<<uint(weekOrder[j+1])) != 0 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, shortDay[weekOrder[i]]+"–"+shortDay[weekOrder[j]])
		case j == i+1:
			parts = append(parts, shortDay[weekOrder[i]], shortDay[weekOrder[j]])
		default:
			parts = append(parts, shortDay[weekOrder[i]])
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
