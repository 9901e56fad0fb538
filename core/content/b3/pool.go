package b3

import "sync"

// cvPool holds chaining-value buffers for one-shot sums (a 1 MiB input
// has 1024 chunks: 32 KiB of chaining values).
var cvPool sync.Pool

func getCVs(n int) *[][8]uint32 {
	if p, ok := cvPool.Get().(*[][8]uint32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([][8]uint32, n, max(n, 1024))
	return &s
}

func putCVs(p *[][8]uint32) { cvPool.Put(p) }
