package tsdb

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// valueGens produce value sequences for the round-trip property tests.
var valueGens = map[string]func(r *rand.Rand, n int) []float64{
	"random": func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = math.Float64frombits(r.Uint64())
		}
		return out
	},
	"jitter": func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = 0.3 + r.NormFloat64()*0.05
		}
		return out
	},
	"constant": func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		c := r.NormFloat64() * 1e6
		for i := range out {
			out[i] = c
		}
		return out
	},
	"integers": func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		v := r.Int64N(1 << 40)
		for i := range out {
			v += r.Int64N(1000) - 300
			out[i] = float64(v)
		}
		return out
	},
	"counter": genCounterBytes,
	"ratios": func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			total := 1 + r.IntN(1000)
			if r.IntN(10) == 0 {
				total = 1 + r.IntN(1<<30)
			}
			out[i] = float64(r.IntN(total+1)) / float64(total)
		}
		return out
	},
	"decimal": func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		places := r.IntN(8)
		for i := range out {
			out[i] = Round(r.Float64()*100, places)
		}
		return out
	},
	"special": func(r *rand.Rand, n int) []float64 {
		specials := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, math.Copysign(0, -1),
			math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1 << 53, -(1 << 53),
			1<<53 + 2, 1 << 62, -1 << 63, 1e300, 5e-324, 0.1, math.Float64frombits(0x7ff8000000000001)}
		out := make([]float64, n)
		for i := range out {
			out[i] = specials[r.IntN(len(specials))]
		}
		return out
	},
	"huge-ints": func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(r.Int64N(1<<53)) * float64(int64(1)<<r.IntN(10))
		}
		return out
	},
	"mixed": func(r *rand.Rand, n int) []float64 {
		out := genMemory(r, n)
		if n > 0 {
			out[r.IntN(n)] = math.NaN()
		}
		return out
	},
}

var timeGens = map[string]func(r *rand.Rand, n int) []int64{
	"regular": func(r *rand.Rand, n int) []int64 {
		out := make([]int64, n)
		t := r.Int64N(2e9)
		for i := range out {
			out[i] = t + int64(i)
		}
		return out
	},
	"jittery": func(r *rand.Rand, n int) []int64 {
		out := make([]int64, n)
		t := r.Int64N(2e9)
		for i := range out {
			out[i] = t
			t++
			if r.IntN(20) == 0 {
				t += int64(r.IntN(3))
			}
		}
		return out
	},
	"irregular": func(r *rand.Rand, n int) []int64 {
		out := make([]int64, n)
		var t int64
		for i := range out {
			out[i] = t
			switch r.IntN(4) {
			case 0:
				t += 1 + r.Int64N(1<<40)
			case 1:
				t += 1 + r.Int64N(5000)
			default:
				t += 1 + r.Int64N(3)
			}
		}
		return out
	},
	"extreme": func(r *rand.Rand, n int) []int64 {
		out := make([]int64, n)
		t := math.MaxInt64 - int64(n)*(1<<40)
		for i := range out {
			out[i] = t
			t += 1 + r.Int64N(1<<40-1)
		}
		if n > 0 {
			out[n-1] = math.MaxInt64
		}
		return out
	},
}

func sameFloat(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func TestRawRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var e encoder
	var blk block
	sizes := []int{1, 2, 3, 17, 64, 600, 1025, 4000}
	for vname, vg := range valueGens {
		for tname, tg := range timeGens {
			for _, n := range sizes {
				for _, res := range []int64{1, 60, 3600} {
					vals, ts := vg(r, n), tg(r, n)
					s := make([]sample, n)
					for i := range s {
						s[i] = sample{ts[i], vals[i]}
					}
					enc := e.encodeRaw(nil, res, s)
					if err := decodeBlock(enc, allCols, &blk); err != nil {
						t.Fatalf("%s/%s n=%d res=%d: decode: %v", vname, tname, n, res, err)
					}
					if blk.kind != kindRaw || blk.res != res || blk.len() != n {
						t.Fatalf("%s/%s n=%d: header kind=%d res=%d len=%d", vname, tname, n, blk.kind, blk.res, blk.len())
					}
					for i := range s {
						if blk.ts[i] != s[i].t || !sameFloat(blk.cols[0][i], s[i].v) {
							t.Fatalf("%s/%s n=%d res=%d: sample %d: got (%d, %x) want (%d, %x)", vname, tname, n, res, i,
								blk.ts[i], math.Float64bits(blk.cols[0][i]), s[i].t, math.Float64bits(s[i].v))
						}
					}
				}
			}
		}
	}
}

func TestRollupRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	var e encoder
	var blk block
	for vname, vg := range valueGens {
		for _, n := range []int{1, 5, 240, 1000} {
			ts := timeGens["irregular"](r, n)
			a, b, c := vg(r, n), vg(r, n), vg(r, n)
			p := make([]aggPoint, n)
			for i := range p {
				p[i] = aggPoint{ts[i], a[i], b[i], c[i], float64(1 + r.IntN(60))}
			}
			enc := e.encodeRollup(nil, 60, p)
			if err := decodeBlock(enc, allCols, &blk); err != nil {
				t.Fatalf("%s n=%d: %v", vname, n, err)
			}
			for i := range p {
				got := aggPoint{blk.ts[i], blk.cols[colMin][i], blk.cols[colMax][i], blk.cols[colSum][i], blk.cols[colCount][i]}
				if got.t != p[i].t || !sameFloat(got.min, p[i].min) || !sameFloat(got.max, p[i].max) ||
					!sameFloat(got.sum, p[i].sum) || !sameFloat(got.count, p[i].count) {
					t.Fatalf("%s n=%d point %d: got %+v want %+v", vname, n, i, got, p[i])
				}
			}
			// Decoding only some columns leaves the others empty.
			if err := decodeBlock(enc, 1<<colSum, &blk); err != nil {
				t.Fatal(err)
			}
			if len(blk.cols[colSum]) != n || len(blk.cols[colMin]) != 0 {
				t.Fatalf("masked decode filled the wrong columns")
			}
		}
	}
}

// columnCodec returns the codec byte and exponent of a raw block's value
// column.
func columnCodec(t *testing.T, enc []byte) (codec, exp byte) {
	t.Helper()
	r := byteReader{b: enc[:len(enc)-crcLen]}
	r.byte()
	r.byte()
	r.uvarint()
	r.uvarint()
	r.uvarint()
	r.bytes(r.uvarint())
	codec = r.byte()
	if codec == codecIntDelta || codec == codecIntDoD {
		exp = r.byte()
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return codec, exp
}

func TestCodecChoice(t *testing.T) {
	var e encoder
	mk := func(vals ...float64) []sample {
		s := make([]sample, len(vals))
		for i, v := range vals {
			s[i] = sample{int64(100 + i), v}
		}
		return s
	}
	ticks := func(n int) []sample {
		r := rand.New(rand.NewPCG(9, 9))
		vals := make([]float64, n)
		for i := range vals {
			total := 400 + r.IntN(5) - 2
			vals[i] = float64(r.IntN(total/2)) / float64(total)
		}
		return mk(vals...)
	}
	cases := []struct {
		name  string
		s     []sample
		codec byte // codecIntDelta stands for either integer codec
		exp   byte
	}{
		{"integers", mk(1, 5, 9, 1e12, -3), codecIntDelta, 0},
		{"bytes", mk(4096, 8192, 8192, 1<<40), codecIntDelta, 0},
		{"decimals", mk(0.25, 0.5, 0.1234, 0.9999), codecIntDelta, 4},
		{"tick ratios", ticks(600), codecRational, 0},
		{"thirds", mk(1.0/3, 2.0/3, 1.0/3, 2.0/3, 1.0/3, 2.0/3, 1.0/3, 2.0/3, 1.0/3, 2.0/3), codecRational, 0},
		{"negative zero", mk(0, math.Copysign(0, -1), 1), codecXOR, 0},
		{"nan", mk(1, math.NaN(), 2), codecXOR, 0},
		{"inf", mk(1, math.Inf(1)), codecXOR, 0},
		{"beyond 2^53", mk(1<<54+2, 1), codecXOR, 0},
		{"random", mk(1e-20*math.Pi, 1e-19*math.E, 7e-21), codecXOR, 0},
	}
	for _, c := range cases {
		codec, exp := columnCodec(t, e.encodeRaw(nil, 1, c.s))
		if codec == codecIntDoD {
			codec = codecIntDelta
		}
		if codec != c.codec || exp != c.exp {
			t.Errorf("%s: codec %d exp %d, want %d exp %d", c.name, codec, exp, c.codec, c.exp)
		}
	}
}

func TestRegularTimestampsCostOneBitOrLess(t *testing.T) {
	ts := make([]int64, 600)
	for i := range ts {
		ts[i] = 1e9 + int64(i)
	}
	var w bitWriter
	encodeTimes(&w, ts, 1)
	if n := w.bitLen(); n > len(ts) {
		t.Fatalf("regular 1 s timestamps took %d bits for %d samples", n, len(ts))
	}
	// With one skipped second the stream stays small.
	ts[300]++
	w.reset(nil)
	encodeTimes(&w, ts, 1)
	if n := w.bitLen(); n > 100 {
		t.Fatalf("nearly regular timestamps took %d bits", n)
	}
}

func TestCorruptBlockDetected(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	var e encoder
	var blk block
	s := make([]sample, 300)
	vals := genCPU(cpuFloat)(r, len(s))
	for i := range s {
		s[i] = sample{int64(5000 + i), vals[i]}
	}
	enc := e.encodeRaw(nil, 1, s)
	for bit := 0; bit < len(enc)*8; bit++ {
		c := append([]byte(nil), enc...)
		c[bit/8] ^= 1 << (bit % 8)
		if err := decodeBlock(c, allCols, &blk); !errors.Is(err, ErrCorruptBlock) {
			t.Fatalf("flipping bit %d: err = %v, want ErrCorruptBlock", bit, err)
		}
	}
	for n := 0; n < len(enc); n++ {
		if err := decodeBlock(enc[:n], allCols, &blk); !errors.Is(err, ErrCorruptBlock) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
}

func TestRound(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for i := 0; i < 10000; i++ {
		places := r.IntN(maxExp + 1)
		x := r.NormFloat64() * 1000
		v := Round(x, places)
		if math.Abs(x*pow10[places]) >= 1<<53 {
			if v != x {
				t.Fatalf("Round(%v, %d) changed a value too large to scale", x, places)
			}
			continue
		}
		if !exactAt(v, places) {
			t.Fatalf("Round(_, %d) = %v is not exact at %d places", places, v, places)
		}
	}
	if got := Round(0.123456, 4); got != 0.1235 {
		t.Fatalf("Round(0.123456, 4) = %v", got)
	}
	if !math.IsNaN(Round(math.NaN(), 2)) || !math.IsInf(Round(math.Inf(1), 2), 1) {
		t.Fatal("Round must pass NaN and Inf through")
	}
}

func TestExactAdd(t *testing.T) {
	sum := 0.0
	for i := 0; i < 60; i++ {
		sum = exactAdd(sum, 0.1234)
	}
	if sum != Round(60*0.1234, 4) || !exactAt(sum, 4) {
		t.Fatalf("sum of 60×0.1234 = %v, want exactly 7.404", sum)
	}
	if got := exactAdd(1.0/3, 1.0/3); got != 1.0/3+1.0/3 {
		t.Fatalf("non-decimal sum %v", got)
	}
	if !math.IsInf(exactAdd(math.Inf(1), 1), 1) {
		t.Fatal("Inf sum")
	}
}

// encodedSize is the stored size of an hour of samples in raw blocks: the
// block values plus their 12-byte keys.
func encodedSize(e *encoder, vals []float64, t0 int64) int {
	w := TierRaw.window()
	size := 0
	var s []sample
	for i, v := range vals {
		t := t0 + int64(i)
		if len(s) > 0 && t%w == 0 {
			size += len(e.encodeRaw(nil, 1, s)) + 12
			s = s[:0]
		}
		s = append(s, sample{t, v})
	}
	return size + len(e.encodeRaw(nil, 1, s)) + 12
}

// TestBytesPerSample measures the stored size of a synthetic hour of 1 s
// samples for the dashboard's 40 series and asserts the average.
func TestBytesPerSample(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var e encoder
	const hour = 3600
	t0 := int64(1_700_000_400) // aligned to the 10-minute block window
	byClass := map[string][2]int{}
	var classes []string
	total, n := 0, 0
	for _, g := range dashboardSet {
		for c := 0; c < g.count; c++ {
			sz := encodedSize(&e, g.gen(r, hour), t0)
			x := byClass[g.class]
			if x[1] == 0 && x[0] == 0 {
				classes = append(classes, g.class)
			}
			byClass[g.class] = [2]int{x[0] + sz, x[1] + hour}
			total += sz
			n += hour
		}
	}
	for _, c := range classes {
		x := byClass[c]
		t.Logf("%-14s %.3f bytes/sample", c, float64(x[0])/float64(x[1]))
	}
	avg := float64(total) / float64(n)
	t.Logf("mixed set of %d series (CPU as tick ratios): %.3f bytes/sample", n/hour, avg)
	if avg > 1.5 {
		t.Fatalf("mixed set averages %.3f bytes/sample, want ≤ 1.5", avg)
	}
	// The CPU series written other ways.
	cpu := byClass["cpu ratio"]
	for _, v := range []struct {
		name    string
		variant int
	}{{"rounded to 4 places", cpuRounded}, {"arbitrary float64", cpuFloat}} {
		size := 0
		for i := 0; i < cpu[1]/hour; i++ {
			size += encodedSize(&e, genCPU(v.variant)(r, hour), t0)
		}
		mix := float64(total-cpu[0]+size) / float64(n)
		t.Logf("cpu ratio %-20s %.3f bytes/sample; mix %.3f", v.name, float64(size)/float64(cpu[1]), mix)
		if mix > 1.5 {
			t.Errorf("mix with CPU ratios %s averages %.3f bytes/sample, want ≤ 1.5", v.name, mix)
		}
	}
}

func ExampleRound() {
	fmt.Println(Round(0.4216981132075472, 4))
	// Output: 0.4217
}
