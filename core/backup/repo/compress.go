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
)

var (
	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
	zstdErr  error
)

// codec returns the shared encoder and decoder. EncodeAll and DecodeAll
// are safe for concurrent use; each keeps a pool of GOMAXPROCS states.
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

// appendPayload appends flag||payload for src to dst: zstd at the default
// level if that saves at least 3%, otherwise raw. zstd detects
// incompressible blocks itself and gives up on them at ~8 GB/s (random or
// already-compressed 1 MiB chunks: ~0.13 ms, against ~0.2 ms to encrypt
// them; see BenchmarkCompress). A sampling pre-check would save ~0.09
// ms/MiB on such chunks but can permanently lose compression on chunks
// whose samples happen to look random, so every chunk is tried in full.
func appendPayload(dst, src []byte) ([]byte, error) {
	start := len(dst)
	if len(src) >= minCompressSize {
		enc, _, err := codec()
		if err != nil {
			return nil, err
		}
		dst = append(dst, flagZstd)
		dst = enc.EncodeAll(src, dst)
		if n := len(dst) - start - 1; n*keepDen <= len(src)*keepNum {
			return dst, nil
		}
		dst = dst[:start]
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
		_, dec, err := codec()
		if err != nil {
			return nil, err
		}
		start := len(dst)
		// Exactly rawLen bytes of room: with the cap limit the decoder
		// fails instead of writing more. dst's own spare room is reused
		// when it is large enough.
		var nd []byte
		if cap(dst)-start >= rawLen {
			nd = dst[: start : start+rawLen]
		} else {
			nd = make([]byte, start, start+rawLen)
			copy(nd, dst)
		}
		out, err := dec.DecodeAll(payload[1:], nd)
		if err != nil {
			return nil, fmt.Errorf("%w: zstd: %v", errBadPayload, err)
		}
		if len(out)-start != rawLen {
			return nil, fmt.Errorf("%w: decompressed to %d bytes, index says %d", errBadPayload, len(out)-start, rawLen)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unknown compression flag %d", errBadPayload, payload[0])
}
