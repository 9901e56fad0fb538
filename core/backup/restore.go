package backup

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/tasks"
)

// RestoreOptions tune a restore.
type RestoreOptions struct {
	Workers  int
	Progress func(Progress)
}

// restoreItem is one entry to restore, by path relative to the target.
type restoreItem struct {
	rel  string
	node Node
}

// restorer holds one restore run's state.
type restorer struct {
	repo   *repo.Repository
	target string
	opts   RestoreOptions
	sum    RestoreSummary

	filesDone, bytesDone atomic.Int64
	mu                   sync.Mutex
	dirsMade             map[string]bool // relative paths known to be directories in the target
}

// restoreTempPrefix starts the name of a file being restored, renamed to
// its own name once complete.
const restoreTempPrefix = ".holdfast-restore-"

// renameIfAbsent renames from to to unless to exists; the check and the
// rename are two steps, for systems without an atomic no-replace rename.
func renameIfAbsent(from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	return os.Rename(from, to)
}

// ResolveSnapshot finds a snapshot by ID, unique ID prefix, or "latest".
func ResolveSnapshot(ctx context.Context, r *repo.Repository, ref string) (*repo.Snapshot, error) {
	if ref == "latest" {
		snaps, err := r.ListSnapshots(ctx)
		if err != nil {
			return nil, err
		}
		if len(snaps) == 0 {
			return nil, errors.New("the repository has no snapshots yet")
		}
		return snaps[len(snaps)-1], nil
	}
	return r.LoadSnapshot(ctx, ref)
}

// Restore writes a snapshot (or the parts matching the includes) under
// target: contents, directories, empty directories, symlinks, modes and
// mtimes. An existing identical file is skipped; an existing different one
// is left alone and reported as a conflict. Every byte written is checked
// against the snapshot's hashes.
func Restore(ctx context.Context, r *repo.Repository, args RestoreArgs, opts RestoreOptions) (RestoreSummary, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if args.Target == "" {
		return RestoreSummary{}, errors.New("no restore target given (--target DIR)")
	}
	target, err := filepath.Abs(args.Target)
	if err != nil {
		return RestoreSummary{}, err
	}
	for _, pat := range args.Includes {
		if _, err := path.Match(pat, ""); err != nil {
			return RestoreSummary{}, fmt.Errorf("include pattern %q: %w", pat, err)
		}
	}
	sn, err := ResolveSnapshot(ctx, r, args.Snapshot)
	if err != nil {
		return RestoreSummary{}, err
	}
	rs := &restorer{repo: r, target: target, opts: opts, dirsMade: map[string]bool{}}
	rs.sum.Snapshot = sn.ID.String()
	rs.sum.Target = target

	var dirs, files, links []restoreItem
	err = walkTree(ctx, r, sn.Tree, "", func(rel string, n *Node) error {
		if !included(rel, n.Type == NodeDir, args.Includes) {
			return nil
		}
		switch n.Type {
		case NodeDir:
			dirs = append(dirs, restoreItem{rel, *n})
		case NodeFile:
			files = append(files, restoreItem{rel, *n})
		case NodeSymlink:
			links = append(links, restoreItem{rel, *n})
		}
		return nil
	})
	if err != nil {
		return RestoreSummary{}, err
	}
	if err := rs.mkdir(""); err != nil {
		return RestoreSummary{}, err
	}
	// Parents of included entries exist even if the directories
	// themselves did not match.
	for _, group := range [][]restoreItem{dirs, files, links} {
		for _, it := range group {
			if err := rs.mkdir(path.Dir(it.rel)); err != nil {
				return rs.sum, err
			}
		}
	}
	for _, d := range dirs {
		if err := rs.mkdir(d.rel); err != nil {
			return rs.sum, err
		}
	}
	var total int64
	for _, f := range files {
		total += f.node.Size
	}
	rs.packOrder(files)
	stop := rs.reportProgress(start, int64(len(files)), total)
	err = rs.restoreFiles(ctx, files, args.Verify)
	stop()
	if err != nil {
		return rs.sum, err
	}
	for _, l := range links {
		rs.restoreSymlink(l)
	}
	// Directories last, deepest first, so writing children does not
	// change their mtimes again.
	sort.Slice(dirs, func(i, j int) bool { return strings.Count(dirs[i].rel, "/") > strings.Count(dirs[j].rel, "/") })
	for _, d := range dirs {
		p := rs.dest(d.rel)
		if err := os.Chmod(p, content.FileMode(d.node.Mode)); err != nil {
			rs.fail(d.rel, err)
		}
		mt := time.Unix(0, d.node.ModTime)
		if err := os.Chtimes(p, mt, mt); err != nil {
			rs.fail(d.rel, err)
		}
		rs.sum.Dirs++
	}
	rs.sum.DurationSeconds = time.Since(start).Seconds()
	return rs.sum, nil
}

// packOrder sorts files by where their first chunk is stored, pack by
// pack and in each pack by offset, so the packs are read front to back
// and few at a time rather than jumping between them in tree order (a
// backup packs files largest first, not by folder). Files without
// chunks, or whose first chunk is not indexed (restored as errors), come
// first.
func (rs *restorer) packOrder(files []restoreItem) {
	type placed struct {
		pack   repo.ID
		offset uint32
		item   restoreItem
	}
	order := make([]placed, len(files))
	for i, f := range files {
		order[i].item = f
		if c := f.node.Chunks; len(c) > 0 {
			if pack, b, ok := rs.repo.Lookup(repo.DataBlob, c[0].Hash); ok {
				order[i].pack, order[i].offset = pack, b.Offset
			}
		}
	}
	slices.SortStableFunc(order, func(a, b placed) int {
		if c := bytes.Compare(a.pack[:], b.pack[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.offset, b.offset)
	})
	for i := range order {
		files[i] = order[i].item
	}
}

// walkTree visits every node under the tree with plain hash h, depth
// first, parents before children.
func walkTree(ctx context.Context, r *repo.Repository, h content.Hash, prefix string, fn func(rel string, n *Node) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t, err := LoadTree(ctx, r, h)
	if err != nil {
		if prefix == "" {
			return fmt.Errorf("root tree: %w", err)
		}
		return fmt.Errorf("%s: %w", prefix, err)
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		rel := n.Name
		if prefix != "" {
			rel = prefix + "/" + n.Name
		}
		if err := fn(rel, n); err != nil {
			return err
		}
		if n.Type == NodeDir {
			if err := walkTree(ctx, r, n.Subtree, rel, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// included reports whether rel is selected by the include patterns: a
// pattern matches the path, any of its parent directories, or its base
// name; a directory that could contain a match is walked.
func included(rel string, isDir bool, patterns []string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, pat := range patterns {
		pat = strings.Trim(pat, "/")
		if ok, _ := path.Match(pat, path.Base(rel)); ok {
			return true
		}
		for p := rel; p != "." && p != ""; p = path.Dir(p) {
			if ok, _ := path.Match(pat, p); ok {
				return true
			}
		}
	}
	return false
}

// dest maps a relative snapshot path into the target, refusing anything
// that would land outside it.
func (rs *restorer) dest(rel string) string {
	p := filepath.Join(rs.target, filepath.FromSlash(rel))
	if p != rs.target && !strings.HasPrefix(p, rs.target+string(filepath.Separator)) {
		panic(fmt.Sprintf("restore path %q escapes the target", rel)) // DecodeTree refuses such names
	}
	return p
}

// mkdir creates a directory of the restore (and its parents) without
// following symlinks that already exist in the target. Directories it has
// made or checked once are not looked at again.
func (rs *restorer) mkdir(rel string) error {
	if rel == "." {
		rel = ""
	}
	if rs.dirsMade[rel] {
		return nil
	}
	if rel == "" {
		if err := os.MkdirAll(rs.target, 0o700); err != nil {
			return err
		}
		rs.dirsMade[rel] = true
		return nil
	}
	if parent := path.Dir(rel); parent != "." {
		if err := rs.mkdir(parent); err != nil {
			return err
		}
	}
	if err := mkdirNoFollow(rs.dest(rel)); err != nil {
		return err
	}
	rs.dirsMade[rel] = true
	return nil
}

func mkdirNoFollow(p string) error {
	fi, err := os.Lstat(p)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		return fmt.Errorf("cannot restore into %s: it exists and is not a directory", p)
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		return nil
	default:
		return err
	}
}

func (rs *restorer) fail(rel string, err error) {
	rs.mu.Lock()
	rs.sum.Errors = append(rs.sum.Errors, fmt.Sprintf("%s: %v", rel, err))
	rs.mu.Unlock()
}

func (rs *restorer) conflict(rel, why string) {
	rs.mu.Lock()
	rs.sum.Conflicts = append(rs.sum.Conflicts, fmt.Sprintf("%s: %s", rel, why))
	rs.mu.Unlock()
}

// restoreFile is one file being written: its chunks are written in
// parallel, at their offsets, into a temporary file that is renamed into
// place when the last one lands.
type restoreFile struct {
	item      restoreItem
	path      string
	tmp       *os.File
	remaining atomic.Int32
	failed    atomic.Bool
	errMu     sync.Mutex
	err       error
}

// chunkJob writes one chunk of a file.
type chunkJob struct {
	f      *restoreFile
	offset int64
	ref    content.ChunkRef
}

func (rs *restorer) restoreFiles(ctx context.Context, files []restoreItem, verify bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Chunks go to the workers in batches (see batcher).
	jobs := make(chan []chunkJob, 2*rs.opts.Workers)
	var wg sync.WaitGroup
	var fatal error
	var fatalOnce sync.Once
	fail := func(err error) { fatalOnce.Do(func() { fatal = err; cancel() }) }
	for w := 0; w < rs.opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loader := rs.repo.NewBlobLoader()
			defer loader.Close()
			for batch := range jobs {
				for _, job := range batch {
					if err := rs.writeChunk(ctx, loader, job, verify); err != nil {
						fail(err)
					}
				}
			}
		}()
	}
	// A chunk left unsent when ctx ends needs no release.
	batch := batcher[chunkJob]{out: jobs, maxItems: restoreBatchMax, maxBytes: restoreBatchBytes}
	for _, it := range files {
		if ctx.Err() != nil {
			break
		}
		f, err := rs.startFile(ctx, it)
		if err != nil {
			fail(err)
			break
		}
		if f == nil {
			continue // skipped or conflicting: nothing to write
		}
		if len(it.node.Chunks) == 0 {
			if err := rs.finishFile(ctx, f, verify); err != nil {
				fail(err)
			}
			continue
		}
		var off int64
		for _, c := range it.node.Chunks {
			if tasks.Checkpoint(ctx) != nil { // a paused task holds here
				break
			}
			batch.add(ctx, chunkJob{f: f, offset: off, ref: c}, int(c.Length))
			off += int64(c.Length)
		}
	}
	batch.flush(ctx)
	close(jobs)
	wg.Wait()
	if fatal != nil {
		return fatal
	}
	return ctx.Err()
}

// A batch of chunks goes to the restore workers once it holds
// restoreBatchMax chunks or restoreBatchBytes of file data.
const (
	restoreBatchMax   = 64
	restoreBatchBytes = 1 << 20
)

// startFile decides what to do with one file: skip an identical existing
// one, leave a different one alone (a conflict), or open a temporary file
// of the right size to write into.
func (rs *restorer) startFile(ctx context.Context, it restoreItem) (*restoreFile, error) {
	p := rs.dest(it.rel)
	if fi, err := os.Lstat(p); err == nil {
		defer rs.filesDone.Add(1)
		if !fi.Mode().IsRegular() {
			rs.conflict(it.rel, "exists and is not a regular file; left alone")
			return nil, nil
		}
		if fi.Size() == it.node.Size {
			if d, err := content.HashFile(ctx, p, nil, nil); err == nil && d.Content == it.node.Content {
				rs.mu.Lock()
				rs.sum.Skipped++
				rs.mu.Unlock()
				rs.bytesDone.Add(it.node.Size)
				return nil, nil
			}
		}
		rs.conflict(it.rel, "exists with different content; left alone")
		return nil, nil
	}
	// Chunks are written at their offsets, so the file reaches its size
	// with the last byte of its last chunk: no truncate beforehand.
	tmp, err := createRestoreTemp(filepath.Dir(p))
	if err != nil {
		return nil, fmt.Errorf("restore %s: %w", it.rel, err)
	}
	f := &restoreFile{item: it, path: p, tmp: tmp}
	f.remaining.Store(int32(len(it.node.Chunks)))
	return f, nil
}

// writeChunk loads (and so verifies) one chunk and writes it; the last
// chunk of a file finishes the file.
func (rs *restorer) writeChunk(ctx context.Context, l *repo.BlobLoader, job chunkJob, verify bool) error {
	f := job.f
	if !f.failed.Load() {
		data, err := l.Load(ctx, repo.DataBlob, job.ref.Hash)
		if err == nil {
			_, err = f.tmp.WriteAt(data, job.offset)
			if err != nil {
				err = fmt.Errorf("restore %s: %w", f.item.rel, err)
				f.setErr(err)
				return err // the target is failing (full disk?): stop
			}
			rs.bytesDone.Add(int64(len(data)))
		} else {
			if ctx.Err() != nil {
				f.setErr(ctx.Err())
			} else {
				f.setErr(err)
			}
		}
	}
	if f.remaining.Add(-1) == 0 {
		return rs.finishFile(ctx, f, verify)
	}
	return nil
}

func (f *restoreFile) setErr(err error) {
	f.errMu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.errMu.Unlock()
	f.failed.Store(true)
}

// finishFile renames a complete file into place and sets its mode and
// mtime; a file with a failed chunk is removed, never left half written.
func (rs *restorer) finishFile(ctx context.Context, f *restoreFile, verify bool) error {
	defer rs.filesDone.Add(1)
	it := f.item
	if f.failed.Load() {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
		if ctx.Err() == nil {
			rs.fail(it.rel, f.err)
		}
		return nil
	}
	if err := f.tmp.Chmod(content.FileMode(it.node.Mode)); err != nil {
		rs.fail(it.rel, err)
	}
	if err := f.tmp.Close(); err != nil {
		os.Remove(f.tmp.Name())
		return fmt.Errorf("restore %s: %w", it.rel, err)
	}
	if err := renameNoReplace(f.tmp.Name(), f.path); err != nil {
		os.Remove(f.tmp.Name())
		if errors.Is(err, fs.ErrExist) {
			rs.conflict(it.rel, "appeared in the target during the restore; left alone")
			return nil
		}
		return fmt.Errorf("restore %s: %w", it.rel, err)
	}
	mt := time.Unix(0, it.node.ModTime)
	if err := os.Chtimes(f.path, mt, mt); err != nil {
		rs.fail(it.rel, err)
	}
	rs.mu.Lock()
	rs.sum.Files++
	rs.sum.Bytes += it.node.Size
	rs.mu.Unlock()
	if verify {
		d, err := content.HashFile(ctx, f.path, nil, nil)
		switch {
		case err != nil:
			rs.fail(it.rel, fmt.Errorf("verify: %w", err))
		case d.Content != it.node.Content:
			rs.fail(it.rel, errors.New("verify: the file on disk does not match the snapshot"))
		default:
			rs.mu.Lock()
			rs.sum.Verified++
			rs.mu.Unlock()
		}
	}
	return nil
}

func (rs *restorer) restoreSymlink(it restoreItem) {
	p := rs.dest(it.rel)
	if fi, err := os.Lstat(p); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			if t, err := os.Readlink(p); err == nil && t == it.node.Target {
				rs.sum.Skipped++
				return
			}
		}
		rs.conflict(it.rel, "exists and differs from the snapshot's symlink; left alone")
		return
	}
	if err := os.Symlink(it.node.Target, p); err != nil {
		rs.fail(it.rel, err)
		return
	}
	if err := lutimes(p, it.node.ModTime); err != nil {
		rs.fail(it.rel, err)
	}
	rs.sum.Symlinks++
}

func (rs *restorer) reportProgress(start time.Time, files, bytes int64) func() {
	if rs.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	snap := func() Progress {
		return Progress{Files: rs.filesDone.Load(), FilesTotal: files, Bytes: rs.bytesDone.Load(), BytesTotal: bytes, Elapsed: time.Since(start)}
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				rs.opts.Progress(snap())
				return
			case <-t.C:
				rs.opts.Progress(snap())
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
