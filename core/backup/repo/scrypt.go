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
			x := make([]uint32, words)
			y := make([]uint32, words)
			t := make([]uint32, words)
			v := make([]uint32, words*((N+stride-1)/stride))
			for i := range lanes {
				romix(b[i*laneLen:(i+1)*laneLen], r, N, stride, x, y, t, v)
			}
		}()
	}
	wg.Wait()
	// The tables are garbage now: hand them back to the OS at once rather
	// than letting them inflate the process for the rest of the command.
	debug.FreeOSMemory()
	return pbkdf2.Key(password, b, 1, keyLen, sha256.New)
}

// romix is scryptROMix on one lane, in place. Of scrypt's table V it keeps
// only the blocks V[i] with i a multiple of stride, in v (ceil(N/stride)
// blocks of 32·r words); V[j] is recomputed when the second loop reads it,
// by j mod stride BlockMix calls from the kept block before it, into t.
// Expected extra work: N·(stride-1)/2 BlockMix calls on top of 2N.
// x, y and t are scratch blocks of 32·r words.
func romix(lane []byte, r, N, stride int, x, y, t, v []uint32) {
	words := 32 * r
	for i := range x {
		x[i] = binary.LittleEndian.Uint32(lane[4*i:])
	}
	for i := 0; i < N; i++ {
		if i%stride == 0 {
			copy(v[(i/stride)*words:], x)
		}
		blockMix(x, y, r)
	}
	for i := 0; i < N; i++ {
		j := int(x[(2*r-1)*16] & uint32(N-1))
		k := j / stride
		vj := v[k*words : (k+1)*words]
		if m := j - k*stride; m > 0 {
			copy(t, vj)
			for ; m > 0; m-- {
				blockMix(t, y, r)
			}
			vj = t
		}
		for k := range x {
			x[k] ^= vj[k]
		}
		blockMix(x, y, r)
	}
	for i, w := range x {
		binary.LittleEndian.PutUint32(lane[4*i:], w)
	}
}

// blockMix is scryptBlockMix with Salsa20/8: b (2r blocks of 16 words)
// is replaced by the mixed blocks, even-indexed outputs first; y is
// scratch space of the same size.
func blockMix(b, y []uint32, r int) {
	var t [16]uint32
	copy(t[:], b[(2*r-1)*16:])
	for i := 0; i < 2*r; i++ {
		blk := b[i*16 : i*16+16]
		for k := range t {
			t[k] ^= blk[k]
		}
		salsa8(&t)
		// Even outputs go to the first half, odd ones to the second.
		dst := (i/2)*16 + (i%2)*r*16
		copy(y[dst:dst+16], t[:])
	}
	copy(b, y)
}

// salsa8 is the Salsa20/8 core applied in place.
func salsa8(b *[16]uint32) {
	x0, x1, x2, x3, x4, x5, x6, x7 := b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]
	x8, x9, x10, x11, x12, x13, x14, x15 := b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
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
	b[0] += x0
	b[1] += x1
	b[2] += x2
	b[3] += x3
	b[4] += x4
	b[5] += x5
	b[6] += x6
	b[7] += x7
	b[8] += x8
	b[9] += x9
	b[10] += x10
	b[11] += x11
	b[12] += x12
	b[13] += x13
	b[14] += x14
	b[15] += x15
}
