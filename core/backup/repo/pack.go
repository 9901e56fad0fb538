package repo

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/holdfast/holdfast/core/content/b3"
)

// Pack header format constants.
const (
	packHeaderVersion = 1
	// entry: type(1) storedID(32) offset(4) length(4) rawLength(4)
	blobEntrySize = 1 + 32 + 4 + 4 + 4
	// maxPackBlobs bounds the number of blobs in one pack (and so the
	// header size, ~45 MiB).
	maxPackBlobs = 1 << 20
	// maxPackHeader is the largest sealed header a decoder accepts.
	maxPackHeader    = 1 + 4 + maxPackBlobs*blobEntrySize + sealOverhead
	minSealedBlob    = 1 + sealOverhead // flag byte, empty payload
	packTrailerSize  = 4
	minPackHeaderLen = 1 + 4 + blobEntrySize + sealOverhead
)

// BlobInfo locates one blob inside a pack.
type BlobInfo struct {
	Type      BlobType
	ID        ID     // stored (keyed) ID
	Offset    uint32 // of the sealed blob within the pack file
	Length    uint32 // sealed length in the pack
	RawLength uint32 // plaintext length
}

// PackInfo describes a pack file and its blobs, in file order.
type PackInfo struct {
	ID    ID    // BLAKE3 of the whole pack file
	Size  int64 // file size
	Blobs []BlobInfo
}

func packRel(id ID) string {
	s := id.String()
	return dataDir + "/" + s[:2] + "/" + s
}

func (r *Repository) packPath(id ID) string {
	s := id.String()
	return filepath.Join(r.dir, dataDir, s[:2], s)
}

func appendBlobEntry(b []byte, e *BlobInfo) []byte {
	b = append(b, byte(e.Type))
	b = append(b, e.ID[:]...)
	b = binary.LittleEndian.AppendUint32(b, e.Offset)
	b = binary.LittleEndian.AppendUint32(b, e.Length)
	return binary.LittleEndian.AppendUint32(b, e.RawLength)
}

// decodeBlobEntry decodes one 45-byte entry; b must be long enough.
func decodeBlobEntry(b []byte) (BlobInfo, error) {
	e := BlobInfo{Type: BlobType(b[0])}
	copy(e.ID[:], b[1:33])
	e.Offset = binary.LittleEndian.Uint32(b[33:])
	e.Length = binary.LittleEndian.Uint32(b[37:])
	e.RawLength = binary.LittleEndian.Uint32(b[41:])
	switch {
	case !e.Type.valid():
		return e, fmt.Errorf("blob %s: invalid type %d", e.ID.Short(), b[0])
	case e.Length < minSealedBlob:
		return e, fmt.Errorf("blob %s: length %d below minimum %d", e.ID.Short(), e.Length, minSealedBlob)
	case e.RawLength > MaxBlobSize:
		return e, fmt.Errorf("blob %s: raw length %d exceeds limit %d", e.ID.Short(), e.RawLength, MaxBlobSize)
	case uint64(e.Length) > uint64(e.RawLength)+1+sealOverhead+uint64(e.RawLength)/16+1024:
		// zstd never expands by more than a small fraction; a raw
		// blob is exactly RawLength+1+overhead.
		return e, fmt.Errorf("blob %s: length %d implausible for raw length %d", e.ID.Short(), e.Length, e.RawLength)
	}
	return e, nil
}

// packHeaderLen is the sealed header length of a pack with n blobs.
func packHeaderLen(n int) int64 { return 5 + int64(n)*blobEntrySize + sealOverhead }

// encodePackHeader returns the plaintext pack header.
func encodePackHeader(blobs []BlobInfo) []byte {
	b := make([]byte, 0, 5+len(blobs)*blobEntrySize)
	b = append(b, packHeaderVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(blobs)))
	for i := range blobs {
		b = appendBlobEntry(b, &blobs[i])
	}
	return b
}

// decodePackHeader decodes a plaintext pack header and checks that the
// blobs exactly tile [0, blobsEnd).
func decodePackHeader(b []byte, blobsEnd int64) ([]BlobInfo, error) {
	if len(b) < 5 {
		return nil, fmt.Errorf("header of %d bytes too short", len(b))
	}
	if b[0] != packHeaderVersion {
		return nil, fmt.Errorf("unsupported header version %d", b[0])
	}
	n := binary.LittleEndian.Uint32(b[1:])
	if n == 0 || n > maxPackBlobs {
		return nil, fmt.Errorf("header blob count %d out of range [1,%d]", n, maxPackBlobs)
	}
	if want := 5 + uint64(n)*blobEntrySize; uint64(len(b)) != want {
		return nil, fmt.Errorf("header is %d bytes, %d blobs need %d", len(b), n, want)
	}
	blobs := make([]BlobInfo, n)
	var next int64
	for i := range blobs {
		e, err := decodeBlobEntry(b[5+i*blobEntrySize:])
		if err != nil {
			return nil, fmt.Errorf("header entry %d: %w", i, err)
		}
		if int64(e.Offset) != next {
			return nil, fmt.Errorf("header entry %d: offset %d, expected %d", i, e.Offset, next)
		}
		next += int64(e.Length)
		if next > blobsEnd {
			return nil, fmt.Errorf("header entry %d: blob ends at %d, beyond blob area of %d bytes", i, next, blobsEnd)
		}
		blobs[i] = e
	}
	if next != blobsEnd {
		return nil, fmt.Errorf("blobs end at %d, header starts at %d", next, blobsEnd)
	}
	return blobs, nil
}

// ---- Packer ----

// Packer assembles one pack. A Packer is not safe for concurrent use, but
// any number of Packers of one Repository may run concurrently (typically
// one per worker goroutine); they share the in-flight set so that two
// Packers never both store the same blob.
type Packer struct {
	r      *Repository
	repack bool
	target int
	// The pack is written to a temporary file in data/ as blobs arrive,
	// hashed on the way, so a Packer holds one blob in memory, not a pack.
	f       *os.File
	h       *b3.Hasher
	size    int
	scratch []byte
	wbuf    []byte // small blobs gather here before one write to f
	err     error  // a failed write: the Packer can only be aborted
	blobs   []BlobInfo
	done    bool
}

// NewPacker starts a pack for a backup. Add skips blobs that are already
// in the in-memory index or being packed by another Packer.
func (r *Repository) NewPacker() *Packer {
	r.mu.Lock()
	t := r.packSize
	r.mu.Unlock()
	return &Packer{r: r, target: t, h: b3.New()}
}

// NewRepacker starts a pack for prune: Add stores blobs even if the index
// already has them (prune copies live blobs out of packs it will delete);
// it still skips blobs being packed by another Packer.
func (r *Repository) NewRepacker() *Packer {
	p := r.NewPacker()
	p.repack = true
	return p
}

// Add compresses, encrypts and appends a blob whose plaintext is data and
// whose BLAKE3 hash is plain. It verifies the hash (a mismatch is an
// error, so corrupt data is never stored under a wrong name). It returns
// the number of bytes the blob occupies in the pack, or 0 if the blob was
// skipped as a duplicate (already indexed, or in flight in any Packer).
// data is not retained. A skipped blob is stored only if the Packer that
// holds it finishes successfully, so a backup must not save a snapshot if
// any of its Packers failed or was aborted.
func (p *Packer) Add(t BlobType, plain [32]byte, data []byte) (stored int, err error) {
	return p.add(t, plain, data, true)
}

// AddHashed is Add for a caller that has just computed plain from these
// very bytes (the archiver hashes every chunk as it cuts it): it skips
// hashing them a second time. Anything else must use Add.
func (p *Packer) AddHashed(t BlobType, plain [32]byte, data []byte) (stored int, err error) {
	return p.add(t, plain, data, false)
}

func (p *Packer) add(t BlobType, plain [32]byte, data []byte, verify bool) (stored int, err error) {
	switch {
	case p.done:
		return 0, errors.New("packer: Add after Finish or Abort")
	case !t.valid():
		return 0, fmt.Errorf("packer: invalid blob type %d", t)
	case len(data) > MaxBlobSize:
		return 0, fmt.Errorf("packer: blob of %d bytes exceeds limit %d", len(data), MaxBlobSize)
	case len(p.blobs) >= maxPackBlobs:
		return 0, errors.New("packer: pack has the maximum number of blobs; Finish it")
	case int64(p.size)+int64(len(data))+1024+sealOverhead > maxPackFile-maxPackHeader:
		return 0, errors.New("packer: pack would exceed the maximum pack size; Finish it")
	case p.err != nil:
		return 0, p.err
	}
	id := p.r.StoredID(plain)
	if !p.r.idx.reserve(t, id, !p.repack) {
		return 0, nil
	}
	if verify && b3.Sum256(data) != plain {
		p.r.idx.release(t, id)
		return 0, fmt.Errorf("packer: %s blob data does not hash to the given plain ID %x", t, plain[:4])
	}
	// Build nonce-slot||flag||payload in the scratch buffer and encrypt
	// it in place, then append it to the pack file.
	if p.scratch == nil {
		if b, ok := scratchPool.Get().(*[]byte); ok {
			p.scratch = *b
		}
	}
	buf := slices.Grow(p.scratch[:0], nonceSize+1+len(data)+len(data)/64+1024+tagSize)
	buf = buf[:nonceSize]
	buf, err = appendPayload(buf, data)
	if err != nil {
		p.r.idx.release(t, id)
		return 0, err
	}
	var adb [len(adBlob) + 32]byte
	buf = p.r.aead.SealInPlace(buf, 0, blobAD(&adb, id))
	p.scratch = buf
	if cap(buf) > maxPooledScratch {
		p.scratch = nil // an outsized blob: do not hold on to its buffer
	}
	off := p.size
	if err := p.write(buf); err != nil {
		p.r.idx.release(t, id)
		return 0, err
	}
	n := len(buf)
	p.blobs = append(p.blobs, BlobInfo{Type: t, ID: id, Offset: uint32(off), Length: uint32(n), RawLength: uint32(len(data))})
	return n, nil
}

// packWriteBuffer is how many bytes of small blobs a Packer gathers before
// writing them to its file: a backup of many small files would otherwise
// make one write syscall per blob.
const packWriteBuffer = 256 << 10

// write appends b to the pack, creating the file on first use. Blobs
// smaller than the write buffer are gathered there; flush writes them.
func (p *Packer) write(b []byte) error {
	if p.err != nil {
		return p.err
	}
	p.h.Write(b)
	p.size += len(b)
	if len(p.wbuf)+len(b) <= packWriteBuffer {
		if p.wbuf == nil {
			p.wbuf = make([]byte, 0, packWriteBuffer)
		}
		p.wbuf = append(p.wbuf, b...)
		return nil
	}
	if err := p.flush(); err != nil {
		return err
	}
	if len(b) < packWriteBuffer {
		p.wbuf = append(p.wbuf, b...)
		return nil
	}
	return p.writeFile(b)
}

// flush writes the gathered blobs to the pack file.
func (p *Packer) flush() error {
	if len(p.wbuf) == 0 {
		return nil
	}
	err := p.writeFile(p.wbuf)
	p.wbuf = p.wbuf[:0]
	return err
}

// writeFile appends b to the pack file, creating it on first use.
func (p *Packer) writeFile(b []byte) error {
	if p.f == nil {
		f, err := os.CreateTemp(filepath.Join(p.r.dir, dataDir), tmpPrefix+"pack-*")
		if err != nil {
			p.err = fmt.Errorf("packer: create pack file: %w", err)
			return p.err
		}
		p.f = f
	}
	if _, err := p.f.Write(b); err != nil {
		p.err = fmt.Errorf("packer: write pack: %w", err)
		return p.err
	}
	return nil
}

// Full reports whether the pack has reached its target size.
func (p *Packer) Full() bool {
	return p.size+5+len(p.blobs)*blobEntrySize >= p.target || len(p.blobs) >= maxPackBlobs
}

// Size returns the current pack size in bytes, excluding the header.
func (p *Packer) Size() int { return p.size }

// Count returns the number of blobs added.
func (p *Packer) Count() int { return len(p.blobs) }

// Finish writes the pack file (write-temp, fsync, rename, fsync dir) and
// adds its blobs to the in-memory index, so Has and LoadBlob see them at
// once. They become durable only when the PackInfo is passed to
// SaveIndex. An empty Packer writes nothing and returns a zero PackInfo.
// After Finish (successful or not) the Packer must not be used.
func (p *Packer) Finish(ctx context.Context) (PackInfo, error) {
	sp, err := p.Seal(ctx)
	if err != nil || sp == nil {
		return PackInfo{}, err
	}
	return sp.Commit()
}

// Seal writes the rest of the pack — its encrypted header and trailer —
// and lets go of the Packer's buffers: the work of finishing a pack that
// needs the CPU. What is left waits on the disk (fsync, rename, fsync of
// the directory) and is the returned SealedPack's Commit, which a backup
// runs on another goroutine while this one packs on. Until then the
// pack's blobs stay in flight: other Packers skip them, Has does not
// report them. An empty Packer seals to nil. After Seal (successful or
// not) the Packer must not be used.
func (p *Packer) Seal(ctx context.Context) (*SealedPack, error) {
	if p.done {
		return nil, errors.New("packer: finished twice")
	}
	p.done = true
	defer p.recycle()
	if len(p.blobs) == 0 {
		return nil, nil
	}
	fail := func(err error) (*SealedPack, error) {
		p.r.idx.releaseAll(p.blobs)
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if p.err != nil {
		return fail(p.err)
	}
	hdr := encodePackHeader(p.blobs)
	tail := p.r.aead.Seal(p.scratch[:0], hdr, []byte(adPackHeader))
	tail = binary.LittleEndian.AppendUint32(tail, uint32(len(tail)))
	if err := p.write(tail); err != nil {
		return fail(err)
	}
	if err := p.flush(); err != nil {
		return fail(err)
	}
	sp := &SealedPack{r: p.r, f: p.f, size: p.size, blobs: p.blobs}
	p.h.Sum(sp.id[:0])
	p.f, p.blobs = nil, nil
	return sp, nil
}

// SealedPack is a pack whose bytes are all written to its temporary file
// and which only needs to be made durable and indexed (Commit) or thrown
// away (Discard). Exactly one of the two must be called.
type SealedPack struct {
	r     *Repository
	f     *os.File
	id    ID
	size  int
	blobs []BlobInfo
}

// Commit makes the pack durable under its name — fsync, read-only,
// rename, fsync of the directory — and adds its blobs to the in-memory
// index, so Has and LoadBlob see them at once. They become durable only
// when the PackInfo is passed to SaveIndex.
func (s *SealedPack) Commit() (PackInfo, error) {
	name := s.id.String()
	if err := place(s.f, filepath.Join(s.r.dir, dataDir, name[:2]), name); err != nil {
		s.r.idx.releaseAll(s.blobs)
		return PackInfo{}, fmt.Errorf("write pack %s: %w", packRel(s.id), err)
	}
	info := PackInfo{ID: s.id, Size: int64(s.size), Blobs: s.blobs}
	s.r.idx.commitPack(info)
	return info, nil
}

// Discard removes the pack's temporary file and releases its blobs.
func (s *SealedPack) Discard() {
	dropTemp(s.f)
	s.r.idx.releaseAll(s.blobs)
}

// dropTemp closes and removes a pack's temporary file.
func dropTemp(f *os.File) {
	name := f.Name()
	f.Close()
	os.Remove(name)
}

// Abort discards the pack and releases its in-flight blobs.
func (p *Packer) Abort() {
	if p.done {
		return
	}
	p.done = true
	p.r.idx.releaseAll(p.blobs)
	p.blobs = nil
	p.recycle()
}

// place makes the finished temporary file f the pack dir/name: fsync,
// read-only, rename, fsync the directory. f is closed, and removed if it
// could not be placed.
func place(f *os.File, dir, name string) error {
	tmp := f.Name()
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o400)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// recycle drops the pack file of a Packer that did not finish, and hands
// the scratch buffer on to the next Packer.
func (p *Packer) recycle() {
	if p.f != nil {
		dropTemp(p.f)
		p.f = nil
	}
	p.wbuf = nil
	if p.scratch != nil && cap(p.scratch) <= maxPooledScratch {
		b := p.scratch[:0]
		scratchPool.Put(&b)
	}
	p.scratch = nil
}

// scratchPool passes Packers' scratch buffers, where blobs are sealed, from
// one pack to the next, so a backup's savers do not grow a new one for
// every pack. Buffers beyond maxPooledScratch (a blob much larger than
// content-defined chunks practically get, e.g. 8 MiB of zeros) are left
// to the garbage collector at once.
var scratchPool sync.Pool // of *[]byte

const maxPooledScratch = 4 << 20

// ---- reading ----

// readPackHeader reads and authenticates the header of a pack of the given
// size through ra. name is used in errors.
func (r *Repository) readPackHeader(ra io.ReaderAt, size int64, name string) ([]BlobInfo, error) {
	if size < packTrailerSize+minPackHeaderLen+minSealedBlob {
		return nil, fmt.Errorf("pack %s: %w: file size %d too small", name, ErrCorrupt, size)
	}
	if size > maxPackFile {
		return nil, fmt.Errorf("pack %s: %w: file size %d exceeds limit", name, ErrCorrupt, size)
	}
	var tr [packTrailerSize]byte
	if _, err := ra.ReadAt(tr[:], size-packTrailerSize); err != nil {
		return nil, fmt.Errorf("pack %s: read trailer: %w", name, err)
	}
	hl := int64(binary.LittleEndian.Uint32(tr[:]))
	if hl > size-packTrailerSize {
		return nil, fmt.Errorf("pack %s: %w: header length %d exceeds file size %d", name, ErrCorrupt, hl, size)
	}
	if hl < minPackHeaderLen || hl > maxPackHeader {
		return nil, fmt.Errorf("pack %s: %w: header length %d out of range", name, ErrCorrupt, hl)
	}
	sealed := make([]byte, hl)
	hstart := size - packTrailerSize - hl
	if _, err := ra.ReadAt(sealed, hstart); err != nil {
		return nil, fmt.Errorf("pack %s: read header: %w", name, err)
	}
	hdr, err := openInPlace(r.aead, sealed, []byte(adPackHeader))
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w: header: %v", name, ErrCorrupt, err)
	}
	blobs, err := decodePackHeader(hdr, hstart)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %w: %v", name, ErrCorrupt, err)
	}
	if packHeaderLen(len(blobs)) != hl {
		return nil, fmt.Errorf("pack %s: %w: header length %d, want %d", name, ErrCorrupt, hl, packHeaderLen(len(blobs)))
	}
	return blobs, nil
}

// ReadPackHeader reads, authenticates and decodes the header of pack id.
// It does not hash the whole file; use VerifyPack for that.
func (r *Repository) ReadPackHeader(ctx context.Context, id ID) (PackInfo, error) {
	if err := ctx.Err(); err != nil {
		return PackInfo{}, err
	}
	f, err := os.Open(r.packPath(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return PackInfo{}, fmt.Errorf("pack %s: %w", packRel(id), ErrNotFound)
		}
		return PackInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return PackInfo{}, err
	}
	blobs, err := r.readPackHeader(f, st.Size(), packRel(id))
	if err != nil {
		return PackInfo{}, err
	}
	return PackInfo{ID: id, Size: st.Size(), Blobs: blobs}, nil
}

// openBlob decrypts, decompresses and verifies one sealed blob. plain is
// the expected BLAKE3 of the plaintext.
func (r *Repository) openBlob(sealed []byte, b BlobInfo, plain [32]byte) ([]byte, error) {
	var adb [len(adBlob) + 32]byte
	payload, err := openInPlace(r.aead, sealed, blobAD(&adb, b.ID))
	if err != nil {
		return nil, err
	}
	data, err := decodePayload(nil, payload, int(b.RawLength))
	if err != nil {
		return nil, err
	}
	if got := b3.Sum256(data); got != plain {
		return nil, errors.New("plaintext hash mismatch")
	}
	return data, nil
}

// LoadBlob reads the blob with plain hash plain: just its byte range of
// its pack (located via the in-memory index), decrypted, decompressed and
// verified against plain. Corruption is always an error naming the pack
// and blob, never wrong data.
func (r *Repository) LoadBlob(ctx context.Context, t BlobType, plain [32]byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := r.StoredID(plain)
	pack, b, ok := r.idx.lookup(t, id)
	if !ok {
		return nil, fmt.Errorf("%s blob %s (plain %x): %w in index", t, id.Short(), plain[:4], ErrNotFound)
	}
	data, err := r.loadBlobAt(pack, b, plain)
	if err != nil {
		return nil, err
	}
	return data, nil
}

func (r *Repository) loadBlobAt(pack ID, b BlobInfo, plain [32]byte) ([]byte, error) {
	name := packRel(pack)
	f, err := os.Open(r.packPath(pack))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("pack %s: %w (needed for %s blob %s)", name, ErrNotFound, b.Type, b.ID.Short())
		}
		return nil, err
	}
	defer f.Close()
	sealed := make([]byte, b.Length)
	if _, err := f.ReadAt(sealed, int64(b.Offset)); err != nil {
		return nil, fmt.Errorf("pack %s: %s blob %s at offset %d: %w: read: %v", name, b.Type, b.ID.Short(), b.Offset, ErrCorrupt, err)
	}
	data, err := r.openBlob(sealed, b, plain)
	if err != nil {
		return nil, fmt.Errorf("pack %s: %s blob %s at offset %d: %w: %v", name, b.Type, b.ID.Short(), b.Offset, ErrCorrupt, err)
	}
	return data, nil
}

// VerifyPack reads the whole pack id and checks everything that can be
// checked without trees: the file hashes to its name, the header
// authenticates and tiles the file, and every blob authenticates,
// decompresses to its raw length and hashes to a plaintext whose keyed
// ID equals its stored ID. It returns the header on success.
func (r *Repository) VerifyPack(ctx context.Context, id ID) (PackInfo, error) {
	name := packRel(id)
	b, err := readFileLimited(r.packPath(id), maxPackFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return PackInfo{}, fmt.Errorf("pack %s: %w", name, ErrNotFound)
		}
		return PackInfo{}, err
	}
	if got := ID(b3.Sum256(b)); got != id {
		return PackInfo{}, fmt.Errorf("pack %s: %w: content hash is %s", name, ErrCorrupt, got.Short())
	}
	blobs, err := r.readPackHeader(bytesReaderAt(b), int64(len(b)), name)
	if err != nil {
		return PackInfo{}, err
	}
	for _, e := range blobs {
		if err := ctx.Err(); err != nil {
			return PackInfo{}, err
		}
		sealed := append([]byte(nil), b[e.Offset:e.Offset+e.Length]...)
		var adb [len(adBlob) + 32]byte
		payload, err := openInPlace(r.aead, sealed, blobAD(&adb, e.ID))
		if err == nil {
			var data []byte
			data, err = decodePayload(nil, payload, int(e.RawLength))
			if err == nil && r.StoredID(b3.Sum256(data)) != e.ID {
				err = errors.New("plaintext does not match stored ID")
			}
		}
		if err != nil {
			return PackInfo{}, fmt.Errorf("pack %s: %s blob %s at offset %d: %w: %v", name, e.Type, e.ID.Short(), e.Offset, ErrCorrupt, err)
		}
	}
	return PackInfo{ID: id, Size: int64(len(b)), Blobs: blobs}, nil
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off > int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
