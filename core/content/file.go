package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/holdfast/holdfast/core/content/b3"
)

// ChunkRef names one chunk of a file.
type ChunkRef struct {
	Hash   Hash // BLAKE3 of the chunk's bytes
	Length uint32
}

// FileDigest describes a file's content.
type FileDigest struct {
	Size int64
	// Content is BLAKE3 of the whole content: the file's identity, which
	// does not depend on chunk boundaries. An empty file's is BLAKE3("").
	Content Hash
	// Chunks lists the chunks in order; their lengths add up to Size. An
	// empty file has none (nil), and so has a digest of the identity only:
	// the file index keeps chunk lists of one-chunk files alone.
	Chunks []ChunkRef
}

// EmptyHash is the content hash of the empty file, BLAKE3("").
var EmptyHash = Sum(nil)

// HashFile reads the file at path once, cutting it into chunks and hashing
// each chunk and the whole content. It follows symbolic links (like
// os.Open) but refuses anything that is not a regular file, without
// blocking on FIFOs.
//
// buf is the chunker's working buffer (see NewChunker); nil allocates one.
// onChunk, if not nil, is called for every chunk in order, with Data valid
// only during the call; an error from it stops HashFile and is returned.
// Cancelling ctx stops HashFile between chunks.
func HashFile(ctx context.Context, path string, buf []byte, onChunk func(Chunk, Hash) error) (FileDigest, error) {
	f, fi, err := openRegular(path, true)
	if err != nil {
		return FileDigest{}, err
	}
	defer f.Close()
	if buf == nil {
		buf = make([]byte, BufSizeFor(fi.Size()))
	}
	d, _, err := hashReader(ctx, f, buf, onChunk)
	if err != nil {
		return FileDigest{}, fmt.Errorf("hash %s: %w", path, err)
	}
	return d, nil
}

// HashFileMeta is HashFile for a file found by a walk: it does not follow
// a symbolic link at path, and it also returns the file's metadata as
// fstat saw it just before and just after the read, so the caller can
// tell whether the file changed while it was read (compare them with
// each other or with the walk's lstat). Files shorter than MinSize — one
// chunk — take the short way on Linux: bare open, fstat, read, fstat and
// close, no os.File. buf is the reading buffer and is returned for reuse,
// possibly grown.
func HashFileMeta(ctx context.Context, path string, buf []byte, onChunk func(Chunk, Hash) error) (d FileDigest, before, after FileMeta, _ []byte, err error) {
	if err := ctx.Err(); err != nil {
		return d, before, after, buf, err
	}
	d, before, after, buf, ok, err := hashSmallFile(path, buf)
	if err != nil {
		return FileDigest{}, before, after, buf, err
	}
	if ok {
		if onChunk != nil && d.Size > 0 {
			if err := onChunk(Chunk{Length: int(d.Size), Data: buf[:d.Size:d.Size]}, d.Content); err != nil {
				return FileDigest{}, before, after, buf, err
			}
		}
		return d, before, after, buf, nil
	}
	f, fi, err := openRegular(path, false)
	if err != nil {
		return FileDigest{}, before, after, buf, err
	}
	defer f.Close()
	before = StatMeta(fi)
	if len(buf) == 0 {
		buf = make([]byte, BufSizeFor(fi.Size()))
	}
	d, buf, err = hashReader(ctx, f, buf, onChunk)
	if err != nil {
		return FileDigest{}, before, after, buf, fmt.Errorf("hash %s: %w", path, err)
	}
	if fi, err = f.Stat(); err != nil {
		return FileDigest{}, before, after, buf, err
	}
	return d, before, StatMeta(fi), buf, nil
}

// HashReader is HashFile for any stream.
func HashReader(ctx context.Context, r io.Reader, buf []byte, onChunk func(Chunk, Hash) error) (FileDigest, error) {
	d, _, err := hashReader(ctx, r, buf, onChunk)
	return d, err
}

// hashReader hashes r and also returns the chunker's buffer for reuse.
func hashReader(ctx context.Context, r io.Reader, buf []byte, onChunk func(Chunk, Hash) error) (FileDigest, []byte, error) {
	var d FileDigest
	c := NewChunker(r, buf)
	file := b3.New()
	whole := false // the file is one chunk, hashed once
	for {
		if err := ctx.Err(); err != nil {
			return FileDigest{}, c.Buffer(), err
		}
		ch, err := c.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return FileDigest{}, c.Buffer(), err
		}
		sum := Sum(ch.Data)
		if len(d.Chunks) == 0 && c.Drained() {
			// The whole file is this one chunk: its hash is the file's,
			// no need to hash the bytes a second time.
			whole = true
		} else {
			_, _ = file.Write(ch.Data)
		}
		d.Size += int64(ch.Length)
		d.Chunks = append(d.Chunks, ChunkRef{Hash: sum, Length: uint32(ch.Length)})
		if onChunk != nil {
			if err := onChunk(ch, sum); err != nil {
				return FileDigest{}, c.Buffer(), err
			}
		}
	}
	if whole {
		d.Content = d.Chunks[0].Hash
	} else {
		file.Sum(d.Content[:0])
	}
	return d, c.Buffer(), nil
}

// openRegular opens path for reading without blocking on FIFOs or devices
// and checks that it is a regular file. follow=false refuses a symbolic link
// where the caller expected a file (Unix only).
func openRegular(path string, follow bool) (*os.File, os.FileInfo, error) {
	f, err := openNonBlocking(path, follow)
	if err != nil {
		return nil, nil, err
	}
	return statRegular(f, path)
}

// statRegular stats the open file f, found at path, and closes it unless
// it is a regular file.
func statRegular(f *os.File, path string) (*os.File, os.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &os.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return f, fi, nil
}

var errNotRegular = errors.New("not a regular file")

// BufSizeFor returns the chunker buffer size that holds a file of size
// bytes and lets the chunker see its end, so small files do not cost a
// BufSize allocation: min(size+1, BufSize). The chunker grows it if the
// file grows.
func BufSizeFor(size int64) int {
	if size >= BufSize {
		return BufSize
	}
	return int(max(size, 0)) + 1
}
