package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
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

// indexSaveInterval bounds what an interrupted backup loses: packs written
// before the last index save are reused by the next run.
const (
	indexSavePacks    = 8
	indexSaveInterval = 30 * time.Second
)

// Progress is a snapshot of a running backup or restore.
type Progress struct {
	Files, FilesTotal int64
	Bytes, BytesTotal int64
	Elapsed           time.Duration
	Current           string
}

// BackupOptions tune a backup.
type BackupOptions struct {
	Workers  int            // file readers; default GOMAXPROCS
	Progress func(Progress) // called at most every 250 ms
	Hostname string         // default os.Hostname
	Now      func() time.Time
	// ChunkMemory bounds the bytes of new chunks read but not yet packed
	// (see chunkBuffers); default DefaultChunkMemory.
	ChunkMemory int

	beforeRead func(path string) // tests: called before each read of a file
}

// DefaultChunkMemory lets the readers run ahead of the savers by about
// eight average chunks (buffer capacities are rounded up, see bufClass)
// and takes a chunk of the maximum size (8 MiB): enough to keep every
// saver busy.
const DefaultChunkMemory = 12 << 20

// fileJob is one file whose content must be read.
type fileJob struct {
	path string // on disk
	rel  string // inside the snapshot
	node *Node  // filled in by the worker
	meta content.FileMeta
	err  error
}

// walkDir is one directory of the backup, assembled bottom-up.
type walkDir struct {
	path   string
	rel    string
	node   Node // this directory's own node (not for the virtual root)
	nodes  []*Node
	subs   []*walkDir
	jobs   []*fileJob
	parent *Tree // the same directory in the parent snapshot, if any
}

// archiver holds one backup run's state.
type archiver struct {
	repo     *repo.Repository
	opts     BackupOptions
	excludes []string
	sum      BackupSummary

	filesTotal, bytesTotal atomic.Int64
	filesDone, bytesDone   atomic.Int64
	current                atomic.Value // string: the file being read

	mu        sync.Mutex
	errs      []string
	changed   []string
	lastSave  time.Time
	sinceSave int
	packs     []repo.PackInfo

	// commits, while files are read, takes the packs the savers fill to
	// a goroutine that makes them durable (see committer).
	commits *committer
}

// Backup backs paths up into r as a new snapshot. Unreadable files are
// left out and listed in the summary's Errors; a path that does not exist
// is an error before anything is written.
func Backup(ctx context.Context, r *repo.Repository, args BackupArgs, opts BackupOptions) (BackupSummary, error) {
	sc, err := Scan(ctx, args, opts)
	if err != nil {
		return BackupSummary{}, err
	}
	return sc.Run(ctx, r)
}

// Scanned is a backup whose source folders have been walked (metadata
// only) but not yet compared with the repository. Scanning needs no
// repository, so it can run while the repository's key is derived.
type Scanned struct {
	a     *archiver
	args  BackupArgs
	paths []string
	root  *walkDir
	start time.Time
}

// Scan walks the paths of a backup.
func Scan(ctx context.Context, args BackupArgs, opts BackupOptions) (*Scanned, error) {
	start := time.Now()
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ChunkMemory <= 0 {
		opts.ChunkMemory = DefaultChunkMemory
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
	}
	paths, err := cleanPaths(args.Paths)
	if err != nil {
		return nil, err
	}
	for _, pat := range args.Excludes {
		if _, err := filepath.Match(pat, ""); err != nil {
			return nil, fmt.Errorf("exclude pattern %q: %w", pat, err)
		}
	}
	a := &archiver{opts: opts, excludes: args.Excludes, lastSave: time.Now()}
	root := &walkDir{}
	for _, p := range paths {
		if err := a.walk(ctx, root, p, filepath.Base(p)); err != nil {
			return nil, err
		}
	}
	return &Scanned{a: a, args: args, paths: paths, root: root, start: start}, nil
}

// Run compares the scan with the newest matching snapshot, reads what
// changed into r and saves the new snapshot.
func (sc *Scanned) Run(ctx context.Context, r *repo.Repository) (BackupSummary, error) {
	a, root, paths, args, opts, start := sc.a, sc.root, sc.paths, sc.args, sc.a.opts, sc.start
	a.repo = r
	parent, parentTree, err := a.findParent(ctx, paths)
	if err != nil {
		return BackupSummary{}, err
	}
	if err := a.matchParent(ctx, root, parentTree); err != nil {
		return BackupSummary{}, err
	}

	stopProgress := a.reportProgress(start)
	err = a.readFiles(ctx, root)
	stopProgress()
	if err != nil {
		a.abort(ctx)
		return BackupSummary{}, err
	}

	rootHash, err := a.saveAllTrees(ctx, root)
	if err == nil {
		err = a.saveIndex(ctx, true)
	}
	if err != nil {
		return BackupSummary{}, err
	}

	sn := &repo.Snapshot{
		Time:     opts.Now().UTC(),
		Hostname: opts.Hostname,
		Paths:    paths,
		Tags:     args.Tags,
		Tree:     rootHash,
	}
	if u, err := user.Current(); err == nil {
		sn.Username = u.Username
	}
	if parent != nil {
		sn.Parent = parent.ID.String()
		a.sum.Parent = sn.Parent
	}
	a.sum.DurationSeconds = time.Since(start).Seconds()
	sn.Summary = &repo.Summary{
		FilesNew: a.sum.FilesNew, FilesChanged: a.sum.FilesChanged, FilesUnmodified: a.sum.FilesUnmodified,
		DirsNew: a.sum.DirsNew, DirsChanged: a.sum.DirsChanged, DirsUnmodified: a.sum.DirsUnmodified,
		DataAdded: a.sum.DataAdded, DataAddedPacked: a.sum.DataAddedStored,
		TotalFiles: a.sum.TotalFiles, TotalBytes: a.sum.TotalBytes,
		Duration: time.Since(start),
	}
	id, err := r.SaveSnapshot(ctx, sn)
	if err != nil {
		return BackupSummary{}, err
	}
	a.sum.SnapshotID = id.String()
	a.sum.Errors = a.errs
	a.sum.Changed = a.changed
	return a.sum, nil
}

// cleanPaths makes the paths absolute and checks they exist and that
// their base names differ (each becomes an entry of the snapshot's root).
func cleanPaths(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, errors.New("no paths to back up")
	}
	seen := map[string]string{}
	var out []string
	for _, p := range in {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("path %s: %w", p, err)
		}
		if _, err := os.Lstat(abs); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("path %s does not exist", p)
			}
			return nil, fmt.Errorf("path %s: %w", p, err)
		}
		base := filepath.Base(abs)
		if abs == string(filepath.Separator) {
			return nil, errors.New("backing up / as a whole is not supported; name its directories")
		}
		if other, ok := seen[base]; ok {
			if other == abs {
				continue
			}
			return nil, fmt.Errorf("paths %s and %s have the same name %q; back them up in separate snapshots", other, abs, base)
		}
		seen[base] = abs
		out = append(out, abs)
	}
	sort.Strings(out)
	return out, nil
}

// findParent picks the newest snapshot of the same host and paths, whose
// unchanged files need not be read again.
func (a *archiver) findParent(ctx context.Context, paths []string) (*repo.Snapshot, *Tree, error) {
	snaps, err := a.repo.ListSnapshots(ctx)
	if err != nil {
		return nil, nil, err
	}
	for i := len(snaps) - 1; i >= 0; i-- {
		sn := snaps[i]
		if sn.Hostname != a.opts.Hostname || !slices.Equal(sn.Paths, paths) {
			continue
		}
		tree, err := LoadTree(ctx, a.repo, sn.Tree)
		if err != nil {
			// A damaged parent only costs speed: read everything.
			a.noteError(fmt.Sprintf("parent snapshot %s unreadable, reading all files: %v", sn.ID.Short(), err))
			return nil, nil, nil
		}
		return sn, tree, nil
	}
	return nil, nil, nil
}

// LoadTree reads and decodes a tree blob.
func LoadTree(ctx context.Context, r *repo.Repository, h content.Hash) (*Tree, error) {
	raw, err := r.LoadBlob(ctx, repo.TreeBlob, h)
	if err != nil {
		return nil, err
	}
	t, err := DecodeTree(raw)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h.String()[:12], err)
	}
	return t, nil
}

func (a *archiver) noteError(msg string) {
	a.mu.Lock()
	a.errs = append(a.errs, msg)
	a.mu.Unlock()
}

func (a *archiver) excluded(path string) bool {
	base := filepath.Base(path)
	for _, pat := range a.excludes {
		if ok, _ := filepath.Match(pat, base); ok {
			return true
		}
		if ok, _ := filepath.Match(pat, path); ok {
			return true
		}
		if strings.HasPrefix(pat, "/") && (path == pat || strings.HasPrefix(path, strings.TrimSuffix(pat, "/")+"/")) {
			return true
		}
	}
	return false
}

// walk adds the entry at path, named name, to dir: metadata only, and the
// files that must be read are queued as jobs.
func (a *archiver) walk(ctx context.Context, dir *walkDir, path, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rel := name
	if dir.rel != "" {
		rel = dir.rel + "/" + name
	}
	fi, err := os.Lstat(path)
	if err != nil {
		a.noteError(fmt.Sprintf("%s: %v", path, err))
		return nil
	}
	meta := content.StatMeta(fi)
	node := Node{
		Name: name, Mode: content.UnixMode(fi.Mode()),
		ModTime: meta.ModTime, CTime: meta.CTime, Inode: meta.Inode, Dev: meta.Dev,
	}
	node.UID, node.GID = owner(fi)
	switch {
	case fi.Mode().IsRegular():
		node.Type = NodeFile
		node.Size = fi.Size()
		a.filesTotal.Add(1)
		a.sum.TotalFiles++
		a.sum.TotalBytes += node.Size
		n := &node
		dir.nodes = append(dir.nodes, n)
		dir.jobs = append(dir.jobs, &fileJob{path: path, rel: rel, node: n, meta: meta})
	case fi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			a.noteError(fmt.Sprintf("%s: %v", path, err))
			return nil
		}
		node.Type = NodeSymlink
		node.Mode = 0 // meaningless for symlinks, and not restorable
		node.Target = target
		node.Content = content.Sum([]byte(target))
		dir.nodes = append(dir.nodes, &node)
	case fi.IsDir():
		node.Type = NodeDir
		sub := &walkDir{path: path, rel: rel, node: node}
		entries, err := os.ReadDir(path)
		if err != nil {
			a.noteError(fmt.Sprintf("%s: %v", path, err))
			return nil
		}
		for _, e := range entries {
			child := filepath.Join(path, e.Name())
			if a.excluded(child) {
				continue
			}
			if err := a.walk(ctx, sub, child, e.Name()); err != nil {
				return err
			}
		}
		dir.subs = append(dir.subs, sub)
	default:
		// Devices, FIFOs and sockets hold no data to back up.
	}
	return nil
}

// matchParent marks the files that are unchanged since the parent
// snapshot (same size, mtime, ctime, inode and device, and every chunk
// still in the index) so they are not read, and counts new and changed
// files. parent is the tree of the same directory in the parent snapshot.
func (a *archiver) matchParent(ctx context.Context, d *walkDir, parent *Tree) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d.parent = parent
	jobs := d.jobs[:0]
	for _, job := range d.jobs {
		var old *Node
		if parent != nil {
			old, _ = parent.Find(job.node.Name)
		}
		n := job.node
		if old != nil && old.Type == NodeFile && old.Size == n.Size && old.ModTime == n.ModTime &&
			old.CTime == n.CTime && old.Inode == n.Inode && old.Dev == n.Dev && a.haveChunks(old) {
			n.Content, n.Chunks = old.Content, old.Chunks
			a.sum.FilesUnmodified++
			a.filesDone.Add(1)
			continue
		}
		if old != nil {
			a.sum.FilesChanged++
		} else {
			a.sum.FilesNew++
		}
		a.bytesTotal.Add(n.Size)
		jobs = append(jobs, job)
	}
	d.jobs = jobs
	for _, sub := range d.subs {
		var subParent *Tree
		if parent != nil {
			if old, ok := parent.Find(sub.node.Name); ok && old.Type == NodeDir {
				if t, err := LoadTree(ctx, a.repo, old.Subtree); err == nil {
					subParent = t
				}
			}
		}
		if err := a.matchParent(ctx, sub, subParent); err != nil {
			return err
		}
	}
	return nil
}

// haveChunks reports whether every chunk of a parent's file is in the
// index, so the file can be reused without reading it.
func (a *archiver) haveChunks(n *Node) bool {
	for _, c := range n.Chunks {
		if !a.repo.Has(repo.DataBlob, c.Hash) {
			return false
		}
	}
	return true
}

// readFiles reads every queued file with a pool of workers, each with its
// own packer.
func (a *archiver) readFiles(ctx context.Context, root *walkDir) error {
	var jobs []*fileJob
	var collect func(d *walkDir)
	collect = func(d *walkDir) {
		jobs = append(jobs, d.jobs...)
		for _, s := range d.subs {
			collect(s)
		}
	}
	collect(root)
	// Large files first, so one big file does not start last and finish
	// alone.
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].node.Size > jobs[j].node.Size })

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }

	// Savers compress, encrypt and pack new chunks, each into its own
	// pack, so every core stays busy even while one large file is read.
	// What the readers hand them is bounded in bytes by bufs, not by the
	// channel, whose room only saves the readers a wait on tiny chunks.
	bufs := newChunkBuffers(a.opts.ChunkMemory)
	blobs := make(chan []blobJob, 16)
	a.commits = a.startCommitter(ctx, fail)
	defer func() { a.commits = nil }()
	// The buffers reading uses: the readers' chunker buffers, the chunks
	// between readers and savers, and about one average chunk sealed in
	// each saver's scratch buffer.
	buffers := a.opts.Workers*readBufSize + a.opts.ChunkMemory + a.opts.Workers*2*content.AvgSize
	defer holdGCPercent(readingGCPercent(buffers))()
	var savers sync.WaitGroup
	for w := 0; w < a.opts.Workers; w++ {
		savers.Add(1)
		go func() {
			defer savers.Done()
			p := a.repo.NewPacker()
			failed := false
			for batch := range blobs {
				for _, b := range batch {
					if !failed {
						if err := a.saveBlob(ctx, &p, repo.DataBlob, b); err != nil {
							fail(err)
							failed = true
						}
					}
					bufs.put(b.data)
				}
			}
			if failed {
				p.Abort()
				return
			}
			if err := a.finishPacker(ctx, p); err != nil {
				fail(err)
			}
		}()
	}

	// Readers read, cut and hash files, and pass new chunks on in
	// batches. Each takes the next file from the sorted list itself: no
	// hand-over per file.
	var next atomic.Int64
	var readers sync.WaitGroup
	for w := 0; w < a.opts.Workers; w++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			batch := newBlobBatch(blobs, bufs)
			// The chunker's buffer fits the file, up to readBufSize:
			// files come largest first, so a reader holds a large
			// buffer only while it reads files that need one.
			var buf []byte
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(jobs)) {
					break
				}
				job := jobs[i]
				need := min(content.BufSizeFor(job.node.Size), readBufSize)
				if cap(buf) < need || cap(buf) > 4*need+64<<10 {
					buf = make([]byte, need)
				}
				if err := a.readFile(ctx, job, batch, buf[:need]); err != nil {
					fail(err)
				}
			}
			if err := batch.flush(ctx); err != nil {
				fail(err)
			}
		}()
	}
	readers.Wait()
	close(blobs)
	savers.Wait()
	a.commits.wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// readBufSize is the chunker buffer of a reader for large files. The
// chunker needs room for its longest chunk, content.MaxSize (8 MiB), but
// content-defined cuts practically never come that late: past
// content.AvgSize a cut falls every 256 KiB on average (content.MaskBitsL),
// so a chunk over 4 MiB is a one in e^12 event. The chunker grows the
// buffer for the rare stream that needs more (long runs of one byte).
const readBufSize = 4 << 20

// blobBatch is a reader's batcher of new chunks for the savers; the
// chunks' buffers come from, and go back to, the chunk budget.
type blobBatch struct {
	batcher[blobJob]
	bufs *chunkBuffers
}

// A batch goes out once it holds blobBatchBytes or blobBatchMax chunks.
const (
	blobBatchBytes = 256 << 10
	blobBatchMax   = 64
)

func newBlobBatch(out chan<- []blobJob, bufs *chunkBuffers) *blobBatch {
	return &blobBatch{batcher: batcher[blobJob]{out: out, maxItems: blobBatchMax, maxBytes: blobBatchBytes}, bufs: bufs}
}

// buffer lends a buffer for a chunk of n bytes. Before it waits for room
// in the budget it sends what the batch holds: the savers free room only
// from chunks they have.
func (b *blobBatch) buffer(ctx context.Context, n int) ([]byte, error) {
	if data, ok := b.bufs.tryGet(n); ok {
		return data, nil
	}
	if err := b.flush(ctx); err != nil {
		return nil, err
	}
	return b.bufs.get(ctx, n)
}

// add puts a chunk in the batch, sending the batch when it is full.
func (b *blobBatch) add(ctx context.Context, j blobJob) error {
	return b.release(b.batcher.add(ctx, j, len(j.data)))
}

// flush sends the batch to the savers; when ctx ends first, its buffers
// go back to the budget.
func (b *blobBatch) flush(ctx context.Context) error {
	return b.release(b.batcher.flush(ctx))
}

func (b *blobBatch) release(unsent []blobJob, err error) error {
	for _, j := range unsent {
		b.bufs.put(j.data)
	}
	return err
}

// blobJob is a new blob on its way to a pack: in readFiles a chunk whose
// data is lent by the chunkBuffers, in saveAllTrees an encoded tree.
type blobJob struct {
	hash content.Hash
	data []byte
}

// saveBlob packs one blob, finishing the pack when it is full. b.hash
// must have been computed from b.data by the caller.
func (a *archiver) saveBlob(ctx context.Context, p **repo.Packer, t repo.BlobType, b blobJob) error {
	n, err := (*p).AddHashed(t, b.hash, b.data)
	if err != nil {
		return err
	}
	if n > 0 {
		a.mu.Lock()
		a.sum.DataAdded += int64(len(b.data))
		a.sum.DataAddedStored += int64(n)
		a.mu.Unlock()
	}
	if (*p).Full() {
		if err := a.finishPacker(ctx, *p); err != nil {
			return err
		}
		*p = a.repo.NewPacker()
	}
	return nil
}

// readFile hashes one file and stores its new chunks. A file that changes
// while being read is read once more; an unreadable one is noted and left
// out of the snapshot.
func (a *archiver) readFile(ctx context.Context, job *fileJob, batch *blobBatch, buf []byte) error {
	a.setCurrent(job.rel)
	for attempt := 0; ; attempt++ {
		var done int64
		if a.opts.beforeRead != nil {
			a.opts.beforeRead(job.path)
		}
		d, _, after, _, err := content.HashFileMeta(ctx, job.path, buf, func(c content.Chunk, h content.Hash) error {
			if err := tasks.Checkpoint(ctx); err != nil { // a paused task holds here
				return err
			}
			a.bytesDone.Add(int64(c.Length))
			done += int64(c.Length)
			if a.repo.Has(repo.DataBlob, h) {
				return nil
			}
			data, err := batch.buffer(ctx, c.Length)
			if err != nil {
				return err
			}
			copy(data, c.Data)
			return batch.add(ctx, blobJob{hash: h, data: data})
		})
		a.mu.Lock()
		a.sum.BytesRead += done
		a.mu.Unlock()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if isRepoError(err) {
				return err
			}
			a.bytesDone.Add(job.node.Size - done)
			a.noteError(fmt.Sprintf("%s: %v", job.path, unwrapPath(err)))
			job.err = err
			a.filesDone.Add(1)
			return nil
		}
		// The file as fstat saw it after the read must still be the one
		// the walk found.
		if after.Size == d.Size && after.ModTime == job.meta.ModTime && after.CTime == job.meta.CTime {
			job.node.Content, job.node.Chunks, job.node.Size = d.Content, d.Chunks, d.Size
			a.filesDone.Add(1)
			return nil
		}
		if attempt == 0 {
			a.bytesDone.Add(-done)
			job.meta = after
			job.node.ModTime, job.node.CTime, job.node.Size = after.ModTime, after.CTime, after.Size
			continue
		}
		// Still changing: keep what was read, and say so.
		job.node.Content, job.node.Chunks, job.node.Size = d.Content, d.Chunks, d.Size
		a.mu.Lock()
		a.changed = append(a.changed, job.rel)
		a.mu.Unlock()
		a.filesDone.Add(1)
		return nil
	}
}

// isRepoError tells a failure to write the repository (fatal) from a
// failure to read a source file (noted, not fatal).
func isRepoError(err error) bool {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return false
	}
	return strings.Contains(err.Error(), "packer:") || strings.Contains(err.Error(), "write pack")
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// finishPacker writes a pack and saves the index now and then, so that an
// interrupted backup leaves its packs findable by the next run.
func (a *archiver) finishPacker(ctx context.Context, p *repo.Packer) error {
	if a.commits != nil {
		sp, err := p.Seal(ctx)
		if err != nil || sp == nil {
			return err
		}
		return a.commits.add(ctx, sp)
	}
	info, err := p.Finish(ctx)
	if err != nil {
		return err
	}
	return a.packWritten(ctx, info)
}

// packWritten saves the index now and then, after a pack was written.
func (a *archiver) packWritten(ctx context.Context, info repo.PackInfo) error {
	if info.ID.IsZero() {
		return nil
	}
	a.mu.Lock()
	a.sinceSave++
	due := a.sinceSave >= indexSavePacks || time.Since(a.lastSave) > indexSaveInterval
	a.mu.Unlock()
	if due {
		return a.saveIndex(ctx, false)
	}
	return nil
}

// saveIndex writes the index of the packs written since the last save.
func (a *archiver) saveIndex(ctx context.Context, final bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	packs := a.repo.UnsavedPacks()
	if len(packs) == 0 {
		return nil
	}
	if _, err := a.repo.SaveIndex(ctx, packs); err != nil {
		return err
	}
	a.sinceSave = 0
	a.lastSave = time.Now()
	return nil
}

// abort saves the index of whatever packs were completed, so a cancelled
// backup's work is reused next time.
func (a *archiver) abort(ctx context.Context) {
	_ = a.saveIndex(context.WithoutCancel(ctx), true)
}

// saveAllTrees stores the directory trees and returns the root's plain
// hash. The trees are encoded and hashed bottom-up on this goroutine (a
// directory's tree holds its subdirectories' hashes) and compressed,
// encrypted and packed by opts.Workers savers, so that the end of a
// backup of many directories does not leave all but one core idle.
func (a *archiver) saveAllTrees(ctx context.Context, root *walkDir) (content.Hash, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) { errOnce.Do(func() { firstErr = err; cancel() }) }
	blobs := make(chan blobJob, 2*a.opts.Workers)
	var savers sync.WaitGroup
	for range max(a.opts.Workers, 1) {
		savers.Go(func() {
			p := a.repo.NewPacker()
			for b := range blobs {
				if ctx.Err() != nil {
					continue // drain
				}
				if err := a.saveBlob(ctx, &p, repo.TreeBlob, b); err != nil {
					fail(err)
				}
			}
			if ctx.Err() != nil {
				p.Abort()
				return
			}
			if err := a.finishPacker(ctx, p); err != nil {
				fail(err)
			}
		})
	}
	h, err := a.saveTrees(ctx, root, blobs)
	if err != nil {
		fail(err)
	}
	close(blobs)
	savers.Wait()
	if firstErr != nil {
		return content.Hash{}, firstErr
	}
	return h, ctx.Err()
}

// saveTrees encodes and hashes the directory trees bottom-up, hands each
// to the savers through blobs, and returns the root's plain hash.
func (a *archiver) saveTrees(ctx context.Context, d *walkDir, blobs chan<- blobJob) (content.Hash, error) {
	for _, sub := range d.subs {
		h, err := a.saveTrees(ctx, sub, blobs)
		if err != nil {
			return content.Hash{}, err
		}
		n := sub.node
		n.Subtree = h
		d.nodes = append(d.nodes, &n)
	}
	t := &Tree{Nodes: make([]Node, 0, len(d.nodes))}
	for _, n := range d.nodes {
		t.Nodes = append(t.Nodes, *n)
	}
	// Files that could not be read are left out.
	failed := map[string]bool{}
	for _, j := range d.jobs {
		if j.err != nil {
			failed[j.node.Name] = true
		}
	}
	if len(failed) > 0 {
		t.Nodes = slices.DeleteFunc(t.Nodes, func(n Node) bool { return n.Type == NodeFile && failed[n.Name] })
	}
	t.Sort()
	raw, err := EncodeTree(t)
	if err != nil {
		return content.Hash{}, fmt.Errorf("directory %s: %w", d.path, err)
	}
	h := content.Sum(raw)
	if d.path != "" {
		d.node.Content = DirHash(t)
		a.mu.Lock()
		switch {
		case d.parent == nil:
			a.sum.DirsNew++
		case equalTrees(d.parent, t):
			a.sum.DirsUnmodified++
		default:
			a.sum.DirsChanged++
		}
		a.mu.Unlock()
	}
	// The parent loop copies sub.node after this returns, so the Merkle
	// hash set above travels with it.
	select {
	case blobs <- blobJob{hash: h, data: raw}:
	case <-ctx.Done():
		return content.Hash{}, ctx.Err()
	}
	return h, nil
}

func equalTrees(a, b *Tree) bool {
	ra, err1 := EncodeTree(a)
	rb, err2 := EncodeTree(b)
	return err1 == nil && err2 == nil && string(ra) == string(rb)
}

// DirHash is a directory's Merkle hash as core/content defines it, so a
// snapshot directory compares equal to the same folder on disk.
func DirHash(t *Tree) content.Hash {
	entries := make([]content.Entry, 0, len(t.Nodes))
	for _, n := range t.Nodes {
		e := content.Entry{Name: n.Name, Mode: n.Mode, Size: n.Size, ModTime: n.ModTime, Content: n.Content, Target: n.Target}
		switch n.Type {
		case NodeFile:
			e.Type = content.TypeFile
		case NodeDir:
			e.Type = content.TypeDir
		case NodeSymlink:
			e.Type = content.TypeSymlink
		}
		entries = append(entries, e)
	}
	return content.DirHash(entries)
}

// reportProgress calls the progress callback every 250 ms until stopped.
func (a *archiver) reportProgress(start time.Time) func() {
	if a.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				a.opts.Progress(a.progress(start))
				return
			case <-t.C:
				a.opts.Progress(a.progress(start))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (a *archiver) setCurrent(rel string) { a.current.Store(rel) }

func (a *archiver) progress(start time.Time) Progress {
	cur, _ := a.current.Load().(string)
	return Progress{
		Files: a.filesDone.Load(), FilesTotal: a.filesTotal.Load(),
		Bytes: a.bytesDone.Load(), BytesTotal: a.bytesTotal.Load(),
		Elapsed: time.Since(start), Current: cur,
	}
}
