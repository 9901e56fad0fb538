package backup

import (
	"context"

	"github.com/holdfast/holdfast/core/backup/repo"
)

// committer makes the packs a backup's savers fill durable on a goroutine
// of its own: a full pack is sealed by its saver (the part that needs the
// CPU) and its fsync, rename and directory fsync wait on the disk here,
// while the saver compresses on. With the savers blocking on every fsync
// instead, a core idled for a tenth of an initial backup.
type committer struct {
	packs chan *repo.SealedPack
	done  chan struct{}
}

// startCommitter starts the committing goroutine. A pack that cannot be
// made durable fails the backup through fail; once ctx is done, the
// packs still queued are discarded, as Finish would.
func (a *archiver) startCommitter(ctx context.Context, fail func(error)) *committer {
	// Room for a pack per saver, so a saver whose pack fills while the
	// previous one syncs does not wait.
	c := &committer{packs: make(chan *repo.SealedPack, a.opts.Workers), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for sp := range c.packs {
			if ctx.Err() != nil {
				sp.Discard()
				continue
			}
			info, err := sp.Commit()
			if err == nil {
				err = a.packWritten(ctx, info)
			}
			if err != nil {
				fail(err)
			}
		}
	}()
	return c
}

// add queues a sealed pack; it waits while the queue is full.
func (c *committer) add(ctx context.Context, sp *repo.SealedPack) error {
	select {
	case c.packs <- sp:
		return nil
	case <-ctx.Done():
		sp.Discard()
		return ctx.Err()
	}
}

// wait closes the queue and returns once every queued pack is committed
// or discarded. Nothing may be added after.
func (c *committer) wait() {
	close(c.packs)
	<-c.done
}
