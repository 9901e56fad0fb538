package content

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/zeebo/blake3"
)

// EntryType is the kind of a directory entry. The values are part of the
// directory hash encoding and never change.
type EntryType uint8

const (
	TypeFile    EntryType = 1
	TypeDir     EntryType = 2
	TypeSymlink EntryType = 3
	// TypeOther is anything else: FIFOs, sockets, devices. Their content is
	// not read; Content is zero.
	TypeOther EntryType = 4
)

func (t EntryType) String() string {
	switch t {
	case TypeFile:
		return "file"
	case TypeDir:
		return "dir"
	case TypeSymlink:
		return "symlink"
	case TypeOther:
		return "other"
	}
	return fmt.Sprintf("EntryType(%d)", uint8(t))
}

func (t EntryType) valid() bool { return t >= TypeFile && t <= TypeOther }

// Entry is one name in a directory.
type Entry struct {
	// Name is the entry's name: raw bytes, not necessarily UTF-8.
	Name string
	Type EntryType
	// Mode holds the permission bits plus setuid, setgid and sticky, in the
	// portable Unix layout (0o7777: 0o4000 setuid, 0o2000 setgid, 0o1000
	// sticky), see UnixMode. Symbolic links have Mode 0: their permissions
	// mean nothing on Linux and cannot be restored there.
	Mode    uint32
	Size    int64 // files: content length; others 0
	ModTime int64 // Unix nanoseconds; NOT part of the directory hash
	// Content is the file's content hash, the directory's tree hash, or
	// BLAKE3 of a symbolic link's target; zero for TypeOther.
	Content Hash
	Target  string // symbolic links only: the raw target
}

// UnixMode converts the permission, setuid, setgid and sticky bits of m to
// the Unix layout used in Entry.Mode; everything else is dropped.
func UnixMode(m fs.FileMode) uint32 {
	u := uint32(m & fs.ModePerm)
	if m&fs.ModeSetuid != 0 {
		u |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		u |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		u |= 0o1000
	}
	return u
}

// FileMode converts Entry.Mode back to fs.FileMode permission bits.
func FileMode(u uint32) fs.FileMode {
	m := fs.FileMode(u) & fs.ModePerm
	if u&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if u&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if u&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// dirHashTag starts every encoding hashed by DirHash. It separates tree
// hashes from file content hashes (an empty directory does not hash like an
// empty file) and versions the encoding.
const dirHashTag = "holdfast.dir.v1\x00"

// DirHash returns a directory's tree hash: BLAKE3 of dirHashTag followed by,
// for each entry in order of Name bytes,
//
//	uvarint(len(Name)) Name  Type (1 byte)  uvarint(Mode)  Content (32 bytes)
//
// The order of entries does not matter; entries is not modified.
//
// Deliberately left out: ModTime, Size and Target. Size and Target are
// implied by Content; ModTime is metadata, not content: a folder, a restored
// snapshot of it and a peer's copy hash equal when they hold the same names,
// types, permissions and bytes, even though restoring or copying rarely
// preserves every mtime. The consistency engine reports mtime drift
// separately.
func DirHash(entries []Entry) Hash {
	if !slices.IsSortedFunc(entries, cmpEntry) {
		entries = slices.Clone(entries)
		slices.SortFunc(entries, cmpEntry)
	}
	h := blake3.New()
	var buf [512]byte
	b := append(buf[:0], dirHashTag...)
	for i := range entries {
		e := &entries[i]
		if len(b)+len(e.Name)+2*binary.MaxVarintLen64+1+HashSize > len(buf) {
			_, _ = h.Write(b)
			b = buf[:0]
		}
		b = binary.AppendUvarint(b, uint64(len(e.Name)))
		if len(e.Name) > len(buf)/2 {
			_, _ = h.Write(b)
			_, _ = h.WriteString(e.Name)
			b = buf[:0]
		} else {
			b = append(b, e.Name...)
		}
		b = append(b, byte(e.Type))
		b = binary.AppendUvarint(b, uint64(e.Mode))
		b = append(b, e.Content[:]...)
	}
	_, _ = h.Write(b)
	var sum Hash
	h.Sum(sum[:0])
	return sum
}

func cmpEntry(a, b Entry) int { return strings.Compare(a.Name, b.Name) }

// Dir is one directory of a Tree.
type Dir struct {
	// Path is slash-separated and relative to the tree's root; "" is the
	// root itself.
	Path    string
	Entries []Entry // sorted by Name bytes
	Hash    Hash    // DirHash(Entries)
}

// Tree is a folder's Merkle tree: every directory by path.
type Tree struct {
	Dirs map[string]*Dir
}

// Root returns the root directory, or nil for an empty Tree.
func (t *Tree) Root() *Dir { return t.Dirs[""] }

// Lookup returns the entry at the slash-separated relative path p.
func (t *Tree) Lookup(p string) (Entry, bool) {
	if p == "" {
		return Entry{}, false
	}
	parent, name := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		parent, name = p[:i], p[i+1:]
	}
	d := t.Dirs[parent]
	if d == nil {
		return Entry{}, false
	}
	i, ok := slices.BinarySearchFunc(d.Entries, name, func(e Entry, n string) int { return strings.Compare(e.Name, n) })
	if !ok {
		return Entry{}, false
	}
	return d.Entries[i], true
}

// Check verifies a tree that came from outside (a peer, a repository):
// every directory's entries are well-formed and sorted, its Hash is their
// DirHash, every directory entry has its Dir with the matching hash, every
// symbolic link's Content is the hash of its Target, and there are no
// directories outside the tree.
func (t *Tree) Check() error {
	root := t.Root()
	if root == nil {
		return errors.New("content: tree has no root directory")
	}
	seen := 0
	var walk func(d *Dir, depth int) error
	walk = func(d *Dir, depth int) error {
		if depth > maxTreeDepth {
			return fmt.Errorf("content: tree: %q: deeper than %d levels", d.Path, maxTreeDepth)
		}
		seen++
		if err := ValidateEntries(d.Entries); err != nil {
			return fmt.Errorf("content: tree: directory %q: %w", d.Path, err)
		}
		if got := DirHash(d.Entries); got != d.Hash {
			return fmt.Errorf("content: tree: directory %q: hash %s does not match its entries (%s)", d.Path, d.Hash, got)
		}
		for i := range d.Entries {
			e := &d.Entries[i]
			if e.Type != TypeDir {
				continue
			}
			p := joinRel(d.Path, e.Name)
			c := t.Dirs[p]
			if c == nil {
				return fmt.Errorf("content: tree: directory %q is missing", p)
			}
			if c.Path != p {
				return fmt.Errorf("content: tree: directory %q is filed under %q", c.Path, p)
			}
			if c.Hash != e.Content {
				return fmt.Errorf("content: tree: directory %q: hash %s, parent says %s", p, c.Hash, e.Content)
			}
			if err := walk(c, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if root.Path != "" {
		return fmt.Errorf("content: tree: root directory has path %q", root.Path)
	}
	if err := walk(root, 0); err != nil {
		return err
	}
	if seen != len(t.Dirs) {
		return fmt.Errorf("content: tree: %d directories are not reachable from the root", len(t.Dirs)-seen)
	}
	return nil
}

// maxTreeDepth bounds recursion over untrusted trees.
const maxTreeDepth = 4096

// ValidateEntries checks entries from outside: names are non-empty, not "."
// or "..", hold no '/' or NUL; they are strictly sorted (so unique); types
// and modes are valid; symbolic links hash their target; other entries
// carry no content.
func ValidateEntries(entries []Entry) error {
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Name == "" || e.Name == "." || e.Name == "..":
			return fmt.Errorf("invalid name %q", e.Name)
		case strings.ContainsAny(e.Name, "/\x00"):
			return fmt.Errorf("invalid name %q: contains '/' or NUL", abbrev(e.Name))
		case i > 0 && entries[i-1].Name >= e.Name:
			return fmt.Errorf("entries not sorted or not unique at %q", abbrev(e.Name))
		case !e.Type.valid():
			return fmt.Errorf("%q: invalid type %d", abbrev(e.Name), e.Type)
		case e.Mode&^0o7777 != 0:
			return fmt.Errorf("%q: invalid mode %#o", abbrev(e.Name), e.Mode)
		case e.Size < 0:
			return fmt.Errorf("%q: negative size", abbrev(e.Name))
		case e.Type == TypeSymlink && e.Content != Sum([]byte(e.Target)):
			return fmt.Errorf("%q: symbolic link hash does not match its target", abbrev(e.Name))
		case e.Type != TypeSymlink && e.Target != "":
			return fmt.Errorf("%q: target on a %s", abbrev(e.Name), e.Type)
		case e.Type == TypeOther && !e.Content.IsZero():
			return fmt.Errorf("%q: content on a special file", abbrev(e.Name))
		}
	}
	return nil
}

// joinRel joins a slash-separated relative directory path and a name.
func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}
