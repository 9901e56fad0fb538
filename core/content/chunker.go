package content

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// Chunking parameters. They are fixed and public: the same bytes are cut at
// the same places on every machine, for every repository and every peer, so
// that backups deduplicate and peers find each other's chunks. Changing any of
// them (or the gear table, or the masks) changes every chunk boundary; that
// would be a new chunker version with a new ParamsString, never an edit.
const (
	// MinSize is the smallest chunk, except for the last chunk of a stream.
	// FastCDC does not hash the first MinSize bytes of a chunk at all.
	MinSize = 512 << 10
	// AvgSize is the FastCDC "normal size": below it the stricter mask
	// (MaskBitsS one-bits) applies, above it the looser one (MaskBitsL).
	// With MinSize = AvgSize/2 the mean chunk on random data is about
	// 1.2 MiB: 512 KiB + 4 MiB·(1−e^(−1/8)) + 256 KiB·e^(−1/8).
	AvgSize = 1 << 20
	// MaxSize is the largest chunk; a chunk is cut here if no boundary was
	// found before.
	MaxSize = 8 << 20

	// MaskBitsS and MaskBitsL are the number of one-bits in the two masks of
	// normalized chunking, level 2: log2(AvgSize) ± 2. The masks are the top
	// bits of the 64-bit gear hash, whose window is the last 64 bytes.
	MaskBitsS = 22
	MaskBitsL = 18

	// BufSize is the working buffer a Chunker never outgrows. Pass a buffer
	// of this size to NewChunker (and reuse it) to avoid allocations.
	BufSize = MaxSize

	// GearSeedString is hashed with BLAKE3; the first 8 bytes of the digest,
	// read as a little-endian uint64, seed the splitmix64 generator whose
	// first 256 outputs are the gear table.
	GearSeedString = "holdfast gear table v1"
)

const (
	maskS uint64 = (1<<MaskBitsS - 1) << (64 - MaskBitsS)
	maskL uint64 = (1<<MaskBitsL - 1) << (64 - MaskBitsL)
)

// gear is the FastCDC gear table, derived from GearSeedString.
var gear = makeGear()

// makeGear returns splitmix64(seed) outputs 1..256, where seed is the first 8
// bytes (little-endian) of BLAKE3(GearSeedString).
func makeGear() (t [256]uint64) {
	sum := blake3.Sum256([]byte(GearSeedString))
	rng := splitmix64(binary.LittleEndian.Uint64(sum[:8]))
	for i := range t {
		t[i] = rng.next()
	}
	return t
}

// splitmix64 is the generator of Steele, Lea and Flood (2014), as in
// Vigna's reference code: the state advances by 0x9e3779b97f4a7c15 and
// each output is the mixed state.
type splitmix64 uint64

func (s *splitmix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// gearFingerprint is the first 8 bytes of BLAKE3 over the gear table, as
// 256 little-endian uint64s, in hex.
func gearFingerprint() string {
	var b [256 * 8]byte
	for i, v := range gear {
		binary.LittleEndian.PutUint64(b[i*8:], v)
	}
	sum := blake3.Sum256(b[:])
	return fmt.Sprintf("%x", sum[:8])
}

// ParamsString names the chunking algorithm and all of its parameters. Two
// parties cut identically if and only if their ParamsString values are
// equal; it is stored alongside anything whose chunk hashes are compared.
//
// The algorithm is FastCDC (Xia et al., USENIX ATC 2016) with normalized
// chunking level 2: the first MinSize bytes of a chunk are skipped, then the
// gear hash h = h<<1 + gear[b] runs from zero; a boundary falls after the
// byte where h&maskS == 0 (before AvgSize) or h&maskL == 0 (from AvgSize
// on), where the masks are the top MaskBitsS or MaskBitsL bits; at MaxSize a
// boundary is forced.
func ParamsString() string {
	return fmt.Sprintf("fastcdc-v1 min=%d avg=%d max=%d nc=2 maskbits=%d/%d gear=splitmix64(blake3(%q)[:8]) gearsum=%s",
		MinSize, AvgSize, MaxSize, MaskBitsS, MaskBitsL, GearSeedString, gearFingerprint())
}

// Chunk is one piece of a stream.
type Chunk struct {
	Offset int64 // position in the stream
	Length int
	// Data is the chunk's bytes. It aliases the Chunker's buffer and is
	// valid only until the next call to Next.
	Data []byte
}

// Chunker cuts a stream into content-defined chunks. It is not safe for
// concurrent use.
type Chunker struct {
	r   io.Reader
	buf []byte

	start, end int   // unconsumed data is buf[start:end]
	off        int64 // stream offset of buf[start]
	eof        bool
	err        error // sticky read error, returned once the data before it is consumed

	// Cut-point search state for the chunk beginning at buf[start], so that
	// a refill resumes the search instead of repeating it.
	scanned int
	h       uint64
}

// NewChunker returns a Chunker reading from r.
//
// buf is the working buffer. A chunk is never longer than MaxSize, so a
// buffer of BufSize bytes is never replaced; a shorter (or nil) buffer is
// used as long as the data fits and replaced by a larger one when needed, so
// a small buffer suits a small file (its size + 1 bytes lets the Chunker see
// the end without growing). A longer buffer only makes refills rarer. The
// Chunker reads into buf[:len(buf)] until it is full or the stream ends.
func NewChunker(r io.Reader, buf []byte) *Chunker {
	if buf == nil {
		buf = make([]byte, BufSize)
	}
	return &Chunker{r: r, buf: buf}
}

// Reset makes the Chunker read a new stream from offset 0, keeping its buffer.
func (c *Chunker) Reset(r io.Reader) {
	*c = Chunker{r: r, buf: c.buf}
}

// Buffer returns the Chunker's current working buffer, which may have grown
// since NewChunker; callers reuse it for the next stream.
func (c *Chunker) Buffer() []byte { return c.buf }

// Drained reports whether the stream has ended and every byte of it has
// been returned in a chunk: the next call to Next returns io.EOF.
func (c *Chunker) Drained() bool { return c.start == c.end && c.eof && c.err == nil }

// Next returns the next chunk, or io.EOF after the last one. A read error
// is returned after the chunks that could be cut before it; it does not
// yield a final short chunk.
func (c *Chunker) Next() (Chunk, error) {
	for {
		avail := c.end - c.start
		if avail == 0 && (c.eof || c.err != nil) {
			if c.err != nil {
				return Chunk{}, c.err
			}
			return Chunk{}, io.EOF
		}
		if avail > 0 {
			n, found := c.cut(c.buf[c.start:c.end])
			switch {
			case found, n == MaxSize, c.eof:
				return c.emit(n), nil
			case c.err != nil:
				// The stream broke in the middle of a chunk; where it would
				// have been cut is unknown, so it is not returned.
				c.start, c.end = 0, 0
				continue
			}
		}
		c.fill()
	}
}

// emit returns buf[start:start+n] as a chunk and starts a new one.
func (c *Chunker) emit(n int) Chunk {
	ch := Chunk{Offset: c.off, Length: n, Data: c.buf[c.start : c.start+n : c.start+n]}
	c.start += n
	c.off += int64(n)
	c.scanned, c.h = 0, 0
	return ch
}

// fill compacts the buffer, grows it if it is full, and reads until it is
// full or the stream ends. Read errors are kept in c.err.
func (c *Chunker) fill() {
	if c.start > 0 {
		c.end = copy(c.buf, c.buf[c.start:c.end])
		c.start = 0
	}
	if c.end == len(c.buf) {
		// Full, and no cut point within: only possible with a buffer
		// shorter than MaxSize.
		n := 2 * len(c.buf)
		if n < 64<<10 {
			n = 64 << 10
		}
		if n > BufSize {
			n = BufSize
		}
		nb := make([]byte, n)
		copy(nb, c.buf[:c.end])
		c.buf = nb
	}
	zero := 0
	for c.end < len(c.buf) {
		n, err := c.r.Read(c.buf[c.end:])
		if n < 0 || n > len(c.buf)-c.end {
			c.err = errors.New("content: chunker: reader returned an invalid count")
			return
		}
		c.end += n
		if err == io.EOF {
			c.eof = true
			return
		}
		if err != nil {
			c.err = err
			return
		}
		if n == 0 {
			if zero++; zero >= 100 {
				c.err = io.ErrNoProgress
				return
			}
		}
	}
}

// cut continues the search for a cut point in data, which starts at the
// current chunk. It returns the chunk length and whether a content-defined
// boundary was found; if not, the length is min(len(data), MaxSize).
func (c *Chunker) cut(data []byte) (int, bool) {
	if len(data) > MaxSize {
		data = data[:MaxSize]
	}
	n := len(data)
	if n <= MinSize {
		return n, false
	}
	i, h := c.scanned, c.h
	if i < MinSize {
		i, h = MinSize, 0
	}
	if i < AvgSize {
		end := min(n, AvgSize)
		j, hh, found := gearScan(data[i:end], h, maskS)
		if found {
			return i + j, true
		}
		i, h = end, hh
	}
	if i < n {
		j, hh, found := gearScan(data[i:n], h, maskL)
		if found {
			return i + j, true
		}
		i, h = n, hh
	}
	c.scanned, c.h = i, h
	return n, false
}

// gearScan rolls the gear hash h over data and returns the length of the
// prefix that ends with the first byte after which h&mask == 0, or
// len(data) and the final hash if there is none.
//
// It takes two bytes a step: h2 = h<<2 + (gear[b0]<<1 + gear[b1]) depends
// on h through a single shift-and-add, which halves the loop's critical
// path; h1 = h<<1 + gear[b0] is checked on the side.
func gearScan(data []byte, h uint64, mask uint64) (int, uint64, bool) {
	i := 0
	for ; i+1 < len(data); i += 2 {
		g0, g1 := gear[data[i]], gear[data[i+1]]
		h1 := h<<1 + g0
		h = h<<2 + (g0<<1 + g1)
		if h1&mask == 0 {
			return i + 1, h1, true
		}
		if h&mask == 0 {
			return i + 2, h, true
		}
	}
	if i < len(data) {
		h = h<<1 + gear[data[i]]
		if h&mask == 0 {
			return i + 1, h, true
		}
		i++
	}
	return i, h, false
}
