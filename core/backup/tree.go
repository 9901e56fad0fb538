package backup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/holdfast/holdfast/core/content"
)

// NodeType is the kind of a directory entry in a snapshot.
type NodeType uint8

// Node types.
const (
	NodeFile NodeType = iota + 1
	NodeDir
	NodeSymlink
)

func (t NodeType) String() string {
	switch t {
	case NodeFile:
		return "file"
	case NodeDir:
		return "dir"
	case NodeSymlink:
		return "symlink"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Node is one entry of a directory in a snapshot.
//
// Content is the plain BLAKE3 identity shared with core/content: a file's
// whole-content hash, a directory's Merkle hash, a symlink's target hash.
// So a snapshot compares with a live folder or a peer's copy directly.
type Node struct {
	Name    string // raw bytes; may be any byte string but "/" and NUL
	Type    NodeType
	Mode    uint32 // permission bits plus setuid, setgid, sticky, as content.UnixMode
	Size    int64
	ModTime int64 // Unix nanoseconds
	CTime   int64 // Unix nanoseconds, for the unchanged-file check
	Inode   uint64
	Dev     uint64
	UID     uint32
	GID     uint32
	Content content.Hash
	Chunks  []content.ChunkRef // files
	Subtree content.Hash       // directories: the plain hash of the subtree blob
	Target  string             // symlinks
}

// Tree is one directory's entries, sorted by name.
type Tree struct {
	Nodes []Node
}

// Find returns the entry called name.
func (t *Tree) Find(name string) (*Node, bool) {
	i := sort.Search(len(t.Nodes), func(i int) bool { return t.Nodes[i].Name >= name })
	if i < len(t.Nodes) && t.Nodes[i].Name == name {
		return &t.Nodes[i], true
	}
	return nil, false
}

// Sort orders the entries by name bytes.
func (t *Tree) Sort() {
	sort.Slice(t.Nodes, func(i, j int) bool { return t.Nodes[i].Name < t.Nodes[j].Name })
}

// Tree blob encoding, version 1 (all integers little-endian varints unless
// stated):
//
//	"HFT1"
//	uvarint  entry count
//	per entry:
//	  uvarint len, name bytes
//	  byte     type (1 file, 2 dir, 3 symlink)
//	  uvarint  mode
//	  varint   size, mtime, ctime
//	  uvarint  inode, dev, uid, gid
//	  32 bytes content hash
//	  file:    uvarint chunk count, per chunk 32 bytes hash + uvarint length
//	  dir:     32 bytes subtree hash
//	  symlink: uvarint len, target bytes
var treeMagic = []byte("HFT1")

// Limits that keep a hostile tree blob from making the decoder allocate
// without bound.
const (
	maxNameLen   = 4096
	maxTargetLen = 64 << 10
	maxEntries   = 1 << 24
)

// EncodeTree serialises t (sorted) for storage as a tree blob.
func EncodeTree(t *Tree) ([]byte, error) {
	t.Sort()
	buf := make([]byte, 0, 64+len(t.Nodes)*96)
	buf = append(buf, treeMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(t.Nodes)))
	for i := range t.Nodes {
		n := &t.Nodes[i]
		if err := checkName(n.Name); err != nil {
			return nil, err
		}
		if i > 0 && t.Nodes[i-1].Name == n.Name {
			return nil, fmt.Errorf("tree has two entries named %q", n.Name)
		}
		buf = binary.AppendUvarint(buf, uint64(len(n.Name)))
		buf = append(buf, n.Name...)
		buf = append(buf, byte(n.Type))
		buf = binary.AppendUvarint(buf, uint64(n.Mode))
		buf = binary.AppendVarint(buf, n.Size)
		buf = binary.AppendVarint(buf, n.ModTime)
		buf = binary.AppendVarint(buf, n.CTime)
		buf = binary.AppendUvarint(buf, n.Inode)
		buf = binary.AppendUvarint(buf, n.Dev)
		buf = binary.AppendUvarint(buf, uint64(n.UID))
		buf = binary.AppendUvarint(buf, uint64(n.GID))
		buf = append(buf, n.Content[:]...)
		switch n.Type {
		case NodeFile:
			buf = binary.AppendUvarint(buf, uint64(len(n.Chunks)))
			for _, c := range n.Chunks {
				buf = append(buf, c.Hash[:]...)
				buf = binary.AppendUvarint(buf, uint64(c.Length))
			}
		case NodeDir:
			buf = append(buf, n.Subtree[:]...)
		case NodeSymlink:
			if len(n.Target) > maxTargetLen {
				return nil, fmt.Errorf("symlink %q: target longer than %d bytes", n.Name, maxTargetLen)
			}
			buf = binary.AppendUvarint(buf, uint64(len(n.Target)))
			buf = append(buf, n.Target...)
		default:
			return nil, fmt.Errorf("entry %q has unknown type %d", n.Name, n.Type)
		}
	}
	return buf, nil
}

// checkName refuses names that could escape a restore target.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("invalid entry name %q", name)
	case len(name) > maxNameLen:
		return fmt.Errorf("entry name longer than %d bytes", maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return fmt.Errorf("invalid entry name %q: contains %q", name, name[i])
		}
	}
	return nil
}

// errTruncated is returned for a tree blob that ends early.
var errTruncated = errors.New("truncated")

type treeReader struct {
	b   []byte
	err error
}

func (r *treeReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *treeReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *treeReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *treeReader) hash() (h content.Hash) {
	copy(h[:], r.bytes(32))
	return h
}

func (r *treeReader) u32(what string) uint32 {
	v := r.uvarint()
	if v > 1<<32-1 && r.err == nil {
		r.err = fmt.Errorf("%s %d out of range", what, v)
	}
	return uint32(v)
}

// DecodeTree parses a tree blob, treating it as hostile: every length is
// checked, names that could escape a directory are refused, entries must
// be sorted and unique.
func DecodeTree(data []byte) (*Tree, error) {
	if len(data) < len(treeMagic) || string(data[:len(treeMagic)]) != string(treeMagic) {
		return nil, errors.New("tree blob: bad magic")
	}
	r := &treeReader{b: data[len(treeMagic):]}
	count := r.uvarint()
	if r.err == nil && (count > maxEntries || count > uint64(len(r.b))/38) {
		return nil, fmt.Errorf("tree blob: %d entries cannot fit in %d bytes", count, len(r.b))
	}
	t := &Tree{Nodes: make([]Node, 0, count)}
	for i := uint64(0); i < count && r.err == nil; i++ {
		var n Node
		nameLen := r.uvarint()
		if nameLen > maxNameLen {
			return nil, fmt.Errorf("tree blob: entry %d: name of %d bytes", i, nameLen)
		}
		n.Name = string(r.bytes(nameLen))
		typ := r.bytes(1)
		if r.err != nil {
			break
		}
		n.Type = NodeType(typ[0])
		n.Mode = r.u32("mode")
		n.Size = r.varint()
		n.ModTime = r.varint()
		n.CTime = r.varint()
		n.Inode = r.uvarint()
		n.Dev = r.uvarint()
		n.UID = r.u32("uid")
		n.GID = r.u32("gid")
		n.Content = r.hash()
		switch n.Type {
		case NodeFile:
			chunks := r.uvarint()
			if r.err == nil && chunks > uint64(len(r.b))/33 {
				return nil, fmt.Errorf("tree blob: entry %q: %d chunks cannot fit", n.Name, chunks)
			}
			if chunks > 0 {
				n.Chunks = make([]content.ChunkRef, chunks)
			}
			var total int64
			for c := range n.Chunks {
				n.Chunks[c].Hash = r.hash()
				n.Chunks[c].Length = r.u32("chunk length")
				total += int64(n.Chunks[c].Length)
			}
			if r.err == nil && total != n.Size {
				return nil, fmt.Errorf("tree blob: file %q: chunks add up to %d bytes, size says %d", n.Name, total, n.Size)
			}
		case NodeDir:
			n.Subtree = r.hash()
		case NodeSymlink:
			tl := r.uvarint()
			if tl > maxTargetLen {
				return nil, fmt.Errorf("tree blob: symlink %q: target of %d bytes", n.Name, tl)
			}
			n.Target = string(r.bytes(tl))
		default:
			if r.err == nil {
				return nil, fmt.Errorf("tree blob: entry %q: unknown type %d", n.Name, n.Type)
			}
		}
		if r.err != nil {
			break
		}
		if n.Size < 0 {
			return nil, fmt.Errorf("tree blob: entry %q: negative size", n.Name)
		}
		if err := checkName(n.Name); err != nil {
			return nil, fmt.Errorf("tree blob: %w", err)
		}
		if len(t.Nodes) > 0 && t.Nodes[len(t.Nodes)-1].Name >= n.Name {
			return nil, fmt.Errorf("tree blob: entries not sorted or not unique at %q", n.Name)
		}
		t.Nodes = append(t.Nodes, n)
	}
	if r.err != nil {
		return nil, fmt.Errorf("tree blob: %w", r.err)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("tree blob: %d bytes of trailing data", len(r.b))
	}
	return t, nil
}
