package backup

import "context"

// batcher gathers items and sends them down out a batch at a time, once
// it holds maxItems items or maxBytes of their sizes: one channel send,
// and at most one receiver woken, per batch rather than per item (a tree
// of small files is thousands of tiny chunks, and waking a thread is not
// free).
type batcher[T any] struct {
	out                chan<- []T
	maxItems, maxBytes int
	items              []T
	bytes              int
}

// add puts an item of size bytes in the batch and sends the batch when it
// is full. When ctx ends first, it returns the items it could not send
// (theirs to release) with ctx's error.
func (b *batcher[T]) add(ctx context.Context, item T, size int) ([]T, error) {
	b.items = append(b.items, item)
	b.bytes += size
	if len(b.items) >= b.maxItems || b.bytes >= b.maxBytes {
		return b.flush(ctx)
	}
	return nil, nil
}

// flush sends what the batch holds; see add for when ctx ends first.
func (b *batcher[T]) flush(ctx context.Context) ([]T, error) {
	items := b.items
	b.items, b.bytes = nil, 0 // a sent slice is the receiver's now
	if len(items) == 0 {
		return nil, nil
	}
	select {
	case b.out <- items:
		return nil, nil
	case <-ctx.Done():
		return items, ctx.Err()
	}
}
