//go:build linux && (amd64 || arm64)

package content

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The quick read has no stat from before the read: a file changed while
// it was read — here to other bytes of the same length, so that only its
// times tell — must be caught by its times and read again the careful
// way, never trusted or cached.
func TestScanQuickReadNoticesAChange(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int // past quickFirstRead: read into a grown buffer; past quickBufSize: hashed on
		change bool
	}{
		{"small, untouched", 3000, false},
		{"small, changed", 3000, true},
		{"past the first read, untouched", quickFirstRead + 200<<10, false},
		{"past the first read, changed", quickFirstRead + 200<<10, true},
		{"past MinSize, untouched", MinSize + 1000, false},
		{"large, untouched", quickBufSize + 4097, false},
		{"large, changed", quickBufSize + 4097, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "f")
			data := randBytes(3, tc.size)
			writeFile(t, p, data)
			var st syscall.Stat_t
			if err := syscall.Stat(p, &st); err != nil {
				t.Fatal(err)
			}
			// The clock stands just past the racy window after the file's
			// last change, so an untouched file is trusted; a change made
			// during the scan is later than the clock's start less the
			// window.
			at := time.Unix(st.Ctim.Unix()).Add(racyWindow + 10*time.Millisecond)
			changed := randBytes(4, tc.size)
			var mu sync.Mutex
			quick := 0
			x, _ := openTestIndex(t)
			opts := ScanOptions{Index: x, now: func() time.Time { return at }, betweenQuick: func(abs string) {
				mu.Lock()
				defer mu.Unlock()
				quick++
				if tc.change {
					time.Sleep(50 * time.Millisecond) // past the file system clock's tick
					if err := os.WriteFile(abs, changed, 0o644); err != nil {
						t.Error(err)
					}
				}
			}}
			tree, stats, err := Scan(context.Background(), root, opts)
			if err != nil {
				t.Fatal(err)
			}
			if quick != 1 {
				t.Fatalf("quick reads: %d, want 1", quick)
			}
			e, _ := tree.Lookup("f")
			cached, _ := x.Len()
			want, wantCached := data, 1
			if tc.change {
				want, wantCached = changed, 0 // read again; just written, so not cached
			}
			if e.Content != Sum(want) || e.Size != int64(len(want)) {
				t.Fatalf("entry %+v does not hold the bytes the file holds after the scan", e)
			}
			if cached != wantCached || len(stats.Changed) != 0 || len(stats.Errors) != 0 {
				t.Fatalf("%d cached (want %d), stats %+v", cached, wantCached, stats)
			}
			// The record, if any, says what the careful way would say.
			if d, err := HashFile(context.Background(), p, nil, nil); err != nil || d.Content != e.Content {
				t.Fatalf("HashFile: %v, %x", err, d.Content[:4])
			}
		})
	}
}
