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
*/
import "C"

import (
	"fmt"
	"math/bits"
	"sync"
	"unsafe"
)

// libzstd (the reference zstd, linked statically from Debian's
// libzstd-dev) compresses the same data at the same level and window as
// klauspost/compress 1.3–1.4 × faster and about 1 % smaller here
// (BenchmarkCompress, BENCHMARKS.md), and half of a backup's CPU is
// compression. The frames are standard zstd; the pure-Go decoder reads them.
func init() {
	blobCompressor = compressor{
		name:   fmt.Sprintf("libzstd %s", C.GoString(C.ZSTD_versionString())),
		append: appendLibzstd,
	}
}

// libzstdContexts keeps compression contexts for reuse (about 1.5 MiB
// each): one per concurrent caller, kept for the life of the process.
var libzstdContexts struct {
	sync.Mutex
	free []*C.ZSTD_CCtx
}

func getLibzstdContext() (*C.ZSTD_CCtx, error) {
	libzstdContexts.Lock()
	if n := len(libzstdContexts.free); n > 0 {
		c := libzstdContexts.free[n-1]
		libzstdContexts.free = libzstdContexts.free[:n-1]
		libzstdContexts.Unlock()
		return c, nil
	}
	libzstdContexts.Unlock()
	c := C.hf_zstd_new(C.int(zstdLevel), C.int(bits.Len(uint(zstdWindow))-1))
	if c == nil {
		return nil, fmt.Errorf("libzstd: cannot create a compression context")
	}
	return c, nil
}

func putLibzstdContext(c *C.ZSTD_CCtx) {
	libzstdContexts.Lock()
	libzstdContexts.free = append(libzstdContexts.free, c)
	libzstdContexts.Unlock()
}

// libzstdSlack is the room zstd gets beyond the limit.
const libzstdSlack = 1 << 10

func appendLibzstd(dst, src []byte, limit int) ([]byte, bool, error) {
	if len(src) == 0 || limit <= 0 {
		return dst, false, nil
	}
	c, err := getLibzstdContext()
	if err != nil {
		return dst, false, err
	}
	defer putLibzstdContext(c)
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
