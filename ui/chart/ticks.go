package chart

import (
	"math"
	"time"
)

// location is the zone time ticks are aligned to and written in.
var location = time.Local

// niceSteps are the mantissas of y tick steps: 1-2-5, with 2.5 so a 0..1 or
// 0..100 axis gets quarters.
var niceSteps = []float64{1, 2, 2.5, 5, 10}

// niceStep is the smallest 1, 2, 2.5 or 5 × 10^k that is at least x.
func niceStep(x float64) float64 {
	if !(x > 0) || math.IsInf(x, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range niceSteps {
		if s := m * p; s >= x*(1-1e-9) {
			return s
		}
	}
	return 10 * p
}

// nextNice is the nice step after s.
func nextNice(s float64) float64 { return niceStep(s * 1.0001) }

// maxYIntervals is how many intervals (ticks - 1) a y axis may have.
const maxYIntervals = 4

// niceRange picks the auto y range for data in [min, max]: from 0 (or a nice
// number below a negative min) to a nice number at or above max, with its
// tick step, so there are 3 to 5 ticks.
func niceRange(min, max float64) (lo, hi, step float64) {
	if math.IsNaN(min) || math.IsNaN(max) || math.IsInf(min, 0) || math.IsInf(max, 0) {
		return 0, 1, 0.25
	}
	if min > 0 {
		min = 0
	}
	if max < 0 {
		max = 0
	}
	if max-min <= 0 {
		return 0, 1, 0.25
	}
	step = niceStep((max - min) / maxYIntervals)
	for {
		lo = math.Floor(min/step+1e-9) * step
		hi = math.Ceil(max/step-1e-9) * step
		if math.Round((hi-lo)/step) <= maxYIntervals {
			break
		}
		step = nextNice(step)
	}
	if hi <= lo {
		hi = lo + step
	}
	return lo, hi, step
}

// fixedStep picks a tick step for a fixed y range.
func fixedStep(lo, hi float64) float64 {
	return niceStep((hi - lo) / maxYIntervals)
}

// yTicks lists the multiples of step in [lo, hi].
func yTicks(lo, hi, step float64) []float64 {
	if !(step > 0) || !(hi > lo) {
		return nil
	}
	var out []float64
	k0 := math.Ceil(lo/step - 1e-9)
	for k := k0; ; k++ {
		v := k * step
		if v > hi+step*1e-9 {
			break
		}
		// Clean the float noise of k*step (0.30000000000000004).
		v = roundSig(v, 12)
		if v == 0 {
			v = 0 // not -0
		}
		out = append(out, v)
		if len(out) > 100 {
			break
		}
	}
	return out
}

func roundSig(v float64, sig int) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	p := math.Pow(10, float64(sig)-math.Ceil(math.Log10(math.Abs(v))))
	return math.Round(v*p) / p
}

// timeStep is one spacing of time ticks: a fixed duration, or whole months.
type timeStep struct {
	d      time.Duration
	months int
}

func (s timeStep) approx() time.Duration {
	if s.months > 0 {
		return time.Duration(s.months) * 30 * 24 * time.Hour
	}
	return s.d
}

const day = 24 * time.Hour

var timeSteps = []timeStep{
	{d: time.Second}, {d: 2 * time.Second}, {d: 5 * time.Second}, {d: 10 * time.Second},
	{d: 15 * time.Second}, {d: 30 * time.Second},
	{d: time.Minute}, {d: 2 * time.Minute}, {d: 5 * time.Minute}, {d: 10 * time.Minute},
	{d: 15 * time.Minute}, {d: 30 * time.Minute},
	{d: time.Hour}, {d: 2 * time.Hour}, {d: 3 * time.Hour}, {d: 6 * time.Hour}, {d: 12 * time.Hour},
	{d: day}, {d: 2 * day}, {d: 7 * day},
	{months: 1}, {months: 2}, {months: 3}, {months: 6}, {months: 12},
}

// chooseTimeStep is the finest step that puts at most maxTicks ticks on span.
func chooseTimeStep(span time.Duration, maxTicks int) timeStep {
	if maxTicks < 1 {
		maxTicks = 1
	}
	for _, s := range timeSteps {
		if s.approx()*time.Duration(maxTicks) >= span {
			return s
		}
	}
	last := timeSteps[len(timeSteps)-1]
	n := int(span/last.approx())/maxTicks + 1
	return timeStep{months: 12 * n}
}

// fitTimeStep is the finest step whose labels, labelW wide, fit width with
// tickGap between them; at least two ticks are allowed.
func fitTimeStep(span time.Duration, width float32, labelW func(timeStep) float32) timeStep {
	for _, s := range timeSteps {
		n := max(int(width/(labelW(s)+tickGap)), 2)
		if s.approx()*time.Duration(n) >= span {
			return s
		}
	}
	return chooseTimeStep(span, max(int(width/(labelW(timeSteps[len(timeSteps)-1])+tickGap)), 2))
}

// timeTicks lists the tick times in [t0, t1] for step s, aligned in
// location: sub-day steps to local midnight, days to midnight, weeks to
// Mondays, months to the first of the month.
func timeTicks(t0, t1 time.Time, s timeStep) []time.Time {
	t0, t1 = t0.In(location), t1.In(location)
	var out []time.Time
	add := func(t time.Time) bool {
		if t.After(t1) || len(out) > 200 {
			return false
		}
		if !t.Before(t0) {
			out = append(out, t)
		}
		return true
	}
	midnight := time.Date(t0.Year(), t0.Month(), t0.Day(), 0, 0, 0, 0, location)
	switch {
	case s.months > 0:
		m := time.Date(t0.Year(), t0.Month(), 1, 0, 0, 0, 0, location)
		for (int(m.Month())-1)%s.months != 0 {
			m = m.AddDate(0, -1, 0)
		}
		for i := 0; add(m.AddDate(0, i*s.months, 0)); i++ {
		}
	case s.d == 7*day:
		back := (int(midnight.Weekday()) + 6) % 7 // days since Monday
		m := midnight.AddDate(0, 0, -back)
		for i := 0; add(m.AddDate(0, 0, 7*i)); i++ {
		}
	case s.d >= day:
		n := int(s.d / day)
		m := midnight
		for dayNumber(m)%n != 0 {
			m = m.AddDate(0, 0, -1)
		}
		for i := 0; add(m.AddDate(0, 0, n*i)); i++ {
		}
	default:
		k := t0.Sub(midnight) / s.d
		for t := midnight.Add(k * s.d); add(t); t = t.Add(s.d) {
		}
	}
	return out
}

// dayNumber counts days from the epoch in location, to align 2-day steps.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// timeLabel writes a tick time for step s.
func timeLabel(t time.Time, s timeStep) string {
	t = t.In(location)
	midnight := t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	switch {
	case s.months >= 12:
		return t.Format("2006")
	case s.months > 0:
		if t.Month() == time.January {
			return t.Format("Jan 2006")
		}
		return t.Format("Jan")
	case s.d >= 2*day:
		return t.Format("Jan 2")
	case s.d >= day:
		return t.Format("Mon 2")
	case s.d >= time.Hour && midnight:
		return t.Format("Mon 2")
	case s.d >= time.Minute:
		return t.Format("15:04")
	default:
		return t.Format("15:04:05")
	}
}

// hoverTimeLabel writes the time of the hovered sample, as precisely as
// the span in view makes useful.
func hoverTimeLabel(t time.Time, span time.Duration) string {
	t = t.In(location)
	switch {
	case span <= 2*time.Hour:
		return t.Format("15:04:05")
	case span <= 2*day:
		return t.Format("Mon 15:04:05")
	case span <= 180*day:
		return t.Format("Mon 2 Jan 15:04")
	default:
		return t.Format("2 Jan 2006 15:04")
	}
}
