package content

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHashFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"one byte", []byte{42}},
		{"small", randBytes(1, 100_000)},
		{"min size", randBytes(2, MinSize)},
		{"several chunks", randBytes(3, 9<<20+123)},
		{"zeros past max", make([]byte, 2*MaxSize+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			writeFile(t, path, tt.data)
			var seen []Hash
			var off int64
			d, err := HashFile(context.Background(), path, nil, func(c Chunk, h Hash) error {
				if c.Offset != off || h != Sum(c.Data) || !bytes.Equal(c.Data, tt.data[off:off+int64(c.Length)]) {
					t.Fatalf("chunk at %d: offset %d, hash or data wrong", off, c.Offset)
				}
				off += int64(c.Length)
				seen = append(seen, h)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if d.Size != int64(len(tt.data)) || d.Content != Sum(tt.data) {
				t.Fatalf("digest: size %d content %s, want %d %s", d.Size, d.Content, len(tt.data), Sum(tt.data))
			}
			var sum int64
			for i, c := range d.Chunks {
				sum += int64(c.Length)
				if c.Hash != seen[i] {
					t.Fatalf("chunk %d: ref hash differs from callback hash", i)
				}
			}
			if sum != d.Size || len(d.Chunks) != len(seen) {
				t.Fatalf("chunk lengths add up to %d, size %d", sum, d.Size)
			}
			if len(tt.data) == 0 && (d.Chunks != nil || d.Content != EmptyHash) {
				t.Fatalf("empty file: %+v", d)
			}
			// The same result from a reader and with a caller's buffer.
			d2, err := HashReader(context.Background(), bytes.NewReader(tt.data), make([]byte, 100), nil)
			if err != nil || d2.Content != d.Content || len(d2.Chunks) != len(d.Chunks) {
				t.Fatalf("HashReader: %+v, %v", d2, err)
			}
		})
	}
}

func TestHashFileIdentityIndependentOfChunks(t *testing.T) {
	// Two files sharing a prefix share their first chunk but not their
	// identity; the identity is the plain hash of the bytes.
	a := randBytes(9, 4<<20)
	b := append(bytes.Clone(a), 1)
	da, _ := HashReader(context.Background(), bytes.NewReader(a), nil, nil)
	db, _ := HashReader(context.Background(), bytes.NewReader(b), nil, nil)
	if da.Chunks[0] != db.Chunks[0] || da.Content == db.Content || db.Content != Sum(b) {
		t.Fatal("chunks or identities wrong")
	}
}

func TestHashFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	writeFile(t, path, randBytes(1, 3<<20))

	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := HashFile(ctx, path, nil, func(Chunk, Hash) error { n++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || n != 1 {
		t.Fatalf("cancelled: err %v after %d chunks", err, n)
	}

	stop := errors.New("stop")
	if _, err := HashFile(context.Background(), path, nil, func(Chunk, Hash) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("callback error: %v", err)
	}
	if _, err := HashFile(context.Background(), dir, nil, nil); !errors.Is(err, errNotRegular) {
		t.Fatalf("directory: %v", err)
	}
	if _, err := HashFile(context.Background(), filepath.Join(dir, "missing"), nil, nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skip(err)
	}
	// Must not block waiting for a writer.
	if _, err := HashFile(context.Background(), fifo, nil, nil); !errors.Is(err, errNotRegular) {
		t.Fatalf("fifo: %v", err)
	}
}

func BenchmarkHashFile(b *testing.B) {
	path := filepath.Join(b.TempDir(), "f")
	data := randBytes(42, 64<<20)
	writeFile(b, path, data)
	buf := make([]byte, BufSize)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := HashFile(context.Background(), path, buf, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlake3 is the ceiling: HashFile hashes every byte twice (its
// chunk and the whole file) and chunks it once.
func BenchmarkBlake3(b *testing.B) {
	data := randBytes(42, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Sum(data)
	}
}

// TestHashFileMeta gives HashFile's digest and chunks, with the file's
// metadata before and after the read equal to an lstat of the unchanged
// file, on both the short way (below MinSize) and the long one; it
// refuses a symbolic link and anything not a regular file.
func TestHashFileMeta(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"small", randBytes(11, 3000)},
		{"just below min", randBytes(12, MinSize-1)},
		{"several chunks", randBytes(13, 5<<20+7)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			writeFile(t, path, tc.data)
			want, err := HashFile(context.Background(), path, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []ChunkRef
			var joined []byte
			d, before, after, _, err := HashFileMeta(context.Background(), path, make([]byte, 10), func(c Chunk, h Hash) error {
				if h != Sum(c.Data) {
					t.Errorf("chunk at %d: hash is not the chunk's", c.Offset)
				}
				got = append(got, ChunkRef{Hash: h, Length: uint32(c.Length)})
				joined = append(joined, c.Data...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if d.Content != want.Content || d.Size != want.Size || len(d.Chunks) != len(want.Chunks) || len(got) != len(want.Chunks) {
				t.Fatalf("digest %+v (%d chunks seen), want %+v", d, len(got), want)
			}
			for i := range got {
				if got[i] != want.Chunks[i] || d.Chunks[i] != want.Chunks[i] {
					t.Fatalf("chunk %d differs", i)
				}
			}
			if !bytes.Equal(joined, tc.data) {
				t.Fatal("the chunks handed out are not the file's bytes")
			}
			fi, err := os.Lstat(path)
			if err != nil {
				t.Fatal(err)
			}
			if m := StatMeta(fi); before != m || after != m {
				t.Errorf("meta before %+v, after %+v, want both %+v", before, after, m)
			}
		})
	}

	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "small"), link); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := HashFileMeta(context.Background(), link, nil, nil); err == nil {
		t.Error("a symbolic link was followed")
	}
	if _, _, _, _, err := HashFileMeta(context.Background(), dir, nil, nil); err == nil {
		t.Error("a directory was hashed")
	}
	stop := errors.New("stop")
	if _, _, _, _, err := HashFileMeta(context.Background(), filepath.Join(dir, "small"), nil, func(Chunk, Hash) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("onChunk's error: got %v", err)
	}
}
