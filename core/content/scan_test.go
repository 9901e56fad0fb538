package content

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// future defeats the racy-file rule, so that files just written by a test
// are cached like files written long ago.
func future() time.Time { return time.Now().Add(time.Hour) }

// makeFolder writes a small folder and returns the files' contents by
// relative path.
func makeFolder(t *testing.T, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{
		"a.txt":            []byte("hello\n"),
		"big.bin":          randBytes(100, 3<<20+5),
		"sub/b.txt":        []byte("bee"),
		"sub/deeper/c.txt": []byte("sea"),
		"sub/empty.txt":    nil,
		"cache/junk":       []byte("excluded"),
		"x.tmp":            []byte("excluded too"),
		"\xff odd name":    []byte("non-UTF-8 names are fine"),
	}
	for p, data := range files {
		writeFile(t, filepath.Join(root, filepath.FromSlash(p)), data)
	}
	for _, d := range []string{"empty", "sub/deeper/emptier"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if runtime.GOOS != "windows" {
		for name, target := range map[string]string{"link": "a.txt", "dangling": "no/such/file", "dirlink": "sub"} {
			if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
				t.Fatal(err)
			}
		}
		if err := mkfifo(filepath.Join(root, "fifo")); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func excludeJunk(rel string, isDir bool) bool {
	return (isDir && rel == "cache") || strings.HasSuffix(rel, ".tmp")
}

func TestScanTree(t *testing.T) {
	root := t.TempDir()
	files := makeFolder(t, root)
	var mu sync.Mutex
	asked := map[string]bool{}
	tree, st, err := Scan(context.Background(), root, ScanOptions{
		Workers: 3,
		Exclude: func(rel string, isDir bool) bool {
			mu.Lock()
			asked[rel] = isDir
			mu.Unlock()
			return excludeJunk(rel, isDir)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Errors) != 0 || len(st.Changed) != 0 {
		t.Fatalf("errors %v, changed %v", st.Errors, st.Changed)
	}
	if err := tree.Check(); err != nil {
		t.Fatal(err)
	}
	for p, data := range files {
		e, ok := tree.Lookup(p)
		if excludeJunk(p, false) || strings.HasPrefix(p, "cache/") {
			if ok {
				t.Errorf("%s: excluded but in the tree", p)
			}
			continue
		}
		if !ok || e.Type != TypeFile || e.Content != Sum(data) || e.Size != int64(len(data)) || e.Mode != 0o644 {
			t.Errorf("%s: %+v, %v", p, e, ok)
		}
	}
	if !asked["cache"] || asked["a.txt"] || !asked["sub/deeper"] {
		t.Errorf("Exclude was asked %v", asked)
	}
	if _, ok := asked["cache/junk"]; ok {
		t.Error("Exclude asked about the inside of an excluded directory")
	}
	for _, d := range []string{"empty", "sub/deeper/emptier"} {
		e, ok := tree.Lookup(d)
		if !ok || e.Type != TypeDir || e.Content != DirHash(nil) || tree.Dirs[d] == nil || len(tree.Dirs[d].Entries) != 0 {
			t.Errorf("%s: %+v, %v", d, e, ok)
		}
	}
	wantFiles := 6
	wantDirs := 5 // root, empty, sub, sub/deeper, sub/deeper/emptier
	if runtime.GOOS != "windows" {
		for name, target := range map[string]string{"link": "a.txt", "dangling": "no/such/file", "dirlink": "sub"} {
			e, ok := tree.Lookup(name)
			if !ok || e.Type != TypeSymlink || e.Target != target || e.Content != Sum([]byte(target)) || e.Mode != 0 {
				t.Errorf("%s: %+v, %v", name, e, ok)
			}
		}
		if e, ok := tree.Lookup("fifo"); !ok || e.Type != TypeOther || !e.Content.IsZero() {
			t.Errorf("fifo: %+v, %v", e, ok)
		}
		if _, ok := tree.Lookup("dirlink/b.txt"); ok {
			t.Error("followed a symbolic link to a directory")
		}
	}
	var wantBytes int64
	for p, data := range files {
		if !excludeJunk(p, false) && !strings.HasPrefix(p, "cache/") {
			wantBytes += int64(len(data))
		}
	}
	if st.Files != wantFiles || st.Dirs != wantDirs || st.Bytes != wantBytes || st.HashedFiles != wantFiles || st.HashedBytes != wantBytes {
		t.Errorf("stats %+v; want %d files, %d dirs, %d bytes, all hashed", st, wantFiles, wantDirs, wantBytes)
	}

	// A copy elsewhere, made later (other mtimes), has the same tree; a
	// permission change or a byte of content does not.
	cp := t.TempDir()
	makeFolder(t, cp)
	for _, p := range []string{"a.txt", "sub"} {
		old := time.Now().Add(-48 * time.Hour)
		if err := os.Chtimes(filepath.Join(cp, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	tree2, _, err := Scan(context.Background(), cp, ScanOptions{Exclude: excludeJunk})
	if err != nil {
		t.Fatal(err)
	}
	if tree2.Root().Hash != tree.Root().Hash {
		t.Fatal("an identical copy with other mtimes hashes differently")
	}
	if runtime.GOOS != "windows" {
		if err := os.Chmod(filepath.Join(cp, "sub/b.txt"), 0o600); err != nil {
			t.Fatal(err)
		}
		tree3, _, _ := Scan(context.Background(), cp, ScanOptions{Exclude: excludeJunk})
		if tree3.Root().Hash == tree.Root().Hash || tree3.Dirs["sub/deeper"].Hash != tree.Dirs["sub/deeper"].Hash {
			t.Fatal("a mode change did not change exactly the hashes above it")
		}
	}
}

func TestScanIndex(t *testing.T) {
	root := t.TempDir()
	files := makeFolder(t, root)
	x, _ := openTestIndex(t)
	opts := ScanOptions{Index: x, Exclude: excludeJunk, now: future}
	scan := func() (*Tree, ScanStats) {
		t.Helper()
		tree, st, err := Scan(context.Background(), root, opts)
		if err != nil || len(st.Errors) != 0 {
			t.Fatalf("scan: %v %v", err, st.Errors)
		}
		return tree, st
	}
	first, st := scan()
	if st.HashedFiles != st.Files || st.Files == 0 {
		t.Fatalf("first scan: %+v", st)
	}
	abs, _ := filepath.Abs(filepath.Join(root, "a.txt"))
	fi, _ := os.Lstat(abs)
	if d, ok := x.Lookup(abs, StatMeta(fi)); !ok || d.Content != Sum(files["a.txt"]) {
		t.Fatalf("index has no record for %s under its absolute path", abs)
	}

	second, st := scan()
	if st.HashedBytes != 0 || st.HashedFiles != 0 || st.Files != 6 {
		t.Fatalf("second scan read files: %+v", st)
	}
	if second.Root().Hash != first.Root().Hash {
		t.Fatal("cached scan gave another tree")
	}

	// A new mtime: that file alone is read again.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(root, "sub/b.txt"), later, later); err != nil {
		t.Fatal(err)
	}
	third, st := scan()
	if st.HashedFiles != 1 || st.HashedBytes != int64(len(files["sub/b.txt"])) {
		t.Fatalf("after touching one file: %+v", st)
	}
	if third.Root().Hash != first.Root().Hash {
		t.Fatal("touching a file changed the tree")
	}

	// Same size, same mtime, other content: on systems with ctime the
	// cache still notices, because writing changes ctime.
	p := filepath.Join(root, "sub/deeper/c.txt")
	fi, _ = os.Lstat(p)
	before := StatMeta(fi)
	if before.CTime != 0 {
		deadline := time.Now().Add(3 * time.Second)
		for {
			writeFile(t, p, []byte("SEA"))
			if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
			now, _ := os.Lstat(p)
			if StatMeta(now).CTime != before.CTime || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond) // wait for the file system clock to tick
		}
		tree, st := scan()
		if e, _ := tree.Lookup("sub/deeper/c.txt"); e.Content != Sum([]byte("SEA")) || st.HashedFiles != 1 {
			t.Fatalf("same size and mtime, new ctime: content %s, stats %+v", e.Content, st)
		}
	}

	// A change that leaves every stat field alone (bit rot, simulated by
	// a cache record that disagrees with the disk) is not noticed through
	// the cache: that is the contract. A deep verify notices and repairs
	// the cache.
	abs, _ = filepath.Abs(filepath.Join(root, "a.txt"))
	fi, _ = os.Lstat(abs)
	rotten := FileDigest{Size: fi.Size(), Content: Sum([]byte("hellO\n")), Chunks: []ChunkRef{{Hash: Sum([]byte("hellO\n")), Length: uint32(fi.Size())}}}
	if err := x.Put(abs, StatMeta(fi), rotten); err != nil {
		t.Fatal(err)
	}
	tree, _ := scan()
	if e, _ := tree.Lookup("a.txt"); e.Content != rotten.Content {
		t.Fatal("the cache was not trusted")
	}
	opts.Rehash = true
	tree, st = scan()
	if e, _ := tree.Lookup("a.txt"); e.Content != Sum(files["a.txt"]) || st.HashedFiles != st.Files {
		t.Fatalf("deep verify: content %s, stats %+v", e.Content, st)
	}
	opts.Rehash = false
	tree, st = scan()
	if e, _ := tree.Lookup("a.txt"); e.Content != Sum(files["a.txt"]) || st.HashedFiles != 0 {
		t.Fatalf("after deep verify the cache is not repaired: %+v", st)
	}
}

func TestScanDoesNotCacheRacyFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "f"), []byte("just written"))
	x, _ := openTestIndex(t)
	for i := range 2 {
		_, st, err := Scan(context.Background(), root, ScanOptions{Index: x})
		if err != nil {
			t.Fatal(err)
		}
		if st.HashedFiles != 1 {
			t.Fatalf("scan %d: hashed %d files; a file written within the last %v must be read again", i, st.HashedFiles, racyWindow)
		}
	}
	if n, _ := x.Len(); n != 0 {
		t.Fatalf("%d records cached", n)
	}
}

func TestScanUnreadable(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "ok.txt"), []byte("fine"))
	var want []string
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		// Root reads these anyway.
		writeFile(t, filepath.Join(root, "secret.txt"), []byte("no"))
		if err := os.Chmod(filepath.Join(root, "secret.txt"), 0); err != nil {
			t.Fatal(err)
		}
		locked := filepath.Join(root, "locked")
		writeFile(t, filepath.Join(locked, "inside"), []byte("x"))
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
		want = append(want, "secret.txt", "locked")
	}
	var long string // a file read through its directory (Linux)
	if runtime.GOOS == "linux" {
		// A file whose path is longer than PATH_MAX (4096 on Linux) cannot
		// be opened or even stat'ed through its path, by root either; its
		// directory's path is short enough to be listed, and the scan
		// reads the file relative to the directory.
		dir := root
		for len(dir) < 4096-255 {
			dir = filepath.Join(dir, strings.Repeat("d", min(200, 4096-255-len(dir))))
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		r, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.Repeat("f", 255)
		if err := r.WriteFile(name, []byte("unreachable"), 0o644); err != nil {
			t.Fatal(err)
		}
		r.Close()
		rel, _ := filepath.Rel(root, filepath.Join(dir, name))
		long = filepath.ToSlash(rel)
	}
	if len(want) == 0 && long == "" {
		t.Skip("no way to make an unreadable file here")
	}
	tree, st, err := Scan(context.Background(), root, ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range st.Errors {
		got = append(got, e.Path)
		if e.Err == nil || !strings.HasPrefix(e.Error(), e.Path+": ") {
			t.Errorf("error %q for %s", e.Error(), e.Path)
		}
		if _, ok := tree.Lookup(e.Path); ok {
			t.Errorf("%s: unreadable but in the tree", e.Path)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("errors for %q, want %q (%v)", got, want, st.Errors)
	}
	if e, ok := tree.Lookup("ok.txt"); !ok || e.Content != Sum([]byte("fine")) {
		t.Fatal("the readable file is missing")
	}
	if e, ok := tree.Lookup(long); long != "" && (!ok || e.Content != Sum([]byte("unreachable"))) {
		t.Fatalf("the file past PATH_MAX: %v %+v", ok, e)
	}
	if err := tree.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestScanVanishedFile(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a"), []byte("a"))
	writeFile(t, filepath.Join(root, "gone"), []byte("b"))
	tree, st, err := Scan(context.Background(), root, ScanOptions{
		Exclude: func(rel string, _ bool) bool {
			if rel == "gone" {
				os.Remove(filepath.Join(root, "gone")) // listed, then deleted
			}
			return false
		},
	})
	if err != nil || len(st.Errors) != 0 {
		t.Fatal(err, st.Errors)
	}
	if _, ok := tree.Lookup("gone"); ok || st.Files != 1 {
		t.Fatalf("vanished file: in tree %v, stats %+v", ok, st)
	}
}

func TestScanFileChangingWhileRead(t *testing.T) {
	tests := []struct {
		name        string
		changes     int // how many reads are followed by an append
		wantChanged bool
	}{
		{"stable", 0, false},
		{"changed once", 1, false},
		{"changed twice", 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			p := filepath.Join(root, "growing.log")
			data := randBytes(1, 3<<20)
			writeFile(t, p, data)
			x, _ := openTestIndex(t)
			reads, readBytes := 0, int64(0)
			opts := ScanOptions{Index: x, now: future, afterRead: func(abs string) {
				readBytes += int64(len(data))
				if reads++; reads <= tt.changes {
					f, err := os.OpenFile(abs, os.O_WRONLY|os.O_APPEND, 0)
					if err != nil {
						t.Error(err)
						return
					}
					f.Write([]byte("x"))
					f.Close()
					data = append(data, 'x')
				}
			}}
			tree, st, err := Scan(context.Background(), root, opts)
			if err != nil {
				t.Fatal(err)
			}
			wantReads := min(tt.changes+1, 2)
			if reads != wantReads || st.HashedBytes != readBytes || st.HashedFiles != 1 {
				t.Fatalf("%d reads, stats %+v; want %d reads", reads, st, wantReads)
			}
			e, _ := tree.Lookup("growing.log")
			cached, _ := x.Len()
			if tt.wantChanged {
				if !slices.Equal(st.Changed, []string{"growing.log"}) || cached != 0 {
					t.Fatalf("changed %v, %d cached", st.Changed, cached)
				}
				return
			}
			// The tree has what the last, stable read saw, and it is cached.
			if len(st.Changed) != 0 || e.Content != Sum(data) || e.Size != int64(len(data)) || cached != 1 {
				t.Fatalf("changed %v, entry %+v, %d cached", st.Changed, e, cached)
			}
		})
	}
}

func TestScanProgress(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"a/1", "a/2", "b/3", "c"} {
		writeFile(t, filepath.Join(root, p), randBytes(2, 1000))
	}
	var returned atomic.Bool
	var calls atomic.Int32
	var late atomic.Bool
	first := make(chan struct{})
	_, st, err := Scan(context.Background(), root, ScanOptions{
		// A slow folder: the scan waits here until progress is reported.
		Exclude: func(rel string, _ bool) bool {
			if rel == "b" {
				select {
				case <-first:
				case <-time.After(10 * time.Second):
					t.Error("no progress report within 10 s")
				}
			}
			return false
		},
		Progress: func(st ScanStats) {
			if calls.Add(1) == 1 {
				if st.Dirs != 1 {
					t.Errorf("first report: %+v, want the root counted", st)
				}
				close(first)
			}
			if returned.Load() {
				late.Store(true)
			}
		},
	})
	returned.Store(true)
	if err != nil || st.Files != 4 {
		t.Fatal(err, st)
	}
	time.Sleep(300 * time.Millisecond)
	if late.Load() {
		t.Fatal("Progress was called after Scan returned")
	}
}

func TestScanCancel(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"a/1", "a/2", "b/3", "c"} {
		writeFile(t, filepath.Join(root, p), randBytes(2, 1000))
	}
	ctx, cancel := context.WithCancel(context.Background())
	tree, _, err := Scan(ctx, root, ScanOptions{Exclude: func(string, bool) bool { cancel(); return false }})
	if !errors.Is(err, context.Canceled) || tree != nil {
		t.Fatalf("cancelled scan: %v, %v", tree, err)
	}
}

func TestScanBadRoot(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "file"), nil)
	for _, root := range []string{filepath.Join(dir, "file"), filepath.Join(dir, "missing")} {
		if _, _, err := Scan(context.Background(), root, ScanOptions{}); err == nil {
			t.Errorf("Scan(%s) succeeded", root)
		}
	}
	if runtime.GOOS != "windows" {
		// A root that is a symbolic link to a directory is followed.
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(dir, link); err != nil {
			t.Fatal(err)
		}
		tree, _, err := Scan(context.Background(), link, ScanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := tree.Lookup("file"); !ok {
			t.Fatal("root symlink not followed")
		}
	}
}

func TestStatMeta(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, []byte("12345"))
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	m := StatMeta(fi)
	if m.Size != 5 || m.ModTime != fi.ModTime().UnixNano() || m.Mode != uint32(fi.Mode()) {
		t.Fatalf("%+v", m)
	}
	if !m.SameAs(m) {
		t.Fatal("not SameAs itself")
	}
	// A rename into place (how editors save) gives a new inode.
	q := p + ".new"
	writeFile(t, q, []byte("12345"))
	os.Chtimes(q, fi.ModTime(), fi.ModTime())
	if err := os.Rename(q, p); err != nil {
		t.Fatal(err)
	}
	fi2, _ := os.Lstat(p)
	if m2 := StatMeta(fi2); m2.Inode != 0 && m.SameAs(m2) {
		t.Fatal("a replaced file is SameAs the old one")
	}
}

// BenchmarkScanCached measures the per-file cost of a scan that reads
// nothing: listing, lstat and an index lookup.
func BenchmarkScanCached(b *testing.B) {
	root := b.TempDir()
	const n = 5000
	for i := range n {
		writeFile(b, filepath.Join(root, fmt.Sprintf("d%02d", i%50), fmt.Sprintf("f%05d", i)), randBytes(uint64(i), 1000))
	}
	x, _ := openTestIndex(b)
	opts := ScanOptions{Index: x, now: future}
	if _, _, err := Scan(context.Background(), root, opts); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		_, st, err := Scan(context.Background(), root, opts)
		if err != nil || st.HashedFiles != 0 {
			b.Fatal(err, st)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/file")
}
