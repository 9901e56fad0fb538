package content

import (
	"io/fs"
	"slices"
	"testing"
)

func sampleEntries() []Entry {
	return []Entry{
		{Name: "b.txt", Type: TypeFile, Mode: 0o644, Size: 3, ModTime: 1, Content: Sum([]byte("abc"))},
		{Name: "a", Type: TypeDir, Mode: 0o755, ModTime: 2, Content: DirHash(nil)},
		{Name: "link", Type: TypeSymlink, Target: "b.txt", Content: Sum([]byte("b.txt"))},
		{Name: "\xff\xfe not utf-8", Type: TypeFile, Mode: 0o600, Content: EmptyHash},
		{Name: "fifo", Type: TypeOther, Mode: 0o644},
		{Name: "B", Type: TypeFile, Mode: 0o4755, Content: Sum([]byte("x"))},
	}
}

func TestDirHashOrderIndependent(t *testing.T) {
	es := sampleEntries()
	orig := slices.Clone(es)
	want := DirHash(es)
	if !slices.Equal(es, orig) {
		t.Fatal("DirHash reordered its input")
	}
	perms := [][]int{{5, 4, 3, 2, 1, 0}, {2, 0, 4, 1, 5, 3}, {3, 5, 0, 2, 4, 1}}
	for _, p := range perms {
		shuffled := make([]Entry, len(es))
		for i, j := range p {
			shuffled[i] = es[j]
		}
		if got := DirHash(shuffled); got != want {
			t.Fatalf("order %v: hash %s, want %s", p, got, want)
		}
	}
	sorted := slices.Clone(es)
	slices.SortFunc(sorted, cmpEntry)
	if DirHash(sorted) != want {
		t.Fatal("sorted input hashes differently")
	}
	// Byte order, not Unicode or case order.
	if sorted[0].Name != "B" || sorted[len(sorted)-1].Name != "\xff\xfe not utf-8" {
		t.Fatalf("sort order: %q ... %q", sorted[0].Name, sorted[len(sorted)-1].Name)
	}
}

func TestDirHashWhatCounts(t *testing.T) {
	base := DirHash(sampleEntries())
	tests := []struct {
		name    string
		edit    func(es []Entry) []Entry
		changes bool
	}{
		{"name", func(es []Entry) []Entry { es[0].Name = "c.txt"; return es }, true},
		{"name case", func(es []Entry) []Entry { es[0].Name = "B.txt"; return es }, true},
		{"mode", func(es []Entry) []Entry { es[0].Mode = 0o640; return es }, true},
		{"setuid", func(es []Entry) []Entry { es[5].Mode = 0o755; return es }, true},
		{"content", func(es []Entry) []Entry { es[0].Content = Sum([]byte("abd")); return es }, true},
		{"subdir content", func(es []Entry) []Entry { es[1].Content = Sum(nil); return es }, true},
		{"type", func(es []Entry) []Entry { es[4].Type = TypeFile; return es }, true},
		{"entry removed", func(es []Entry) []Entry { return es[1:] }, true},
		{"empty entry added", func(es []Entry) []Entry { return append(es, Entry{Name: "z", Type: TypeFile, Content: EmptyHash}) }, true},
		{"mtime", func(es []Entry) []Entry { es[0].ModTime = 999; es[1].ModTime = 7; return es }, false},
		{"size field", func(es []Entry) []Entry { es[0].Size = 4; return es }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DirHash(tt.edit(sampleEntries()))
			if (got != base) != tt.changes {
				t.Fatalf("hash changed = %v, want %v", got != base, tt.changes)
			}
		})
	}
	// Name and mode boundaries are unambiguous: moving a byte from one
	// name to the next changes the hash.
	a := []Entry{{Name: "ab", Type: TypeFile}, {Name: "c", Type: TypeFile}}
	b := []Entry{{Name: "a", Type: TypeFile}, {Name: "bc", Type: TypeFile}}
	if DirHash(a) == DirHash(b) {
		t.Fatal("ambiguous encoding")
	}
	// A long name goes through the same encoding.
	long := string(make([]byte, 5000))
	if DirHash([]Entry{{Name: long + "a"}}) == DirHash([]Entry{{Name: long + "b"}}) {
		t.Fatal("long names collide")
	}
}

func TestDirHashEncoding(t *testing.T) {
	// The encoding, spelled out by hand: tag, then per entry in byte order
	// uvarint(len(name)) name type uvarint(mode) content.
	c1, c2 := Sum([]byte("one")), Sum([]byte("two"))
	var enc []byte
	enc = append(enc, "holdfast.dir.v1\x00"...)
	enc = append(enc, 1, 'A', byte(TypeDir), 0xed, 0x03) // 0o755 = 493 = 0xed 0x03
	enc = append(enc, c2[:]...)
	enc = append(enc, 3, 'a', 'b', 'c', byte(TypeFile), 0xa4, 0x03) // 0o644 = 420
	enc = append(enc, c1[:]...)
	got := DirHash([]Entry{
		{Name: "abc", Type: TypeFile, Mode: 0o644, Content: c1, ModTime: 5},
		{Name: "A", Type: TypeDir, Mode: 0o755, Content: c2},
	})
	if want := Sum(enc); got != want {
		t.Fatalf("DirHash = %s, want BLAKE3 of the spelled-out encoding %s", got, want)
	}
}

func TestDirHashGolden(t *testing.T) {
	// Pins the encoding: trees are compared across machines, versions and
	// snapshots. Do not update; version the encoding instead.
	if got, want := DirHash(nil).String(), "cd89f156445a001945eed9bb083aab929de0a156fa8c68193728901864f393ab"; got != want {
		t.Errorf("empty dir hash = %s, want %s", got, want)
	}
	if got, want := DirHash(sampleEntries()).String(), "9a78041b382f8f11ba7a136920412469884c10a31747a3b457e17ed212093e1f"; got != want {
		t.Errorf("sample dir hash = %s, want %s", got, want)
	}
	if DirHash(nil) == EmptyHash {
		t.Fatal("an empty directory hashes like an empty file")
	}
}

func TestModeConversion(t *testing.T) {
	tests := []struct {
		m fs.FileMode
		u uint32
	}{
		{0o644, 0o644},
		{0o755 | fs.ModeDir, 0o755},
		{0o755 | fs.ModeSetuid, 0o4755},
		{0o775 | fs.ModeSetgid | fs.ModeDir, 0o2775},
		{0o777 | fs.ModeSticky | fs.ModeDir, 0o1777},
		{0o777 | fs.ModeSymlink, 0o777},
	}
	for _, tt := range tests {
		if got := UnixMode(tt.m); got != tt.u {
			t.Errorf("UnixMode(%v) = %#o, want %#o", tt.m, got, tt.u)
		}
		if got := FileMode(tt.u); got != tt.m&permMask {
			t.Errorf("FileMode(%#o) = %v, want %v", tt.u, got, tt.m&permMask)
		}
	}
}

func checkedTree() *Tree {
	sub := &Dir{Path: "a", Entries: []Entry{{Name: "x", Type: TypeFile, Content: EmptyHash}}}
	sub.Hash = DirHash(sub.Entries)
	root := &Dir{Path: "", Entries: []Entry{
		{Name: "a", Type: TypeDir, Mode: 0o755, Content: sub.Hash},
		{Name: "l", Type: TypeSymlink, Target: "a/x", Content: Sum([]byte("a/x"))},
	}}
	root.Hash = DirHash(root.Entries)
	return &Tree{Dirs: map[string]*Dir{"": root, "a": sub}}
}

func TestTreeCheckAndLookup(t *testing.T) {
	if err := checkedTree().Check(); err != nil {
		t.Fatal(err)
	}
	tr := checkedTree()
	if e, ok := tr.Lookup("a/x"); !ok || e.Content != EmptyHash {
		t.Fatalf("Lookup(a/x) = %+v, %v", e, ok)
	}
	for _, p := range []string{"", "a/y", "b/x", "a/x/z"} {
		if _, ok := tr.Lookup(p); ok {
			t.Errorf("Lookup(%q) found something", p)
		}
	}
	bad := []struct {
		name string
		edit func(t *Tree)
	}{
		{"no root", func(t *Tree) { delete(t.Dirs, "") }},
		{"root hash", func(t *Tree) { t.Dirs[""].Hash[0] ^= 1 }},
		{"child content", func(t *Tree) { d := t.Dirs["a"]; d.Entries[0].Content = Sum([]byte("x")) }},
		{"missing child", func(t *Tree) { delete(t.Dirs, "a") }},
		{"orphan", func(t *Tree) { t.Dirs["zz"] = &Dir{Path: "zz", Hash: DirHash(nil)} }},
		{"symlink hash", func(t *Tree) { rehash(t, func(es []Entry) { es[1].Target = "elsewhere" }) }},
		{"unsorted", func(t *Tree) { rehash(t, func(es []Entry) { es[0], es[1] = es[1], es[0] }) }},
		{"slash in name", func(t *Tree) { rehash(t, func(es []Entry) { es[1].Name = "l/m" }) }},
		{"dot dot", func(t *Tree) { rehash(t, func(es []Entry) { es[1].Name = ".." }) }},
		{"bad mode", func(t *Tree) { rehash(t, func(es []Entry) { es[0].Mode = 0o10000 }) }},
		{"bad type", func(t *Tree) { rehash(t, func(es []Entry) { es[1].Type = 9 }) }},
	}
	for _, tt := range bad {
		tr := checkedTree()
		tt.edit(tr)
		if err := tr.Check(); err == nil {
			t.Errorf("%s: Check passed", tt.name)
		}
	}
}

// rehash edits the root's entries and recomputes its hash, so that only
// the edit itself is wrong.
func rehash(t *Tree, edit func([]Entry)) {
	r := t.Dirs[""]
	edit(r.Entries)
	r.Hash = DirHash(r.Entries)
}
