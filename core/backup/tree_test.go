package backup

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/holdfast/holdfast/core/content"
)

func sampleTree() *Tree {
	h := func(s string) content.Hash { return content.Sum([]byte(s)) }
	return &Tree{Nodes: []Node{
		{Name: "b.txt", Type: NodeFile, Mode: 0o644, Size: 5, ModTime: 1700000000123456789, CTime: 1700000000, Inode: 42, Dev: 2049, UID: 1000, GID: 1000,
			Content: h("hello"), Chunks: []content.ChunkRef{{Hash: h("hel"), Length: 3}, {Hash: h("lo"), Length: 2}}},
		{Name: "a-dir", Type: NodeDir, Mode: 0o755 | 0o1000, Content: h("dir"), Subtree: h("subtree")},
		{Name: "link", Type: NodeSymlink, Mode: 0o777, Content: h("../x"), Target: "../x"},
		{Name: "empty", Type: NodeFile, Mode: 0o600, Content: h("")},
		{Name: "caf\xe9-latin1", Type: NodeFile, Mode: 0o644, Content: h("")},
	}}
}

func TestTreeRoundTrip(t *testing.T) {
	tree := sampleTree()
	raw, err := EncodeTree(tree)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTree(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tree) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, tree)
	}
	if n, ok := got.Find("link"); !ok || n.Target != "../x" {
		t.Errorf("Find(link) = %+v %v", n, ok)
	}
	if _, ok := got.Find("nope"); ok {
		t.Error("Find found a missing name")
	}
}

func TestTreeRefusesHostileNames(t *testing.T) {
	for _, name := range []string{"..", ".", "", "a/b", "/etc", "x\x00y", strings.Repeat("n", maxNameLen+1)} {
		tree := &Tree{Nodes: []Node{{Name: name, Type: NodeFile}}}
		if _, err := EncodeTree(tree); err == nil {
			t.Errorf("encoded a tree with name %q", name)
		}
		// Hand-craft the blob to make sure the decoder refuses it too.
		good, _ := EncodeTree(&Tree{Nodes: []Node{{Name: "x", Type: NodeFile}}})
		blob := bytes.Replace(good, []byte{1, 'x'}, append([]byte{byte(len(name))}, name...), 1)
		if len(name) < 128 {
			if _, err := DecodeTree(blob); err == nil {
				t.Errorf("decoded a tree with name %q", name)
			}
		}
	}
}

func TestTreeDecodeRejectsDamage(t *testing.T) {
	raw, _ := EncodeTree(sampleTree())
	for i := 0; i < len(raw); i++ {
		if _, err := DecodeTree(raw[:i]); err == nil {
			t.Fatalf("accepted a blob truncated to %d of %d bytes", i, len(raw))
		}
	}
	if _, err := DecodeTree(append(append([]byte{}, raw...), 0)); err == nil {
		t.Error("accepted trailing data")
	}
}

func FuzzDecodeTree(f *testing.F) {
	raw, _ := EncodeTree(sampleTree())
	f.Add(raw)
	f.Add([]byte("HFT1\x00"))
	f.Add([]byte("HFT1\xff\xff\xff\xff\x0f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := DecodeTree(data)
		if err != nil {
			return
		}
		again, err := EncodeTree(tree)
		if err != nil {
			t.Fatalf("decoded tree does not re-encode: %v", err)
		}
		if _, err := DecodeTree(again); err != nil {
			t.Fatalf("re-encoded tree does not decode: %v", err)
		}
	})
}
