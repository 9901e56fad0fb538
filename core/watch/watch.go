// Package watch keeps the trees of watched folders current: each folder is
// scanned once through the home's file index, then fsnotify events
// (recursive: new directories are watched as they appear) mark directories
// dirty, and after a short quiet spell (the debounce) each dirty directory
// is listed again — one level, its unchanged subdirectories kept — and the
// change is carried up the Merkle tree. An event overflow, and a periodic
// metadata rescan as a safety net, scan the whole folder again.
package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/content"
)

// Bucket holds the watched folders: absolute path → JSON record.
var Bucket = []byte("watch.folders")

// Defaults.
const (
	DefaultDebounce = 200 * time.Millisecond
	// maxDelay bounds how long a stream of events can hold an update back.
	maxDelay      = 800 * time.Millisecond
	DefaultRescan = 15 * time.Minute
)

// Options tune a Service.
type Options struct {
	Debounce time.Duration // quiet spell before dirty directories are read; 0: DefaultDebounce
	Rescan   time.Duration // full metadata rescan interval; 0: DefaultRescan, <0: never
	Log      *slog.Logger
	// OnChange, if set, is called after a folder's tree changed.
	OnChange func(folder string)
}

// Record is a watched folder as stored.
type Record struct {
	Path  string    `json:"path"`
	Added time.Time `json:"added"`
}

// Service watches the folders recorded in its bucket while it runs.
type Service struct {
	db    *bolt.DB
	index *content.Index
	opts  Options

	mu      sync.Mutex
	running bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	folders map[string]*folder
}

// New returns the watch service keeping its records in db and reading
// files through index.
func New(db *bolt.DB, index *content.Index, opts Options) (*Service, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.Rescan == 0 {
		opts.Rescan = DefaultRescan
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	exists := false
	_ = db.View(func(tx *bolt.Tx) error { exists = tx.Bucket(Bucket) != nil; return nil })
	if !exists { // a write transaction costs fsyncs even when it changes nothing
		if err := db.Update(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucketIfNotExists(Bucket)
			return err
		}); err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
	}
	return &Service{db: db, index: index, opts: opts, folders: map[string]*folder{}}, nil
}

// Name implements the engine's Service.
func (s *Service) Name() string { return "watch" }

// Start watches every recorded folder.
func (s *Service) Start(ctx context.Context) error {
	recs, err := s.List()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.running = true
	s.mu.Unlock()
	for _, r := range recs {
		s.startFolder(r.Path)
	}
	return nil
}

// Stop stops every watcher.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	s.running = false
	s.cancel()
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("watch: stop: %w", ctx.Err())
	}
}

// Running reports whether the service watches (an engine runs it).
func (s *Service) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Add records the folder at abs and, while running, starts watching it.
func (s *Service) Add(abs string) error {
	if !filepath.IsAbs(abs) {
		return fmt.Errorf("watch: %q is not an absolute path", abs)
	}
	abs = filepath.Clean(abs)
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("watch %s: %w", abs, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("watch %s: not a directory", abs)
	}
	raw, _ := json.Marshal(Record{Path: abs, Added: time.Now().UTC()})
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b.Get([]byte(abs)) != nil {
			return nil
		}
		return b.Put([]byte(abs), raw)
	})
	if err != nil {
		return fmt.Errorf("watch %s: %w", abs, err)
	}
	s.startFolder(abs)
	return nil
}

// Remove forgets the folder at abs and stops watching it. It reports
// whether the folder was watched.
func (s *Service) Remove(abs string) (bool, error) {
	abs = filepath.Clean(abs)
	found := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		found = b.Get([]byte(abs)) != nil
		return b.Delete([]byte(abs))
	})
	if err != nil {
		return false, fmt.Errorf("unwatch %s: %w", abs, err)
	}
	s.mu.Lock()
	f := s.folders[abs]
	delete(s.folders, abs)
	s.mu.Unlock()
	if f != nil {
		f.cancel()
	}
	return found, nil
}

// List returns the recorded folders, by path.
func (s *Service) List() ([]Record, error) {
	var out []Record
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(Bucket).ForEach(func(k, v []byte) error {
			var r Record
			if err := json.Unmarshal(v, &r); err != nil {
				r = Record{Path: string(k)} // a damaged record still names its folder
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("watch: list: %w", err)
	}
	return out, nil
}

// State is what the watcher knows of a folder right now.
type State struct {
	Ready    bool      // the first scan finished
	Version  uint64    // bumped at every change of the tree
	Updated  time.Time // when the tree last changed
	Files    int
	Dirs     int
	Bytes    int64 // the files' sizes added up
	Problems []content.PathError
	Err      string // why the folder is not watched (gone, unreadable)
}

// Tree returns the current tree of the watched folder at abs, with the
// entries that could not be read. The tree is a snapshot: the watcher
// never modifies a Dir it has handed out.
func (s *Service) Tree(abs string) (*content.Tree, State, bool) {
	s.mu.Lock()
	f := s.folders[filepath.Clean(abs)]
	s.mu.Unlock()
	if f == nil {
		return nil, State{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tree == nil {
		return nil, f.state, false
	}
	t := &content.Tree{Dirs: make(map[string]*content.Dir, len(f.tree.Dirs))}
	for k, v := range f.tree.Dirs {
		t.Dirs[k] = v
	}
	st := f.state
	st.Problems = slices.Clone(problemsOf(f.problems))
	return t, st, true
}

// State returns the state of the watched folder at abs.
func (s *Service) State(abs string) (State, bool) {
	s.mu.Lock()
	f := s.folders[filepath.Clean(abs)]
	s.mu.Unlock()
	if f == nil {
		return State{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.state
	st.Problems = slices.Clone(problemsOf(f.problems))
	return st, true
}

func (s *Service) startFolder(abs string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running || s.folders[abs] != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	f := &folder{s: s, abs: abs, cancel: cancel, problems: map[string]content.PathError{}}
	s.folders[abs] = f
	s.wg.Go(func() { f.run(ctx) })
}

// folder is one watched folder.
type folder struct {
	s      *Service
	abs    string
	cancel context.CancelFunc

	mu       sync.Mutex
	tree     *content.Tree // copy-on-write: Dirs are replaced, never modified
	problems map[string]content.PathError
	state    State

	w       *fsnotify.Watcher
	watched map[string]bool // directories (relative) with an fsnotify watch
	added   []string        // directories watched since the last update
}

func problemsOf(m map[string]content.PathError) []content.PathError {
	out := make([]content.PathError, 0, len(m))
	for _, p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func (f *folder) fail(err error) {
	f.s.opts.Log.Warn("watch", "folder", f.abs, "err", err)
	f.mu.Lock()
	f.state.Err = err.Error()
	f.mu.Unlock()
}

// run scans the folder, then follows its events until ctx ends.
func (f *folder) run(ctx context.Context) {
	w, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		f.fail(fmt.Errorf("start watcher: %w", err))
		return
	}
	defer w.Close()
	f.w, f.watched = w, map[string]bool{}
	// Watch first, then scan: nothing that changes during the scan is missed.
	if err := f.watchDir(""); err != nil {
		f.fail(err)
		return
	}
	f.watchBelow(ctx)
	if err := f.fullScan(ctx); err != nil {
		if ctx.Err() == nil {
			f.fail(err)
		}
		return
	}
	var rescan <-chan time.Time
	if f.s.opts.Rescan > 0 {
		t := time.NewTicker(f.s.opts.Rescan)
		defer t.Stop()
		rescan = t.C
	}
	dirty := map[string]bool{}
	full := false
	var first time.Time
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	recheck := func() {
		// Directories watched only now are listed once more.
		for _, rel := range f.added {
			dirty[rel] = true
		}
		if len(f.added) > 0 {
			first = time.Now()
			timer.Reset(f.s.opts.Debounce)
		}
		f.added = f.added[:0]
	}
	recheck() // directories that appeared between the watching and the scan
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			rel, ok := f.rel(ev.Name)
			if !ok {
				continue
			}
			// An entry changed: its directory lists it again (a
			// directory's own events, its mode say, go to its parent).
			dirty[parentOf(rel)] = true
			if first.IsZero() {
				first = time.Now()
			}
			timer.Reset(min(f.s.opts.Debounce, max(0, maxDelay-time.Since(first))))
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				f.s.opts.Log.Info("watch: event overflow, rescanning", "folder", f.abs)
			} else {
				f.s.opts.Log.Warn("watch: watcher error, rescanning", "folder", f.abs, "err", err)
			}
			full = true
			if first.IsZero() {
				first = time.Now()
			}
			timer.Reset(f.s.opts.Debounce)
		case <-rescan:
			full = true
			timer.Reset(0)
		case <-timer.C:
			var err error
			if full {
				err = f.fullScan(ctx)
			} else {
				err = f.refresh(ctx, dirty)
			}
			if err != nil && ctx.Err() == nil {
				f.s.opts.Log.Warn("watch: update failed, rescanning", "folder", f.abs, "err", err)
				err = f.fullScan(ctx)
				if err != nil && ctx.Err() == nil {
					f.fail(err)
				}
			}
			dirty, full, first = map[string]bool{}, false, time.Time{}
			recheck()
		}
	}
}

// rel maps an event's path into the folder.
func (f *folder) rel(name string) (string, bool) {
	if name == f.abs {
		return "", true
	}
	r, ok := strings.CutPrefix(name, f.abs+string(filepath.Separator))
	if !ok {
		return "", false
	}
	return filepath.ToSlash(r), true
}

func (f *folder) absOf(rel string) string {
	if rel == "" {
		return f.abs
	}
	return filepath.Join(f.abs, filepath.FromSlash(rel))
}

func (f *folder) watchDir(rel string) error {
	if f.watched[rel] {
		return nil
	}
	if err := f.w.Add(f.absOf(rel)); err != nil {
		return fmt.Errorf("watch %s: %w", f.absOf(rel), err)
	}
	f.watched[rel] = true
	return nil
}

// watchBelow watches every directory below the root, before the first
// scan lists them.
func (f *folder) watchBelow(ctx context.Context) {
	_ = filepath.WalkDir(f.abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || ctx.Err() != nil {
			return filepath.SkipDir
		}
		if d.IsDir() && p != f.abs {
			if rel, ok := f.rel(p); ok {
				_ = f.watchDir(rel) // a failure is retried by syncWatches
			}
		}
		return nil
	})
}

// syncWatches drops the watches of directories that are gone, then
// watches every directory of the tree, and returns the directories it
// began to watch: what changed in them before their watch existed was not
// seen, so the caller lists them once more. Removing first matters: a
// renamed directory keeps its inode, and inotify gives the new path the
// old watch, which removing the old path afterwards would end.
func (f *folder) syncWatches(t *content.Tree) []string {
	for rel := range f.watched {
		if _, ok := t.Dirs[rel]; !ok {
			_ = f.w.Remove(f.absOf(rel))
			delete(f.watched, rel)
		}
	}
	var added []string
	for rel := range t.Dirs {
		if f.watched[rel] {
			continue
		}
		if err := f.watchDir(rel); err != nil {
			f.s.opts.Log.Warn("watch: cannot watch a directory; the periodic rescan covers it", "err", err)
			continue
		}
		added = append(added, rel)
	}
	return added
}

// fullScan scans the whole folder again through the index.
func (f *folder) fullScan(ctx context.Context) error {
	t, st, err := content.Scan(ctx, f.abs, content.ScanOptions{Index: f.s.index})
	if err != nil {
		return err
	}
	problems := map[string]content.PathError{}
	for _, p := range st.Errors {
		problems[p.Path] = p
	}
	for _, p := range st.Changed {
		problems[p] = content.PathError{Path: p, Err: errors.New("changed while it was read")}
	}
	f.added = append(f.added, f.syncWatches(t)...)
	f.publish(t, problems)
	// A full scan leaves garbage several times the tree's size (listings,
	// stat results, read buffers): give it back now rather than keep it
	// resident until the runtime's scavenger gets to it.
	debug.FreeOSMemory()
	return nil
}

// publish installs a new tree.
func (f *folder) publish(t *content.Tree, problems map[string]content.PathError) {
	files, bytes := 0, int64(0)
	for _, d := range t.Dirs {
		for i := range d.Entries {
			if d.Entries[i].Type == content.TypeFile {
				files++
				bytes += d.Entries[i].Size
			}
		}
	}
	f.mu.Lock()
	changed := f.tree == nil || f.tree.Root().Hash != t.Root().Hash || !f.state.Ready
	f.tree, f.problems = t, problems
	f.state.Ready, f.state.Err = true, ""
	f.state.Files, f.state.Dirs, f.state.Bytes = files, len(t.Dirs), bytes
	f.state.Version++
	f.state.Updated = time.Now()
	f.mu.Unlock()
	if changed && f.s.opts.OnChange != nil {
		f.s.opts.OnChange(f.abs)
	}
}

func parentOf(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return ""
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func under(p, dir string) bool {
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}
