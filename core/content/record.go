package content

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// recordVersion is the first byte of every index record.
const recordVersion = 1

// encodeRecord encodes an index record, version 1:
//
//	version (1 byte, = 1)
//	uvarint Size, varint ModTime, varint CTime, uvarint Inode, uvarint Dev, uvarint Mode
//	Content (32 bytes)
//	uvarint number of chunks, then per chunk: Hash (32 bytes), uvarint Length
//
// The digest's size is not stored: it is meta.Size, and the chunk lengths
// must add up to it — or there are none: a file of more than one chunk is
// indexed by its identity only (see hashScanned).
func encodeRecord(m FileMeta, d FileDigest) ([]byte, error) {
	if d.Size != m.Size {
		return nil, fmt.Errorf("digest of %d bytes for a file of %d bytes", d.Size, m.Size)
	}
	if m.Size < 0 {
		return nil, errors.New("negative size")
	}
	var sum int64
	for _, c := range d.Chunks {
		if c.Length == 0 || c.Length > MaxSize {
			return nil, fmt.Errorf("invalid chunk length %d", c.Length)
		}
		sum += int64(c.Length)
	}
	if sum != d.Size && len(d.Chunks) > 0 {
		return nil, fmt.Errorf("chunk lengths add up to %d, not %d", sum, d.Size)
	}
	b := make([]byte, 0, 1+6*binary.MaxVarintLen64+HashSize+binary.MaxVarintLen64+len(d.Chunks)*(HashSize+4))
	b = append(b, recordVersion)
	b = binary.AppendUvarint(b, uint64(m.Size))
	b = binary.AppendVarint(b, m.ModTime)
	b = binary.AppendVarint(b, m.CTime)
	b = binary.AppendUvarint(b, m.Inode)
	b = binary.AppendUvarint(b, m.Dev)
	b = binary.AppendUvarint(b, uint64(m.Mode))
	b = append(b, d.Content[:]...)
	b = binary.AppendUvarint(b, uint64(len(d.Chunks)))
	for _, c := range d.Chunks {
		b = append(b, c.Hash[:]...)
		b = binary.AppendUvarint(b, uint64(c.Length))
	}
	return b, nil
}

var errRecord = errors.New("malformed index record")

// head reads what every record starts with: the version, the meta and the
// content hash.
func (r *recordReader) head() (FileMeta, Hash, error) {
	if v := r.byte(); v != recordVersion {
		if r.err != nil {
			return FileMeta{}, Hash{}, r.err
		}
		return FileMeta{}, Hash{}, fmt.Errorf("%w: version %d", errRecord, v)
	}
	var m FileMeta
	size := r.uvarint()
	m.ModTime = r.varint()
	m.CTime = r.varint()
	m.Inode = r.uvarint()
	m.Dev = r.uvarint()
	mode := r.uvarint()
	var h Hash
	r.hash(&h)
	if r.err != nil {
		return FileMeta{}, Hash{}, r.err
	}
	if size > math.MaxInt64 || mode > math.MaxUint32 {
		return FileMeta{}, Hash{}, fmt.Errorf("%w: size or mode out of range", errRecord)
	}
	m.Size, m.Mode = int64(size), uint32(mode)
	return m, h, nil
}

// decodeRecord decodes what encodeRecord wrote. It never panics and never
// trusts a count before checking it against the bytes that are there; the
// result does not alias b.
func decodeRecord(b []byte) (FileMeta, FileDigest, error) {
	r := recordReader{b: b}
	m, content, err := r.head()
	if err != nil {
		return FileMeta{}, FileDigest{}, err
	}
	d := FileDigest{Content: content}
	n := r.uvarint()
	if r.err != nil {
		return FileMeta{}, FileDigest{}, r.err
	}
	// Each chunk takes at least HashSize+1 bytes.
	if n > uint64(len(r.b))/(HashSize+1) {
		return FileMeta{}, FileDigest{}, fmt.Errorf("%w: %d chunks in %d bytes", errRecord, n, len(r.b))
	}
	if n > 0 {
		d.Chunks = make([]ChunkRef, n)
	}
	var sum int64
	for i := range d.Chunks {
		r.hash(&d.Chunks[i].Hash)
		l := r.uvarint()
		if r.err != nil {
			return FileMeta{}, FileDigest{}, r.err
		}
		if l == 0 || l > MaxSize {
			return FileMeta{}, FileDigest{}, fmt.Errorf("%w: chunk length %d", errRecord, l)
		}
		d.Chunks[i].Length = uint32(l)
		sum += int64(l) // at most n·MaxSize, far from overflowing
	}
	if len(r.b) != 0 {
		return FileMeta{}, FileDigest{}, fmt.Errorf("%w: %d trailing bytes", errRecord, len(r.b))
	}
	if sum != m.Size && n > 0 { // no chunks: the identity only
		return FileMeta{}, FileDigest{}, fmt.Errorf("%w: chunks add up to %d bytes, size is %d", errRecord, sum, m.Size)
	}
	d.Size = m.Size
	return m, d, nil
}

// recordReader consumes b; the first error sticks and zeroes later reads.
type recordReader struct {
	b   []byte
	err error
}

func (r *recordReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated", errRecord)
	}
	r.b = nil
}

func (r *recordReader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *recordReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *recordReader) hash(h *Hash) {
	if len(r.b) < HashSize {
		r.fail()
		return
	}
	copy(h[:], r.b)
	r.b = r.b[HashSize:]
}
