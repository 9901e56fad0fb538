package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/zeebo/blake3"
)

// BlobLoader reads blobs like LoadBlob, reusing its buffers and keeping
// the last pack file open, for restores that read many blobs in a row.
// It is not safe for concurrent use: give each worker its own.
type BlobLoader struct {
	r      *Repository
	sealed []byte
	data   []byte
	f      *os.File
	pack   ID
}

// NewBlobLoader returns a loader; Close it when done.
func (r *Repository) NewBlobLoader() *BlobLoader { return &BlobLoader{r: r} }

// Load returns the verified plaintext of a blob. The slice is valid until
// the next call.
func (l *BlobLoader) Load(ctx context.Context, t BlobType, plain [32]byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := l.r.StoredID(plain)
	pack, b, ok := l.r.idx.lookup(t, id)
	if !ok {
		return nil, fmt.Errorf("%s blob %s (plain %x): %w in index", t, id.Short(), plain[:4], ErrNotFound)
	}
	name := packRel(pack)
	if l.f == nil || l.pack != pack {
		l.closeFile()
		f, err := os.Open(l.r.packPath(pack))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("pack %s: %w (needed for %s blob %s)", name, ErrNotFound, b.Type, b.ID.Short())
			}
			return nil, err
		}
		l.f, l.pack = f, pack
	}
	if cap(l.sealed) < int(b.Length) {
		l.sealed = make([]byte, b.Length)
	}
	sealed := l.sealed[:b.Length]
	if _, err := l.f.ReadAt(sealed, int64(b.Offset)); err != nil {
		return nil, fmt.Errorf("pack %s: %s blob %s at offset %d: %w: read: %v", name, b.Type, b.ID.Short(), b.Offset, ErrCorrupt, err)
	}
	var adb [len(adBlob) + 32]byte
	payload, err := openInPlace(l.r.aead, sealed, blobAD(&adb, b.ID))
	if err == nil {
		l.data, err = decodePayload(l.data[:0], payload, int(b.RawLength))
	}
	if err == nil && blake3.Sum256(l.data) != plain {
		err = errors.New("plaintext hash mismatch")
	}
	if err != nil {
		return nil, fmt.Errorf("pack %s: %s blob %s at offset %d: %w: %v", name, b.Type, b.ID.Short(), b.Offset, ErrCorrupt, err)
	}
	return l.data, nil
}

func (l *BlobLoader) closeFile() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// Close releases the open pack file.
func (l *BlobLoader) Close() { l.closeFile() }
