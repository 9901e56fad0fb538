package content

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func openTestIndex(t testing.TB) (*Index, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "index.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := OpenIndex(db, []byte("content-index"))
	if err != nil {
		t.Fatal(err)
	}
	return x, db
}

func sampleDigest(size int) (FileMeta, FileDigest) {
	data := randBytes(uint64(size), size)
	var d FileDigest
	d.Size = int64(size)
	d.Content = Sum(data)
	for off := 0; off < size; off += MaxSize {
		n := min(MaxSize, size-off)
		d.Chunks = append(d.Chunks, ChunkRef{Hash: Sum(data[off : off+n]), Length: uint32(n)})
	}
	m := FileMeta{Size: int64(size), ModTime: 1_700_000_000_123_456_789, CTime: -5, Inode: 1 << 40, Dev: 66306, Mode: 0o644}
	return m, d
}

func TestRecordRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, MaxSize, 3*MaxSize + 5} {
		m, d := sampleDigest(size)
		b, err := encodeRecord(m, d)
		if err != nil {
			t.Fatal(err)
		}
		m2, d2, err := decodeRecord(b)
		if err != nil || m2 != m || !reflect.DeepEqual(d2, d) {
			t.Fatalf("size %d: round trip gave %+v %+v, %v", size, m2, d2, err)
		}
	}
	// A file of several chunks may be recorded by its identity alone.
	m, d := sampleDigest(3*MaxSize + 5)
	d.Chunks = nil
	b, err := encodeRecord(m, d)
	if err != nil {
		t.Fatal(err)
	}
	if m2, d2, err := decodeRecord(b); err != nil || m2 != m || !reflect.DeepEqual(d2, d) {
		t.Fatalf("identity only: round trip gave %+v %+v, %v", m2, d2, err)
	}
	// Inconsistent digests are refused rather than stored.
	m, d = sampleDigest(100)
	bad := []struct {
		name string
		m    FileMeta
		d    FileDigest
	}{
		{"size mismatch", FileMeta{Size: 99}, d},
		{"chunk sum", m, FileDigest{Size: 100, Chunks: []ChunkRef{{Length: 99}}}},
		{"zero chunk", m, FileDigest{Size: 100, Chunks: []ChunkRef{{Length: 100}, {Length: 0}}}},
		{"huge chunk", FileMeta{Size: MaxSize + 1}, FileDigest{Size: MaxSize + 1, Chunks: []ChunkRef{{Length: MaxSize + 1}}}},
	}
	for _, tt := range bad {
		if _, err := encodeRecord(tt.m, tt.d); err == nil {
			t.Errorf("%s: encoded", tt.name)
		}
	}
}

func TestDecodeRecordMalformed(t *testing.T) {
	m, d := sampleDigest(2*MaxSize + 10)
	good, _ := encodeRecord(m, d)
	bad := map[string][]byte{
		"empty":          nil,
		"version only":   {recordVersion},
		"future version": append([]byte{2}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"trailing":       append(bytes.Clone(good), 0),
		"huge count":     forgeCount(good, 1<<40),
		"count too high": forgeCount(good, 4),
		"count too low":  forgeCount(good, 2),
		"overlong varint": func() []byte {
			b := bytes.Clone(good)
			return append(b[:1], bytes.Repeat([]byte{0xff}, 11)...)
		}(),
	}
	for name, b := range bad {
		if _, _, err := decodeRecord(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// forgeCount rewrites the chunk count of an encoded record (which, in
// these tests, is a one-byte uvarint).
func forgeCount(rec []byte, n uint64) []byte {
	r := recordReader{b: rec[1:]}
	for range 6 {
		r.uvarint()
	}
	at := len(rec) - len(r.b) + HashSize
	out := append([]byte{}, rec[:at]...)
	out = binary.AppendUvarint(out, n)
	return append(out, rec[at+1:]...)
}

func TestIndexLookup(t *testing.T) {
	x, _ := openTestIndex(t)
	m, d := sampleDigest(3 * MaxSize)
	const p = "/home/me/file"
	if _, ok := x.Lookup(p, m); ok {
		t.Fatal("hit in an empty index")
	}
	if err := x.Put(p, m, d); err != nil {
		t.Fatal(err)
	}
	got, ok := x.Lookup(p, m)
	if !ok || !reflect.DeepEqual(got, d) {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	changes := []func(*FileMeta){
		func(m *FileMeta) { m.Size++ },
		func(m *FileMeta) { m.ModTime++ },
		func(m *FileMeta) { m.CTime++ },
		func(m *FileMeta) { m.Inode++ },
		func(m *FileMeta) { m.Dev++ },
	}
	for i, ch := range changes {
		m2 := m
		ch(&m2)
		if _, ok := x.Lookup(p, m2); ok {
			t.Errorf("change %d: still a hit", i)
		}
	}
	m2 := m
	m2.Mode = 0o600 // mode alone is not a content change
	if _, ok := x.Lookup(p, m2); !ok {
		t.Error("mode change missed the cache")
	}
	if _, ok := x.Lookup(p+"x", m); ok {
		t.Error("hit on another path")
	}
	if err := x.Delete(p); err != nil {
		t.Fatal(err)
	}
	if _, ok := x.Lookup(p, m); ok {
		t.Fatal("hit after Delete")
	}
	if err := x.Put("", m, d); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestIndexMalformedRecordIsMiss(t *testing.T) {
	x, db := openTestIndex(t)
	m, d := sampleDigest(100)
	for _, v := range [][]byte{{}, {recordVersion}, {0xff, 1, 2}, []byte("garbage that is long enough to look like something")} {
		if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("content-index")).Put([]byte("/f"), v) }); err != nil {
			t.Fatal(err)
		}
		if _, ok := x.Lookup("/f", m); ok {
			t.Fatalf("malformed record %q was a hit", v)
		}
	}
	// A valid record with the same meta overwrites it.
	if err := x.Put("/f", m, d); err != nil {
		t.Fatal(err)
	}
	if _, ok := x.Lookup("/f", m); !ok {
		t.Fatal("miss after Put")
	}
}

func TestIndexWriterAndPrune(t *testing.T) {
	x, _ := openTestIndex(t)
	m, d := sampleDigest(10)
	w := x.Writer()
	const n = 2*WriterBatch + 10
	for i := range n {
		if err := w.Put(fmt.Sprintf("/root/%05d", i), m, d); err != nil {
			t.Fatal(err)
		}
	}
	// Two full batches went to the committer; the rest waits for Flush.
	if got, _ := x.Len(); got > 2*WriterBatch {
		t.Fatalf("before Flush: %d records, want at most %d", got, 2*WriterBatch)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.Len(); got != n {
		t.Fatalf("after Flush: %d records, want %d", got, n)
	}
	if err := w.Delete("/root/00000"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := x.Len(); got != n-1 {
		t.Fatalf("after Close: %d records, want %d", got, n-1)
	}
	if err := w.Put("/late", m, d); err == nil {
		t.Fatal("Put after Close accepted")
	}
	want := 0
	for i := 1; i < n; i++ {
		if i%10 == 7 {
			want++
		}
	}
	dropped, err := x.Prune(func(p string) bool { return !strings.HasSuffix(p, "7") })
	if err != nil || dropped != want {
		t.Fatalf("Prune dropped %d, %v; want %d", dropped, err, want)
	}
	if got, _ := x.Len(); got != n-1-want {
		t.Fatalf("after Prune: %d records, want %d", got, n-1-want)
	}
	if _, ok := x.Lookup("/root/00017", m); ok {
		t.Fatal("pruned record still there")
	}
	if _, ok := x.Lookup("/root/00018", m); !ok {
		t.Fatal("kept record gone")
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, size := range []int{0, 7, MaxSize + 1} {
		m, d := sampleDigest(size)
		b, _ := encodeRecord(m, d)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{recordVersion, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, d, err := decodeRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes is consistent and survives a round trip.
		var sum int64
		for _, c := range d.Chunks {
			if c.Length == 0 || c.Length > MaxSize {
				t.Fatalf("chunk length %d", c.Length)
			}
			sum += int64(c.Length)
		}
		if sum != d.Size || d.Size != m.Size {
			t.Fatalf("sizes: chunks %d, digest %d, meta %d", sum, d.Size, m.Size)
		}
		enc, err := encodeRecord(m, d)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, d2, err := decodeRecord(enc)
		if err != nil || m2 != m || !reflect.DeepEqual(d2, d) {
			t.Fatalf("round trip differs: %v", err)
		}
	})
}

// PutAt stores a record under the same key as Put of the joined path.
func TestIndexWriterPutAt(t *testing.T) {
	x, _ := openTestIndex(t)
	m, d := sampleDigest(3)
	w := x.Writer()
	sep := string(filepath.Separator)
	for _, c := range []struct{ dir, name string }{
		{sep + "root" + sep + "sub", "file.txt"},
		{sep, "top"}, // the root directory already ends in a separator
	} {
		if err := w.PutAt(c.dir, c.name, m, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.PutAt(sep+"root", strings.Repeat("n", bolt.MaxKeySize), m, d); err == nil {
		t.Error("a key past bbolt's limit was accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{joinAbs(sep+"root"+sep+"sub", "file.txt"), sep + "top"} {
		if got, ok := x.Lookup(p, m); !ok || got.Content != d.Content {
			t.Errorf("%s: not found under the joined path", p)
		}
	}
}
