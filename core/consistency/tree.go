package consistency

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/zeebo/blake3"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
)

// Tree is one side of a comparison.
type Tree interface {
	// Entries returns the entries of the directory at rel ("" is the
	// root), sorted by name bytes. A directory entry's Content is its
	// Merkle hash (content.DirHash).
	Entries(ctx context.Context, rel string) ([]content.Entry, error)
	// MetaHash returns the metadata hash of the directory at rel (see
	// Live), if this side knows it.
	MetaHash(rel string) (content.Hash, bool)
	// Count returns how many entries lie below the directory at rel, if
	// this side knows without loading anything.
	Count(rel string) (int, bool)
	// Problems lists what this side could not read, by relative path.
	Problems() []content.PathError
}

// Live is a folder's tree as scanned (or as a watcher keeps it), with a
// metadata hash and an entry count for every directory.
//
// The metadata hash of a directory is BLAKE3 over its sorted entries'
// names, types, and for files and symbolic links their mtimes, for
// directories their own metadata hash. Together with the content hash it
// pins down everything compare reports, so two directories whose content
// and metadata hashes both match are identical down to the last mtime.
type Live struct {
	tree     *content.Tree
	meta     map[string]content.Hash
	count    map[string]int
	problems []content.PathError
}

// NewLive wraps a scanned tree. problems are the scan's unreadable
// entries and files that changed while read.
func NewLive(t *content.Tree, problems []content.PathError) *Live {
	l := &Live{tree: t, meta: make(map[string]content.Hash, len(t.Dirs)), count: make(map[string]int, len(t.Dirs)), problems: problems}
	paths := make([]string, 0, len(t.Dirs))
	for p := range t.Dirs {
		paths = append(paths, p)
	}
	// Deepest first, so children are done before their parents.
	depth := func(p string) int {
		if p == "" {
			return 0
		}
		return strings.Count(p, "/") + 1
	}
	slices.SortFunc(paths, func(a, b string) int { return depth(b) - depth(a) })
	var buf []byte
	for _, p := range paths {
		d := t.Dirs[p]
		h := blake3.New()
		n := 0
		for i := range d.Entries {
			e := &d.Entries[i]
			n++
			buf = binary.AppendUvarint(buf[:0], uint64(len(e.Name)))
			buf = append(buf, e.Name...)
			buf = append(buf, byte(e.Type))
			switch e.Type {
			case content.TypeDir:
				sub := joinRel(p, e.Name)
				m := l.meta[sub]
				buf = append(buf, m[:]...)
				n += l.count[sub]
			case content.TypeFile, content.TypeSymlink:
				buf = binary.AppendVarint(buf, e.ModTime)
			}
			_, _ = h.Write(buf)
		}
		var sum content.Hash
		h.Sum(sum[:0])
		l.meta[p] = sum
		l.count[p] = n
	}
	return l
}

// Tree is the wrapped content tree.
func (l *Live) Tree() *content.Tree { return l.tree }

// Entries implements Tree.
func (l *Live) Entries(_ context.Context, rel string) ([]content.Entry, error) {
	d := l.tree.Dirs[rel]
	if d == nil {
		return nil, fmt.Errorf("directory %q is not in the tree", rel)
	}
	return d.Entries, nil
}

// MetaHash implements Tree.
func (l *Live) MetaHash(rel string) (content.Hash, bool) {
	h, ok := l.meta[rel]
	return h, ok
}

// Count implements Tree.
func (l *Live) Count(rel string) (int, bool) {
	n, ok := l.count[rel]
	return n, ok
}

// Problems implements Tree.
func (l *Live) Problems() []content.PathError { return l.problems }

// Snapshot is a directory of a backup snapshot, read lazily: only the
// tree blobs a comparison descends into are loaded and decrypted.
type Snapshot struct {
	r *repo.Repository

	mu    sync.Mutex
	blobs map[string]content.Hash // directory → its tree blob
}

// NewSnapshot opens the directory whose tree blob is root.
func NewSnapshot(r *repo.Repository, root content.Hash) *Snapshot {
	return &Snapshot{r: r, blobs: map[string]content.Hash{"": root}}
}

// Entries implements Tree.
func (s *Snapshot) Entries(ctx context.Context, rel string) ([]content.Entry, error) {
	s.mu.Lock()
	h, ok := s.blobs[rel]
	s.mu.Unlock()
	if !ok {
		parent, name := splitRel(rel)
		if _, err := s.Entries(ctx, parent); err != nil {
			return nil, err
		}
		s.mu.Lock()
		h, ok = s.blobs[rel]
		s.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("snapshot: %s: no directory %q", parent, name)
		}
	}
	t, err := backup.LoadTree(ctx, s.r, h)
	if err != nil {
		return nil, fmt.Errorf("snapshot directory %q: %w", rel, err)
	}
	out := make([]content.Entry, 0, len(t.Nodes))
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range t.Nodes {
		n := &t.Nodes[i]
		e := content.Entry{Name: n.Name, Mode: n.Mode, Size: n.Size, ModTime: n.ModTime, Content: n.Content, Target: n.Target}
		switch n.Type {
		case backup.NodeFile:
			e.Type = content.TypeFile
		case backup.NodeDir:
			e.Type = content.TypeDir
			s.blobs[joinRel(rel, n.Name)] = n.Subtree
		case backup.NodeSymlink:
			e.Type = content.TypeSymlink
		default:
			return nil, fmt.Errorf("snapshot directory %q: entry %q has unknown type %d", rel, n.Name, n.Type)
		}
		out = append(out, e)
	}
	return out, nil
}

// MetaHash implements Tree: a snapshot does not know it.
func (s *Snapshot) MetaHash(string) (content.Hash, bool) { return content.Hash{}, false }

// Count implements Tree: a snapshot would have to load its trees.
func (s *Snapshot) Count(string) (int, bool) { return 0, false }

// Problems implements Tree.
func (s *Snapshot) Problems() []content.PathError { return nil }

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func splitRel(p string) (dir, name string) {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// Node returns the snapshot's node at rel (below this directory).
func (s *Snapshot) Node(ctx context.Context, rel string) (*backup.Node, error) {
	parent, name := splitRel(rel)
	if _, err := s.Entries(ctx, parent); err != nil { // makes sure the parent's blob is known
		return nil, err
	}
	s.mu.Lock()
	h := s.blobs[parent]
	s.mu.Unlock()
	t, err := backup.LoadTree(ctx, s.r, h)
	if err != nil {
		return nil, fmt.Errorf("snapshot directory %q: %w", parent, err)
	}
	n, ok := t.Find(name)
	if !ok {
		return nil, fmt.Errorf("snapshot: no %q", rel)
	}
	return n, nil
}
