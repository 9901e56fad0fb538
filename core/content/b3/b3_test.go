package b3

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/zeebo/blake3"
)

func testInput(n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(n), 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// lengths: around every chunk, group and tree boundary the code has.
func lengths() []int {
	var ls []int
	for _, base := range []int{0, 1024, 8 << 10, 16 << 10, 17 << 10, 24 << 10, 32 << 10, 64 << 10, 100 << 10, 1 << 20, 3<<20 + 5<<10} {
		for _, d := range []int{-65, -64, -1, 0, 1, 63, 64, 65, 1023, 1025} {
			if n := base + d; n >= 0 {
				ls = append(ls, n)
			}
		}
	}
	for n := 0; n < 40<<10; n += 997 {
		ls = append(ls, n)
	}
	return ls
}

// kernels runs f with hash16 on, as Sum256 uses it, and off, so hash8
// alone is tested too.
func kernels(t *testing.T, f func(t *testing.T)) {
	if !haveKernel {
		t.Log("no AVX-512 here: Sum256 is zeebo/blake3's throughout")
		f(t)
		return
	}
	for _, on := range []bool{true, false} {
		t.Run(fmt.Sprintf("hash16=%v", on), func(t *testing.T) {
			defer func(was bool) { use16 = was }(use16)
			use16 = on
			f(t)
		})
	}
}

func TestSum256MatchesBLAKE3(t *testing.T) {
	kernels(t, func(t *testing.T) {
		for _, n := range lengths() {
			b := testInput(n)
			if got, want := Sum256(b), blake3.Sum256(b); got != want {
				t.Fatalf("length %d: %x, want %x", n, got, want)
			}
		}
	})
}

// The portable compression function and chunk and parent code agree with
// BLAKE3 on their own, on any machine.
func TestPortableTree(t *testing.T) {
	for _, n := range []int{1025, 2048, 3000, 9 << 10, 33<<10 + 7} {
		b := testInput(n)
		chunks := (n + chunkLen - 1) / chunkLen
		cvs := make([][8]uint32, chunks)
		for i := range cvs {
			cvs[i] = chunkCV(b[i*chunkLen:min(n, (i+1)*chunkLen)], uint64(i))
		}
		for len(cvs) > 2 {
			next := cvs[:0:0]
			for j := 0; j+1 < len(cvs); j += 2 {
				next = append(next, portableParent(&cvs[j], &cvs[j+1], 0))
			}
			if len(cvs)%2 == 1 {
				next = append(next, cvs[len(cvs)-1])
			}
			cvs = next
		}
		if got, want := words(portableParent(&cvs[0], &cvs[1], flagRoot)), blake3.Sum256(b); got != want {
			t.Errorf("length %d: %x, want %x", n, got, want)
		}
	}
}

// Streamed in writes of every size pattern, the Hasher's sum is BLAKE3's.
func TestHasherMatchesBLAKE3(t *testing.T) { kernels(t, testHasherMatchesBLAKE3) }

func testHasherMatchesBLAKE3(t *testing.T) {
	for _, n := range []int{0, 1, 1024, 1025, 64 << 10, 64<<10 + 1, 128 << 10, 200<<10 + 3, 1 << 20, 1<<20 + 1, 3<<20 + 12345} {
		b := testInput(n)
		want := blake3.Sum256(b)
		for _, w := range []int{1, 63, 1024, 4096, 65536, 65537, 100000, 1 << 20, n + 1} {
			if w > n+1 || (w < 1024 && n > 200<<10) {
				continue
			}
			h := New()
			for p := b; len(p) > 0; {
				k := min(w, len(p))
				h.Write(p[:k])
				p = p[k:]
			}
			if got := h.Sum(nil); string(got) != string(want[:]) {
				t.Fatalf("length %d in writes of %d: %x, want %x", n, w, got, want)
			}
			// Sum leaves the state alone; Reset starts over.
			if got := h.Sum(nil); string(got) != string(want[:]) {
				t.Fatalf("length %d: a second Sum differs", n)
			}
			h.Reset()
			h.Write(b)
			if got := h.Sum(nil); string(got) != string(want[:]) {
				t.Fatalf("length %d after Reset: %x, want %x", n, got, want)
			}
		}
	}
}

func BenchmarkSum256(b *testing.B) {
	for _, n := range []int{2 << 10, 4 << 10, 9 << 10, 23 << 10, 64 << 10, 256 << 10, 1 << 20} {
		buf := testInput(n)
		b.Run(fmt.Sprintf("b3-%dK", n>>10), func(b *testing.B) {
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				Sum256(buf)
			}
		})
		if use16 {
			b.Run(fmt.Sprintf("b3-hash8-only-%dK", n>>10), func(b *testing.B) {
				use16 = false
				defer func() { use16 = true }()
				b.SetBytes(int64(n))
				for i := 0; i < b.N; i++ {
					Sum256(buf)
				}
			})
		}
		b.Run(fmt.Sprintf("zeebo-%dK", n>>10), func(b *testing.B) {
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				blake3.Sum256(buf)
			}
		})
	}
}

// The portable BLAKE3 below is the tests' reference for the kernel.

// chunkCV is the chaining value of one chunk (at most chunkLen bytes).
func chunkCV(data []byte, counter uint64) [8]uint32 {
	cv := iv
	flags := uint32(flagChunkStart)
	for {
		n := min(len(data), blockLen)
		var block [16]uint32
		if n == blockLen {
			for i := range block {
				block[i] = binary.LittleEndian.Uint32(data[4*i:])
			}
		} else {
			var pad [blockLen]byte
			copy(pad[:], data)
			for i := range block {
				block[i] = binary.LittleEndian.Uint32(pad[4*i:])
			}
		}
		data = data[n:]
		if len(data) == 0 {
			flags |= flagChunkEnd
		}
		cv = compress(&cv, &block, counter, uint32(n), flags)
		if len(data) == 0 {
			return cv
		}
		flags = 0
	}
}

// portableParent is the chaining value of the parent of left and right,
// without the kernel.
func portableParent(left, right *[8]uint32, flags uint32) [8]uint32 {
	var block [16]uint32
	copy(block[:8], left[:])
	copy(block[8:], right[:])
	return compress(&iv, &block, 0, blockLen, flagParent|flags)
}

// compress is BLAKE3's compression function, truncated to the chaining
// value.
func compress(cv *[8]uint32, m *[16]uint32, counter uint64, blen, flags uint32) [8]uint32 {
	v := [16]uint32{
		cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
		iv[0], iv[1], iv[2], iv[3], uint32(counter), uint32(counter >> 32), blen, flags,
	}
	s := *m
	for r := 0; r < 7; r++ {
		g(&v, 0, 4, 8, 12, s[0], s[1])
		g(&v, 1, 5, 9, 13, s[2], s[3])
		g(&v, 2, 6, 10, 14, s[4], s[5])
		g(&v, 3, 7, 11, 15, s[6], s[7])
		g(&v, 0, 5, 10, 15, s[8], s[9])
		g(&v, 1, 6, 11, 12, s[10], s[11])
		g(&v, 2, 7, 8, 13, s[12], s[13])
		g(&v, 3, 4, 9, 14, s[14], s[15])
		s = [16]uint32{s[2], s[6], s[3], s[10], s[7], s[0], s[4], s[13], s[1], s[11], s[12], s[5], s[9], s[14], s[15], s[8]}
	}
	var out [8]uint32
	for i := range out {
		out[i] = v[i] ^ v[i+8]
	}
	return out
}

func g(v *[16]uint32, a, b, c, d int, x, y uint32) {
	v[a] += v[b] + x
	v[d] = bits.RotateLeft32(v[d]^v[a], -16)
	v[c] += v[d]
	v[b] = bits.RotateLeft32(v[b]^v[c], -12)
	v[a] += v[b] + y
	v[d] = bits.RotateLeft32(v[d]^v[a], -8)
	v[c] += v[d]
	v[b] = bits.RotateLeft32(v[b]^v[c], -7)
}

// The kernels agree with the portable code lane by lane: groups of
// sixteen and eight chunks, chunks of any lengths (the last short), and
// parent nodes.
func TestKernelMatchesPortable(t *testing.T) {
	if !haveKernel {
		t.Skip("no AVX-512 on this machine")
	}
	kernels(t, testKernelMatchesPortable)
}

func testKernelMatchesPortable(t *testing.T) {
	for _, n := range []int{1025, 2047, 2048, 7*1024 + 1, 8 * 1024, 8*1024 + 64, 9*1024 - 1, 16 * 1024, 16*1024 + 1,
		20*1024 + 65, 24 * 1024, 31*1024 + 5, 32 * 1024, 33*1024 + 65, 50*1024 - 1, 70 * 1024} {
		b := testInput(n)
		chunks := (n + chunkLen - 1) / chunkLen
		got := make([][8]uint32, chunks)
		chunkCVs(b, 5, got)
		for i := range got {
			if want := chunkCV(b[i*chunkLen:min(n, (i+1)*chunkLen)], 5+uint64(i)); got[i] != want {
				t.Fatalf("length %d, chunk %d: %x, want %x", n, i, got[i], want)
			}
		}
		level := append([][8]uint32(nil), got...)
		want := make([][8]uint32, 0, chunks)
		for j := 0; j+1 < len(level); j += 2 {
			want = append(want, portableParent(&level[j], &level[j+1], 0))
		}
		if len(level)%2 == 1 {
			want = append(want, level[len(level)-1])
		}
		if up := reduce(level); fmt.Sprint(up) != fmt.Sprint(want) {
			t.Fatalf("length %d: parents %x, want %x", n, up, want)
		}
	}
}

// The committed kernel is what gen.go writes.
func TestKernelIsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command here")
	}
	out, err := exec.Command("go", "run", "gen.go").Output()
	if err != nil {
		t.Fatalf("go run gen.go: %v", err)
	}
	have, err := os.ReadFile("kernel_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, have) {
		t.Fatal("kernel_amd64.s is not what gen.go writes: run go run gen.go > kernel_amd64.s")
	}
}
