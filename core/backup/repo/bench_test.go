package repo

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"go/build"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/klauspost/compress/zstd"
)

const benchBlob = 1 << 20

// benchText returns 1 MiB of real text (Go standard library sources) or,
// failing that, synthetic English-like text.
func benchText() []byte {
	var buf bytes.Buffer
	files, _ := filepath.Glob(filepath.Join(build.Default.GOROOT, "src", "net", "http", "*.go"))
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			buf.Write(b)
		}
		if buf.Len() >= benchBlob {
			return buf.Bytes()[:benchBlob]
		}
	}
	return textBytes(1, benchBlob)
}

func benchRandom() []byte {
	b := make([]byte, benchBlob)
	rand.Read(b)
	return b
}

// benchPrecompressed returns 1 MiB of gzip output: incompressible, but
// structured (like JPEG, video or archives), unlike crypto/rand bytes.
func benchPrecompressed() []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	for i := uint64(0); buf.Len() < benchBlob; i++ {
		w.Write(textBytes(i, 256<<10))
		w.Flush()
	}
	w.Close()
	return buf.Bytes()[:benchBlob]
}

// gcm96 is plain AES-256-GCM with a random 96-bit nonce, benchmarked for
// reference only: with one key for a whole repository its random nonces
// are only safe for ~2^32 messages, which is why XAES-256-GCM is used.
type gcm96 struct{ a cipher.AEAD }

func (g gcm96) ID() string { return "aes-256-gcm-96" }
func (g gcm96) Seal(dst, pt, ad []byte) []byte {
	var n [12]byte
	rand.Read(n[:])
	return g.a.Seal(append(dst, n[:]...), n[:], pt, ad)
}
func (g gcm96) Open(dst, s, ad []byte) ([]byte, error) { return g.a.Open(dst, s[:12], s[12:], ad) }
func (g gcm96) SealInPlace(buf []byte, start int, ad []byte) []byte {
	panic("not used")
}

// BenchmarkSeal compares the two supported ciphers (and plain AES-GCM as
// a reference) sealing 1 MiB blobs and 4 KiB (tree-sized) blobs.
func BenchmarkSeal(b *testing.B) {
	key := make([]byte, 32)
	rand.Read(key)
	blk, _ := aes.NewCipher(key)
	g, _ := cipher.NewGCM(blk)
	ciphers := []aeadCipher{gcm96{g}}
	for _, id := range Ciphers() {
		c, err := newCipher(id, key)
		if err != nil {
			b.Fatal(err)
		}
		ciphers = append(ciphers, c)
	}
	for _, size := range []int{benchBlob, 4 << 10} {
		pt := make([]byte, size)
		rand.Read(pt)
		for _, c := range ciphers {
			b.Run(fmt.Sprintf("%s/%dKiB", c.ID(), size>>10), func(b *testing.B) {
				b.SetBytes(int64(size))
				out := make([]byte, 0, size+64)
				for b.Loop() {
					out = c.Seal(out[:0], pt, []byte(adBlob))
				}
			})
		}
	}
	pt := make([]byte, benchBlob)
	for _, c := range ciphers[1:] {
		sealed := c.Seal(nil, pt, nil)
		b.Run(c.ID()+"/open/1024KiB", func(b *testing.B) {
			b.SetBytes(benchBlob)
			out := make([]byte, 0, benchBlob)
			for b.Loop() {
				if _, err := c.Open(out[:0], sealed, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sampleThenCompress is the rejected alternative skip heuristic: compress
// three 4 KiB samples at the fastest level first and store raw unless they
// shrink by 3%.
func sampleThenCompress(fast, def *zstd.Encoder, src, dst []byte) []byte {
	const s = 4 << 10
	var n, c int
	for _, off := range []int{0, len(src)/2 - s/2, len(src) - s} {
		c += len(fast.EncodeAll(src[off:off+s], dst[:0]))
		n += s
	}
	if c*keepDen > n*keepNum {
		return append(append(dst[:0], flagRaw), src...)
	}
	out := def.EncodeAll(src, append(dst[:0], flagZstd))
	if (len(out)-1)*keepDen > len(src)*keepNum {
		return append(append(dst[:0], flagRaw), src...)
	}
	return out
}

// BenchmarkCompress compares zstd levels on compressible text, random and
// pre-compressed data, plus the payload path Holdfast uses (default level
// with keep-raw-unless-3%-smaller, with libzstd in cgo builds; the
// zstd-* modes are klauspost/compress) and a sampling pre-check; and
// decoding, with the build's decoder and with klauspost's.
func BenchmarkCompress(b *testing.B) {
	data := []struct {
		name string
		b    []byte
	}{{"text", benchText()}, {"random", benchRandom()}, {"precompressed", benchPrecompressed()}}
	mk := func(l zstd.EncoderLevel) *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(l), zstd.WithWindowSize(zstdWindow),
			zstd.WithEncoderCRC(false), zstd.WithEncoderConcurrency(1))
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	def, fast := mk(zstd.SpeedDefault), mk(zstd.SpeedFastest)
	for _, d := range data {
		modes := []struct {
			name string
			fn   func(dst []byte) []byte
		}{
			{"zstd-default", func(dst []byte) []byte { return def.EncodeAll(d.b, dst[:0]) }},
			{"zstd-fastest", func(dst []byte) []byte { return fast.EncodeAll(d.b, dst[:0]) }},
			{"holdfast-payload", func(dst []byte) []byte { out, _ := appendPayload(dst[:0], d.b); return out }},
			{"sample-then-default", func(dst []byte) []byte { return sampleThenCompress(fast, def, d.b, dst) }},
		}
		for _, m := range modes {
			b.Run(d.name+"/"+m.name, func(b *testing.B) {
				b.SetBytes(int64(len(d.b)))
				dst := make([]byte, 0, len(d.b)+1024)
				var out []byte
				for b.Loop() {
					out = m.fn(dst)
				}
				b.ReportMetric(float64(len(out))/float64(len(d.b)), "ratio")
			})
		}
		comp, _ := appendPayload(nil, d.b)
		b.Run(d.name+"/decode", func(b *testing.B) {
			b.SetBytes(int64(len(d.b)))
			for b.Loop() {
				if _, err := decodePayload(nil, comp, len(d.b)); err != nil {
					b.Fatal(err)
				}
			}
		})
		if comp[0] == flagZstd && blobDecompressor.name != klauspostDecompressor.name {
			b.Run(d.name+"/decode-klauspost", func(b *testing.B) {
				b.SetBytes(int64(len(d.b)))
				room := make([]byte, len(d.b))
				for b.Loop() {
					if _, err := klauspostDecompressor.decode(room, comp[1:]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPackerAdd measures the whole per-blob write path: hash check,
// keyed ID, compression and encryption of a 1 MiB blob.
func BenchmarkPackerAdd(b *testing.B) {
	r := newTestRepo(b)
	for _, d := range []struct {
		name string
		b    []byte
	}{{"text", benchText()}, {"random", benchRandom()}} {
		plain := h(d.b)
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(d.b)))
			for b.Loop() {
				p := r.NewRepacker()
				if n, err := p.Add(DataBlob, plain, d.b); err != nil || n == 0 {
					b.Fatal(err)
				}
				p.Abort()
			}
		})
	}
}

// BenchmarkLoadBlob measures the read path for a 1 MiB blob: pread,
// decrypt, decompress, verify.
func BenchmarkLoadBlob(b *testing.B) {
	ctx := context.Background()
	r := newTestRepo(b)
	for _, d := range []struct {
		name string
		b    []byte
	}{{"text", benchText()}, {"random", benchRandom()}} {
		storeBlobs(b, r, []testBlob{{DataBlob, d.b}})
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(d.b)))
			for b.Loop() {
				if _, err := r.LoadBlob(ctx, DataBlob, h(d.b)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIndexLookup measures Has on an index of one million blobs and
// reports its memory per blob.
func BenchmarkIndexLookup(b *testing.B) {
	const n = 1 << 20
	rng := mrand.New(mrand.NewPCG(1, 1))
	var x index
	x.init()
	packs := make([]PackInfo, n/4096)
	var probe []ID
	for i := range packs {
		packs[i].ID = ID{byte(i), byte(i >> 8), 1}
		packs[i].Blobs = make([]BlobInfo, 4096)
		for j := range packs[i].Blobs {
			bl := &packs[i].Blobs[j]
			for k := 0; k < 32; k += 8 {
				v := rng.Uint64()
				for m := 0; m < 8; m++ {
					bl.ID[k+m] = byte(v >> (8 * m))
				}
			}
			bl.Type = DataBlob
			if j%1000 == 0 {
				probe = append(probe, bl.ID)
			}
		}
	}
	x.build(packs, n)
	b.ReportMetric(float64(len(x.sorted)*48+len(x.buckets)*4)/n, "B/blob")
	i := 0
	for b.Loop() {
		if _, ok := x.lookupLocked(DataBlob, probe[i%len(probe)]); !ok {
			b.Fatal("missing")
		}
		i++
	}
}

func BenchmarkStoredID(b *testing.B) {
	r := newTestRepo(b)
	var p [32]byte
	for b.Loop() {
		p[0]++
		_ = r.StoredID(p)
	}
}
