package tsdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
)

// Block format constants; see the package documentation.
const (
	blockVersion = 1

	kindRaw    = 0 // one value column
	kindRollup = 1 // min, max, sum, count columns

	codecXOR      = 0
	codecIntDelta = 1
	codecIntDoD   = 2
	codecRational = 3

	maxExp      = 15
	maxBlockLen = 4096 // more than any window holds (600 raw samples)
	crcLen      = 4
)

// Rollup columns.
const (
	colMin = iota
	colMax
	colSum
	colCount
	numRollupCols
)

// colMask selects which value columns decodeBlock fills.
type colMask uint8

const allCols colMask = 0xff

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptBlock marks a stored block that fails its checksum or cannot be
// decoded.
var ErrCorruptBlock = errors.New("tsdb: corrupt block")

var pow10 = [maxExp + 1]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// sample is one raw point: unix seconds and value.
type sample struct {
	t int64
	v float64
}

// aggPoint is one rollup bucket: its start time and statistics of the
// values (gauges) or per-second rates (counters) whose time falls in it.
type aggPoint struct {
	t                    int64
	min, max, sum, count float64
}

// encoder holds scratch buffers so block encoding does not allocate per
// call. It is not safe for concurrent use.
type encoder struct {
	ts   []int64
	cols [numRollupCols][]float64
	ints [2][]int64
	tw   bitWriter
	w    [5]bitWriter
}

// encodeRaw appends a raw block of samples (strictly increasing, t ≥ 0,
// at least one) to dst.
func (e *encoder) encodeRaw(dst []byte, res int64, s []sample) []byte {
	e.ts = e.ts[:0]
	c := e.cols[0][:0]
	for _, x := range s {
		e.ts = append(e.ts, x.t)
		c = append(c, x.v)
	}
	e.cols[0] = c
	return e.encodeBlock(dst, kindRaw, res, e.ts, e.cols[:1])
}

// encodeRollup appends a rollup block to dst.
func (e *encoder) encodeRollup(dst []byte, res int64, p []aggPoint) []byte {
	e.ts = e.ts[:0]
	for i := range e.cols {
		e.cols[i] = e.cols[i][:0]
	}
	for _, x := range p {
		e.ts = append(e.ts, x.t)
		e.cols[colMin] = append(e.cols[colMin], x.min)
		e.cols[colMax] = append(e.cols[colMax], x.max)
		e.cols[colSum] = append(e.cols[colSum], x.sum)
		e.cols[colCount] = append(e.cols[colCount], x.count)
	}
	return e.encodeBlock(dst, kindRollup, res, e.ts, e.cols[:])
}

func (e *encoder) encodeBlock(dst []byte, kind byte, res int64, ts []int64, cols [][]float64) []byte {
	start := len(dst)
	dst = append(dst, blockVersion, kind)
	dst = binary.AppendUvarint(dst, uint64(res))
	dst = binary.AppendUvarint(dst, uint64(len(ts)))
	dst = binary.AppendUvarint(dst, uint64(ts[0]))
	e.tw.reset(e.tw.buf)
	encodeTimes(&e.tw, ts, res)
	b := e.tw.bytes()
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	dst = append(dst, b...)
	for _, c := range cols {
		dst = e.encodeColumn(dst, c)
	}
	return binary.BigEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// encodeColumn appends the smallest applicable encoding of vals: XOR,
// scaled-decimal integers, or rational numerator/denominator integers.
func (e *encoder) encodeColumn(dst []byte, vals []float64) []byte {
	xw := &e.w[0]
	xw.reset(xw.buf)
	encodeXOR(xw, vals)
	xb := xw.bytes()
	xorSize := 1 + uvarintLen(uint64(len(xb))) + len(xb)

	if exp, ok := decimalExp(vals); ok {
		p := pow10[exp]
		ints := e.ints[0][:0]
		for _, v := range vals {
			n, _ := scaled(v, v*p, exp)
			ints = append(ints, n)
		}
		e.ints[0] = ints
		st := e.intStream(0, ints)
		if 1+st.size() < xorSize {
			dst = append(dst, st.mode, byte(exp))
			return st.appendTo(dst)
		}
	} else if e.rationalize(vals) {
		num := e.intStream(0, e.ints[0])
		den := e.intStream(1, e.ints[1])
		if 1+num.size()+den.size() < xorSize {
			dst = append(dst, codecRational, num.mode)
			dst = num.appendTo(dst)
			dst = append(dst, den.mode)
			return den.appendTo(dst)
		}
	}
	dst = append(dst, codecXOR)
	dst = binary.AppendUvarint(dst, uint64(len(xb)))
	return append(dst, xb...)
}

// intStream is an encoded integer sequence: its first value, then the
// bit stream of its deltas (mode codecIntDelta) or deltas of deltas
// (codecIntDoD), divided by 2^shift.
type intStream struct {
	mode  byte
	shift byte
	first int64
	body  []byte
}

// size is the stream's length after its mode byte.
func (s intStream) size() int {
	return 1 + varintLen(s.first) + uvarintLen(uint64(len(s.body))) + len(s.body)
}

// appendTo writes shift, first, length and body (the mode is written by
// the caller, as the column's codec byte for decimals).
func (s intStream) appendTo(dst []byte) []byte {
	dst = append(dst, s.shift)
	dst = binary.AppendVarint(dst, s.first)
	dst = binary.AppendUvarint(dst, uint64(len(s.body)))
	return append(dst, s.body...)
}

// intStream encodes ints both ways with scratch writers slot*2+1 and
// slot*2+2 and returns the smaller; its body is valid until the slot is
// used again.
func (e *encoder) intStream(slot int, ints []int64) intStream {
	var or uint64
	for i := 1; i < len(ints); i++ {
		or |= uint64(ints[i] - ints[i-1])
	}
	shift := uint(0)
	if or != 0 {
		shift = uint(bits.TrailingZeros64(or))
	}
	dw, ddw := &e.w[slot*2+1], &e.w[slot*2+2]
	dw.reset(dw.buf)
	encodeInts(dw, ints, shift, false)
	db := dw.bytes()
	ddw.reset(ddw.buf)
	encodeInts(ddw, ints, shift, true)
	ddb := ddw.bytes()
	st := intStream{mode: codecIntDelta, shift: byte(shift), first: ints[0], body: db}
	if len(ddb) < len(db) {
		st.mode, st.body = codecIntDoD, ddb
	}
	return st
}

// maxDen bounds the denominators the rational codec searches for.
const maxDen = 1 << 24

// rationalize finds, for every value, integers A/B with float64(A)/
// float64(B) equal to it bit for bit, into e.ints[0] and e.ints[1]. It
// keeps B close to the previous value's (scaling a reduced fraction back
// up), so ratios of tick counts — busy/total with total ≈ 100 per CPU —
// become two slowly moving integer sequences.
func (e *encoder) rationalize(vals []float64) bool {
	nums, dens := e.ints[0][:0], e.ints[1][:0]
	var prev int64
	for _, v := range vals {
		a, b, ok := ratOf(v, prev)
		if !ok {
			return false
		}
		nums = append(nums, a)
		dens = append(dens, b)
		prev = b
	}
	e.ints[0], e.ints[1] = nums, dens
	return true
}

func ratExact(a, b int64, v float64) bool {
	return b > 0 && b <= 1<<53 && a >= -(1<<53) && a <= 1<<53 &&
		math.Float64bits(float64(a)/float64(b)) == math.Float64bits(v)
}

// ratOf finds A/B for v, preferring the denominator prev.
func ratOf(v float64, prev int64) (int64, int64, bool) {
	if !(math.Abs(v) < 1<<52) {
		return 0, 0, false // also NaN and ±Inf
	}
	if prev > 0 {
		if s := v * float64(prev); math.Abs(s) < 1<<52 {
			a := int64(math.Round(s))
			for _, c := range [3]int64{a, a - 1, a + 1} {
				if ratExact(c, prev, v) {
					return c, prev, true
				}
			}
		}
	}
	p, q, ok := convergent(v)
	if !ok {
		return 0, 0, false
	}
	if k := (prev + q/2) / q; k > 1 && q*k <= 1<<53 && math.Abs(float64(p))*float64(k) < 1<<52 {
		// The same rational, so the same correctly rounded quotient.
		if ratExact(p*k, q*k, v) {
			return p * k, q * k, true
		}
	}
	return p, q, true
}

// convergent walks the continued fraction of v and returns the first
// convergent p/q (q ≤ maxDen) whose quotient is exactly v.
func convergent(v float64) (int64, int64, bool) {
	f := math.Floor(v)
	h0, h1 := int64(1), int64(f)
	k0, k1 := int64(0), int64(1)
	if ratExact(h1, k1, v) {
		return h1, k1, true
	}
	x := v - f
	for i := 0; i < 64 && x > 0; i++ {
		x = 1 / x
		a := math.Floor(x)
		if a > maxDen {
			break
		}
		x -= a
		ai := int64(a)
		h0, h1 = h1, ai*h1+h0
		k0, k1 = k1, ai*k1+k0
		if k1 > maxDen || h1 > 1<<53 || h1 < -(1<<53) {
			break
		}
		if ratExact(h1, k1, v) {
			return h1, k1, true
		}
	}
	return 0, 0, false
}

func uvarintLen(x uint64) int { return (bits.Len64(x|1) + 6) / 7 }
func varintLen(x int64) int   { return uvarintLen(zigzag(x)) }

func zigzag(x int64) uint64   { return uint64(x<<1) ^ uint64(x>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// exactAt reports whether v is exactly float64(n)/10^e for an integer n
// with |n| ≤ 2^53 — the form the integer codecs reproduce bit for bit.
func exactAt(v float64, e int) bool {
	s := v * pow10[e]
	if !(s >= -(1<<53) && s <= 1<<53) {
		return false // also NaN and ±Inf
	}
	_, ok := scaled(v, s, e)
	return ok
}

// scaled returns the integer n with float64(n)/10^e == v bit for bit,
// given s = v*10^e (|s| ≤ 2^53). The product can be off by one unit near
// 2^53, so the neighbours of the rounded value are tried too.
func scaled(v, s float64, e int) (int64, bool) {
	n := int64(math.Round(s))
	want := math.Float64bits(v)
	for _, c := range [3]int64{n, n - 1, n + 1} {
		if c >= -(1<<53) && c <= 1<<53 && math.Float64bits(float64(c)/pow10[e]) == want {
			return c, true
		}
	}
	return 0, false
}

// decimalExp finds the smallest e ≤ maxExp at which every value is an exact
// decimal (see exactAt).
func decimalExp(vals []float64) (int, bool) {
	e := 0
restart:
	for e <= maxExp {
		for _, v := range vals {
			if !exactAt(v, e) {
				e++
				for e <= maxExp && !exactAt(v, e) {
					e++
				}
				continue restart
			}
		}
		return e, true
	}
	return 0, false
}

// Zero runs: both the timestamp and the integer streams have a code for
// a run of 1..1024 zero entries (runBits = 10 bits of length-1), used for
// runs of at least minRun zeros; shorter runs are written one bit each.
const (
	runBits = 10
	maxRun  = 1 << runBits
	minRun  = 16
)

// zeroRun buffers pending zero entries of a stream.
type zeroRun struct {
	n      int
	prefix uint64 // the run code
	plen   uint   // its length in bits
}

func (z *zeroRun) flush(w *bitWriter) {
	if z.n < minRun {
		w.writeBits(0, uint(z.n)) // n ≤ minRun-1 < 64
		z.n = 0
		return
	}
	for z.n > 0 {
		r := min(z.n, maxRun)
		w.writeBits(z.prefix<<runBits|uint64(r-1), z.plen+runBits)
		z.n -= r
	}
}

// encodeTimes writes the delta-of-delta of each timestamp after the first;
// the delta before the first is taken to be res. Codes: '0' dod 0,
// '10'+7 bits, '110'+9 bits, '1110'+12 bits (zigzagged dod), '11110'+64
// bits, '11111'+10 bits a run of 1..1024 zero dods.
func encodeTimes(w *bitWriter, ts []int64, res int64) {
	d := res
	z := zeroRun{prefix: 0b11111, plen: 5}
	for i := 1; i < len(ts); i++ {
		nd := ts[i] - ts[i-1]
		dod := nd - d
		d = nd
		if dod == 0 {
			z.n++
			continue
		}
		if z.n > 0 {
			z.flush(w)
		}
		u := zigzag(dod)
		switch {
		case u < 1<<7:
			w.writeBits(0b10<<7|u, 9)
		case u < 1<<9:
			w.writeBits(0b110<<9|u, 12)
		case u < 1<<12:
			w.writeBits(0b1110<<12|u, 16)
		default:
			w.writeBits(0b11110, 5)
			w.writeBits(u, 64)
		}
	}
	if z.n > 0 {
		z.flush(w)
	}
}

var timeWidths = [...]uint{0, 7, 9, 12, 0}

func decodeTimes(b []byte, ts []int64, res int64) error {
	r := newBitReader(b)
	d := res
	for i := 1; i < len(ts); {
		pre, ok := r.readUnary(5)
		if !ok {
			return errShort
		}
		var dod int64
		switch pre {
		case 0:
		case 4:
			u, ok := r.readBits(64)
			if !ok {
				return errShort
			}
			dod = unzigzag(u)
		case 5:
			k, ok := r.readBits(runBits)
			if !ok {
				return errShort
			}
			run := int(k) + 1
			if i+run > len(ts) {
				return errRun
			}
			if d <= 0 || d > math.MaxInt64/int64(run) || ts[i-1] > math.MaxInt64-d*int64(run) {
				return errTimes
			}
			for ; run > 0; run-- {
				ts[i] = ts[i-1] + d
				i++
			}
			continue
		default:
			u, ok := r.readBits(timeWidths[pre])
			if !ok {
				return errShort
			}
			dod = unzigzag(u)
		}
		d += dod
		t := ts[i-1] + d
		if d <= 0 || t <= ts[i-1] {
			return errTimes
		}
		ts[i] = t
		i++
	}
	if !r.done() {
		return errTrailing
	}
	return nil
}

var (
	errShort    = fmt.Errorf("%w: truncated bit stream", ErrCorruptBlock)
	errTrailing = fmt.Errorf("%w: trailing data in bit stream", ErrCorruptBlock)
	errRun      = fmt.Errorf("%w: zero run past the end of the block", ErrCorruptBlock)
	errTimes    = fmt.Errorf("%w: timestamps not increasing", ErrCorruptBlock)
)

// encodeXOR is Gorilla's value compression: the first value in full, then
// each value XORed with its predecessor: '0' for equal, '10' + the
// meaningful bits inside the previous leading/trailing-zero window, or '11'
// + 6 bits leading zeros + 6 bits (length-1) + the meaningful bits.
func encodeXOR(w *bitWriter, vals []float64) {
	prev := math.Float64bits(vals[0])
	w.writeBits(prev, 64)
	var pl, pt uint
	have := false
	for _, v := range vals[1:] {
		cur := math.Float64bits(v)
		x := cur ^ prev
		prev = cur
		if x == 0 {
			w.writeBits(0, 1)
			continue
		}
		l := uint(bits.LeadingZeros64(x))
		t := uint(bits.TrailingZeros64(x))
		sig := 64 - l - t
		if have && l >= pl && t >= pt && 64-pl-pt <= sig+12 {
			w.writeBits(0b10, 2)
			w.writeBits(x>>pt, 64-pl-pt)
			continue
		}
		have, pl, pt = true, l, t
		w.writeBits(0b11<<12|uint64(l)<<6|uint64(sig-1), 14)
		w.writeBits(x>>t, sig)
	}
}

func decodeXOR(b []byte, out []float64) error {
	r := newBitReader(b)
	prev, ok := r.readBits(64)
	if !ok {
		return errShort
	}
	out[0] = math.Float64frombits(prev)
	var sig, pt uint
	have := false
	for i := 1; i < len(out); i++ {
		c, ok := r.readBit()
		if !ok {
			return errShort
		}
		if c == 1 {
			c2, ok := r.readBit()
			if !ok {
				return errShort
			}
			if c2 == 1 {
				h, ok := r.readBits(12)
				if !ok {
					return errShort
				}
				l := uint(h >> 6)
				sig = uint(h&63) + 1
				if l+sig > 64 {
					return fmt.Errorf("%w: bad XOR window", ErrCorruptBlock)
				}
				pt = 64 - l - sig
				have = true
			} else if !have {
				return fmt.Errorf("%w: XOR window reused before set", ErrCorruptBlock)
			}
			x, ok := r.readBits(sig)
			if !ok {
				return errShort
			}
			prev ^= x << pt
		}
		out[i] = math.Float64frombits(prev)
	}
	if !r.done() {
		return errTrailing
	}
	return nil
}

// encodeInts writes ns[1:] as deltas (or deltas of deltas when dod),
// divided by 2^shift, zigzagged. Codes: '0' zero, '10' + W bits when the
// value fits the current width W, '110' + 6 bits (W-1) + W bits to set a
// new width, '111' + 10 bits a run of 1..1024 zeros.
func encodeInts(w *bitWriter, ns []int64, shift uint, dod bool) {
	var width uint
	var prevQ int64
	z := zeroRun{prefix: 0b111, plen: 3}
	for i := 1; i < len(ns); i++ {
		q := (ns[i] - ns[i-1]) >> shift
		x := q
		if dod {
			x = q - prevQ
			prevQ = q
		}
		if x == 0 {
			z.n++
			continue
		}
		if z.n > 0 {
			z.flush(w)
		}
		u := zigzag(x)
		need := uint(bits.Len64(u))
		if width > 0 && need <= width && width-need <= 7 {
			w.writeBits(0b10, 2)
			w.writeBits(u, width)
			continue
		}
		width = need
		w.writeBits(0b110<<6|uint64(width-1), 9)
		w.writeBits(u, width)
	}
	if z.n > 0 {
		z.flush(w)
	}
}

func decodeInts(b []byte, out []int64, first int64, shift uint, dod bool) error {
	r := newBitReader(b)
	n := first
	out[0] = n
	var width uint
	var q int64
	for i := 1; i < len(out); {
		pre, ok := r.readUnary(3)
		if !ok {
			return errShort
		}
		var x int64
		switch pre {
		case 0:
		case 3:
			k, ok := r.readBits(runBits)
			if !ok {
				return errShort
			}
			run := int(k) + 1
			if i+run > len(out) {
				return errRun
			}
			if !dod {
				q = 0
			}
			for ; run > 0; run-- {
				n += q << shift
				out[i] = n
				i++
			}
			continue
		default:
			if pre == 2 {
				h, ok := r.readBits(6)
				if !ok {
					return errShort
				}
				width = uint(h) + 1
			} else if width == 0 {
				return fmt.Errorf("%w: integer width reused before set", ErrCorruptBlock)
			}
			u, ok := r.readBits(width)
			if !ok {
				return errShort
			}
			x = unzigzag(u)
		}
		if dod {
			q += x
		} else {
			q = x
		}
		n += q << shift
		out[i] = n
		i++
	}
	if !r.done() {
		return errTrailing
	}
	return nil
}

// block is a decoded block in column form. Columns not asked for are left
// empty.
type block struct {
	kind byte
	res  int64
	ts   []int64
	cols [numRollupCols][]float64
	ints [2][]int64 // scratch
}

func (b *block) len() int { return len(b.ts) }

// decodeBlock verifies the checksum and decodes data into out, reusing its
// buffers. Only the columns in mask are decoded. It never panics on
// arbitrary input.
func decodeBlock(data []byte, mask colMask, out *block) error {
	if len(data) < 2+crcLen {
		return fmt.Errorf("%w: %d bytes is too short", ErrCorruptBlock, len(data))
	}
	body := data[:len(data)-crcLen]
	if got, want := crc32.Checksum(body, castagnoli), binary.BigEndian.Uint32(data[len(body):]); got != want {
		return fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x)", ErrCorruptBlock, want, got)
	}
	return decodeBody(body, mask, out)
}

type byteReader struct {
	b   []byte
	err error
}

func (r *byteReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint", ErrCorruptBlock)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint", ErrCorruptBlock)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *byteReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = fmt.Errorf("%w: truncated header", ErrCorruptBlock)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *byteReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: section longer than block", ErrCorruptBlock)
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func decodeBody(body []byte, mask colMask, out *block) error {
	r := byteReader{b: body}
	if v := r.byte(); v != blockVersion {
		return fmt.Errorf("%w: unknown version %d", ErrCorruptBlock, v)
	}
	kind := r.byte()
	ncols := 0
	switch kind {
	case kindRaw:
		ncols = 1
	case kindRollup:
		ncols = numRollupCols
	default:
		return fmt.Errorf("%w: unknown block kind %d", ErrCorruptBlock, kind)
	}
	res := r.uvarint()
	n := r.uvarint()
	t0 := r.uvarint()
	tb := r.bytes(r.uvarint())
	if r.err != nil {
		return r.err
	}
	if res == 0 || res > 1<<40 {
		return fmt.Errorf("%w: bad resolution %d", ErrCorruptBlock, res)
	}
	if n == 0 || n > maxBlockLen || n-1 > maxRun*8*uint64(len(tb)) {
		return fmt.Errorf("%w: bad sample count %d", ErrCorruptBlock, n)
	}
	if t0 > math.MaxInt64 {
		return fmt.Errorf("%w: bad start time", ErrCorruptBlock)
	}
	out.kind, out.res = kind, int64(res)
	out.ts = grow(out.ts, int(n))
	out.ts[0] = int64(t0)
	if err := decodeTimes(tb, out.ts, int64(res)); err != nil {
		return err
	}
	for c := range out.cols {
		out.cols[c] = out.cols[c][:0]
	}
	for c := 0; c < ncols; c++ {
		codec := r.byte()
		var exp byte
		var streams [2]rawStream
		nstreams := 0
		var xb []byte
		switch codec {
		case codecXOR:
			xb = r.bytes(r.uvarint())
		case codecIntDelta, codecIntDoD:
			exp = r.byte()
			streams[0] = readStream(&r, codec)
			nstreams = 1
		case codecRational:
			streams[0] = readStream(&r, r.byte())
			streams[1] = readStream(&r, r.byte())
			nstreams = 2
		default:
			if r.err == nil {
				return fmt.Errorf("%w: unknown codec %d", ErrCorruptBlock, codec)
			}
		}
		if r.err != nil {
			return r.err
		}
		if exp > maxExp {
			return fmt.Errorf("%w: bad decimal exponent %d", ErrCorruptBlock, exp)
		}
		for _, st := range streams[:nstreams] {
			if st.shift > 63 || (st.mode != codecIntDelta && st.mode != codecIntDoD) {
				return fmt.Errorf("%w: bad integer stream header", ErrCorruptBlock)
			}
		}
		if mask&(1<<c) == 0 {
			continue
		}
		vals := grow(out.cols[c], int(n))
		out.cols[c] = vals
		if codec == codecXOR {
			if err := decodeXOR(xb, vals); err != nil {
				return err
			}
			continue
		}
		for i, st := range streams[:nstreams] {
			out.ints[i] = grow(out.ints[i], int(n))
			if err := decodeInts(st.body, out.ints[i], st.first, uint(st.shift), st.mode == codecIntDoD); err != nil {
				return err
			}
		}
		if codec == codecRational {
			for i, a := range out.ints[0] {
				vals[i] = float64(a) / float64(out.ints[1][i])
			}
		} else {
			p := pow10[exp]
			for i, a := range out.ints[0] {
				vals[i] = float64(a) / p
			}
		}
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrCorruptBlock, len(r.b))
	}
	return nil
}

// rawStream is an integer stream's header and body as read.
type rawStream struct {
	mode, shift byte
	first       int64
	body        []byte
}

func readStream(r *byteReader, mode byte) rawStream {
	st := rawStream{mode: mode, shift: r.byte()}
	st.first = r.varint()
	st.body = r.bytes(r.uvarint())
	return st
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
