package repo

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"runtime"
	"runtime/debug"
	"sync"

	"golang.org/x/crypto/pbkdf2"
)

// scryptKey is scrypt (RFC 7914) with its p independent lanes computed in
// parallel, in the memory of one lane. The result is exactly scrypt's and
// the cost to an attacker per guess is unchanged (N, r and p are the
// same): only how this machine computes it differs.
//
// Sequential lanes (restic, x/crypto/scrypt) take 128·N·r bytes (32 MiB
// for N=2^15, r=8) and p lane-times. Here w = min(p, cores) workers each
// run lanes with a table of every w-th ROMix block (see romix), so the w
// tables together take about one lane's memory; a block that was not kept
// is recomputed from the kept one before it, which makes a lane cost
// 1 + (w-1)/4 times as much. With p=6 on 2 cores: 3 rounds of 1.25
// lane-times, a wait of 3.75 lane-times instead of 6, in 32 MiB.
func scryptKey(password, salt []byte, N, r, p, keyLen int) []byte {
	w := min(p, runtime.GOMAXPROCS(0))
	return scryptKeyWith(password, salt, N, r, p, keyLen, w, w)
}

// scryptKeyWith is scryptKey with workers goroutines whose ROMix tables
// keep every stride-th block.
func scryptKeyWith(password, salt []byte, N, r, p, keyLen, workers, stride int) []byte {
	laneLen := 128 * r
	b := pbkdf2.Key(password, salt, 1, p*laneLen, sha256.New)
	workers = max(min(workers, p), 1)
	stride = max(min(stride, N), 1)
	lanes := make(chan int, p)
	for i := 0; i < p; i++ {
		lanes <- i
	}
	close(lanes)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			words := 32 * r
			scratch := make([]uint32, 4*words)
			x, y, t, u := scratch[:words], scratch[words:2*words], scratch[2*words:3*words], scratch[3*words:]
			v, free := tableMemory(words * ((N + stride - 1) / stride))
			defer free()
			for i := range lanes {
				romix(b[i*laneLen:(i+1)*laneLen], r, N, stride, x, y, t, u, v)
			}
		}()
	}
	wg.Wait()
	// Hand what the derivation left back to the OS at once rather than
	// letting it inflate the process for the rest of the command: mapped
	// tables are unmapped already, but tables on the heap (other systems)
	// and the heap the command grew beside the derivation are returned
	// only by this (measured: 4 MiB less peak RSS for a command on Linux).
	debug.FreeOSMemory()
	return pbkdf2.Key(password, b, 1, keyLen, sha256.New)
}

// romix is scryptROMix on one lane, in place. Of scrypt's table V it keeps
// only the blocks V[i] with i a multiple of stride, in v (ceil(N/stride)
// blocks of 32·r words); V[j] is recomputed when the second loop reads it,
// by j mod stride BlockMix calls from the kept block before it. Expected
// extra work: N·(stride-1)/2 BlockMix calls on top of 2N. x, y, t and u
// are scratch blocks of 32·r words.
func romix(lane []byte, r, N, stride int, x, y, t, u, v []uint32) {
	words := 32 * r
	var tmp [16]uint32
	for i := range x {
		x[i] = binary.LittleEndian.Uint32(lane[4*i:])
	}
	for i := 0; i < N; i++ {
		if i%stride == 0 {
			copy(v[(i/stride)*words:], x)
		}
		blockMix(&tmp, x, y, r)
		x, y = y, x
	}
	for i := 0; i < N; i++ {
		j := int(x[(2*r-1)*16] & uint32(N-1))
		k := j / stride
		vj := v[k*words : (k+1)*words]
		if m := j - k*stride; m > 0 {
			blockMix(&tmp, vj, t, r)
			for ; m > 1; m-- {
				blockMix(&tmp, t, u, r)
				t, u = u, t
			}
			vj = t
		}
		for k, w := range vj[:words] {
			x[k] ^= w
		}
		blockMix(&tmp, x, y, r)
		x, y = y, x
	}
	for i, w := range x {
		binary.LittleEndian.PutUint32(lane[4*i:], w)
	}
}

// blockMix is scryptBlockMix with Salsa20/8: out (2r blocks of 16 words)
// receives the mixed blocks of in, even-indexed outputs first. tmp is
// scratch.
func blockMix(tmp *[16]uint32, in, out []uint32, r int) {
	copy(tmp[:], in[(2*r-1)*16:])
	for i := 0; i < 2*r; i += 2 {
		salsaXOR(tmp, in[i*16:], out[i*8:])
		salsaXOR(tmp, in[i*16+16:], out[i*8+r*16:])
	}
}

// salsaXOR sets tmp and out[:16] to Salsa20/8(tmp XOR in[:16]).
func salsaXOR(tmp *[16]uint32, in, out []uint32) {
	in, out = in[:16], out[:16]
	w0, w1, w2, w3 := tmp[0]^in[0], tmp[1]^in[1], tmp[2]^in[2], tmp[3]^in[3]
	w4, w5, w6, w7 := tmp[4]^in[4], tmp[5]^in[5], tmp[6]^in[6], tmp[7]^in[7]
	w8, w9, w10, w11 := tmp[8]^in[8], tmp[9]^in[9], tmp[10]^in[10], tmp[11]^in[11]
	w12, w13, w14, w15 := tmp[12]^in[12], tmp[13]^in[13], tmp[14]^in[14], tmp[15]^in[15]
	x0, x1, x2, x3, x4, x5, x6, x7 := w0, w1, w2, w3, w4, w5, w6, w7
	x8, x9, x10, x11, x12, x13, x14, x15 := w8, w9, w10, w11, w12, w13, w14, w15
	for i := 0; i < 8; i += 2 {
		x4 ^= bits.RotateLeft32(x0+x12, 7)
		x8 ^= bits.RotateLeft32(x4+x0, 9)
		x12 ^= bits.RotateLeft32(x8+x4, 13)
		x0 ^= bits.RotateLeft32(x12+x8, 18)
		x9 ^= bits.RotateLeft32(x5+x1, 7)
		x13 ^= bits.RotateLeft32(x9+x5, 9)
		x1 ^= bits.RotateLeft32(x13+x9, 13)
		x5 ^= bits.RotateLeft32(x1+x13, 18)
		x14 ^= bits.RotateLeft32(x10+x6, 7)
		x2 ^= bits.RotateLeft32(x14+x10, 9)
		x6 ^= bits.RotateLeft32(x2+x14, 13)
		x10 ^= bits.RotateLeft32(x6+x2, 18)
		x3 ^= bits.RotateLeft32(x15+x11, 7)
		x7 ^= bits.RotateLeft32(x3+x15, 9)
		x11 ^= bits.RotateLeft32(x7+x3, 13)
		x15 ^= bits.RotateLeft32(x11+x7, 18)
		x1 ^= bits.RotateLeft32(x0+x3, 7)
		x2 ^= bits.RotateLeft32(x1+x0, 9)
		x3 ^= bits.RotateLeft32(x2+x1, 13)
		x0 ^= bits.RotateLeft32(x3+x2, 18)
		x6 ^= bits.RotateLeft32(x5+x4, 7)
		x7 ^= bits.RotateLeft32(x6+x5, 9)
		x4 ^= bits.RotateLeft32(x7+x6, 13)
		x5 ^= bits.RotateLeft32(x4+x7, 18)
		x11 ^= bits.RotateLeft32(x10+x9, 7)
		x8 ^= bits.RotateLeft32(x11+x10, 9)
		x9 ^= bits.RotateLeft32(x8+x11, 13)
		x10 ^= bits.RotateLeft32(x9+x8, 18)
		x12 ^= bits.RotateLeft32(x15+x14, 7)
		x13 ^= bits.RotateLeft32(x12+x15, 9)
		x14 ^= bits.RotateLeft32(x13+x12, 13)
		x15 ^= bits.RotateLeft32(x14+x13, 18)
	}
	x0, x1, x2, x3 = x0+w0, x1+w1, x2+w2, x3+w3
	x4, x5, x6, x7 = x4+w4, x5+w5, x6+w6, x7+w7
	x8, x9, x10, x11 = x8+w8, x9+w9, x10+w10, x11+w11
	x12, x13, x14, x15 = x12+w12, x13+w13, x14+w14, x15+w15
	out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = x0, x1, x2, x3, x4, x5, x6, x7
	out[8], out[9], out[10], out[11], out[12], out[13], out[14], out[15] = x8, x9, x10, x11, x12, x13, x14, x15
	tmp[0], tmp[1], tmp[2], tmp[3], tmp[4], tmp[5], tmp[6], tmp[7] = x0, x1, x2, x3, x4, x5, x6, x7
	tmp[8], tmp[9], tmp[10], tmp[11], tmp[12], tmp[13], tmp[14], tmp[15] = x8, x9, x10, x11, x12, x13, x14, x15
}
