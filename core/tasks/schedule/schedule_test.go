package schedule

import (
	"strings"
	"testing"
	"time"
)

func berlin(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	return loc
}

// at builds a Berlin wall time; with a zone name it checks the offset too.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04 MST", s, berlin(t))
	if err != nil {
		v, err = time.ParseInLocation("2006-01-02 15:04", s, berlin(t))
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestNext(t *testing.T) {
	loc := berlin(t)
	cases := []struct {
		sched string
		after string
		want  []string // the next runs, Berlin wall time with zone
	}{
		{"every 6h", "2026-01-10 08:00 CET", []string{"2026-01-10 13:00 CET", "2026-01-10 19:00 CET", "2026-01-11 01:00 CET"}},
		{"every 90m", "2026-01-10 00:10 CET", []string{"2026-01-10 01:00 CET", "2026-01-10 02:30 CET"}}, // epoch-aligned: 00:00 UTC
		{"every 1m", "2026-01-10 00:10 CET", []string{"2026-01-10 00:11 CET", "2026-01-10 00:12 CET"}},
		{"every 2d", "2026-01-10 00:10 CET", []string{"2026-01-11 01:00 CET", "2026-01-13 01:00 CET"}},
		{"at 02:00", "2026-01-10 08:00 CET", []string{"2026-01-11 02:00 CET", "2026-01-12 02:00 CET"}},
		{"at 02:00", "2026-01-10 01:59 CET", []string{"2026-01-10 02:00 CET"}},
		{"at 02:00", "2026-01-10 02:00 CET", []string{"2026-01-11 02:00 CET"}},
		{"at 09:30 on mon-fri", "2026-01-09 10:00 CET", []string{"2026-01-12 09:30 CET", "2026-01-13 09:30 CET"}}, // Fri → Mon
		{"at 10:00 on sat,sun", "2026-01-05 10:00 CET", []string{"2026-01-10 10:00 CET", "2026-01-11 10:00 CET", "2026-01-17 10:00 CET"}},
		{"at 23:00 on fri-mon", "2026-01-06 00:00 CET", []string{"2026-01-09 23:00 CET", "2026-01-10 23:00 CET", "2026-01-11 23:00 CET", "2026-01-12 23:00 CET", "2026-01-16 23:00 CET"}},
		{"cron 0 */6 * * *", "2026-01-10 07:00 CET", []string{"2026-01-10 12:00 CET", "2026-01-10 18:00 CET", "2026-01-11 00:00 CET"}},
		{"*/20 9-10 * * *", "2026-01-10 09:45 CET", []string{"2026-01-10 10:00 CET", "2026-01-10 10:20 CET", "2026-01-10 10:40 CET", "2026-01-11 09:00 CET"}},
		{"0 0 1,15 * *", "2026-01-10 07:00 CET", []string{"2026-01-15 00:00 CET", "2026-02-01 00:00 CET"}},
		{"0 12 * jan-feb/1 mon", "2026-02-26 13:00 CET", []string{"2027-01-04 12:00 CET"}},
		{"@daily", "2026-01-10 07:00 CET", []string{"2026-01-11 00:00 CET"}},
		{"@hourly", "2026-01-10 07:00 CET", []string{"2026-01-10 08:00 CET"}},
		{"@weekly", "2026-01-10 07:00 CET", []string{"2026-01-11 00:00 CET"}}, // Sunday
		{"@monthly", "2026-01-10 07:00 CET", []string{"2026-02-01 00:00 CET"}},
		{"@yearly", "2026-01-10 07:00 CET", []string{"2027-01-01 00:00 CET"}},
		{"0 0 29 2 *", "2026-01-10 07:00 CET", []string{"2028-02-29 00:00 CET"}},
		{"0 0 * * 7", "2026-01-10 07:00 CET", []string{"2026-01-11 00:00 CET"}}, // 7 is Sunday
		// Vixie OR: both day fields restricted, either matches.
		{"0 0 13 * fri", "2026-01-10 07:00 CET", []string{"2026-01-13 00:00 CET", "2026-01-16 00:00 CET", "2026-01-23 00:00 CET"}},
		// A day field starting with '*' makes it AND.
		{"0 0 */2 * mon", "2026-01-10 07:00 CET", []string{"2026-01-19 00:00 CET"}},
		{"0 0 31 2 mon", "2026-01-10 07:00 CET", []string{"2026-02-02 00:00 CET", "2026-02-09 00:00 CET"}}, // OR: Mondays in February still run
		// DST spring forward (29 Mar 2026, 02:00 CET → 03:00 CEST): a time
		// that does not exist runs at the first instant after it, once.
		{"at 02:30", "2026-03-28 12:00 CET", []string{"2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"}},
		{"30 2 * * *", "2026-03-28 12:00 CET", []string{"2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST"}},
		{"0,30 * * * *", "2026-03-29 01:15 CET", []string{"2026-03-29 01:30 CET", "2026-03-29 03:00 CEST", "2026-03-29 03:30 CEST"}},
		// DST fall back (25 Oct 2026, 03:00 CEST → 02:00 CET): a fixed
		// time runs once, at its first occurrence.
		{"at 02:30", "2026-10-24 12:00 CEST", []string{"2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"}},
		{"at 02:30", "2026-10-25 02:40 CEST", []string{"2026-10-26 02:30 CET"}},
		// An hourly job runs in both occurrences of the repeated hour.
		{"@hourly", "2026-10-25 01:30 CEST", []string{"2026-10-25 02:00 CEST", "2026-10-25 02:00 CET", "2026-10-25 03:00 CET"}},
		// Intervals are absolute: DST does not change them.
		{"every 1h", "2026-03-29 01:30 CET", []string{"2026-03-29 03:00 CEST", "2026-03-29 04:00 CEST"}},
	}
	for _, c := range cases {
		s, err := parseAt(c.sched, loc, at(t, c.after))
		if err != nil {
			t.Errorf("%s: %v", c.sched, err)
			continue
		}
		got := s.NextN(at(t, c.after), len(c.want))
		var gs []string
		for _, g := range got {
			gs = append(gs, g.In(loc).Format("2006-01-02 15:04 MST"))
		}
		if strings.Join(gs, " | ") != strings.Join(c.want, " | ") {
			t.Errorf("%s after %s:\n got  %s\n want %s", c.sched, c.after, strings.Join(gs, " | "), strings.Join(c.want, " | "))
		}
	}
}

// TestNextIsStrictlyIncreasing walks a year of several schedules across
// both DST changes: runs are strictly after the previous one and never
// more than one per slot.
func TestNextIsStrictlyIncreasing(t *testing.T) {
	loc := berlin(t)
	for _, src := range []string{"at 02:30", "*/15 * * * *", "30 2 * * *", "0 1-3 * * *", "every 45m"} {
		s, err := ParseIn(src, loc)
		if err != nil {
			t.Fatal(err)
		}
		prev := at(t, "2026-01-01 00:00")
		end := at(t, "2027-01-01 00:00")
		n := 0
		for prev.Before(end) {
			next := s.Next(prev)
			if !next.After(prev) {
				t.Fatalf("%s: Next(%v) = %v, not after", src, prev, next)
			}
			prev = next
			if next.Before(end) {
				n++
			}
		}
		if src == "at 02:30" && n != 365 {
			t.Errorf("%s ran %d times in 2026, want 365", src, n)
		}
		if src == "30 2 * * *" && n != 365 {
			t.Errorf("%s ran %d times in 2026, want 365", src, n)
		}
	}
}

func TestRejects(t *testing.T) {
	cases := []struct{ sched, want string }{
		{"", "empty schedule"},
		{"cron 0 0 31 2 *", "never runs: day 31 never occurs in February"},
		{"0 0 30,31 2 *", "never occurs in February"},
		{"0 0 31 4,6,9,11 *", "day 31 never occurs in April, June, September, November"},
		{"at 25:00", "there is no hour 25"},
		{"at 12:60", "there is no minute 60"},
		{"at noon", "not a time of day"},
		{"at 9:5", "not a time of day"},
		{"every 0s", "at least 1m"},
		{"every 30s", "at least 1m"},
		{"every -5m", "at least 1m"},
		{"every", "no interval"},
		{"every soon", "not a duration"},
		{"at 09:00 on mon,funday", `unknown day "funday"`},
		{"at 09:00 mon", `want "on DAYS"`},
		{"at 09:00 on ", "empty day name"},
		{"cron 60 * * * *", "minute 60: out of range 0–59"},
		{"cron * 24 * * *", "hour 24: out of range"},
		{"cron * * 0 * *", "day-of-month 0: out of range 1–31"},
		{"cron * * * 13 *", "month 13: out of range"},
		{"cron * * * * 8", "day-of-week 8: out of range 0–7"},
		{"cron * * * * xyz", `day-of-week "xyz": not a number or a name`},
		{"cron 5-2 * * * *", "start is after the end"},
		{"cron */0 * * * *", "step \"0\""},
		{"cron */61 * * * *", "larger than the field's range"},
		{"cron * * * *", "want 5 fields"},
		{"cron 1,,2 * * * *", "empty list element"},
		{"@reboot", "not at boot"},
		{"@fortnightly", "unknown macro"},
	}
	for _, c := range cases {
		_, err := Parse(c.sched)
		if err == nil {
			t.Errorf("%q: accepted", c.sched)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q, want it to say %q", c.sched, err, c.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	cases := []struct{ sched, want string }{
		{"every 6h", "every 6h"},
		{"every 90m", "every 1h30m"},
		{"every 2d", "every 2d"},
		{"at 02:00", "every day at 02:00"},
		{"at 09:30 on mon-fri", "Mon–Fri at 09:30"},
		{"at 09:30 on weekdays", "Mon–Fri at 09:30"},
		{"at 10:00 on sat,sun", "Sat–Sun at 10:00"},
		{"at 10:00 on mon,wed,fri", "Mon, Wed, Fri at 10:00"},
		{"at 10:00 on mon-wed,sat", "Mon–Wed, Sat at 10:00"},
		{"at 10:00 on mon-sun", "every day at 10:00"},
		{"@daily", "every day at 00:00"},
		{"0 2 * * 1-5", "Mon–Fri at 02:00"},
		{"@hourly", "every hour at :00"},
		{"cron 0 */6 * * *", "cron 0 */6 * * *"},
		{"15 3 1 * *", "cron 15 3 1 * *"},
	}
	for _, c := range cases {
		s, err := Parse(c.sched)
		if err != nil {
			t.Errorf("%q: %v", c.sched, err)
			continue
		}
		if got := s.Describe(); got != c.want {
			t.Errorf("%q: Describe() = %q, want %q", c.sched, got, c.want)
		}
		if s.String() != strings.Join(strings.Fields(c.sched), " ") {
			t.Errorf("%q: String() = %q", c.sched, s.String())
		}
	}
}

// FuzzParse: any input is parsed or rejected without panicking, and an
// accepted schedule runs, strictly later each time, and reparses from its
// String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"every 6h", "every 1m", "every 2d", "at 02:30", "at 09:30 on mon-fri", "at 23:59 on sun,sat",
		"cron 0 */6 * * *", "*/15 9-17 * * mon-fri", "0 0 31 2 *", "0 0 29 2 *", "@daily", "@weekly", "5/10 1-2/3 */7 jan-dec/2 7",
		"0 0 13 * fri", "at 25:00", "cron 1,2,3 * * * *", "every 0s", "@reboot"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		loc = time.UTC
	}
	base := time.Date(2026, 3, 29, 0, 30, 0, 0, loc)
	f.Fuzz(func(t *testing.T, src string) {
		s, err := parseAt(src, loc, base)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if s.Describe() == "" {
			t.Fatalf("%q: no description", src)
		}
		runs := s.NextN(base, 3)
		if len(runs) == 0 {
			t.Fatalf("%q accepted but never runs", src)
		}
		prev := base
		for _, r := range runs {
			if !r.After(prev) {
				t.Fatalf("%q: run %v not after %v", src, r, prev)
			}
			prev = r
		}
		again, err := parseAt(s.String(), loc, base)
		if err != nil {
			t.Fatalf("%q: String %q does not reparse: %v", src, s.String(), err)
		}
		if !again.Next(base).Equal(runs[0]) {
			t.Fatalf("%q: reparsed schedule runs differently", src)
		}
	})
}

func BenchmarkNextCronEveryMinute(b *testing.B) {
	s, err := Parse("* * * * *")
	if err != nil {
		b.Fatal(err)
	}
	t := time.Date(2026, 1, 1, 23, 58, 30, 0, time.Local)
	for b.Loop() {
		s.Next(t)
	}
}

func BenchmarkNextNeverMatchesSoon(b *testing.B) {
	s, err := Parse("0 0 29 2 *")
	if err != nil {
		b.Fatal(err)
	}
	t := time.Date(2028, 3, 1, 0, 0, 0, 0, time.Local)
	for b.Loop() {
		s.Next(t)
	}
}
