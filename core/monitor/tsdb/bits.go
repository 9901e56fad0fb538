package tsdb

import "encoding/binary"

// bitWriter appends bits most-significant first.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, left-aligned
	n   uint   // number of pending bits in acc (0..63)
}

func (w *bitWriter) reset(buf []byte) {
	w.buf = buf[:0]
	w.acc = 0
	w.n = 0
}

// writeBits appends the low n bits of v (n ≤ 64).
func (w *bitWriter) writeBits(v uint64, n uint) {
	if n == 0 {
		return
	}
	if n < 64 {
		v &= 1<<n - 1
	}
	free := 64 - w.n
	if n < free {
		w.acc |= v << (free - n)
		w.n += n
		return
	}
	hi := n - free // bits that do not fit, 0..63
	w.acc |= v >> hi
	w.buf = binary.BigEndian.AppendUint64(w.buf, w.acc)
	if hi == 0 {
		w.acc, w.n = 0, 0
		return
	}
	w.acc = v << (64 - hi)
	w.n = hi
}

func (w *bitWriter) writeBit(b bool) {
	if b {
		w.writeBits(1, 1)
	} else {
		w.writeBits(0, 1)
	}
}

// bytes flushes the pending bits (zero-padded to a byte) and returns the
// stream. The writer must be reset before further use.
func (w *bitWriter) bytes() []byte {
	for w.n > 0 {
		w.buf = append(w.buf, byte(w.acc>>56))
		w.acc <<= 8
		if w.n >= 8 {
			w.n -= 8
		} else {
			w.n = 0
		}
	}
	return w.buf
}

// bitLen is the number of bits written so far.
func (w *bitWriter) bitLen() int { return len(w.buf)*8 + int(w.n) }

// bitReader reads bits most-significant first; every read reports running
// out of data instead of panicking.
type bitReader struct {
	data []byte
	pos  int
	acc  uint64 // left-aligned
	n    uint   // valid bits in acc
}

func newBitReader(b []byte) bitReader { return bitReader{data: b} }

func (r *bitReader) refill() {
	if r.pos+8 <= len(r.data) {
		v := binary.BigEndian.Uint64(r.data[r.pos:])
		take := (64 - r.n) / 8 // whole bytes that fit
		if take == 0 {
			return
		}
		if take == 8 {
			r.acc = v
		} else {
			r.acc |= (v >> (r.n)) &^ (^uint64(0) >> (r.n + take*8))
		}
		r.n += take * 8
		r.pos += int(take)
		return
	}
	for r.n <= 56 && r.pos < len(r.data) {
		r.acc |= uint64(r.data[r.pos]) << (56 - r.n)
		r.n += 8
		r.pos++
	}
}

// readBits reads n ≤ 64 bits.
func (r *bitReader) readBits(n uint) (uint64, bool) {
	if n == 0 {
		return 0, true
	}
	if n > 56 {
		hi, ok := r.readBits(n - 32)
		if !ok {
			return 0, false
		}
		lo, ok := r.readBits(32)
		return hi<<32 | lo, ok
	}
	if r.n < n {
		r.refill()
		if r.n < n {
			return 0, false
		}
	}
	v := r.acc >> (64 - n)
	r.acc <<= n
	r.n -= n
	return v, true
}

func (r *bitReader) readBit() (uint64, bool) {
	if r.n == 0 {
		r.refill()
		if r.n == 0 {
			return 0, false
		}
	}
	v := r.acc >> 63
	r.acc <<= 1
	r.n--
	return v, true
}

// readUnary counts leading one bits up to max, consuming the terminating
// zero when it comes before max.
func (r *bitReader) readUnary(max int) (int, bool) {
	for i := 0; i < max; i++ {
		b, ok := r.readBit()
		if !ok {
			return 0, false
		}
		if b == 0 {
			return i, true
		}
	}
	return max, true
}

// leftover is the number of unread bits.
func (r *bitReader) leftover() int { return int(r.n) + 8*(len(r.data)-r.pos) }

// done reports whether only zero padding (< 8 bits) is left.
func (r *bitReader) done() bool {
	return r.leftover() < 8 && r.acc == 0
}
