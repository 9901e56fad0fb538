package repo

import (
	"context"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeebo/blake3"
)

const testPassword = "correct horse battery staple"

// newTestRepo initializes a repository with cheap KDF parameters.
func newTestRepo(t testing.TB) *Repository {
	t.Helper()
	r, err := Init(context.Background(), filepath.Join(t.TempDir(), "repo"), testPassword,
		InitOptions{Chunker: "fastcdc-v1 min=512K avg=1M max=8M", KDF: TestKDFParams()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// reopen opens r's directory again, as another process would.
func reopen(t testing.TB, r *Repository) *Repository {
	t.Helper()
	r2, err := Open(context.Background(), r.Dir(), testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return r2
}

func randBytes(rng *mrand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(rng.Uint32())
	}
	return b
}

var vocabulary = strings.Fields(`the of and to in is that for it as was with be by on not he this are or
	his from at which but have an they you were her she there been one all we their has would when if so
	no will more can out other time into some could them than first then only its new like two over may
	backup restore snapshot repository index pack blob tree data chunk hash key lock lease encrypt
	func return error nil package import struct type interface string int byte range for else`)

// textBytes returns n bytes of compressible pseudo-English text.
func textBytes(seed uint64, n int) []byte {
	rng := mrand.New(mrand.NewPCG(seed, 7))
	var sb strings.Builder
	sb.Grow(n + 32)
	for sb.Len() < n {
		w := vocabulary[int(float64(len(vocabulary))*rng.Float64()*rng.Float64())]
		sb.WriteString(w)
		switch rng.IntN(14) {
		case 0:
			sb.WriteString(".\n")
		case 1:
			sb.WriteString(", ")
		default:
			sb.WriteByte(' ')
		}
	}
	return []byte(sb.String()[:n])
}

func h(b []byte) [32]byte { return blake3.Sum256(b) }

// makeWritable lets a test modify a (read-only, write-once) repository file.
func makeWritable(t testing.TB, path string) {
	t.Helper()
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
}

// testBlob is a blob a test stored and expects back.
type testBlob struct {
	t    BlobType
	data []byte
}

// storeBlobs packs blobs with one Packer per pack (finishing when full),
// saves the index and returns the packs.
func storeBlobs(t testing.TB, r *Repository, blobs []testBlob) []PackInfo {
	t.Helper()
	ctx := context.Background()
	var packs []PackInfo
	p := r.NewPacker()
	for _, b := range blobs {
		if _, err := p.Add(b.t, h(b.data), b.data); err != nil {
			t.Fatal(err)
		}
		if p.Full() {
			pi, err := p.Finish(ctx)
			if err != nil {
				t.Fatal(err)
			}
			packs = append(packs, pi)
			p = r.NewPacker()
		}
	}
	pi, err := p.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pi.Blobs != nil {
		packs = append(packs, pi)
	}
	if _, err := r.SaveIndex(ctx, packs); err != nil {
		t.Fatal(err)
	}
	return packs
}

// mixedBlobs returns n blobs: random, text, tiny and tree blobs.
func mixedBlobs(seed uint64, n int) []testBlob {
	rng := mrand.New(mrand.NewPCG(seed, 1))
	out := make([]testBlob, 0, n)
	for i := 0; i < n; i++ {
		var b testBlob
		switch i % 5 {
		case 0:
			b = testBlob{DataBlob, randBytes(rng, 1+rng.IntN(64<<10))}
		case 1:
			b = testBlob{DataBlob, textBytes(rng.Uint64(), 1+rng.IntN(64<<10))}
		case 2:
			b = testBlob{DataBlob, randBytes(rng, rng.IntN(40))} // tiny, may be empty
		case 3:
			b = testBlob{TreeBlob, textBytes(rng.Uint64(), 100+rng.IntN(4<<10))}
		case 4:
			// half random, half text: compressible, but not uniformly
			b = testBlob{DataBlob, append(randBytes(rng, 8<<10), textBytes(rng.Uint64(), 8<<10)...)}
		}
		out = append(out, b)
	}
	return out
}
