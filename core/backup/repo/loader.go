package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/holdfast/holdfast/core/content/b3"
)

// loaderOpenPacks is how many pack files one BlobLoader keeps open. A
// backup's workers fill packs side by side, so the files of one directory
// alternate between a few packs; keeping several open saves an open and a
// close (and Go's poller probing) per blob on a restore.
const loaderOpenPacks = 8

// BlobLoader reads blobs like LoadBlob, reusing its buffers and keeping
// the last few pack files open, for restores that read many blobs in a
// row. It is not safe for concurrent use: give each worker its own.
type BlobLoader struct {
	r      *Repository
	sealed []byte
	data   []byte
	open   []openPack // most recently used last
}

// openPack is a pack file a BlobLoader keeps open.
type openPack struct {
	id ID
	f  *os.File
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
	f, err := l.packFile(pack)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("pack %s: %w (needed for %s blob %s)", name, ErrNotFound, b.Type, b.ID.Short())
		}
		return nil, err
	}
	if cap(l.sealed) < int(b.Length) {
		l.sealed = make([]byte, b.Length)
	}
	sealed := l.sealed[:b.Length]
	if _, err := f.ReadAt(sealed, int64(b.Offset)); err != nil {
		return nil, fmt.Errorf("pack %s: %s blob %s at offset %d: %w: read: %v", name, b.Type, b.ID.Short(), b.Offset, ErrCorrupt, err)
	}
	var adb [len(adBlob) + 32]byte
	payload, err := openInPlace(l.r.aead, sealed, blobAD(&adb, b.ID))
	if err == nil {
		l.data, err = decodePayload(l.data[:0], payload, int(b.RawLength))
	}
	if err == nil && b3.Sum256(l.data) != plain {
		err = errors.New("plaintext hash mismatch")
	}
	if err != nil {
		return nil, fmt.Errorf("pack %s: %s blob %s at offset %d: %w: %v", name, b.Type, b.ID.Short(), b.Offset, ErrCorrupt, err)
	}
	return l.data, nil
}

// packFile returns the open file of a pack, opening it (and closing the
// least recently used one) when it is not among the open ones.
func (l *BlobLoader) packFile(pack ID) (*os.File, error) {
	for i := len(l.open) - 1; i >= 0; i-- {
		if op := l.open[i]; op.id == pack {
			if i != len(l.open)-1 {
				copy(l.open[i:], l.open[i+1:])
				l.open[len(l.open)-1] = op
			}
			return op.f, nil
		}
	}
	f, err := os.Open(l.r.packPath(pack))
	if err != nil {
		return nil, err
	}
	if len(l.open) == loaderOpenPacks {
		l.open[0].f.Close()
		l.open = append(l.open[:0], l.open[1:]...)
	}
	l.open = append(l.open, openPack{pack, f})
	return f, nil
}

// Close releases the open pack files.
func (l *BlobLoader) Close() {
	for _, op := range l.open {
		op.f.Close()
	}
	l.open = nil
}
