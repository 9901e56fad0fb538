package repo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzFixture is a small repository shared by the fuzz targets, holding a
// pack, an index file, a snapshot and a key file to seed the corpus.
type fuzzFixture struct {
	r        *Repository
	pack     []byte
	header   []byte // plaintext pack header
	blobsEnd int64
	index    []byte
	indexPT  []byte
	snap     []byte
	snapPT   []byte
	key      []byte
}

func fixture(f *testing.F) *fuzzFixture {
	x, err := makeFixture(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	return x
}

func makeFixture(dir string) (*fuzzFixture, error) {
	{
		ctx := context.Background()
		r, err := Init(ctx, filepath.Join(dir, "repo"), testPassword, InitOptions{Chunker: "c", KDF: TestKDFParams()})
		if err != nil {
			return nil, err
		}
		tree := []byte(`{"nodes":[]}`)
		p := r.NewPacker()
		for _, b := range mixedBlobs(5, 4) {
			p.Add(b.t, h(b.data), b.data)
		}
		p.Add(TreeBlob, h(tree), tree)
		pi, err := p.Finish(ctx)
		if err != nil {
			return nil, err
		}
		ids, err := r.SaveIndex(ctx, []PackInfo{pi})
		if err != nil {
			return nil, err
		}
		sn := &Snapshot{Time: time.Now(), Tree: h(tree), Paths: []string{"/"}, Tags: []string{"t"}, Summary: &Summary{FilesNew: 1}}
		sid, err := r.SaveSnapshot(ctx, sn)
		if err != nil {
			return nil, err
		}
		x := &fuzzFixture{r: r}
		x.pack, _ = os.ReadFile(r.packPath(pi.ID))
		x.header = encodePackHeader(pi.Blobs)
		last := pi.Blobs[len(pi.Blobs)-1]
		x.blobsEnd = int64(last.Offset + last.Length)
		x.index, _ = os.ReadFile(filepath.Join(r.Dir(), "index", ids[0].String()))
		x.indexPT = encodeIndex([]PackInfo{pi})
		x.snap, _ = os.ReadFile(filepath.Join(r.Dir(), "snapshots", sid.String()))
		x.snapPT, _ = encodeSnapshot(sn)
		x.key, _ = os.ReadFile(filepath.Join(r.Dir(), "keys", r.KeyID()))
		return x, nil
	}
}

// FuzzPackHeader feeds hostile bytes to the plaintext header decoder and
// to the raw pack-file reader (trailer, header length, decryption).
func FuzzPackHeader(f *testing.F) {
	x := fixture(f)
	f.Add(x.header, x.blobsEnd, false)
	f.Add(x.pack, int64(0), true)
	f.Add(x.pack[len(x.pack)-200:], int64(0), true)
	f.Add([]byte{1, 1, 0, 0, 0}, int64(100), false)
	f.Fuzz(func(t *testing.T, data []byte, end int64, raw bool) {
		if raw {
			blobs, err := x.r.readPackHeader(bytesReaderAt(data), int64(len(data)), "fuzz")
			if err == nil {
				last := blobs[len(blobs)-1]
				if int64(last.Offset+last.Length)+packHeaderLen(len(blobs))+packTrailerSize != int64(len(data)) {
					t.Fatal("accepted header does not tile the file")
				}
			}
			return
		}
		blobs, err := decodePackHeader(data, end)
		if err != nil {
			return
		}
		if !bytes.Equal(encodePackHeader(blobs), data) {
			t.Fatal("decode/encode not canonical")
		}
		var sum int64
		for _, b := range blobs {
			if int64(b.Offset) != sum || !b.Type.valid() || b.RawLength > MaxBlobSize {
				t.Fatal("decoder accepted an invalid entry")
			}
			sum += int64(b.Length)
		}
		if sum != end {
			t.Fatal("blobs do not tile the blob area")
		}
	})
}

// FuzzIndex feeds hostile bytes to the index decoder and the raw index
// file path (decryption first).
func FuzzIndex(f *testing.F) {
	x := fixture(f)
	f.Add(x.indexPT, false)
	f.Add(x.index, true)
	f.Add([]byte{1, 0, 0, 0, 0}, false)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		if raw {
			x.r.openIndexFile(ID{}, data)
			return
		}
		packs, err := decodeIndex(data)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeIndex(packs), data) {
			t.Fatal("decode/encode not canonical")
		}
		var idx index
		idx.init()
		idx.build(packs, 0) // must not panic either
	})
}

// FuzzSnapshot feeds hostile bytes to the snapshot decoder and the raw
// snapshot file path.
func FuzzSnapshot(f *testing.F) {
	x := fixture(f)
	f.Add(x.snapPT, false)
	f.Add(x.snap, true)
	f.Add([]byte(`{"version":1,"time":"2026-01-01T00:00:00Z","tree":"`+ID{}.String()+`"}`), false)
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		if raw {
			x.r.openSnapshotFile(ID{}, data)
			return
		}
		sn, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		b, err := encodeSnapshot(sn)
		if err != nil {
			t.Fatalf("decoded snapshot does not re-encode: %v", err)
		}
		sn2, err := decodeSnapshot(b)
		if err != nil || !sn2.Time.Equal(sn.Time) || sn2.Tree != sn.Tree || sn2.Parent != sn.Parent {
			t.Fatalf("re-encoded snapshot differs: %v", err)
		}
	})
}

// FuzzKeyFile feeds hostile bytes to the key file parser, and tries to
// open those that parse with cheap enough KDF parameters.
func FuzzKeyFile(f *testing.F) {
	x := fixture(f)
	f.Add(x.key)
	f.Add([]byte(`{"version":1,"kdf":"scrypt","N":1024,"r":8,"p":1,"salt":"","data":""}`))
	f.Add([]byte(`{"version":1,"kdf":"scrypt","N":1099511627776,"r":8,"p":1}`))
	repoID := x.r.cfg.repoID()
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseKeyFile(data)
		if err != nil {
			return
		}
		if err := k.params().Validate(); err != nil {
			t.Fatal("parser accepted invalid KDF params")
		}
		p := k.params()
		if p.N*p.R*p.P > 1<<13 {
			return // valid but too slow to derive on every fuzz input
		}
		mk, err := k.open(testPassword, repoID)
		if err == nil && mk != x.r.keys {
			t.Fatal("key file opened to different master keys")
		}
	})
}

// FuzzPayload feeds blob payloads (flag and zstd frames, any bytes) to
// every decoder the build has: none may panic or write past the room the
// index promises, a decoded payload has exactly that length, and where two
// decoders both accept a frame they agree byte for byte.
func FuzzPayload(f *testing.F) {
	for _, c := range compressors() {
		for _, data := range [][]byte{textBytes(11, 5000), make([]byte, 3000), append(textBytes(12, 200), 1, 2, 3)} {
			frame, _, err := c.append([]byte{flagZstd}, data, 2*len(data))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(frame, uint16(len(data)))
		}
	}
	f.Add([]byte{flagRaw, 1, 2, 3}, uint16(3))
	f.Add([]byte{flagZstd}, uint16(0))
	f.Fuzz(func(t *testing.T, payload []byte, rawLen uint16) {
		n := int(rawLen)
		got, err := decodePayload(nil, payload, n)
		if err == nil && len(got) != n {
			t.Fatalf("decoded %d bytes, promised %d", len(got), n)
		}
		if len(payload) == 0 || payload[0] != flagZstd {
			return
		}
		var outs [][]byte
		for _, d := range decompressors() {
			room := make([]byte, n+8)
			for i := range room {
				room[i] = 0xA5
			}
			m, err := d.decode(room[:n:n], payload[1:])
			for _, b := range room[n:] {
				if b != 0xA5 {
					t.Fatalf("%s wrote past its room", d.name)
				}
			}
			if err == nil {
				if m > n {
					t.Fatalf("%s says %d bytes in a room of %d", d.name, m, n)
				}
				outs = append(outs, room[:m])
			}
		}
		if len(outs) == 2 && !bytes.Equal(outs[0], outs[1]) {
			t.Fatalf("the decoders disagree: %d and %d bytes", len(outs[0]), len(outs[1]))
		}
	})
}
