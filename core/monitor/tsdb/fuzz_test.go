package tsdb

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"testing"
)

func FuzzDecodeBlock(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 5))
	var e encoder
	for _, g := range []genFunc{genCPU(cpuFloat), genCPU(cpuTicks), genCPU(cpuRounded), genMemory, genConstant, genCounterBytes, valueGens["special"]} {
		for _, n := range []int{1, 2, 30, 100} {
			vals := g(r, n)
			ts := timeGens["jittery"](r, n)
			s := make([]sample, n)
			p := make([]aggPoint, n)
			for i := range s {
				s[i] = sample{ts[i], vals[i]}
				p[i] = aggPoint{ts[i] * 60, vals[i], vals[i], vals[i], float64(i + 1)}
			}
			f.Add(e.encodeRaw(nil, 1, s))
			f.Add(e.encodeRollup(nil, 60, p))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(fuzzDecode)
}

func fuzzDecode(t *testing.T, data []byte) {
	var e encoder
	{
		var blk block
		if err := decodeBlock(data, allCols, &blk); err != nil && !errors.Is(err, ErrCorruptBlock) {
			t.Fatalf("error does not wrap ErrCorruptBlock: %v", err)
		}
		// Treat the input as a block body with a valid checksum, so the
		// parser itself is exercised, not just the CRC.
		fixed := binary.BigEndian.AppendUint32(append([]byte(nil), data...), crc32.Checksum(data, castagnoli))
		for _, mask := range []colMask{1 << colSum, 1<<colMin | 1<<colCount} {
			_ = decodeBlock(fixed, mask, &blk)
		}
		err := decodeBlock(fixed, allCols, &blk)
		if err != nil {
			if !errors.Is(err, ErrCorruptBlock) {
				t.Fatalf("error does not wrap ErrCorruptBlock: %v", err)
			}
			return
		}
		// Whatever decodes must be a valid block that survives a round trip.
		n := blk.len()
		if n == 0 {
			t.Fatal("decoded an empty block")
		}
		for i := 1; i < n; i++ {
			if blk.ts[i] <= blk.ts[i-1] {
				t.Fatalf("timestamps not increasing at %d", i)
			}
		}
		var enc []byte
		if blk.kind == kindRaw {
			s := make([]sample, n)
			for i := range s {
				s[i] = sample{blk.ts[i], blk.cols[0][i]}
			}
			enc = e.encodeRaw(nil, blk.res, s)
		} else {
			p := make([]aggPoint, n)
			for i := range p {
				p[i] = aggPoint{blk.ts[i], blk.cols[0][i], blk.cols[1][i], blk.cols[2][i], blk.cols[3][i]}
			}
			enc = e.encodeRollup(nil, blk.res, p)
		}
		var again block
		if err := decodeBlock(enc, allCols, &again); err != nil {
			t.Fatalf("re-encoded block does not decode: %v", err)
		}
		if again.len() != n || again.kind != blk.kind || again.res != blk.res {
			t.Fatal("re-encoded block header differs")
		}
		for i := 0; i < n; i++ {
			if again.ts[i] != blk.ts[i] {
				t.Fatalf("time %d differs", i)
			}
			for c := range blk.cols {
				if len(blk.cols[c]) > 0 && math.Float64bits(again.cols[c][i]) != math.Float64bits(blk.cols[c][i]) {
					t.Fatalf("column %d value %d differs", c, i)
				}
			}
		}
	}
}
