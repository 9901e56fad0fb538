package consistency

import (
	"context"
	"encoding/base64"
	"io/fs"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/holdfast/holdfast/core/content"
)

// Options tune Compare.
type Options struct {
	// ContentOnly skips mtimes: subtrees whose content hashes match are
	// not looked into.
	ContentOnly bool
}

// Compare compares tree a with tree b top-down. It descends into a
// directory only when the two sides' content hashes differ, or — for
// mtimes — when their metadata hashes differ or are unknown. Entries a
// side could not read are reported as errors, never as missing or extra,
// so an unreadable file never makes two folders look identical.
func Compare(ctx context.Context, a, b Tree, opts Options) (*Report, error) {
	c := &comparer{a: a, b: b, opts: opts, rep: &Report{
		Missing: []Entry{}, Extra: []Entry{}, Modified: []Entry{}, Metadata: []Entry{}, Errors: []PathProblem{},
		ContentOnly: opts.ContentOnly,
	}}
	c.errA = problemSet(a, "a", c.rep)
	c.errB = problemSet(b, "b", c.rep)
	ea, err := a.Entries(ctx, "")
	if err != nil {
		return nil, err
	}
	eb, err := b.Entries(ctx, "")
	if err != nil {
		return nil, err
	}
	if err := c.dir(ctx, "", ea, eb); err != nil {
		return nil, err
	}
	r := c.rep
	r.Counts.Missing, r.Counts.Extra = len(r.Missing), len(r.Extra)
	r.Counts.Modified, r.Counts.Metadata = len(r.Modified), len(r.Metadata)
	r.Counts.Errors = len(r.Errors)
	r.Counts.Identical = c.identical
	r.Counts.Entries = c.identical + r.Counts.Missing + r.Counts.Extra + r.Counts.Modified + r.Counts.Metadata + c.errEntries
	r.Score = Score(r.Counts.Identical, r.Counts.Entries, r.Identical())
	return r, nil
}

// Score is the percentage of entries that are identical, rounded down to
// two decimals; it is 100 only when nothing at all was found.
func Score(identical, entries int, clean bool) float64 {
	if entries == 0 {
		if clean {
			return 100
		}
		return 0
	}
	s := math.Floor(10000*float64(identical)/float64(entries)) / 100
	if s >= 100 && !clean {
		s = 99.99
	}
	return s
}

type comparer struct {
	a, b       Tree
	opts       Options
	rep        *Report
	errA, errB map[string]bool
	identical  int
	errEntries int // problem paths not otherwise counted
}

func problemSet(t Tree, side string, rep *Report) map[string]bool {
	set := map[string]bool{}
	for _, p := range t.Problems() {
		set[p.Path] = true
		pp := PathProblem{Side: side, Error: p.Err.Error()}
		pp.Path, pp.PathB64 = showPath(p.Path)
		rep.Errors = append(rep.Errors, pp)
	}
	return set
}

// dir compares the directory rel, whose entries on each side are ea and eb.
func (c *comparer) dir(ctx context.Context, rel string, ea, eb []content.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.reserveOnlyIn(rel, ea, eb)
	firstMissing, firstExtra := len(c.rep.Missing), len(c.rep.Extra)
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		switch {
		case j >= len(eb) || (i < len(ea) && ea[i].Name < eb[j].Name):
			if err := c.onlyIn(ctx, c.a, c.errB, rel, &ea[i], &c.rep.Missing, true); err != nil {
				return err
			}
			i++
		case i >= len(ea) || eb[j].Name < ea[i].Name:
			if err := c.onlyIn(ctx, c.b, c.errA, rel, &eb[j], &c.rep.Extra, false); err != nil {
				return err
			}
			j++
		default:
			if err := c.both(ctx, rel, &ea[i], &eb[j]); err != nil {
				return err
			}
			i++
			j++
		}
	}
	markCaseRenames(c.rep.Missing[firstMissing:], c.rep.Extra[firstExtra:])
	return nil
}

// onlyIn reports e (and, for a directory, everything below it), found on
// one side only — unless the other side could not read it.
func (c *comparer) onlyIn(ctx context.Context, t Tree, otherErr map[string]bool, rel string, e *content.Entry, into *[]Entry, sideA bool) error {
	p := joinRel(rel, e.Name)
	if otherErr[p] {
		c.errEntries++
		return nil
	}
	*into = append(*into, entryOf(p, e, sideA))
	if e.Type != content.TypeDir {
		return nil
	}
	return walk(ctx, t, p, func(q string, e *content.Entry) {
		*into = append(*into, entryOf(q, e, sideA))
	})
}

// reserveOnlyIn makes room in the report for what the directory rel holds
// on one side only, subdirectories included where the tree knows their
// count: a first index reports every entry of A, and growing the lists
// entry by entry copied them over and over.
func (c *comparer) reserveOnlyIn(rel string, ea, eb []content.Entry) {
	below := func(t Tree, e *content.Entry) int {
		if e.Type != content.TypeDir {
			return 1
		}
		n, _ := t.Count(joinRel(rel, e.Name))
		return 1 + n
	}
	var na, nb int
	i, j := 0, 0
	for i < len(ea) || j < len(eb) {
		switch {
		case j >= len(eb) || (i < len(ea) && ea[i].Name < eb[j].Name):
			na += below(c.a, &ea[i])
			i++
		case i >= len(ea) || eb[j].Name < ea[i].Name:
			nb += below(c.b, &eb[j])
			j++
		default:
			i++
			j++
		}
	}
	reserve(&c.rep.Missing, na)
	reserve(&c.rep.Extra, nb)
}

// reserve makes room for n more entries. Capacity at least doubles, so
// many directories reserving a few each still copy the list only a few
// times.
func reserve(s *[]Entry, n int) {
	if cap(*s)-len(*s) >= n {
		return
	}
	grown := make([]Entry, len(*s), max(2*cap(*s), len(*s)+n))
	copy(grown, *s)
	*s = grown
}

// walk visits everything below the directory rel of t, parents first.
func walk(ctx context.Context, t Tree, rel string, fn func(p string, e *content.Entry)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	es, err := t.Entries(ctx, rel)
	if err != nil {
		return err
	}
	for i := range es {
		p := joinRel(rel, es[i].Name)
		fn(p, &es[i])
		if es[i].Type == content.TypeDir {
			if err := walk(ctx, t, p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// both compares an entry present on both sides.
func (c *comparer) both(ctx context.Context, rel string, a, b *content.Entry) error {
	p := joinRel(rel, a.Name)
	if a.Type != b.Type {
		c.rep.Modified = append(c.rep.Modified, pairOf(p, a, b, []string{"type"}))
		if a.Type == content.TypeDir {
			if err := walk(ctx, c.a, p, func(q string, e *content.Entry) { c.rep.Missing = append(c.rep.Missing, entryOf(q, e, true)) }); err != nil {
				return err
			}
		}
		if b.Type == content.TypeDir {
			if err := walk(ctx, c.b, p, func(q string, e *content.Entry) { c.rep.Extra = append(c.rep.Extra, entryOf(q, e, false)) }); err != nil {
				return err
			}
		}
		return nil
	}
	if a.Type == content.TypeDir {
		return c.bothDirs(ctx, p, a, b)
	}
	var changes []string
	if a.Content != b.Content {
		switch {
		case a.Type == content.TypeSymlink:
			changes = append(changes, "target")
		case a.Size != b.Size:
			changes = append(changes, "content", "size")
		default:
			changes = append(changes, "content")
		}
		c.rep.Modified = append(c.rep.Modified, pairOf(p, a, b, changes))
		return nil
	}
	if a.Mode != b.Mode {
		changes = append(changes, "mode")
	}
	if !c.opts.ContentOnly && a.ModTime != b.ModTime && a.Type != content.TypeOther {
		changes = append(changes, "mtime")
	}
	if len(changes) > 0 {
		c.rep.Metadata = append(c.rep.Metadata, pairOf(p, a, b, changes))
		return nil
	}
	c.identical++
	return nil
}

func (c *comparer) bothDirs(ctx context.Context, p string, a, b *content.Entry) error {
	if a.Mode != b.Mode {
		c.rep.Metadata = append(c.rep.Metadata, pairOf(p, a, b, []string{"mode"}))
	} else {
		c.identical++
	}
	if a.Content == b.Content {
		if c.opts.ContentOnly {
			return c.skip(ctx, p)
		}
		ma, okA := c.a.MetaHash(p)
		mb, okB := c.b.MetaHash(p)
		if okA && okB && ma == mb {
			return c.skip(ctx, p)
		}
	}
	ea, err := c.a.Entries(ctx, p)
	if err != nil {
		return err
	}
	eb, err := c.b.Entries(ctx, p)
	if err != nil {
		return err
	}
	return c.dir(ctx, p, ea, eb)
}

// skip counts the entries below p, identical on both sides, without
// comparing them.
func (c *comparer) skip(ctx context.Context, p string) error {
	if n, ok := c.a.Count(p); ok {
		c.identical += n
		return nil
	}
	if n, ok := c.b.Count(p); ok {
		c.identical += n
		return nil
	}
	return walk(ctx, c.a, p, func(string, *content.Entry) { c.identical++ })
}

// markCaseRenames pairs missing and extra entries of one directory whose
// names differ only in letter case.
func markCaseRenames(missing, extra []Entry) {
	if len(missing) == 0 || len(extra) == 0 {
		return
	}
	for i := range missing {
		for j := range extra {
			if extra[j].CaseOf == "" && missing[i].Path != extra[j].Path && strings.EqualFold(missing[i].Path, extra[j].Path) {
				missing[i].CaseOf, extra[j].CaseOf = extra[j].Path, missing[i].Path
				break
			}
		}
	}
}

func showPath(p string) (string, string) {
	if utf8.ValidString(p) {
		return p, ""
	}
	return strings.ToValidUTF8(p, "\uFFFD"), base64.StdEncoding.EncodeToString([]byte(p))
}

func attrsOf(e *content.Entry) *Attrs {
	m := content.FileMode(e.Mode)
	switch e.Type {
	case content.TypeDir:
		m |= fs.ModeDir
	case content.TypeSymlink:
		m |= fs.ModeSymlink
	case content.TypeOther:
		m |= fs.ModeIrregular
	}
	return &Attrs{Type: e.Type.String(), Mode: m.String(), Size: e.Size, ModTime: time.Unix(0, e.ModTime).UTC(), Target: e.Target}
}

func entryOf(p string, e *content.Entry, sideA bool) Entry {
	out := Entry{Type: e.Type.String()}
	out.Path, out.PathB64 = showPath(p)
	if sideA {
		out.A = attrsOf(e)
	} else {
		out.B = attrsOf(e)
	}
	return out
}

func pairOf(p string, a, b *content.Entry, changes []string) Entry {
	out := Entry{Type: a.Type.String(), Changes: changes, A: attrsOf(a), B: attrsOf(b)}
	out.Path, out.PathB64 = showPath(p)
	return out
}
