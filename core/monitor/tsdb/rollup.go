package tsdb

import "math"

// rater turns counter samples into per-second rates. The rate at a sample
// is (v - prev)/(t - tprev); when the value went down the counter was
// reset, and the delta is the new value itself (the count since the reset),
// so a reset never shows as a negative dip or a wrap-around spike. NaN
// samples are skipped and keep the previous sample as the baseline.
type rater struct {
	t  int64
	v  float64
	ok bool
}

func (r *rater) next(t int64, v float64) (float64, bool) {
	if math.IsNaN(v) {
		return 0, false
	}
	if !r.ok || t <= r.t {
		r.t, r.v, r.ok = t, v, true
		return 0, false
	}
	delta := v - r.v
	if v < r.v { // reset
		delta = max(v, 0)
	}
	rate := delta / float64(t-r.t)
	r.t, r.v = t, v
	if math.IsNaN(rate) {
		return 0, false
	}
	return rate, true
}

// value maps a sample to the value that is aggregated: the sample itself
// for a gauge, its rate for a counter. ok is false for NaN gauges and for
// counter samples that have no rate.
func value(kind Kind, r *rater, t int64, v float64) (float64, bool) {
	if kind == Counter {
		return r.next(t, v)
	}
	return v, !math.IsNaN(v)
}

// rollup accumulates values into buckets of res seconds.
type rollup struct {
	res int64
	pts []aggPoint
}

func (b *rollup) add(t int64, v float64) {
	bt := t - t%b.res
	if n := len(b.pts); n > 0 && b.pts[n-1].t == bt {
		p := &b.pts[n-1]
		p.min = min(p.min, v)
		p.max = max(p.max, v)
		p.sum = exactAdd(p.sum, v)
		p.count++
		return
	}
	b.pts = append(b.pts, aggPoint{t: bt, min: v, max: v, sum: v, count: 1})
}

// combine merges two statistics of the same bucket.
func combine(a, b aggPoint) aggPoint {
	return aggPoint{
		t:     a.t,
		min:   min(a.min, b.min),
		max:   max(a.max, b.max),
		sum:   exactAdd(a.sum, b.sum),
		count: a.count + b.count,
	}
}

// mergePoints merges two sorted point lists, combining equal times.
func mergePoints(a, b []aggPoint) []aggPoint {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	out := make([]aggPoint, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].t < b[j].t:
			out = append(out, a[i])
			i++
		case a[i].t > b[j].t:
			out = append(out, b[j])
			j++
		default:
			out = append(out, combine(a[i], b[j]))
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// exactAdd adds two sums. When both are exact decimals with at most 15
// places (see exactAt) the sum is computed on the scaled integers, so sums
// of ratios rounded to 4 places stay exact 4-place decimals and keep
// compressing with the integer codecs instead of picking up float noise.
func exactAdd(a, b float64) float64 {
	for e := 0; e <= maxExp; e++ {
		sa, sb := a*pow10[e], b*pow10[e]
		if !(sa >= -(1<<53) && sa <= 1<<53 && sb >= -(1<<53) && sb <= 1<<53) {
			break
		}
		na, oka := scaled(a, sa, e)
		nb, okb := scaled(b, sb, e)
		if oka && okb {
			if n := na + nb; n >= -(1<<53) && n <= 1<<53 {
				return float64(n) / pow10[e]
			}
			break
		}
	}
	return a + b
}
