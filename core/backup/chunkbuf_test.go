package backup

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// waitForWaiters yields until n gets are queued.
func waitForWaiters(c *chunkBuffers, n int) {
	for {
		c.mu.Lock()
		k := len(c.waiters)
		c.mu.Unlock()
		if k >= n {
			return
		}
		runtime.Gosched()
	}
}

// check asserts the invariant: lent and kept buffers fit the budget,
// except one buffer larger than the whole budget lent alone.
func (c *chunkBuffers) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lent < 0 || c.kept < 0 {
		t.Errorf("lent %d, kept %d", c.lent, c.kept)
	}
	if c.lent+c.kept > c.limit && c.kept != 0 {
		t.Errorf("lent %d + kept %d exceed the limit %d", c.lent, c.kept, c.limit)
	}
}

func TestChunkBuffersBlockUntilReturned(t *testing.T) {
	ctx := context.Background()
	c := newChunkBuffers(1 << 20)
	a, err := c.get(ctx, 600<<10)
	if err != nil || len(a) != 600<<10 {
		t.Fatalf("first get: %d bytes, %v", len(a), err)
	}
	got := make(chan []byte)
	go func() {
		b, err := c.get(ctx, 600<<10)
		if err != nil {
			t.Error(err)
		}
		got <- b
	}()
	waitForWaiters(c, 1)
	select {
	case <-got:
		t.Fatal("a second 600 KiB buffer was lent within a 1 MiB budget")
	default:
	}
	c.put(a)
	b := <-got
	if len(b) != 600<<10 {
		t.Fatalf("second get: %d bytes", len(b))
	}
	if &b[0] != &a[0] {
		t.Error("the returned buffer was not reused")
	}
	c.check(t)
	c.put(b)
	if c.lent != 0 {
		t.Errorf("lent %d after every buffer came back", c.lent)
	}
}

func TestChunkBuffersServeInOrder(t *testing.T) {
	ctx := context.Background()
	c := newChunkBuffers(1 << 20)
	a, _ := c.get(ctx, 512<<10)
	order := make(chan string, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		b, _ := c.get(ctx, 1<<20) // needs the whole budget
		order <- "large"
		c.put(b)
	}()
	waitForWaiters(c, 1)
	go func() {
		defer wg.Done()
		b, _ := c.get(ctx, 4<<10) // would fit now, but queues behind
		order <- "small"
		c.put(b)
	}()
	waitForWaiters(c, 2)
	c.put(a)
	wg.Wait()
	if first := <-order; first != "large" {
		t.Errorf("%s served first; the large request waited longer", first)
	}
	c.check(t)
}

func TestChunkBuffersLargerThanBudget(t *testing.T) {
	ctx := context.Background()
	c := newChunkBuffers(1 << 20)
	small, _ := c.get(ctx, 100<<10)
	got := make(chan []byte)
	go func() {
		b, _ := c.get(ctx, 3<<20)
		got <- b
	}()
	waitForWaiters(c, 1)
	c.put(small)
	big := <-got // lent alone, once nothing else is out
	if len(big) != 3<<20 {
		t.Fatalf("%d bytes", len(big))
	}
	c.put(big)
	c.check(t)
	if c.kept > c.limit {
		t.Errorf("kept %d bytes over a budget of %d", c.kept, c.limit)
	}
}

func TestChunkBuffersCancelledWait(t *testing.T) {
	c := newChunkBuffers(1 << 20)
	a, _ := c.get(context.Background(), 1<<20)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := c.get(ctx, 512<<10)
		errc <- err
	}()
	waitForWaiters(c, 1)
	next := make(chan []byte)
	go func() {
		b, _ := c.get(context.Background(), 512<<10)
		next <- b
	}()
	waitForWaiters(c, 2)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled get: %v", err)
	}
	c.put(a)
	c.put(<-next) // the waiter behind the cancelled one is served
	c.check(t)
	if c.lent != 0 || len(c.waiters) != 0 {
		t.Errorf("lent %d, %d waiters", c.lent, len(c.waiters))
	}
}

// Many readers and savers with random chunk sizes, some above the
// budget: every get is served, the budget holds throughout.
func TestChunkBuffersConcurrent(t *testing.T) {
	ctx := context.Background()
	c := newChunkBuffers(2 << 20)
	ch := make(chan []byte, 16)
	var readers, savers sync.WaitGroup
	for w := 0; w < 4; w++ {
		readers.Add(1)
		go func(seed uint64) {
			defer readers.Done()
			rng := rand.New(rand.NewPCG(seed, 1))
			for i := 0; i < 300; i++ {
				n := 1 + rng.IntN(1<<20)
				if i%50 == 0 {
					n = 3 << 20
				}
				b, err := c.get(ctx, n)
				if err != nil || len(b) != n {
					t.Errorf("get %d: %d bytes, %v", n, len(b), err)
					return
				}
				b[0], b[n-1] = 1, 1
				ch <- b
			}
		}(uint64(w))
	}
	for w := 0; w < 2; w++ {
		savers.Add(1)
		go func() {
			defer savers.Done()
			for b := range ch {
				c.check(t)
				c.put(b)
			}
		}()
	}
	readers.Wait()
	close(ch)
	savers.Wait()
	c.check(t)
	if c.lent != 0 {
		t.Errorf("lent %d at the end", c.lent)
	}
}

func TestBufClass(t *testing.T) {
	for _, n := range []int{1, 4 << 10, 4<<10 + 1, 8<<10 + 1, 100 << 10, 1 << 20, 1<<20 + 1, 1_300_000, 3 << 20, 8 << 20} {
		k := bufClass(n)
		if k < n || k%(4<<10) != 0 || (n > 8<<10 && 3*(k-n) > k) {
			t.Errorf("bufClass(%d) = %d", n, k)
		}
	}
}

// A backup whose chunk budget is smaller than any chunk (every chunk is
// then lent alone), or a little larger, with more workers than cores,
// finishes and restores bit for bit, files larger than the budget
// included.
func TestBackupWithTinyChunkMemory(t *testing.T) {
	ctx := context.Background()
	for _, budget := range []int{1, 600 << 10, 3 << 20} {
		r := newRepo(t)
		src := filepath.Join(t.TempDir(), "data")
		makeTree(t, src)
		for i := 0; i < 20; i++ {
			p := filepath.Join(src, "small", string(rune('a'+i))+".bin")
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, randBytes(uint64(100+i), 1000*i), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		sum, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{Workers: 3, ChunkMemory: budget})
		if err != nil {
			t.Fatalf("budget %d: %v", budget, err)
		}
		if len(sum.Errors) != 0 || sum.TotalFiles != 28 {
			t.Fatalf("budget %d: %+v", budget, sum)
		}
		target := filepath.Join(t.TempDir(), "restore")
		if _, err := Restore(ctx, reopen(t, r), RestoreArgs{Snapshot: "latest", Target: target, Verify: true}, RestoreOptions{}); err != nil {
			t.Fatal(err)
		}
		assertSameTree(t, src, filepath.Join(target, "data"))
	}
}

// A reader's batch goes to the savers when it holds blobBatchMax chunks or
// blobBatchBytes, and before the reader waits for room in the budget: the
// savers can free room only from chunks they have.
func TestBlobBatch(t *testing.T) {
	ctx := context.Background()
	out := make(chan []blobJob, 8)
	b := newBlobBatch(out, newChunkBuffers(8<<20))
	addN := func(n, size int) {
		t.Helper()
		for range n {
			data, err := b.buffer(ctx, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.add(ctx, blobJob{data: data}); err != nil {
				t.Fatal(err)
			}
		}
	}
	addN(blobBatchMax-1, 1<<10)
	if len(out) != 0 {
		t.Fatalf("a batch of %d small chunks went out early", blobBatchMax-1)
	}
	addN(1, 1<<10)
	if got := len(<-out); got != blobBatchMax {
		t.Fatalf("batch of %d chunks, want %d", got, blobBatchMax)
	}
	addN(blobBatchBytes/(64<<10), 64<<10)
	if got := len(<-out); got != blobBatchBytes/(64<<10) {
		t.Fatalf("batch of %d 64 KiB chunks, want %d", got, blobBatchBytes/(64<<10))
	}

	// A budget of two chunks: the third waits, after the two went out.
	b = newBlobBatch(out, newChunkBuffers(128<<10))
	addN(2, 64<<10)
	if len(out) != 0 {
		t.Fatal("the batch went out before the budget was short")
	}
	got := make(chan []blobJob)
	go func() {
		batch := <-out
		for _, j := range batch {
			b.bufs.put(j.data)
		}
		got <- batch
	}()
	addN(1, 64<<10) // returns once the saver above gave room back
	if n := len(<-got); n != 2 {
		t.Fatalf("the batch sent before waiting held %d chunks, want 2", n)
	}
	if err := b.flush(ctx); err != nil || len(<-out) != 1 {
		t.Fatalf("flush: %v", err)
	}

	// A canceled flush gives the batch's buffers back to the budget.
	b = newBlobBatch(make(chan []blobJob), newChunkBuffers(128<<10))
	addN(2, 64<<10)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := b.flush(canceled); err == nil {
		t.Fatal("flush with a canceled context succeeded")
	}
	if _, ok := b.bufs.tryGet(128 << 10); !ok {
		t.Error("the canceled batch's buffers were not given back")
	}
}

// Hundreds of small files, whose chunks go to the savers in batches,
// under budgets smaller than a batch and between one and two: the backup
// finishes and restores bit for bit.
func TestBackupManySmallFilesInBatches(t *testing.T) {
	ctx := context.Background()
	for _, budget := range []int{1, 64 << 10, 300 << 10} {
		for _, workers := range []int{2, 3} {
			r := newRepo(t)
			src := filepath.Join(t.TempDir(), "data")
			for i := range 400 {
				p := filepath.Join(src, fmt.Sprintf("d%02d", i%17), fmt.Sprintf("f%03d.bin", i))
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, randBytes(uint64(1000+i), 100+i*37%4000), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sum, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{Workers: workers, ChunkMemory: budget})
			if err != nil {
				t.Fatalf("budget %d, %d workers: %v", budget, workers, err)
			}
			if len(sum.Errors) != 0 || sum.TotalFiles != 400 || sum.FilesNew != 400 {
				t.Fatalf("budget %d, %d workers: %+v", budget, workers, sum)
			}
			target := filepath.Join(t.TempDir(), "restore")
			if _, err := Restore(ctx, reopen(t, r), RestoreArgs{Snapshot: "latest", Target: target, Verify: true}, RestoreOptions{}); err != nil {
				t.Fatal(err)
			}
			assertSameTree(t, src, filepath.Join(target, "data"))
		}
	}
}
