package repo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPackRoundTrip(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.SetPackSize(256 << 10)
	blobs := mixedBlobs(1, 200)
	packs := storeBlobs(t, r, blobs)
	if len(packs) < 3 {
		t.Fatalf("only %d packs; expected the pack size target to split", len(packs))
	}
	for _, b := range blobs {
		got, err := r.LoadBlob(ctx, b.t, h(b.data))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, b.data) {
			t.Fatal("LoadBlob returned different data")
		}
		if !r.Has(b.t, h(b.data)) {
			t.Fatal("Has = false for stored blob")
		}
		other := DataBlob
		if b.t == DataBlob {
			other = TreeBlob
		}
		if r.Has(other, h(b.data)) {
			t.Fatal("Has ignores the blob type")
		}
	}
	var stored, raw int64
	for _, p := range packs {
		fi, err := os.Stat(r.packPath(p.ID))
		if err != nil || fi.Size() != p.Size {
			t.Fatalf("pack file: %v (size %d vs %d)", err, fi.Size(), p.Size)
		}
		hdr, err := r.ReadPackHeader(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(hdr) != fmt.Sprint(p) {
			t.Fatal("ReadPackHeader differs from Finish's PackInfo")
		}
		if _, err := r.VerifyPack(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		for _, b := range p.Blobs {
			stored += int64(b.Length)
			raw += int64(b.RawLength)
			// A blob is stored raw (RawLength+1+overhead) or smaller.
			if int(b.Length) > int(b.RawLength)+1+sealOverhead {
				t.Fatalf("blob %s expanded: %d > %d", b.ID.Short(), b.Length, b.RawLength)
			}
		}
	}
	if stored >= raw {
		t.Fatalf("no compression overall: %d stored for %d raw", stored, raw)
	}
	// Text blobs shrink, random ones are stored raw.
	p := r.NewRepacker()
	rng := mrand.New(mrand.NewPCG(9, 9))
	txt, rnd := textBytes(5, 64<<10), randBytes(rng, 64<<10)
	if n, _ := p.Add(DataBlob, h(txt), txt); n > len(txt)/2 {
		t.Fatalf("text stored in %d bytes", n)
	}
	if n, _ := p.Add(DataBlob, h(rnd), rnd); n != len(rnd)+1+sealOverhead {
		t.Fatalf("random stored in %d bytes, want raw %d", n, len(rnd)+1+sealOverhead)
	}
	p.Abort()
}

func TestPackerDedupAndErrors(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	data := textBytes(2, 10000)
	p1, p2 := r.NewPacker(), r.NewPacker()
	if n, err := p1.Add(DataBlob, h(data), data); n == 0 || err != nil {
		t.Fatalf("first Add: %d %v", n, err)
	}
	if n, err := p1.Add(DataBlob, h(data), data); n != 0 || err != nil {
		t.Fatalf("duplicate in same packer: %d %v", n, err)
	}
	if n, err := p2.Add(DataBlob, h(data), data); n != 0 || err != nil {
		t.Fatalf("duplicate in flight in another packer: %d %v", n, err)
	}
	// Same content as a tree blob is a different blob.
	if n, err := p2.Add(TreeBlob, h(data), data); n == 0 || err != nil {
		t.Fatalf("tree with same content: %d %v", n, err)
	}
	if _, err := p1.Add(DataBlob, h([]byte("other")), data); err == nil {
		t.Fatal("Add accepted data that does not match its hash")
	}
	if _, err := p1.Add(BlobType(0), h(data), data); err == nil {
		t.Fatal("Add accepted blob type 0")
	}
	info, err := p1.Finish(ctx)
	if err != nil || len(info.Blobs) != 1 {
		t.Fatalf("Finish: %v, %d blobs", err, len(info.Blobs))
	}
	if _, err := p1.Add(DataBlob, h(data), data); err == nil {
		t.Fatal("Add after Finish accepted")
	}
	p2.Abort()
	if r.Has(TreeBlob, h(data)) {
		t.Fatal("aborted blob is indexed")
	}
	p3 := r.NewPacker()
	if n, _ := p3.Add(DataBlob, h(data), data); n != 0 {
		t.Fatal("packer re-added an indexed blob")
	}
	if n, _ := p3.Add(TreeBlob, h(data), data); n == 0 {
		t.Fatal("aborted blob still in flight")
	}
	rp := r.NewRepacker()
	if n, _ := rp.Add(DataBlob, h(data), data); n == 0 {
		t.Fatal("repacker skipped an indexed blob")
	}
	rp.Abort()
	p3.Abort()
	if empty, err := r.NewPacker().Finish(ctx); err != nil || !empty.ID.IsZero() {
		t.Fatalf("empty Finish: %+v %v", empty, err)
	}
	if got := r.UnsavedPacks(); len(got) != 1 || got[0].ID != info.ID {
		t.Fatalf("UnsavedPacks = %v", got)
	}
}

// TestLoadBlobDetectsCorruption flips bytes at a sample of positions
// across a pack file. LoadBlob must never return wrong data: a blob whose
// bytes were hit must fail with an error naming pack and blob, the others
// must still load; VerifyPack must fail for every flip.
func TestLoadBlobDetectsCorruption(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	blobs := mixedBlobs(7, 10)
	packs := storeBlobs(t, r, blobs)
	if len(packs) != 1 {
		t.Fatalf("%d packs", len(packs))
	}
	pk := packs[0]
	path := r.packPath(pk.ID)
	makeWritable(t, path)
	orig, _ := os.ReadFile(path)
	size := len(orig)

	positions := map[int]bool{0: true, size - 1: true, size - 4: true}
	for _, b := range pk.Blobs {
		positions[int(b.Offset)] = true                 // nonce
		positions[int(b.Offset)+nonceSize] = true       // first ciphertext byte (flag)
		positions[int(b.Offset+b.Length)-1] = true      // tag
		positions[int(b.Offset)+int(b.Length)/2] = true // middle
	}
	hdrStart := int(pk.Blobs[len(pk.Blobs)-1].Offset + pk.Blobs[len(pk.Blobs)-1].Length)
	positions[hdrStart] = true
	positions[hdrStart+nonceSize+3] = true
	for i := 0; i < size; i += size/150 + 1 {
		positions[i] = true
	}
	byID := map[ID]testBlob{}
	for _, b := range blobs {
		byID[r.StoredID(h(b.data))] = b
	}
	for pos := range positions {
		for _, x := range []byte{0x01, 0x80} {
			bad := append([]byte(nil), orig...)
			bad[pos] ^= x
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, e := range pk.Blobs {
				b := byID[e.ID]
				got, err := r.LoadBlob(ctx, b.t, h(b.data))
				hit := pos >= int(e.Offset) && pos < int(e.Offset+e.Length)
				if err == nil && !bytes.Equal(got, b.data) {
					t.Fatalf("flip at %d: LoadBlob returned WRONG DATA", pos)
				}
				if hit {
					if err == nil {
						t.Fatalf("flip at %d inside blob %s: no error", pos, e.ID.Short())
					}
					if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), packRel(pk.ID)) || !strings.Contains(err.Error(), e.ID.Short()) {
						t.Fatalf("error does not name pack and blob: %v", err)
					}
				} else if err != nil {
					t.Fatalf("flip at %d outside blob %s broke it: %v", pos, e.ID.Short(), err)
				}
			}
			if _, err := r.VerifyPack(ctx, pk.ID); err == nil {
				t.Fatalf("flip at %d: VerifyPack passed", pos)
			}
			if pos >= hdrStart {
				if _, err := r.ReadPackHeader(ctx, pk.ID); err == nil {
					t.Fatalf("flip at %d in header/trailer: ReadPackHeader passed", pos)
				}
			}
		}
	}
	os.WriteFile(path, orig, 0o600)
	if _, err := r.VerifyPack(ctx, pk.ID); err != nil {
		t.Fatal(err)
	}
}

func TestSwappedBlobsDetected(t *testing.T) {
	// Two equal-length blobs swapped inside a pack: each still
	// authenticates as a ciphertext, but not under the other's ID.
	ctx := context.Background()
	r := newTestRepo(t)
	rng := mrand.New(mrand.NewPCG(4, 4))
	a, b := randBytes(rng, 5000), randBytes(rng, 5000)
	packs := storeBlobs(t, r, []testBlob{{DataBlob, a}, {DataBlob, b}})
	path := r.packPath(packs[0].ID)
	makeWritable(t, path)
	f, _ := os.ReadFile(path)
	e0, e1 := packs[0].Blobs[0], packs[0].Blobs[1]
	s0 := append([]byte(nil), f[e0.Offset:e0.Offset+e0.Length]...)
	copy(f[e0.Offset:], f[e1.Offset:e1.Offset+e1.Length])
	copy(f[e1.Offset:], s0)
	os.WriteFile(path, f, 0o600)
	for _, d := range [][]byte{a, b} {
		if _, err := r.LoadBlob(ctx, DataBlob, h(d)); err == nil {
			t.Fatal("swapped blob accepted")
		}
	}
}

func TestPackHeaderHostile(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	packs := storeBlobs(t, r, mixedBlobs(3, 4))
	path := r.packPath(packs[0].ID)
	makeWritable(t, path)
	orig, _ := os.ReadFile(path)
	le := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too small"},
		{"tiny", []byte{1, 2, 3}, "too small"},
		{"huge header length", append(append([]byte(nil), orig[:len(orig)-4]...), le(0xFFFFFFFF)...),
			fmt.Sprintf("header length 4294967295 exceeds file size %d", len(orig))},
		{"zero header length", append(append([]byte(nil), orig[:len(orig)-4]...), le(0)...), "out of range"},
		{"header length off by one", append(append([]byte(nil), orig[:len(orig)-4]...), le(binary.LittleEndian.Uint32(orig[len(orig)-4:])+1)...), "header"},
		{"truncated front", orig[1:], "header"},
		{"garbage", bytes.Repeat([]byte{0xAB}, 5000), "exceeds file size"},
	}
	for _, c := range cases {
		os.WriteFile(path, c.file, 0o600)
		_, err := r.ReadPackHeader(ctx, packs[0].ID)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), packRel(packs[0].ID)) {
			t.Errorf("%s: err = %v, want mention of %q and the pack", c.name, err, c.want)
		}
	}
	if _, err := r.ReadPackHeader(ctx, ID{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing pack: %v", err)
	}
}

func TestDecodePackHeader(t *testing.T) {
	blobs := []BlobInfo{
		{Type: DataBlob, ID: ID{1}, Offset: 0, Length: 100, RawLength: 59},
		{Type: TreeBlob, ID: ID{2}, Offset: 100, Length: 50, RawLength: 500},
	}
	good := encodePackHeader(blobs)
	if got, err := decodePackHeader(good, 150); err != nil || fmt.Sprint(got) != fmt.Sprint(blobs) {
		t.Fatalf("round trip: %v", err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		end  int64
	}{
		{"short end", good, 149},
		{"long end", good, 151},
		{"empty", nil, 0},
		{"version", mod(func(b []byte) []byte { b[0] = 9; return b }), 150},
		{"count too big", mod(func(b []byte) []byte { b[1] = 3; return b }), 150},
		{"count zero", mod(func(b []byte) []byte { b[1] = 0; return b[:5] }), 0},
		{"count huge", mod(func(b []byte) []byte { copy(b[1:], le32(0xFFFFFFFF)); return b }), 150},
		{"bad type", mod(func(b []byte) []byte { b[5] = 3; return b }), 150},
		{"gap", mod(func(b []byte) []byte { b[5+blobEntrySize+33] = 101; return b }), 150},
		{"truncated", good[:len(good)-1], 150},
		{"raw too big", mod(func(b []byte) []byte { copy(b[5+41:], le32(MaxBlobSize+1)); return b }), 150},
		{"length below minimum", mod(func(b []byte) []byte {
			copy(b[5+37:], le32(10))
			copy(b[5+blobEntrySize+33:], le32(10))
			return b
		}), 60},
	}
	for _, c := range cases {
		if _, err := decodePackHeader(c.b, c.end); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// TestConcurrentPackers runs packers from several goroutines adding
// overlapping blob sets; every blob must be stored exactly once and load
// back. Run with -race.
func TestConcurrentPackers(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.SetPackSize(64 << 10)
	const workers, perWorker = 8, 60
	shared := mixedBlobs(100, 30) // every worker adds these too
	var mu sync.Mutex
	var packs []PackInfo
	var wg sync.WaitGroup
	errc := make(chan error, workers)
	all := map[[32]byte]testBlob{}
	work := make([][]testBlob, workers)
	for w := range work {
		own := mixedBlobs(uint64(w+1)*1000, perWorker)
		work[w] = append(append([]testBlob(nil), own...), shared...)
		rng := mrand.New(mrand.NewPCG(uint64(w), 0))
		rng.Shuffle(len(work[w]), func(i, j int) { work[w][i], work[w][j] = work[w][j], work[w][i] })
		for _, b := range work[w] {
			all[[32]byte(r.StoredID(h(b.data)))] = b
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := r.NewPacker()
			finish := func() error {
				pi, err := p.Finish(ctx)
				if err != nil {
					return err
				}
				if pi.Blobs != nil {
					mu.Lock()
					packs = append(packs, pi)
					mu.Unlock()
				}
				return nil
			}
			for _, b := range work[w] {
				if r.Has(b.t, h(b.data)) {
					continue
				}
				if _, err := p.Add(b.t, h(b.data), b.data); err != nil {
					errc <- err
					return
				}
				if p.Full() {
					if err := finish(); err != nil {
						errc <- err
						return
					}
					p = r.NewPacker()
				}
			}
			if err := finish(); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if _, err := r.SaveIndex(ctx, packs); err != nil {
		t.Fatal(err)
	}
	count := map[ID]int{}
	for _, p := range packs {
		for _, b := range p.Blobs {
			count[b.ID]++
		}
	}
	for id, n := range count {
		if n != 1 {
			t.Fatalf("blob %s stored %d times", id.Short(), n)
		}
	}
	// all is keyed by stored ID; blobs with identical content and type
	// collapse, and the tiny-blob generator yields duplicates.
	distinct := map[ID]bool{}
	for _, b := range all {
		distinct[r.StoredID(h(b.data))] = true
	}
	if len(count) < len(distinct) {
		t.Fatalf("%d blobs stored, %d distinct", len(count), len(distinct))
	}
	r2 := reopen(t, r)
	if err := r2.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	for _, b := range all {
		got, err := r2.LoadBlob(ctx, b.t, h(b.data))
		if err != nil || !bytes.Equal(got, b.data) {
			t.Fatalf("load after concurrent pack: %v", err)
		}
	}
}

// TestLoadBlobVerifiesHash: a blob that authenticates (written by a key
// holder) but whose plaintext does not hash to the requested ID is still
// refused.
func TestLoadBlobVerifiesHash(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	good, evil := []byte("the real content"), []byte("something else entirely")
	id := r.StoredID(h(good))
	p := r.NewPacker()
	payload, _ := appendPayload(nil, evil)
	var adb [len(adBlob) + 32]byte
	sealed := r.aead.Seal(nil, payload, blobAD(&adb, id))
	if err := p.write(sealed); err != nil {
		t.Fatal(err)
	}
	p.blobs = []BlobInfo{{Type: DataBlob, ID: id, Offset: 0, Length: uint32(len(sealed)), RawLength: uint32(len(evil))}}
	pi, err := p.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.LoadBlob(ctx, DataBlob, h(good))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "hash mismatch") {
		t.Fatalf("LoadBlob: %v", err)
	}
	if _, err := r.VerifyPack(ctx, pi.ID); err == nil {
		t.Fatal("VerifyPack accepted a blob that does not match its ID")
	}
}

func TestCleanTemp(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	old := time.Now().Add(-2 * time.Hour)
	for _, d := range []string{"data/ab", "index", "."} {
		p := filepath.Join(r.Dir(), d, ".tmp-x")
		os.WriteFile(p, []byte("x"), 0o600)
		os.Chtimes(p, old, old)
	}
	fresh := filepath.Join(r.Dir(), "snapshots", ".tmp-y")
	os.WriteFile(fresh, []byte("y"), 0o600)
	n, err := r.CleanTemp(ctx, time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("CleanTemp = %d, %v", n, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("fresh temp file removed")
	}
	if _, err := os.Stat(filepath.Join(r.Dir(), "config")); err != nil {
		t.Fatal(err)
	}
}
