package chart

import (
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{
		{1, 1}, {0.3, 0.5}, {0.25, 0.25}, {0.26, 0.5}, {1.1, 2}, {2.1, 2.5}, {3, 5}, {7, 10},
		{10.75, 20}, {21.75, 25}, {775000, 1e6}, {0.0011, 0.002}, {0, 1}, {-3, 1},
	} {
		if got := niceStep(tc.in); math.Abs(got-tc.want) > 1e-12*tc.want {
			t.Errorf("niceStep(%g) = %g, want %g", tc.in, got, tc.want)
		}
	}
}

func TestNiceRange(t *testing.T) {
	for _, tc := range []struct {
		min, max     float64
		lo, hi, step float64
	}{
		{0, 87, 0, 100, 25},
		{0, 43, 0, 60, 20},
		{0, 100, 0, 100, 25},
		{0, 1, 0, 1, 0.25},
		{0.2, 0.61, 0, 0.8, 0.2},
		{2, 5, 0, 6, 2},
		{0, 0, 0, 1, 0.25},
		{0, 3.1e6, 0, 4e6, 1e6},
		{0, 123456, 0, 150000, 50000},
		{-3, 7, -5, 10, 5},
		{-4, -1, -4, 0, 1},
		{math.NaN(), 1, 0, 1, 0.25},
	} {
		lo, hi, step := niceRange(tc.min, tc.max)
		if lo != tc.lo || hi != tc.hi || step != tc.step {
			t.Errorf("niceRange(%g, %g) = %g..%g step %g, want %g..%g step %g", tc.min, tc.max, lo, hi, step, tc.lo, tc.hi, tc.step)
		}
	}
}

// Whatever the data, the auto axis has 3 to 5 ticks and covers it.
func TestNiceRangeTickCount(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 5000; i++ {
		max := math.Pow(10, rng.Float64()*16-6) * rng.Float64()
		lo, hi, step := niceRange(0, max)
		n := len(yTicks(lo, hi, step))
		if n < 3 || n > 5 || hi < max || lo > 0 {
			t.Fatalf("max %g: %g..%g step %g, %d ticks", max, lo, hi, step, n)
		}
	}
}

func TestYTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi, step float64
		want         []float64
	}{
		{0, 1, 0.25, []float64{0, 0.25, 0.5, 0.75, 1}},
		{0, 0.3, 0.1, []float64{0, 0.1, 0.2, 0.3}},
		{0, 1, fixedStep(0, 1), []float64{0, 0.25, 0.5, 0.75, 1}},
		{0, 100, fixedStep(0, 100), []float64{0, 25, 50, 75, 100}},
		{0.05, 0.95, 0.25, []float64{0.25, 0.5, 0.75}},
		{-1, 1, 0.5, []float64{-1, -0.5, 0, 0.5, 1}},
		{1, 0, 0.5, nil},
	} {
		if got := yTicks(tc.lo, tc.hi, tc.step); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("yTicks(%g, %g, %g) = %v, want %v", tc.lo, tc.hi, tc.step, got, tc.want)
		}
	}
}

func TestChooseTimeStep(t *testing.T) {
	const ticks = 9 // an 800 px plot
	for _, tc := range []struct {
		span time.Duration
		want timeStep
	}{
		{time.Minute, timeStep{d: 10 * time.Second}},
		{5 * time.Minute, timeStep{d: time.Minute}},
		{time.Hour, timeStep{d: 10 * time.Minute}},
		{24 * time.Hour, timeStep{d: 3 * time.Hour}},
		{7 * day, timeStep{d: day}},
		{30 * day, timeStep{d: 7 * day}},
		{365 * day, timeStep{months: 2}},
		{20 * 365 * day, timeStep{months: 36}},
	} {
		if got := chooseTimeStep(tc.span, ticks); got != tc.want {
			t.Errorf("chooseTimeStep(%v) = %+v, want %+v", tc.span, got, tc.want)
		}
	}
	// Steps fitted to the width and the labels' width.
	label40 := func(timeStep) float32 { return 40 }
	for _, tc := range []struct {
		span  time.Duration
		width float32
		want  timeStep
	}{
		{30 * day, 345, timeStep{d: 7 * day}},
		{30 * day, 1200, timeStep{d: 2 * day}},
		{time.Hour, 800, timeStep{d: 10 * time.Minute}},
		{time.Hour, 120, timeStep{d: 30 * time.Minute}},
		{365 * day, 345, timeStep{months: 3}},
	} {
		if got := fitTimeStep(tc.span, tc.width, label40); got != tc.want {
			t.Errorf("fitTimeStep(%v, %g) = %+v, want %+v", tc.span, tc.width, got, tc.want)
		}
	}
	// A narrow plot gets coarser ticks.
	if got := chooseTimeStep(time.Hour, 3); got != (timeStep{d: 30 * time.Minute}) {
		t.Errorf("narrow 1h: %+v", got)
	}
}

func TestTimeTicks(t *testing.T) {
	defer func(l *time.Location) { location = l }(location)
	location = time.UTC
	at := func(s string) time.Time {
		tt, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	labels := func(t0, t1 time.Time, s timeStep) []string {
		var out []string
		for _, tt := range timeTicks(t0, t1, s) {
			out = append(out, timeLabel(tt, s))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		t0, t1 string
		step   timeStep
		want   []string
	}{
		{"1 min", "2026-03-10 12:00:03", "2026-03-10 12:01:03", timeStep{d: 10 * time.Second},
			[]string{"12:00:10", "12:00:20", "12:00:30", "12:00:40", "12:00:50", "12:01:00"}},
		{"1 h", "2026-03-10 11:47:00", "2026-03-10 12:47:00", timeStep{d: 10 * time.Minute},
			[]string{"11:50", "12:00", "12:10", "12:20", "12:30", "12:40"}},
		{"24 h", "2026-03-10 12:30:00", "2026-03-11 12:30:00", timeStep{d: 3 * time.Hour},
			[]string{"15:00", "18:00", "21:00", "Wed 11", "03:00", "06:00", "09:00", "12:00"}},
		{"7 d", "2026-03-10 12:30:00", "2026-03-17 12:30:00", timeStep{d: day},
			[]string{"Wed 11", "Thu 12", "Fri 13", "Sat 14", "Sun 15", "Mon 16", "Tue 17"}},
		{"30 d", "2026-03-10 12:30:00", "2026-04-09 12:30:00", timeStep{d: 7 * day},
			[]string{"Mar 16", "Mar 23", "Mar 30", "Apr 6"}},
		{"1 y", "2025-06-15 00:00:00", "2026-06-15 00:00:00", timeStep{months: 2},
			[]string{"Jul", "Sep", "Nov", "Jan 2026", "Mar", "May"}},
	} {
		got := labels(at(tc.t0), at(tc.t1), tc.step)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDefaultFormat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {42, "42"}, {0.25, "0.25"}, {3.14159, "3.14"}, {12.345, "12.3"}, {999.4, "999"},
		{12345, "12.3k"}, {3.1e6, "3.1M"}, {2.5e9, "2.5G"}, {-1500000, "-1.5M"}, {0.000123, "0.000123"},
		{math.NaN(), "–"},
	} {
		if got := DefaultFormat(tc.v); got != tc.want {
			t.Errorf("DefaultFormat(%g) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
