//go:build cgo && linux && !nolibzstd

package repo

import (
	"strings"
	"testing"
)

// A cgo build on Linux compresses with libzstd: a build that silently
// fell back to the slower encoder would still pass every other test.
func TestCgoBuildCompressesWithLibzstd(t *testing.T) {
	if !strings.HasPrefix(CompressorName(), "libzstd ") {
		t.Fatalf("compressor %q, want libzstd", CompressorName())
	}
}
