package content

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Index is the file-index cache: for each absolute path, the FileMeta the
// file had when it was read and its FileDigest. A lookup hits only when the
// file's current FileMeta is SameAs the stored one, so an unchanged file is
// not read again.
//
// Records are small binary values (see encodeRecord) in one bbolt bucket,
// keyed by the absolute path's bytes. A record that cannot be decoded is a
// miss, never an error: the cache can always be rebuilt by reading files.
type Index struct {
	db     *bolt.DB
	bucket []byte
}

// OpenIndex returns the index kept in bucket of db, creating the bucket.
func OpenIndex(db *bolt.DB, bucket []byte) (*Index, error) {
	if len(bucket) == 0 {
		return nil, errors.New("content: open index: empty bucket name")
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		return nil, fmt.Errorf("content: open index %q: %w", bucket, err)
	}
	return &Index{db: db, bucket: bytes.Clone(bucket)}, nil
}

// Lookup returns the digest stored for path if the stored meta is SameAs
// meta.
func (x *Index) Lookup(path string, meta FileMeta) (FileDigest, bool) {
	var d FileDigest
	ok := false
	_ = x.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(x.bucket)
		if b == nil {
			return nil
		}
		v := b.Get([]byte(path))
		if v == nil {
			return nil
		}
		m, dd, err := decodeRecord(v) // copies out of the mmap
		if err != nil || !m.SameAs(meta) {
			return nil
		}
		d, ok = dd, true
		return nil
	})
	return d, ok
}

// Put stores the digest of path as read when it had meta, in its own
// transaction. Use an IndexWriter for many puts.
func (x *Index) Put(path string, meta FileMeta, d FileDigest) error {
	v, err := encodeRecord(meta, d)
	if err == nil {
		err = checkKey(path)
	}
	if err != nil {
		return fmt.Errorf("content: index put %q: %w", abbrev(path), err)
	}
	return x.update(func(b *bolt.Bucket) error { return b.Put([]byte(path), v) })
}

// Delete forgets path.
func (x *Index) Delete(path string) error {
	return x.update(func(b *bolt.Bucket) error { return b.Delete([]byte(path)) })
}

// Prune deletes every record whose path keep rejects, in one transaction,
// and returns how many it deleted.
func (x *Index) Prune(keep func(path string) bool) (int, error) {
	n := 0
	err := x.update(func(b *bolt.Bucket) error {
		var drop [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if !keep(string(k)) {
				drop = append(drop, bytes.Clone(k))
			}
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

// Len returns the number of records.
func (x *Index) Len() (int, error) {
	n := 0
	err := x.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(x.bucket); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

func (x *Index) update(fn func(b *bolt.Bucket) error) error {
	err := x.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(x.bucket)
		if err != nil {
			return err
		}
		return fn(b)
	})
	if err != nil {
		return fmt.Errorf("content: index %q: %w", x.bucket, err)
	}
	return nil
}

// WriterBatch is how many puts and deletes an IndexWriter collects before it
// commits them in one transaction.
const WriterBatch = 1024

// IndexWriter collects puts and deletes and commits them in batches, so that
// scanning 100,000 files is about a hundred transactions, not 100,000
// fsyncs. It is safe for concurrent use. Until a batch is committed its
// records are not visible to Lookup; Close commits the rest.
type IndexWriter struct {
	x       *Index
	mu      sync.Mutex
	pending []pendingOp
	err     error // first commit error; sticky
	closed  bool
}

type pendingOp struct {
	key, val []byte // val nil: delete
}

// Writer returns a new batching writer. Close it.
func (x *Index) Writer() *IndexWriter { return &IndexWriter{x: x} }

// Put queues a record; see Index.Put. It returns an earlier commit error, if
// any.
func (w *IndexWriter) Put(path string, meta FileMeta, d FileDigest) error {
	v, err := encodeRecord(meta, d)
	if err == nil {
		err = checkKey(path)
	}
	if err != nil {
		return fmt.Errorf("content: index put %q: %w", abbrev(path), err)
	}
	return w.add(pendingOp{key: []byte(path), val: v})
}

// Delete queues the removal of path.
func (w *IndexWriter) Delete(path string) error {
	if err := checkKey(path); err != nil {
		return fmt.Errorf("content: index delete %q: %w", abbrev(path), err)
	}
	return w.add(pendingOp{key: []byte(path)})
}

// checkKey rejects paths bbolt cannot store as keys, so that one odd path
// does not fail a whole batch.
func checkKey(path string) error {
	if path == "" || len(path) > bolt.MaxKeySize {
		return fmt.Errorf("path of %d bytes cannot be a key", len(path))
	}
	return nil
}

func (w *IndexWriter) add(op pendingOp) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errors.New("content: index writer is closed")
	}
	if w.err != nil {
		return w.err
	}
	w.pending = append(w.pending, op)
	if len(w.pending) >= WriterBatch {
		return w.flushLocked()
	}
	return nil
}

// Flush commits what is queued.
func (w *IndexWriter) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.flushLocked()
}

// Close commits what is queued and returns the first commit error.
func (w *IndexWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	return w.flushLocked()
}

func (w *IndexWriter) flushLocked() error {
	if len(w.pending) == 0 {
		return nil
	}
	ops := w.pending
	w.pending = nil
	err := w.x.update(func(b *bolt.Bucket) error {
		for _, op := range ops {
			var err error
			if op.val == nil {
				err = b.Delete(op.key)
			} else {
				err = b.Put(op.key, op.val)
			}
			if err != nil {
				return fmt.Errorf("%q: %w", op.key, err)
			}
		}
		return nil
	})
	if err != nil {
		w.err = err
	}
	return err
}
