package content

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// randBytes returns n pseudo-random bytes from splitmix64 seeded with
// seed: a fixed, self-contained generator, so golden values never depend
// on the Go version.
func randBytes(seed uint64, n int) []byte {
	b := make([]byte, (n+7)&^7)
	s := seed
	for i := 0; i < len(b); i += 8 {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		binary.LittleEndian.PutUint64(b[i:], z^(z>>31))
	}
	return b[:n]
}

// chunkAll cuts r with a buffer of bufLen bytes (0: nil) and checks the
// invariants every chunk sequence must have.
func chunkAll(t testing.TB, data []byte, r io.Reader, bufLen int) []Chunk {
	t.Helper()
	var buf []byte
	if bufLen > 0 {
		buf = make([]byte, bufLen)
	}
	c := NewChunker(r, buf)
	var out []Chunk
	var off int64
	for {
		ch, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if ch.Offset != off || ch.Length != len(ch.Data) {
			t.Fatalf("chunk %d: offset %d length %d len(Data) %d, want offset %d", len(out), ch.Offset, ch.Length, len(ch.Data), off)
		}
		if !bytes.Equal(ch.Data, data[off:off+int64(ch.Length)]) {
			t.Fatalf("chunk %d at %d: data differs from input", len(out), off)
		}
		off += int64(ch.Length)
		ch.Data = nil // not valid past Next
		out = append(out, ch)
	}
	if off != int64(len(data)) {
		t.Fatalf("chunks cover %d bytes, input has %d", off, len(data))
	}
	for i, ch := range out {
		last := i == len(out)-1
		if ch.Length > MaxSize || ch.Length == 0 || (!last && ch.Length < MinSize) {
			t.Fatalf("chunk %d/%d has length %d, outside [%d, %d]", i, len(out), ch.Length, MinSize, MaxSize)
		}
	}
	return out
}

func lengths(cs []Chunk) []int {
	l := make([]int, len(cs))
	for i, c := range cs {
		l[i] = c.Length
	}
	return l
}

func TestChunkerBoundsAndDeterminism(t *testing.T) {
	const n = 40 << 20
	pattern := []byte("holdfast repeats itself. ")
	tests := []struct {
		name string
		data []byte
		// allMax: no content-defined cut exists, so every chunk but the
		// last is MaxSize.
		allMax bool
	}{
		{"random", randBytes(1, n), false},
		{"zeros", make([]byte, n), true},
		{"repetitive", bytes.Repeat(pattern, n/len(pattern)+1)[:n], false},
		{"random blocks repeated", bytes.Repeat(randBytes(2, 3<<20+17), 14)[:n], false},
		{"short", randBytes(3, 1000), false},
		{"exactly min", randBytes(4, MinSize), false},
		{"exactly max", make([]byte, MaxSize), true},
		{"max plus one", make([]byte, MaxSize+1), true},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := chunkAll(t, tt.data, bytes.NewReader(tt.data), 0)
			if tt.allMax {
				for i, c := range want[:max(len(want)-1, 0)] {
					if c.Length != MaxSize {
						t.Fatalf("chunk %d: length %d, want %d", i, c.Length, MaxSize)
					}
				}
			}
			if len(tt.data) == 0 && len(want) != 0 {
				t.Fatalf("empty input gave %d chunks", len(want))
			}
			// The same boundaries whatever the buffer size and however
			// the reader splits its reads (on a prefix, to keep -race fast).
			data := tt.data
			if len(data) > 12<<20 {
				data = data[:12<<20]
				want = chunkAll(t, data, bytes.NewReader(data), 0)
			}
			readers := []struct {
				name   string
				r      io.Reader
				bufLen int
			}{
				{"again", bytes.NewReader(data), 0},
				{"small buffer", bytes.NewReader(data), 4096},
				{"exact buffer", bytes.NewReader(data), BufSize},
				{"big buffer", bytes.NewReader(data), 3 * BufSize},
				{"one byte reads", iotest.OneByteReader(bytes.NewReader(data)), 0},
				{"odd reads", &oddReader{data: data}, 0},
				{"data with EOF", iotest.DataErrReader(bytes.NewReader(data)), 0},
			}
			if len(data) > 4<<20 {
				readers = slices.Delete(readers, 4, 5) // one-byte reads of megabytes are slow under -race
			}
			for _, rr := range readers {
				got := chunkAll(t, data, rr.r, rr.bufLen)
				if fmt.Sprint(lengths(got)) != fmt.Sprint(lengths(want)) {
					t.Fatalf("%s: boundaries differ:\n got %v\nwant %v", rr.name, lengths(got), lengths(want))
				}
			}
		})
	}
}

// oddReader returns reads of varying, odd sizes.
type oddReader struct {
	data []byte
	n    int
}

func (r *oddReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	r.n++
	k := min(len(p), len(r.data), 1+(r.n*7919)%300000)
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

func TestChunkerAverageSize(t *testing.T) {
	data := randBytes(7, 128<<20)
	cs := chunkAll(t, data, bytes.NewReader(data), 0)
	avg := float64(len(data)) / float64(len(cs))
	t.Logf("%d chunks, mean %.0f bytes (%.2f MiB)", len(cs), avg, avg/(1<<20))
	if avg < 0.7*AvgSize || avg > 1.3*AvgSize {
		t.Fatalf("mean chunk size %.0f, want within 30%% of %d", avg, AvgSize)
	}
}

func TestChunkerShiftResistance(t *testing.T) {
	for seed := uint64(10); seed < 14; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			orig := randBytes(seed, 20<<20)
			edited := append(append(append([]byte{}, orig[:1000]...), "a few bytes"...), orig[1000:]...)
			old := map[Hash]bool{}
			oc := chunkAll(t, orig, bytes.NewReader(orig), 0)
			for _, c := range oc {
				old[Sum(orig[c.Offset:c.Offset+int64(c.Length)])] = true
			}
			nc := chunkAll(t, edited, bytes.NewReader(edited), 0)
			same := 0
			for _, c := range nc {
				if old[Sum(edited[c.Offset:c.Offset+int64(c.Length)])] {
					same++
				}
			}
			// Only the chunk holding the insertion should differ; allow
			// one more for a resynchronisation that takes two chunks.
			t.Logf("%d of %d chunks unchanged", same, len(oc))
			if same < len(oc)-2 {
				t.Fatalf("only %d of %d chunks survived a %d-byte insertion", same, len(oc), len("a few bytes"))
			}
		})
	}
}

func TestChunkerReadError(t *testing.T) {
	data := randBytes(5, 20<<20)
	boom := errors.New("boom")
	want := chunkAll(t, data, bytes.NewReader(data), 0)
	r := io.MultiReader(bytes.NewReader(data[:12<<20]), iotest.ErrReader(boom))
	c := NewChunker(r, nil)
	var got []int
	for {
		ch, err := c.Next()
		if err != nil {
			if !errors.Is(err, boom) {
				t.Fatalf("Next: %v, want %v", err, boom)
			}
			break
		}
		got = append(got, ch.Length)
	}
	// Every chunk returned before the error is a real chunk of the full
	// stream, and nothing past the last boundary within 12 MiB is.
	var sum int
	for i, l := range got {
		if l != want[i].Length {
			t.Fatalf("chunk %d: length %d, want %d", i, l, want[i].Length)
		}
		sum += l
	}
	if sum > 12<<20 || sum+want[len(got)].Length <= 12<<20 {
		t.Fatalf("returned %d bytes before the error at %d; next chunk is %d", sum, 12<<20, want[len(got)].Length)
	}
	if _, err := c.Next(); !errors.Is(err, boom) {
		t.Fatalf("Next after error: %v", err)
	}
}

// TestChunkerGolden pins the chunker: if this fails, chunk boundaries have
// changed, which breaks deduplication against every existing repository
// and every peer. Do not update the values; make a new chunker version.
func TestChunkerGolden(t *testing.T) {
	const wantParams = "fastcdc-v1 min=524288 avg=1048576 max=8388608 nc=2 maskbits=22/18 gear=splitmix64(blake3(\"holdfast gear table v1\")[:8]) gearsum=fe013c60ef21bda6"
	if got := ParamsString(); got != wantParams {
		t.Errorf("ParamsString() = %s\nwant %s", got, wantParams)
	}
	if got := fmt.Sprintf("%016x %016x %016x", gear[0], gear[1], gear[255]); got != "c0f0b7df05a6efaf c22bb0f97284a1e2 402a2f770fb15d1c" {
		t.Errorf("gear table = %s", got)
	}
	data := randBytes(0x686f6c6466617374, 24<<20)
	cs := chunkAll(t, data, bytes.NewReader(data), 0)
	var sb strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&sb, "%d+%d %s\n", c.Offset, c.Length, Sum(data[c.Offset : c.Offset+int64(c.Length)]).String()[:16])
	}
	const want = `0+1503345 2ce9e9e6a6963843
1503345+1547826 30b11f5e47db4129
3051171+1230430 36f309aa3266bac5
4281601+1377978 b5d50e5be0994f6a
5659579+1101766 e812f9c6065c1686
6761345+1245255 42a9d4ec225183b6
8006600+1228659 64df853b0fde1d08
9235259+1363197 84dde5ca0f5cabc0
10598456+1652612 c3c896151fa843f6
12251068+1353129 20c78823642e10ff
13604197+808247 2bb2d8d3f8e6ecfe
14412444+934771 032dd5e97c6f709a
15347215+1627023 d7b310ff7447f5c6
16974238+1125951 31da32504383f254
18100189+981641 5ea5af557b85a788
19081830+1878641 38422c762a5e4618
20960471+1170844 96567f8330f71784
22131315+1160151 d07084d71531485a
23291466+1609307 f60299fc3bd079df
24900773+265051 6617015103f90b7f
`
	if sb.String() != want {
		t.Errorf("boundaries changed:\n%s\nwant:\n%s", sb.String(), want)
	}
}

func BenchmarkChunker(b *testing.B) {
	data := randBytes(42, 64<<20)
	buf := make([]byte, BufSize)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		c := NewChunker(bytes.NewReader(data), buf)
		for {
			_, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
