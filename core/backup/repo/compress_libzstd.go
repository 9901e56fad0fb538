//go:build cgo && linux && !nolibzstd

package repo

/*
#cgo LDFLAGS: -l:libzstd.a
#include <zstd.h>
#include <zstd_errors.h>

// hf_zstd_new returns a compression context for the given level and window
// with no frame checksum, or NULL.
static ZSTD_CCtx *hf_zstd_new(int level, int windowLog) {
	ZSTD_CCtx *c = ZSTD_createCCtx();
	if (c == NULL) return NULL;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, windowLog)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1))) {
		ZSTD_freeCCtx(c);
		return NULL;
	}
	return c;
}

// hf_zstd_compress writes one frame of src into dst: its length, 0 when it
// does not fit in dstCap, or -(zstd error code) on any other failure.
static long long hf_zstd_compress(ZSTD_CCtx *c, void *dst, size_t dstCap, const void *src, size_t srcLen) {
	size_t n = ZSTD_compress2(c, dst, dstCap, src, srcLen);
	if (!ZSTD_isError(n)) return (long long)n;
	ZSTD_ErrorCode code = ZSTD_getErrorCode(n);
	if (code == ZSTD_error_dstSize_tooSmall) return 0;
	return -(long long)code;
}

// hf_zstd_decompress decodes the frames in src into dst: the length
// written, or -(zstd error code).
static long long hf_zstd_decompress(ZSTD_DCtx *d, void *dst, size_t dstCap, const void *src, size_t srcLen) {
	size_t n = ZSTD_decompressDCtx(d, dst, dstCap, src, srcLen);
	if (!ZSTD_isError(n)) return (long long)n;
	return -(long long)ZSTD_getErrorCode(n);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"math/bits"
	"sync"
	"unsafe"
)

// libzstd (the reference zstd, linked statically from Debian's
// libzstd-dev) compresses the same data at the same level and window as
// klauspost/compress 1.4–1.8 × faster and about 1 % smaller here
// (BenchmarkCompress, BENCHMARKS.md), and half of a backup's CPU is
// compression. The frames are standard zstd; the pure-Go decoder reads
// them. Decoding is about 1.1 × faster too; it only ever sees payloads the
// AEAD has authenticated, decodes into exactly the room the index
// promises, and what it writes is then checked against its BLAKE3.
func init() {
	name := fmt.Sprintf("libzstd %s", C.GoString(C.ZSTD_versionString()))
	blobCompressor = compressor{name: name, append: appendLibzstd}
	blobDecompressor = decompressor{name: name, decode: decodeLibzstd}
}

// contextPool keeps libzstd contexts for reuse (a compression context
// takes about 1.5 MiB, a decompression one about 160 KiB): one per
// concurrent caller, kept for the life of the process.
type contextPool[P comparable] struct {
	mu   sync.Mutex
	free []P
}

// get returns a kept context, or a new one from create (nil on failure).
func (p *contextPool[P]) get(create func() P) P {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		c := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		return c
	}
	p.mu.Unlock()
	return create()
}

func (p *contextPool[P]) put(c P) {
	p.mu.Lock()
	p.free = append(p.free, c)
	p.mu.Unlock()
}

var (
	compressionContexts   contextPool[*C.ZSTD_CCtx]
	decompressionContexts contextPool[*C.ZSTD_DCtx]
)

func newCompressionContext() *C.ZSTD_CCtx {
	return C.hf_zstd_new(C.int(zstdLevel), C.int(bits.Len(uint(zstdWindow))-1))
}

func newDecompressionContext() *C.ZSTD_DCtx { return C.ZSTD_createDCtx() }

// libzstdSlack is the room zstd gets beyond the limit.
const libzstdSlack = 1 << 10

func appendLibzstd(dst, src []byte, limit int) ([]byte, bool, error) {
	if len(src) == 0 || limit <= 0 {
		return dst, false, nil
	}
	c := compressionContexts.get(newCompressionContext)
	if c == nil {
		return dst, false, errors.New("libzstd: cannot create a compression context")
	}
	defer compressionContexts.put(c)
	// zstd needs a little room beyond what it finally writes (its bit
	// streams flush 8 bytes at a time), so it gets limit+slack and the
	// frame is measured against limit afterwards. Incompressible data
	// still stops it as soon as its output overflows.
	start := len(dst)
	room := min(limit+libzstdSlack, int(C.ZSTD_compressBound(C.size_t(len(src)))))
	if cap(dst)-start < room {
		grown := make([]byte, start, start+room)
		copy(grown, dst)
		dst = grown
	}
	n := C.hf_zstd_compress(c, unsafe.Pointer(unsafe.SliceData(dst[start:start+room])), C.size_t(room),
		unsafe.Pointer(unsafe.SliceData(src)), C.size_t(len(src)))
	switch {
	case n < 0:
		return dst, false, fmt.Errorf("libzstd: %s", C.GoString(C.ZSTD_getErrorString(C.ZSTD_ErrorCode(-n))))
	case n == 0 || int(n) > limit:
		return dst, false, nil
	}
	return dst[:start+int(n)], true, nil
}

func decodeLibzstd(room, frames []byte) (int, error) {
	if len(frames) == 0 {
		return 0, errors.New("empty frame")
	}
	d := decompressionContexts.get(newDecompressionContext)
	if d == nil {
		return 0, errors.New("libzstd: cannot create a decompression context")
	}
	defer decompressionContexts.put(d)
	var dst unsafe.Pointer
	if len(room) > 0 {
		dst = unsafe.Pointer(unsafe.SliceData(room))
	}
	n := C.hf_zstd_decompress(d, dst, C.size_t(len(room)), unsafe.Pointer(unsafe.SliceData(frames)), C.size_t(len(frames)))
	if n < 0 {
		return 0, errors.New(C.GoString(C.ZSTD_getErrorString(C.ZSTD_ErrorCode(-n))))
	}
	return int(n), nil
}
