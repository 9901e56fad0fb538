package content

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
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
	if err := ensureBucket(db, bucket); err != nil {
		return nil, fmt.Errorf("content: open index %q: %w", bucket, err)
	}
	return &Index{db: db, bucket: bytes.Clone(bucket)}, nil
}

// ensureBucket creates bucket unless it exists: a read transaction first,
// because a write transaction costs a commit and its fsyncs even when it
// changes nothing, and every CLI command opens the index.
func ensureBucket(db *bolt.DB, bucket []byte) error {
	exists := false
	_ = db.View(func(tx *bolt.Tx) error {
		exists = tx.Bucket(bucket) != nil
		return nil
	})
	if exists {
		return nil
	}
	return db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	})
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

// IndexQuery is one file of a LookupDir: Name and Meta in, Hit and
// Content out. Index is the caller's, untouched.
type IndexQuery struct {
	Name    string
	Meta    FileMeta
	Index   int
	Hit     bool
	Content Hash
	// Found and Stored (LookupRecords): the index has a record of the
	// file, made when the file was Stored.
	Found  bool
	Stored FileMeta
}

// LookupDir looks up the files named in qs, all in the directory dir (an
// absolute path), in one read transaction, and sets each query's Hit and
// Content as Lookup would. Only the stored meta and content hash are
// decoded, not the chunk list: this is for scans, which need nothing else.
func (x *Index) LookupDir(dir string, qs []IndexQuery) {
	x.LookupRecords(dir, qs)
	for i := range qs {
		q := &qs[i]
		if q.Hit = q.Found && q.Stored.SameAs(q.Meta); !q.Hit {
			q.Content = Hash{}
		}
	}
}

// LookupRecords is LookupDir for a caller that has not stat'ed the files
// yet: it sets Found, and for a found file Stored and Content, so that
// only the files the index knows need a stat (Hit is when Stored.SameAs
// the file's meta).
func (x *Index) LookupRecords(dir string, qs []IndexQuery) {
	for i := range qs {
		qs[i].Found, qs[i].Hit, qs[i].Content, qs[i].Stored = false, false, Hash{}, FileMeta{}
	}
	_ = x.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(x.bucket)
		if b == nil {
			return nil
		}
		key := make([]byte, 0, len(dir)+64)
		key = append(key, dir...)
		if !strings.HasSuffix(dir, string(filepath.Separator)) {
			key = append(key, filepath.Separator)
		}
		n := len(key)
		c := b.Cursor()
		var k, v []byte
		var prev []byte // the previous query's key
		for i := range qs {
			q := &qs[i]
			key = append(key[:n], q.Name...)
			// Queries come in name order, so their keys ascend and the
			// cursor, sitting at the first key not below the previous
			// one, is at most a few Next calls away (a subdirectory's keys
			// may lie between). Seek when out of order or far.
			if k == nil || prev == nil || bytes.Compare(prev, key) >= 0 {
				k, v = c.Seek(key)
			} else {
				for steps := 0; k != nil && bytes.Compare(k, key) < 0; steps++ {
					if steps == 8 {
						k, v = c.Seek(key)
						break
					}
					k, v = c.Next()
				}
			}
			prev = append(prev[:0], key...)
			if k == nil || !bytes.Equal(k, key) {
				continue
			}
			m, h, err := decodeMetaContent(v)
			if err != nil {
				continue
			}
			q.Found, q.Stored, q.Content = true, m, h
		}
		return nil
	})
}

// decodeMetaContent decodes the meta and the content hash of a record
// (see encodeRecord), leaving its chunk list unread and unchecked.
func decodeMetaContent(b []byte) (FileMeta, Hash, error) {
	r := recordReader{b: b}
	return r.head()
}

// Put stores the digest of path as read when it had meta, in its own
// transaction. Use an IndexWriter for many puts.
func (x *Index) Put(path string, meta FileMeta, d FileDigest) error {
	v, err := encodeRecord(meta, d)
	if err == nil {
		err = checkKey(len(path))
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
// fsyncs. A full batch is committed by a goroutine of the writer's own, in
// order, while the callers go on (at most one more batch waits behind it).
// It is safe for concurrent use. Until a batch is committed its records are
// not visible to Lookup; Flush and Close commit everything queued and wait.
type IndexWriter struct {
	x       *Index
	mu      sync.Mutex
	pending []pendingOp
	err     error // first commit error; sticky
	closed  bool

	sending int        // batches being handed over outside mu; Close waits for them
	idle    *sync.Cond // on mu: sending dropped to 0
	batches chan writerBatch
	done    chan struct{} // closed when the committer exits
}

type pendingOp struct {
	key, val []byte // val nil: delete
}

type writerBatch struct {
	ops    []pendingOp
	synced chan struct{} // if not nil, closed once ops are committed
}

// Writer returns a new batching writer. Close it.
func (x *Index) Writer() *IndexWriter {
	w := &IndexWriter{x: x, batches: make(chan writerBatch, 1), done: make(chan struct{})}
	w.idle = sync.NewCond(&w.mu)
	go w.commitLoop()
	return w
}

func (w *IndexWriter) commitLoop() {
	defer close(w.done)
	for b := range w.batches {
		w.mu.Lock()
		failed := w.err != nil
		w.mu.Unlock()
		if !failed && len(b.ops) > 0 {
			if err := w.commit(b.ops); err != nil {
				w.mu.Lock()
				if w.err == nil {
					w.err = err
				}
				w.mu.Unlock()
			}
		}
		if b.synced != nil {
			close(b.synced)
		}
	}
}

// Put queues a record; see Index.Put. It returns an earlier commit error, if
// any.
func (w *IndexWriter) Put(path string, meta FileMeta, d FileDigest) error {
	return w.put([]byte(path), meta, d)
}

// PutAt is Put for the file name in the directory dir (an absolute path):
// its key is built from the parts, without the path as a string.
func (w *IndexWriter) PutAt(dir, name string, meta FileMeta, d FileDigest) error {
	key := make([]byte, 0, len(dir)+1+len(name))
	key = append(key, dir...)
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		key = append(key, filepath.Separator)
	}
	return w.put(append(key, name...), meta, d)
}

func (w *IndexWriter) put(key []byte, meta FileMeta, d FileDigest) error {
	v, err := encodeRecord(meta, d)
	if err == nil {
		err = checkKey(len(key))
	}
	if err != nil {
		return fmt.Errorf("content: index put %q: %w", abbrev(string(key)), err)
	}
	return w.add(pendingOp{key: key, val: v})
}

// Delete queues the removal of path.
func (w *IndexWriter) Delete(path string) error {
	if err := checkKey(len(path)); err != nil {
		return fmt.Errorf("content: index delete %q: %w", abbrev(path), err)
	}
	return w.add(pendingOp{key: []byte(path)})
}

// checkKey rejects paths (of n bytes) bbolt cannot store as keys, so that
// one odd path does not fail a whole batch.
func checkKey(n int) error {
	if n == 0 || n > bolt.MaxKeySize {
		return fmt.Errorf("path of %d bytes cannot be a key", n)
	}
	return nil
}

func (w *IndexWriter) add(op pendingOp) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errors.New("content: index writer is closed")
	}
	if w.err != nil {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.pending = append(w.pending, op)
	if len(w.pending) < WriterBatch {
		w.mu.Unlock()
		return nil
	}
	ops := w.pending
	w.pending = nil
	w.sendLocked(writerBatch{ops: ops})
	w.mu.Unlock()
	return nil
}

// sendLocked hands a batch to the committer, with mu held on entry and on
// return but not while it blocks (another batch already waiting).
func (w *IndexWriter) sendLocked(b writerBatch) {
	w.sending++
	w.mu.Unlock()
	w.batches <- b
	w.mu.Lock()
	if w.sending--; w.sending == 0 {
		w.idle.Broadcast()
	}
}

// Flush commits what is queued and waits for it.
func (w *IndexWriter) Flush() error {
	w.mu.Lock()
	if w.closed {
		err := w.err
		w.mu.Unlock()
		return err
	}
	ops := w.pending
	w.pending = nil
	b := writerBatch{ops: ops, synced: make(chan struct{})}
	w.sendLocked(b)
	w.mu.Unlock()
	<-b.synced
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Close commits what is queued, stops the committer and returns the first
// commit error.
func (w *IndexWriter) Close() error {
	w.mu.Lock()
	if w.closed {
		err := w.err
		w.mu.Unlock()
		return err
	}
	w.closed = true // no more sends start
	if len(w.pending) > 0 {
		ops := w.pending
		w.pending = nil
		w.sendLocked(writerBatch{ops: ops})
	}
	for w.sending > 0 {
		w.idle.Wait()
	}
	close(w.batches)
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *IndexWriter) commit(ops []pendingOp) error {
	return w.x.update(func(b *bolt.Bucket) error {
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
}
