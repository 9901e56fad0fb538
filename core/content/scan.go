package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/holdfast/holdfast/core/content/b3"
)

// ScanOptions tune Scan.
type ScanOptions struct {
	// Exclude, if set, is asked about every entry before it is looked at,
	// with its slash-separated path relative to the root; true leaves it
	// (and, for a directory, everything below) out of the tree. Calls are
	// serialized: it is called from one goroutine at a time.
	Exclude func(relPath string, isDir bool) bool
	// Index, if set, is the file-index cache: files whose FileMeta is
	// SameAs the cached one are not read, and every file read is stored.
	Index *Index
	// Workers is how many files are read and hashed at once; 0 means
	// runtime.NumCPU(). Each worker holds a buffer of up to BufSize.
	Workers int
	// Walkers is how many directories are listed and their entries
	// stat'ed at once; 0 means min(runtime.NumCPU(), 4).
	Walkers int
	// Rehash reads every file, ignoring (but refreshing) the Index: a deep
	// verify, which finds content changes that left size, times and inode
	// alone, such as bit rot.
	Rehash bool
	// Progress, if set, is called with a snapshot of the statistics about
	// every 100 ms while the scan runs, from one goroutine at a time, and
	// never after Scan returns.
	Progress func(ScanStats)

	now       func() time.Time // tests move the clock to defeat the racy-file rule
	afterRead func(abs string) // tests change files between reading and the second stat
	// betweenQuick runs in hashQuick between the first read and the
	// fstat; tests change files there.
	betweenQuick func(abs string)
}

// ScanStats count what a scan saw and did.
type ScanStats struct {
	Files       int   // regular files in the tree
	Dirs        int   // directories in the tree, the root included
	Bytes       int64 // total size of the files in the tree
	HashedFiles int   // files that were read (cache misses)
	HashedBytes int64 // bytes read, re-reads included
	// Errors lists what could not be read, by relative path. Those entries
	// are left out of the tree (an unreadable directory with everything
	// below it); the scan goes on. A failure to update the Index is listed
	// with the path of the file it was about.
	Errors []PathError
	// Changed lists files that changed while being read, twice in a row.
	// They are in the tree with the content of the last read, which may
	// be torn, and are not cached.
	Changed []string
}

// PathError is a per-path failure during a scan.
type PathError struct {
	Path string // slash-separated, relative to the scanned root
	Err  error
}

func (e PathError) Error() string {
	p := e.Path
	if p == "" {
		p = "."
	}
	return p + ": " + e.Err.Error()
}

func (e PathError) Unwrap() error { return e.Err }

// racyWindow covers file system timestamp granularity (a clock tick on
// Linux, 1 s on HFS+, 2 s on FAT). A file whose mtime or ctime falls within
// it before the moment it was read could be written again without its
// times changing, so it is not cached ("racy git"); it is read again by the
// next scan instead.
const racyWindow = 2 * time.Second

// Scan builds the tree of the folder at root. Root may be a symbolic link
// to a directory; below it, symbolic links are recorded, never followed.
// Files are read by a pool of workers, through opts.Index when given.
// Unreadable entries are listed in the stats' Errors and left out of the
// tree; Scan itself fails only if root cannot be read or ctx is cancelled.
func Scan(ctx context.Context, root string, opts ScanOptions) (*Tree, ScanStats, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, ScanStats{}, fmt.Errorf("scan %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, ScanStats{}, fmt.Errorf("scan: %w", err)
	}
	if !fi.IsDir() {
		return nil, ScanStats{}, fmt.Errorf("scan %s: not a directory", abs)
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.Walkers <= 0 {
		opts.Walkers = min(runtime.NumCPU(), 4)
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &scanner{
		ctx:  ctx,
		opts: opts,
		jobs: make(chan hashJob, 4*opts.Workers),
	}
	if opts.Index != nil {
		s.writer = opts.Index.Writer()
	}

	if opts.Progress != nil {
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					opts.Progress(s.snapshot())
				case <-stop:
					return
				}
			}
		}()
		defer func() { close(stop); <-stopped }()
	}

	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Go(s.worker)
	}
	rootNode := &dirNode{dir: &Dir{Path: ""}, abs: abs}
	walkErr := s.walkAll(rootNode)
	close(s.jobs)
	wg.Wait()
	if s.writer != nil {
		if err := s.writer.Close(); err != nil {
			s.indexError("", err)
		}
	}
	if walkErr == nil {
		walkErr = ctx.Err()
	}
	if walkErr != nil {
		return nil, s.snapshot(), walkErr
	}
	return s.finish(), s.snapshot(), nil
}

type scanner struct {
	ctx    context.Context
	opts   ScanOptions
	jobs   chan hashJob
	writer *IndexWriter

	excludeMu sync.Mutex // serializes opts.Exclude

	mu          sync.Mutex
	nodes       []*dirNode // directories, every parent before its children
	stats       ScanStats
	indexFailed bool
}

// dirNode is a directory being scanned.
type dirNode struct {
	dir   *Dir
	abs   string
	entry *Entry // this directory's entry in its parent; nil for the root
}

// hashJob is a file to read; the worker fills in *entry, or marks it
// dropped (Type 0) if the file cannot be read.
type hashJob struct {
	entry     *Entry
	dir       *openDir // holds a reference (release) until the job is done
	name      string
	parentAbs string // the directory's absolute path
	parentRel string // and its path in the tree
}

// abs and rel are the file's paths, made when needed: most files need
// neither (the index key is built from the parts).
func (j *hashJob) abs() string { return joinAbs(j.parentAbs, j.name) }
func (j *hashJob) rel() string { return joinRel(j.parentRel, j.name) }

// release drops a reference to the open directory: the walker that listed
// it holds one, and every file queued from it one more, so that workers
// open files relative to it. The last one closes it.
func (d *openDir) release() {
	if d.refs.Add(-1) == 0 {
		d.Close()
	}
}

// walkAll lists every directory from root down with opts.Walkers
// goroutines, one directory at a time each, and returns the first error
// that must stop the scan.
func (s *scanner) walkAll(root *dirNode) error {
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		queue   = []*dirNode{root}
		pending = 1 // directories queued or being listed
		first   error
	)
	var wg sync.WaitGroup
	for range s.opts.Walkers {
		wg.Go(func() {
			l := &lister{}
			for {
				mu.Lock()
				for len(queue) == 0 && pending > 0 && first == nil {
					cond.Wait()
				}
				if first != nil || pending == 0 {
					mu.Unlock()
					return
				}
				n := queue[len(queue)-1] // depth first: bounded queue, warm dentries
				queue = queue[:len(queue)-1]
				mu.Unlock()
				subs, err := s.walk(l, n)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				// Children go on in reverse, so they are taken in name order.
				for i := len(subs) - 1; i >= 0; i-- {
					queue = append(queue, subs[i])
				}
				pending += len(subs) - 1
				cond.Broadcast()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

// lister holds one walker's reusable buffers.
type lister struct {
	look   []IndexQuery
	files  []pendingFile
	kept   []dirEntry
	dirBuf []byte // readDir's buffer
}

type pendingFile struct {
	i int // into entries
}

// walk lists node's directory, fills in its entries (from the cache where
// possible) and queues the files to read. It returns the subdirectories to
// walk, and an error only when the scan must stop.
func (s *scanner) walk(l *lister, node *dirNode) ([]*dirNode, error) {
	if err := s.ctx.Err(); err != nil {
		return nil, err
	}
	dir, des, err := readDir(node.abs, &l.dirBuf)
	if err != nil {
		if node.entry == nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		node.entry.Type = 0
		if !errors.Is(err, fs.ErrNotExist) {
			s.addError(node.dir.Path, err)
		}
		return nil, nil
	}
	dir.refs.Store(1)
	defer dir.release()
	s.mu.Lock()
	s.nodes = append(s.nodes, node) // before its children are queued
	s.stats.Dirs++
	s.mu.Unlock()

	entries := make([]Entry, 0, len(des))
	files := l.files[:0]
	look := l.look[:0]
	var subdirs []int
	// The names the scan keeps, and for regular files the index's record
	// of them, looked up in one read transaction before any stat: a file
	// the index does not know (a first scan, or no index) needs no lstat
	// here, since the worker that reads it fstat's it anyway and fills in
	// its size, mode and time.
	kept := l.kept[:0]
	for _, de := range des {
		if s.opts.Exclude != nil {
			s.excludeMu.Lock()
			skip := s.opts.Exclude(joinRel(node.dir.Path, de.Name()), de.IsDir())
			s.excludeMu.Unlock()
			if skip {
				continue
			}
		}
		kept = append(kept, de)
	}
	indexed := s.opts.Index != nil && !s.opts.Rehash
	if indexed {
		for i, de := range kept {
			if de.Type().IsRegular() {
				look = append(look, IndexQuery{Name: de.Name(), Index: i})
			}
		}
		if len(look) > 0 {
			s.opts.Index.LookupRecords(node.abs, look)
		}
	}
	hits, hitBytes := 0, int64(0)
	q := 0 // the next query in look, which follows kept's order
	for i, de := range kept {
		if err := s.ctx.Err(); err != nil {
			return nil, err
		}
		name := de.Name()
		var rec *IndexQuery
		if q < len(look) && look[q].Index == i {
			rec = &look[q]
			q++
		}
		if de.Type().IsRegular() && (rec == nil || !rec.Found) {
			files = append(files, pendingFile{i: len(entries)})
			entries = append(entries, Entry{Name: name, Type: TypeFile})
			continue
		}
		mode, meta, err := lstatEntry(dir, name)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) { // vanished since the listing: not there
				s.addError(joinRel(node.dir.Path, name), err)
			}
			continue
		}
		e := Entry{Name: name, Mode: UnixMode(mode), ModTime: meta.ModTime}
		switch {
		case mode.IsRegular():
			e.Type, e.Size = TypeFile, meta.Size
			if rec != nil && rec.Found && rec.Stored.SameAs(meta) {
				e.Content = rec.Content
				hits++
				hitBytes += meta.Size
			} else {
				files = append(files, pendingFile{i: len(entries)})
			}
		case mode.IsDir():
			e.Type = TypeDir
			subdirs = append(subdirs, len(entries))
		case mode&fs.ModeSymlink != 0:
			target, err := readlinkAt(dir, name)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					s.addError(joinRel(node.dir.Path, name), err)
				}
				continue
			}
			e.Type, e.Mode, e.Target, e.Content = TypeSymlink, 0, target, Sum([]byte(target))
		default:
			e.Type = TypeOther
		}
		entries = append(entries, e)
	}
	if hits > 0 {
		s.count(func(st *ScanStats) { st.Files += hits; st.Bytes += hitBytes })
	}
	l.kept = kept[:0]
	l.files, l.look = files[:0], look[:0]
	// entries is final now; workers may write to its elements.
	node.dir.Entries = entries
	for _, f := range files {
		name := entries[f.i].Name
		dir.refs.Add(1)
		select {
		case s.jobs <- hashJob{entry: &entries[f.i], dir: dir, name: name, parentAbs: node.abs, parentRel: node.dir.Path}:
		case <-s.ctx.Done():
			dir.release()
			return nil, s.ctx.Err()
		}
	}
	subs := make([]*dirNode, 0, len(subdirs))
	for _, i := range subdirs {
		e := &entries[i]
		subs = append(subs, &dirNode{
			dir:   &Dir{Path: joinRel(node.dir.Path, e.Name)},
			abs:   joinAbs(node.abs, e.Name),
			entry: e,
		})
	}
	return subs, nil
}

// worker reads and hashes queued files.
func (s *scanner) worker() {
	var buf []byte
	for j := range s.jobs {
		if s.ctx.Err() != nil {
			j.dir.release()
			continue // drain
		}
		s.hashJob(&j, &buf)
		j.dir.release()
	}
}

// dropFile leaves a file that could not be read out of the tree, and
// reports why unless it vanished or the scan was cancelled.
func (s *scanner) dropFile(j *hashJob, err error) {
	j.entry.Type = 0
	if !errors.Is(err, fs.ErrNotExist) && s.ctx.Err() == nil {
		s.addError(j.rel(), err)
	}
}

func (s *scanner) hashJob(j *hashJob, buf *[]byte) {
	e := j.entry
	var (
		d       FileDigest
		meta    FileMeta
		start   time.Time
		changed bool
	)
	for attempt := 0; ; attempt++ {
		start = s.opts.now()
		cutoff := start.Add(-racyWindow).UnixNano() // times at or past it are racy
		if attempt == 0 && s.opts.afterRead == nil && (e.ModTime == 0 || e.ModTime < cutoff) {
			// A file the walk did not stat (the index does not know it)
			// or saw unchanged for a while: most likely trusted without
			// an fstat before the read.
			var ok bool
			var hashed int64
			var err error
			d, meta, hashed, *buf, ok, err = hashQuick(s.ctx, j.dir, j.name, j.parentAbs, *buf, cutoff, s.opts.betweenQuick)
			s.count(func(st *ScanStats) { st.HashedBytes += hashed })
			if err != nil {
				s.dropFile(j, err)
				return
			}
			if ok {
				break
			}
		}
		if e.Size < MinSize && s.opts.afterRead == nil {
			// The careful way for a small file: open, fstat, read,
			// fstat, close, the two fstats compared.
			var before, after FileMeta
			var ok bool
			var err error
			d, before, after, *buf, ok, err = hashSmallFileAt(j.dir, j.name, j.abs(), *buf)
			if err != nil {
				s.dropFile(j, err)
				return
			}
			if ok {
				s.count(func(st *ScanStats) { st.HashedBytes += d.Size })
				meta = after
				if before.unchangedWhileRead(after) && d.Size == after.Size {
					break
				}
				if attempt == 1 {
					changed = true
					break
				}
				continue
			}
		}
		f, fi, err := openRegularAt(j.dir, j.name, j.abs())
		if err != nil {
			s.dropFile(j, err)
			return
		}
		before := StatMeta(fi)
		if need := min(BufSizeFor(before.Size), identityBufSize); len(*buf) < need {
			*buf = make([]byte, max(need, 64<<10))
		}
		d, *buf, err = hashScanned(s.ctx, f, before.Size, *buf)
		if s.opts.afterRead != nil {
			s.opts.afterRead(j.abs())
		}
		var after FileMeta
		if err == nil {
			fi, err = f.Stat()
			if err == nil {
				after = StatMeta(fi)
			}
		}
		f.Close()
		if err != nil {
			s.dropFile(j, err)
			return
		}
		s.count(func(st *ScanStats) { st.HashedBytes += d.Size })
		meta = after
		if before.unchangedWhileRead(after) && d.Size == after.Size {
			break
		}
		if attempt == 1 {
			changed = true
			break
		}
	}
	e.Size, e.ModTime, e.Mode, e.Content = d.Size, meta.ModTime, UnixMode(fs.FileMode(meta.Mode)), d.Content
	s.count(func(st *ScanStats) {
		st.Files++
		st.Bytes += d.Size
		st.HashedFiles++
		if changed {
			st.Changed = append(st.Changed, j.rel())
		}
	})
	if changed || s.writer == nil {
		return
	}
	cutoff := start.Add(-racyWindow).UnixNano()
	if meta.ModTime >= cutoff || meta.CTime >= cutoff {
		return // racy: could change again without its times changing
	}
	if err := s.writer.PutAt(j.parentAbs, j.name, meta, d); err != nil {
		s.indexError(j.rel(), err)
	}
}

// dirEntry is one name of a directory listing, with its type as the
// listing tells it (fs.ModeDir, fs.ModeSymlink…; 0 for a regular file).
type dirEntry struct {
	name string
	typ  fs.FileMode
}

func (d dirEntry) Name() string      { return d.name }
func (d dirEntry) IsDir() bool       { return d.typ.IsDir() }
func (d dirEntry) Type() fs.FileMode { return d.typ }

// sortEntries puts a listing in name order.
func sortEntries(des []dirEntry) {
	slices.SortFunc(des, func(a, b dirEntry) int { return strings.Compare(a.name, b.name) })
}

// hashScanned hashes the open file f, of size bytes when it was opened,
// for the file index. A file shorter than MinSize is one chunk, whose hash
// is the file's content hash: it is read in one go and hashed once, and
// its digest lists that chunk. A longer one (or one that grew past size)
// gets its identity only — size and content hash, no chunk list (see
// hashIdentity) — which is all a compare needs: cutting it into chunks
// would cost a second pass of BLAKE3 over its bytes and the cut-point
// search.
func hashScanned(ctx context.Context, f *os.File, size int64, buf []byte) (FileDigest, []byte, error) {
	if size >= 0 && size < MinSize {
		need := int(size) + 1 // one more byte to see the end
		if len(buf) < need {
			buf = make([]byte, max(need, 64<<10))
		}
		n, err := io.ReadFull(f, buf[:need])
		switch {
		case err == io.ErrUnexpectedEOF || err == io.EOF:
			return wholeDigest(buf[:n]), buf, nil
		case err != nil:
			return FileDigest{}, buf, err
		}
		// It grew while being read: start over, the long way.
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return FileDigest{}, buf, err
		}
	}
	return hashIdentity(ctx, f, buf)
}

// scannedDigest is the digest a scan records for a file of size bytes
// whose content hash is sum: a file shorter than MinSize is one chunk,
// whose hash is the file's; a longer one gets its identity only.
func scannedDigest(size int64, sum Hash) FileDigest {
	d := FileDigest{Size: size, Content: sum}
	if size > 0 && size < MinSize {
		d.Chunks = []ChunkRef{{Hash: sum, Length: uint32(size)}}
	}
	return d
}

// wholeDigest is scannedDigest for a file whose bytes are all of b.
func wholeDigest(b []byte) FileDigest { return scannedDigest(int64(len(b)), Sum(b)) }

// identityBufSize is the read buffer of hashIdentity: large enough that
// BLAKE3 hashes many 1 KiB chunks per call, small enough that the scan's
// workers stay light.
const identityBufSize = 1 << 20

// hashIdentity reads r to its end and returns its size and content hash,
// without cutting chunks (Chunks is nil).
func hashIdentity(ctx context.Context, r io.Reader, buf []byte) (FileDigest, []byte, error) {
	if len(buf) < 64<<10 {
		buf = make([]byte, identityBufSize)
	}
	h := b3.New()
	var d FileDigest
	for {
		if err := ctx.Err(); err != nil {
			return FileDigest{}, buf, err
		}
		n, err := r.Read(buf)
		_, _ = h.Write(buf[:n])
		d.Size += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return FileDigest{}, buf, err
		}
	}
	h.Sum(d.Content[:0])
	return d, buf, nil
}

// finish drops the entries that could not be read and computes the
// directory hashes bottom-up.
func (s *scanner) finish() *Tree {
	t := &Tree{Dirs: make(map[string]*Dir, len(s.nodes))}
	for i := len(s.nodes) - 1; i >= 0; i-- { // children come after parents
		n := s.nodes[i]
		n.dir.Entries = slices.DeleteFunc(n.dir.Entries, func(e Entry) bool { return e.Type == 0 })
		slices.SortFunc(n.dir.Entries, cmpEntry) // ReadDir sorts already; cheap insurance
		n.dir.Hash = DirHash(n.dir.Entries)
		if n.entry != nil {
			n.entry.Content = n.dir.Hash
		}
		t.Dirs[n.dir.Path] = n.dir
	}
	return t
}

func (s *scanner) count(f func(*ScanStats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func (s *scanner) addError(rel string, err error) {
	s.count(func(st *ScanStats) { st.Errors = append(st.Errors, PathError{Path: rel, Err: err}) })
}

// indexError reports the first failure to update the index; the ones after
// it are the same failure.
func (s *scanner) indexError(rel string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.indexFailed {
		return
	}
	s.indexFailed = true
	s.stats.Errors = append(s.stats.Errors, PathError{Path: rel, Err: fmt.Errorf("file index: %w", err)})
}

func (s *scanner) snapshot() ScanStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Errors = slices.Clip(st.Errors)
	st.Changed = slices.Clip(st.Changed)
	return st
}

// joinAbs joins an absolute directory path and a name without cleaning
// (a name is never "." or "..").
func joinAbs(dir, name string) string {
	if strings.HasSuffix(dir, string(filepath.Separator)) {
		return dir + name
	}
	return dir + string(filepath.Separator) + name
}
