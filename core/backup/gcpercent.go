package backup

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
)

// While a backup reads files, most of its heap is a fixed set of large
// buffers (chunker buffers, chunks on their way to the savers, sealed
// blobs) that are reused, not garbage. With the default GOGC=100 the
// garbage collector would let the heap grow by as much again as all of it,
// buffers included, before collecting: on a 2-core machine about 45 MiB
// live became a 90 MiB heap. readingGCPercent keeps GOGC's headroom for
// the rest of the heap only: the heap goal becomes about
// 2·base + buffers instead of 2·(base + buffers), base being the heap live
// when reading starts (the scanned tree, the index, and in the engine
// everything else the process holds), never taken below minGCBase so that
// collections stay rare. The setting is process-wide, so it is held only
// while files are read and given back afterwards; with several backups
// at once the least aggressive one wins, and a GOGC set lower by the user
// (or off) is left alone.
func readingGCPercent(buffers int) int {
	base := max(liveHeap(), minGCBase)
	return max(int(100*base/(base+uint64(buffers))), 10)
}

const minGCBase = 16 << 20

// liveHeap is the heap marked live by the last garbage collection.
func liveHeap() uint64 { return readMetric("/gc/heap/live:bytes") }

// readMetric reads one runtime metric of kind uint64 (0 if it is unknown).
func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

var gcHold struct {
	mu       sync.Mutex
	held     []*int // requested percentages of the running holders
	original int    // GOGC before the first holder
}

// holdGCPercent sets GOGC to p, or to the highest p of the holders at the
// time, until release is called; it never raises GOGC above what the
// process had before.
func holdGCPercent(p int) (release func()) {
	h := &p
	gcHold.mu.Lock()
	defer gcHold.mu.Unlock()
	if len(gcHold.held) == 0 {
		gcHold.original = currentGCPercent()
	}
	gcHold.held = append(gcHold.held, h)
	applyGCHold()
	var once sync.Once
	return func() {
		once.Do(func() {
			gcHold.mu.Lock()
			defer gcHold.mu.Unlock()
			gcHold.held = slices.DeleteFunc(gcHold.held, func(x *int) bool { return x == h })
			if len(gcHold.held) == 0 {
				debug.SetGCPercent(gcHold.original)
				return
			}
			applyGCHold()
		})
	}
}

// currentGCPercent is GOGC as the runtime has it now (-1 when off).
func currentGCPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	if v := s[0].Value.Uint64(); v <= math.MaxInt32 {
		return int(v)
	}
	return -1
}

func applyGCHold() {
	if gcHold.original < 0 {
		return // collection is off: nothing to tune
	}
	p := 0
	for _, x := range gcHold.held {
		p = max(p, *x)
	}
	debug.SetGCPercent(min(p, gcHold.original))
}
