package backup

import (
	"context"
	"math/bits"
	"slices"
	"sync"
)

// chunkBuffers lends the buffers into which readers copy new chunks, and
// takes them back once a saver has packed the chunk. One byte budget
// bounds the capacity of the buffers lent out plus those kept for reuse,
// so the chunks between readers and savers cost at most limit bytes
// whatever their sizes: many small chunks flow freely, a few large ones
// make the readers wait for the savers.
//
// Requests are served in order, so a large chunk waiting for room is not
// overtaken forever by small ones. A chunk larger than the whole budget is
// lent when nothing else is out (the budget then holds just that chunk),
// so no size blocks for ever; the savers never wait on the budget, so the
// readers always get room back.
type chunkBuffers struct {
	limit int

	mu      sync.Mutex
	lent    int      // capacity of the buffers lent out
	kept    int      // capacity of the buffers in free
	free    [][]byte // returned buffers, oldest first
	waiters []*bufWaiter
}

// bufWaiter is a get waiting for room.
type bufWaiter struct {
	n     int
	buf   []byte
	ready chan struct{} // closed once buf is lent
}

// maxKeptBuffers bounds the free list, so picking a buffer stays cheap
// when thousands of small files go through.
const maxKeptBuffers = 32

func newChunkBuffers(limit int) *chunkBuffers {
	return &chunkBuffers{limit: max(limit, 1)}
}

// get returns a buffer of length n, waiting while lending it would exceed
// the budget. It fails only when ctx is done.
func (c *chunkBuffers) get(ctx context.Context, n int) ([]byte, error) {
	c.mu.Lock()
	if len(c.waiters) == 0 {
		if buf, ok := c.tryLend(n); ok {
			c.mu.Unlock()
			return buf, nil
		}
	}
	w := &bufWaiter{n: n, ready: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	select {
	case <-w.ready:
		return w.buf, nil
	case <-ctx.Done():
	}
	c.mu.Lock()
	select {
	case <-w.ready:
		// Lent just as ctx ended: hand it back.
		c.mu.Unlock()
		c.put(w.buf)
		return nil, ctx.Err()
	default:
	}
	i := slices.Index(c.waiters, w)
	c.waiters = slices.Delete(c.waiters, i, i+1)
	if i == 0 {
		// The next in line may fit where this one did not.
		c.grant()
	}
	c.mu.Unlock()
	return nil, ctx.Err()
}

// tryGet is get when it need not wait: ok is false when the budget has
// no room (or others wait for it).
func (c *chunkBuffers) tryGet(n int) (buf []byte, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) > 0 {
		return nil, false
	}
	return c.tryLend(n)
}

// put returns a buffer from get.
func (c *chunkBuffers) put(buf []byte) {
	size := cap(buf)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lent -= size
	if c.lent+c.kept+size <= c.limit {
		if len(c.free) == maxKeptBuffers {
			c.drop(0)
		}
		c.free = append(c.free, buf[:0])
		c.kept += size
	}
	c.grant()
}

// grant lends buffers to the waiters, in order, while they fit.
func (c *chunkBuffers) grant() {
	for len(c.waiters) > 0 {
		w := c.waiters[0]
		buf, ok := c.tryLend(w.n)
		if !ok {
			return
		}
		w.buf = buf
		close(w.ready)
		c.waiters[0] = nil
		c.waiters = c.waiters[1:]
	}
}

// tryLend lends a buffer of length n if the budget has room: the smallest
// kept buffer that holds n without wasting more than about half of
// itself, else a new one (dropping kept buffers to make room).
func (c *chunkBuffers) tryLend(n int) ([]byte, bool) {
	best := -1
	for i, b := range c.free {
		if k := cap(b); k >= n && k <= 2*bufClass(n) && (best < 0 || k < cap(c.free[best])) {
			best = i
		}
	}
	size := bufClass(n)
	if best >= 0 {
		size = cap(c.free[best])
	}
	if c.lent > 0 && c.lent+size > c.limit {
		return nil, false
	}
	var buf []byte
	if best >= 0 {
		buf = c.free[best][:n]
		c.free = slices.Delete(c.free, best, best+1)
		c.kept -= size
	} else {
		for len(c.free) > 0 && c.lent+c.kept+size > c.limit {
			c.drop(0)
		}
		buf = make([]byte, n, size)
	}
	c.lent += size
	return buf, true
}

// drop forgets kept buffer i; the garbage collector takes it.
func (c *chunkBuffers) drop(i int) {
	c.kept -= cap(c.free[i])
	c.free = slices.Delete(c.free, i, i+1)
}

// bufClass is the capacity of a new buffer for n bytes: n rounded up to a
// multiple of a quarter of the power of two at or above it, or of 4 KiB
// if that is more. Chunks of
// a large file, 512 KiB to about 3 MiB, then come in a dozen capacities,
// and a kept buffer takes any request from half its size up, so buffers
// are reused rather than made anew; above 8 KiB none wastes more than a
// third of itself.
func bufClass(n int) int {
	if n <= 4<<10 {
		return 4 << 10
	}
	step := max(1<<bits.Len(uint(n-1))/4, 4<<10)
	return (n + step - 1) / step * step
}
