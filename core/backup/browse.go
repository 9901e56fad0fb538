package backup

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"

	"strings"
	"time"
	"unicode/utf8"

	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
)

// entryOf describes a node at rel for listings and diffs. Names that are
// not valid UTF-8 get path_b64 next to a lossy path.
func entryOf(rel string, n *Node) Entry {
	e := Entry{Path: rel, Type: n.Type.String(), Mode: (content.FileMode(n.Mode) | typeBits(n.Type)).String(),
		Size: n.Size, ModTime: time.Unix(0, n.ModTime).UTC(), Target: n.Target}
	if !utf8.ValidString(rel) {
		e.PathB64 = base64.StdEncoding.EncodeToString([]byte(rel))
		e.Path = strings.ToValidUTF8(rel, "\uFFFD")
	}
	return e
}

func typeBits(t NodeType) fs.FileMode {
	switch t {
	case NodeDir:
		return fs.ModeDir
	case NodeSymlink:
		return fs.ModeSymlink
	}
	return 0
}

// subtree finds the tree at dir (slash-separated, relative to the
// snapshot root) in the snapshot whose root tree is root.
func subtree(ctx context.Context, r *repo.Repository, root content.Hash, dir string) (content.Hash, *Node, error) {
	h := root
	dir = strings.Trim(dir, "/")
	if dir == "" || dir == "." {
		return h, nil, nil
	}
	var node *Node
	for _, part := range strings.Split(dir, "/") {
		t, err := LoadTree(ctx, r, h)
		if err != nil {
			return h, nil, err
		}
		n, ok := t.Find(part)
		if !ok {
			return h, nil, fmt.Errorf("%s: not in the snapshot", dir)
		}
		node = n
		if n.Type != NodeDir {
			return h, n, nil
		}
		h = n.Subtree
	}
	return h, node, nil
}

func (s *Service) handleLs(ctx context.Context, c *control.Call) (any, error) {
	var args LsArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Snapshot == "" {
		return nil, control.Usagef("ls: name a SNAPSHOT (or latest)")
	}
	r, _, err := s.open(ctx, c, args.RepoArgs)
	if err != nil {
		return nil, err
	}
	sn, err := ResolveSnapshot(ctx, r, args.Snapshot)
	if err != nil {
		return nil, err
	}
	res := LsResult{Snapshot: sn.ID.String(), Entries: []Entry{}}
	prefix := strings.Trim(args.Path, "/")
	h, node, err := subtree(ctx, r, sn.Tree, prefix)
	if err != nil {
		return nil, err
	}
	if node != nil && node.Type != NodeDir {
		res.Entries = append(res.Entries, entryOf(prefix, node))
		return res, nil
	}
	if args.Recursive {
		err = walkTree(ctx, r, h, prefix, func(rel string, n *Node) error {
			res.Entries = append(res.Entries, entryOf(rel, n))
			return nil
		})
		return res, err
	}
	t, err := LoadTree(ctx, r, h)
	if err != nil {
		return nil, err
	}
	for i := range t.Nodes {
		rel := t.Nodes[i].Name
		if prefix != "" {
			rel = prefix + "/" + rel
		}
		res.Entries = append(res.Entries, entryOf(rel, &t.Nodes[i]))
	}
	return res, nil
}

func (s *Service) handleDiff(ctx context.Context, c *control.Call) (any, error) {
	var args DiffArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.A == "" || args.B == "" {
		return nil, control.Usagef("diff: name two snapshots")
	}
	r, _, err := s.open(ctx, c, args.RepoArgs)
	if err != nil {
		return nil, err
	}
	a, err := ResolveSnapshot(ctx, r, args.A)
	if err != nil {
		return nil, err
	}
	b, err := ResolveSnapshot(ctx, r, args.B)
	if err != nil {
		return nil, err
	}
	res := &DiffResult{A: a.ID.String(), B: b.ID.String(), Added: []Entry{}, Removed: []Entry{}, Modified: []Entry{}, Metadata: []Entry{}}
	if err := diffTrees(ctx, r, a.Tree, b.Tree, "", res); err != nil {
		return nil, err
	}
	if len(res.Added)+len(res.Removed)+len(res.Modified)+len(res.Metadata) > 0 {
		c.Found()
	}
	return res, nil
}

// diffTrees compares two trees top-down, descending only into
// directories whose trees differ.
func diffTrees(ctx context.Context, r *repo.Repository, ha, hb content.Hash, prefix string, res *DiffResult) error {
	if ha == hb {
		return nil
	}
	ta, err := LoadTree(ctx, r, ha)
	if err != nil {
		return err
	}
	tb, err := LoadTree(ctx, r, hb)
	if err != nil {
		return err
	}
	join := func(name string) string {
		if prefix == "" {
			return name
		}
		return prefix + "/" + name
	}
	all := func(h content.Hash, rel string, into *[]Entry) error {
		return walkTree(ctx, r, h, rel, func(p string, n *Node) error {
			*into = append(*into, entryOf(p, n))
			return nil
		})
	}
	i, j := 0, 0
	for i < len(ta.Nodes) || j < len(tb.Nodes) {
		switch {
		case j >= len(tb.Nodes) || (i < len(ta.Nodes) && ta.Nodes[i].Name < tb.Nodes[j].Name):
			n := &ta.Nodes[i]
			res.Removed = append(res.Removed, entryOf(join(n.Name), n))
			if n.Type == NodeDir {
				if err := all(n.Subtree, join(n.Name), &res.Removed); err != nil {
					return err
				}
			}
			i++
		case i >= len(ta.Nodes) || tb.Nodes[j].Name < ta.Nodes[i].Name:
			n := &tb.Nodes[j]
			res.Added = append(res.Added, entryOf(join(n.Name), n))
			if n.Type == NodeDir {
				if err := all(n.Subtree, join(n.Name), &res.Added); err != nil {
					return err
				}
			}
			j++
		default:
			na, nb := &ta.Nodes[i], &tb.Nodes[j]
			rel := join(na.Name)
			switch {
			case na.Type != nb.Type:
				res.Modified = append(res.Modified, entryOf(rel, nb))
			case na.Type == NodeDir:
				if err := diffTrees(ctx, r, na.Subtree, nb.Subtree, rel, res); err != nil {
					return err
				}
			case na.Content != nb.Content:
				res.Modified = append(res.Modified, entryOf(rel, nb))
			case na.Mode != nb.Mode || na.ModTime != nb.ModTime:
				res.Metadata = append(res.Metadata, entryOf(rel, nb))
			}
			i++
			j++
		}
	}
	return nil
}
