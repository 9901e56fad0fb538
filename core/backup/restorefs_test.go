package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdfast/holdfast/core/backup/repo"
)

// TestRenameNoReplace moves a finished file into place, and refuses (with
// fs.ErrExist) when something already exists there, leaving both alone.
func TestRenameNoReplace(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "tmp"), filepath.Join(dir, "final")
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p string) string {
		t.Helper()
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	write(from, "new")
	if err := renameNoReplace(from, to); err != nil {
		t.Fatalf("rename to a free name: %v", err)
	}
	if got := read(to); got != "new" {
		t.Fatalf("moved file holds %q", got)
	}

	write(from, "newer")
	err := renameNoReplace(from, to)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("rename onto an existing file: %v, want fs.ErrExist", err)
	}
	if got := read(to); got != "new" {
		t.Errorf("the existing file was replaced: %q", got)
	}
	if got := read(from); got != "newer" {
		t.Errorf("the source was lost: %q", got)
	}
	if err := renameIfAbsent(from, to); !errors.Is(err, fs.ErrExist) {
		t.Errorf("renameIfAbsent onto an existing file: %v, want fs.ErrExist", err)
	}
}

// TestCreateRestoreTemp makes distinct, empty, private files named as
// restore temporaries, and reports a missing directory by its path.
func TestCreateRestoreTemp(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	for range 50 {
		f, err := createRestoreTemp(dir)
		if err != nil {
			t.Fatal(err)
		}
		name := f.Name()
		if seen[name] || !strings.HasPrefix(filepath.Base(name), restoreTempPrefix) || filepath.Dir(name) != dir {
			t.Fatalf("temporary %q: repeated or misnamed", name)
		}
		seen[name] = true
		if _, err := f.WriteAt([]byte("xyz"), 2); err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() != 5 || fi.Mode().Perm()&0o077 != 0 {
			t.Fatalf("temporary %q: size %d, mode %v", name, fi.Size(), fi.Mode())
		}
		f.Close()
	}
	missing := filepath.Join(dir, "no-such-dir")
	if _, err := createRestoreTemp(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("temporary in a missing directory: %v", err)
	}
}

// TestRestoreOrdersFilesByPack backs up files that land in several small
// packs and checks that a restore goes through them pack by pack, front to
// back, with the files without chunks first.
func TestRestoreOrdersFilesByPack(t *testing.T) {
	ctx := context.Background()
	r := newRepo(t)
	r.SetPackSize(64 << 10)
	src := filepath.Join(t.TempDir(), "data")
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 40 {
		data := make([]byte, 4<<10+rng.IntN(16<<10))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		p := filepath.Join(src, fmt.Sprintf("d%d", i%7), fmt.Sprintf("f%02d", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(src, "empty"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(ctx, r, BackupArgs{Paths: []string{src}}, BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	sn, err := ResolveSnapshot(ctx, r, "latest")
	if err != nil {
		t.Fatal(err)
	}
	var files []restoreItem
	if err := walkTree(ctx, r, sn.Tree, "", func(rel string, n *Node) error {
		if n.Type == NodeFile {
			files = append(files, restoreItem{rel, *n})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rs := &restorer{repo: r}
	rs.packOrder(files)

	if len(files) != 41 || len(files[0].node.Chunks) != 0 {
		t.Fatalf("%d files, the first %q with %d chunks: the empty file should come first", len(files), files[0].rel, len(files[0].node.Chunks))
	}
	packs := map[repo.ID]bool{}
	var lastPack repo.ID
	var lastOff uint32
	for i, f := range files[1:] {
		pack, b, ok := r.Lookup(repo.DataBlob, f.node.Chunks[0].Hash)
		if !ok {
			t.Fatalf("%s: first chunk not indexed", f.rel)
		}
		switch {
		case i == 0 || pack != lastPack:
			if packs[pack] {
				t.Fatalf("%s: pack %s comes back after others", f.rel, pack.Short())
			}
			packs[pack] = true
		case b.Offset < lastOff:
			t.Fatalf("%s: offset %d after %d in the same pack", f.rel, b.Offset, lastOff)
		}
		lastPack, lastOff = pack, b.Offset
	}
	if len(packs) < 3 {
		t.Fatalf("the files landed in %d packs; the test needs several", len(packs))
	}
}
