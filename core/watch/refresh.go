package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/holdfast/holdfast/core/content"
)

// refresh lists the dirty directories again, deepest first, each one
// level deep (its known subdirectories are kept as they are, new ones are
// scanned whole), and carries every change up to the root.
func (f *folder) refresh(ctx context.Context, dirty map[string]bool) error {
	f.mu.Lock()
	old, oldProblems := f.tree, f.problems
	f.mu.Unlock()
	if old == nil {
		return errors.New("no tree yet")
	}
	work := &content.Tree{Dirs: make(map[string]*content.Dir, len(old.Dirs))}
	for k, v := range old.Dirs {
		work.Dirs[k] = v
	}
	problems := make(map[string]content.PathError, len(oldProblems))
	for k, v := range oldProblems {
		problems[k] = v
	}
	depth := func(p string) int {
		if p == "" {
			return 0
		}
		return strings.Count(p, "/") + 1
	}
	for len(dirty) > 0 {
		// The deepest first, so a parent sees its children's new hashes.
		var rel string
		best := -1
		for d := range dirty {
			if n := depth(d); n > best || (n == best && d > rel) {
				rel, best = d, n
			}
		}
		delete(dirty, rel)
		if _, known := work.Dirs[rel]; !known {
			if rel == "" {
				return errors.New("the root is not in the tree")
			}
			dirty[parentOf(rel)] = true // new or gone: its parent tells
			continue
		}
		gone, err := f.refreshDir(ctx, work, problems, rel)
		if err != nil {
			return err
		}
		if gone {
			if rel == "" {
				return fmt.Errorf("folder %s is gone", f.abs)
			}
			dirty[parentOf(rel)] = true
		}
	}
	f.added = append(f.added, f.syncWatches(work)...)
	f.publish(work, problems)
	return nil
}

// refreshDir lists the directory rel of work again. gone reports that it
// is no longer a directory.
func (f *folder) refreshDir(ctx context.Context, work *content.Tree, problems map[string]content.PathError, rel string) (gone bool, err error) {
	abs := f.absOf(rel)
	var kept []string // names of known subdirectories left out of the scan
	sub, st, err := content.Scan(ctx, abs, content.ScanOptions{
		Index: f.s.index,
		Exclude: func(r string, isDir bool) bool {
			if isDir && !strings.Contains(r, "/") {
				if _, ok := work.Dirs[joinRel(rel, r)]; ok {
					kept = append(kept, r)
					return true
				}
			}
			return false
		},
	})
	if err != nil {
		if ctx.Err() != nil {
			return false, err
		}
		var pe *fs.PathError
		if errors.Is(err, fs.ErrNotExist) || errors.As(err, &pe) || strings.Contains(err.Error(), "not a directory") {
			return true, nil
		}
		return false, err
	}
	root := sub.Root()
	entries := slices.Clone(root.Entries)
	var still []string
	for _, name := range kept {
		child := joinRel(rel, name)
		fi, err := os.Lstat(f.absOf(child))
		if err != nil || !fi.IsDir() {
			continue // gone since the listing: dropped with its subtree
		}
		entries = append(entries, content.Entry{Name: name, Type: content.TypeDir, Mode: content.UnixMode(fi.Mode()),
			ModTime: fi.ModTime().UnixNano(), Content: work.Dirs[child].Hash})
		still = append(still, child)
	}
	slices.SortFunc(entries, func(a, b content.Entry) int { return strings.Compare(a.Name, b.Name) })

	keep := func(p string) bool {
		for _, c := range still {
			if under(p, c) {
				return true
			}
		}
		return false
	}
	for p := range work.Dirs {
		if under(p, rel) && !keep(p) {
			delete(work.Dirs, p)
		}
	}
	for p := range problems {
		if under(p, rel) && p != rel && !keep(p) {
			delete(problems, p)
		}
	}
	delete(problems, rel)
	for p, d := range sub.Dirs {
		np := joinRel(rel, p)
		if p == "" {
			np = rel
		}
		nd := &content.Dir{Path: np, Entries: d.Entries, Hash: d.Hash}
		if p == "" {
			nd.Entries, nd.Hash = entries, content.DirHash(entries)
		}
		work.Dirs[np] = nd
	}
	for _, e := range st.Errors {
		p := joinRel(rel, e.Path)
		if e.Path == "" {
			p = rel
		}
		problems[p] = content.PathError{Path: p, Err: e.Err}
	}
	for _, c := range st.Changed {
		p := joinRel(rel, c)
		problems[p] = content.PathError{Path: p, Err: errors.New("changed while it was read")}
	}
	return false, f.propagate(work, rel)
}

// propagate carries the hash of the directory rel up to the root,
// replacing (never modifying) each parent Dir.
func (f *folder) propagate(work *content.Tree, rel string) error {
	for p := rel; p != ""; {
		parent, name := parentOf(p), path.Base(p)
		pd := work.Dirs[parent]
		if pd == nil {
			return fmt.Errorf("directory %q has no parent in the tree", p)
		}
		i, ok := slices.BinarySearchFunc(pd.Entries, name, func(e content.Entry, n string) int { return strings.Compare(e.Name, n) })
		if !ok {
			return fmt.Errorf("directory %q is not listed in its parent", p)
		}
		h := work.Dirs[p].Hash
		if pd.Entries[i].Content == h {
			return nil // nothing above changes
		}
		entries := slices.Clone(pd.Entries)
		entries[i].Content = h
		work.Dirs[parent] = &content.Dir{Path: parent, Entries: entries, Hash: content.DirHash(entries)}
		p = parent
	}
	return nil
}
