package tsdb

import "math"

// Round rounds v to places decimal places (0..15) in exactly the form the
// decimal codec stores losslessly: a block whose values are all rounded
// this way is stored as small integers instead of XORed floats. Ratios of
// two integers (busy ticks / total ticks) are already compact through the
// rational codec; a float with arbitrary low bits that changes every
// second costs about 7 bytes per sample, and rounding it to the precision
// actually measured brings that to about 2. NaN, ±Inf and values too
// large to scale are returned unchanged.
func Round(v float64, places int) float64 {
	places = min(max(places, 0), maxExp)
	s := v * pow10[places]
	if !(s >= -(1<<53) && s <= 1<<53) {
		return v
	}
	return float64(int64(math.Round(s))) / pow10[places]
}
