package repo

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Blob payload flags (first plaintext byte of every sealed blob).
const (
	flagRaw  = 0
	flagZstd = 1
)

const (
	// zstdWindow matches restic's "auto" compression window.
	zstdWindow = 512 << 10
	// minCompressSize: blobs smaller than this are stored raw; the zstd
	// frame overhead eats any gain.
	minCompressSize = 64
	// A compressed payload is kept only if it is at most
	// keepNum/keepDen of the raw size (at least ~3% smaller).
	keepNum, keepDen = 97, 100
	// zstdLevel is zstd's default level (restic's "auto" with zstdWindow).
	zstdLevel = 3
)

var (
	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
	zstdErr  error
)

// codec returns the shared klauspost encoder and decoder. EncodeAll and
// DecodeAll are safe for concurrent use; each keeps a pool of GOMAXPROCS
// states.
func codec() (*zstd.Encoder, *zstd.Decoder, error) {
	zstdOnce.Do(func() {
		zstdEnc, zstdErr = zstd.NewWriter(nil,
			zstd.WithEncoderLevel(zstd.SpeedDefault),
			zstd.WithWindowSize(zstdWindow),
			// The AEAD authenticates and LoadBlob verifies BLAKE3;
			// a zstd checksum would be redundant work.
			zstd.WithEncoderCRC(false),
			zstd.WithEncoderConcurrency(0))
		if zstdErr != nil {
			return
		}
		zstdDec, zstdErr = zstd.NewReader(nil,
			zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderMaxMemory(MaxBlobSize),
			zstd.WithDecoderMaxWindow(MaxBlobSize),
			// Never decode more than the capacity we provide, which is
			// the authenticated raw length: no decompression bombs.
			zstd.WithDecodeAllCapLimit(true))
	})
	return zstdEnc, zstdDec, zstdErr
}

// A compressor appends one zstd frame of src to dst if the frame takes at
// most limit bytes and reports ok; otherwise it returns dst as it was
// (same length) and ok false.
type compressor struct {
	name   string
	append func(dst, src []byte, limit int) (out []byte, ok bool, err error)
}

// klauspostCompressor is zstd's default level in pure Go
// (github.com/klauspost/compress): restic's compressor, and Holdfast's
// where libzstd is not built in (CGO_ENABLED=0, other systems).
var klauspostCompressor = compressor{name: "klauspost/compress zstd", append: appendKlauspost}

func appendKlauspost(dst, src []byte, limit int) ([]byte, bool, error) {
	enc, _, err := codec()
	if err != nil {
		return dst, false, err
	}
	start := len(dst)
	out := enc.EncodeAll(src, dst)
	if len(out)-start > limit {
		return out[:start], false, nil
	}
	return out, true, nil
}

// blobCompressor compresses blob payloads: libzstd when the build has it
// (compress_libzstd.go replaces it at init), else klauspost. Both write
// standard zstd frames that the one decoder reads, so repositories do not
// depend on which build wrote them.
var blobCompressor = klauspostCompressor

// CompressorName says which zstd implementation this build compresses
// blobs with (for `holdfast version` and the benchmarks).
func CompressorName() string { return blobCompressor.name }

// CompressFrame appends one zstd frame of src to dst, made as blob payloads
// are (this build's compressor, zstd's default level, a 512 KiB window):
// for the benchmarks' estimate of what a data set costs to compress.
func CompressFrame(dst, src []byte) ([]byte, error) {
	out, _, err := blobCompressor.append(dst, src, len(src)+len(src)/64+1024)
	return out, err
}

// A decompressor decodes zstd frames into room, never writing past
// len(room) (a frame that decodes to more is an error; room's capacity
// must be its length), and returns how many bytes it wrote.
type decompressor struct {
	name   string
	decode func(room, frames []byte) (int, error)
}

// klauspostDecompressor decodes with klauspost/compress.
var klauspostDecompressor = decompressor{name: "klauspost/compress zstd", decode: decodeKlauspost}

func decodeKlauspost(room, frames []byte) (int, error) {
	if len(frames) == 0 {
		return 0, errors.New("empty frame")
	}
	_, dec, err := codec()
	if err != nil {
		return 0, err
	}
	// With the cap limit the decoder fails instead of growing room.
	out, err := dec.DecodeAll(frames, room[:0])
	if err != nil {
		return 0, err
	}
	if len(out) > 0 && &out[0] != &room[0] {
		return 0, errors.New("decoder outgrew its room")
	}
	return len(out), nil
}

// blobDecompressor decodes blob payloads: libzstd when the build has it,
// else klauspost.
var blobDecompressor = klauspostDecompressor

// appendPayload appends flag||payload for src to dst: zstd at the default
// level if that saves at least 3%, otherwise raw. The frame may take at
// most that many bytes, so an incompressible chunk stops the compressor
// as soon as its output overflows: zstd also emits incompressible blocks
// raw after a cheap look (random or already-compressed 1 MiB chunks: ~0.15
// ms, against ~0.2 ms to encrypt them; see BenchmarkCompress). A sampling
// pre-check would save a little more on such chunks but can permanently
// lose compression on chunks whose samples happen to look random, so
// every chunk is tried in full.
func appendPayload(dst, src []byte) ([]byte, error) {
	start := len(dst)
	if len(src) >= minCompressSize {
		out, ok, err := blobCompressor.append(append(dst, flagZstd), src, len(src)*keepNum/keepDen)
		if err != nil {
			return nil, fmt.Errorf("compress %d bytes with %s: %w", len(src), blobCompressor.name, err)
		}
		if ok {
			return out, nil
		}
		dst = out[:start]
	}
	dst = append(dst, flagRaw)
	return append(dst, src...), nil
}

var errBadPayload = errors.New("bad blob payload")

// decodePayload decodes flag||payload into dst (which is returned with
// the plaintext appended). rawLen is the authenticated expected length.
func decodePayload(dst, payload []byte, rawLen int) ([]byte, error) {
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: empty", errBadPayload)
	}
	switch payload[0] {
	case flagRaw:
		if len(payload)-1 != rawLen {
			return nil, fmt.Errorf("%w: raw length %d, index says %d", errBadPayload, len(payload)-1, rawLen)
		}
		return append(dst, payload[1:]...), nil
	case flagZstd:
		start := len(dst)
		// Exactly rawLen bytes of room: the decoder fails instead of
		// writing more. dst's own spare room is reused when it is large
		// enough.
		if cap(dst)-start < rawLen {
			nd := make([]byte, start, start+rawLen)
			copy(nd, dst)
			dst = nd
		}
		n, err := blobDecompressor.decode(dst[start:start+rawLen:start+rawLen], payload[1:])
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", errBadPayload, err)
		}
		if n != rawLen {
			return nil, fmt.Errorf("%w: decompressed to %d bytes, index says %d", errBadPayload, n, rawLen)
		}
		return dst[:start+n], nil
	}
	return nil, fmt.Errorf("%w: unknown compression flag %d", errBadPayload, payload[0])
}
