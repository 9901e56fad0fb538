package content

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
)

// hashScanned reads small files in one go; the digest must be the one
// HashFile computes, on both sides of MinSize — without the chunk list for
// files of MinSize and more and for files that grew since their stat,
// which get their identity only.
func TestHashScannedMatchesHashFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, MinSize - 1, MinSize, MinSize + 1, 3 * MinSize} {
		p := filepath.Join(dir, fmt.Sprintf("f%d", size))
		if err := os.WriteFile(p, randBytes(uint64(size)+3, size), 0o644); err != nil {
			t.Fatal(err)
		}
		want, err := HashFile(context.Background(), p, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, stated := range []int64{int64(size), int64(max(size-1, 0))} { // the file grew since its stat
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := hashScanned(context.Background(), f, stated, nil)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			want := want
			if int64(size) >= MinSize || stated < int64(size) {
				want.Chunks = nil
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("size %d, stated %d: hashScanned %+v, HashFile %+v", size, stated, got, want)
			}
		}
	}
}

// hashSmallFile, where there is one, gives HashFile's digest and the
// file's meta, declines files of MinSize and more, and refuses symbolic
// links and FIFOs.
func TestHashSmallFile(t *testing.T) {
	fast := runtime.GOOS == "linux" && (runtime.GOARCH == "amd64" || runtime.GOARCH == "arm64")
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, MinSize - 1, MinSize} {
		p := filepath.Join(dir, fmt.Sprintf("f%d", size))
		if err := os.WriteFile(p, randBytes(uint64(size)+5, size), 0o644); err != nil {
			t.Fatal(err)
		}
		want, err := HashFile(context.Background(), p, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		got, before, after, _, ok, err := hashSmallFile(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			if size < MinSize && fast {
				t.Fatalf("size %d: declined", size)
			}
			continue
		}
		if size >= MinSize {
			t.Fatalf("size %d: taken, want declined", size)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("size %d: hashSmallFile %+v, HashFile %+v", size, got, want)
		}
		if m := StatMeta(fi); !before.SameAs(m) || !after.SameAs(m) {
			t.Errorf("size %d: meta %+v / %+v, want %+v", size, before, after, m)
		}
	}
	if err := os.Symlink("f1", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, ok, err := hashSmallFile(filepath.Join(dir, "link"), nil); ok || (err == nil && fast) {
		t.Fatalf("a symbolic link was read (ok %v, err %v)", ok, err)
	}
}

// LookupDir answers as Lookup does, with other directories' keys lying
// between a directory's own and entries missing, stale or malformed.
func TestLookupDirMatchesLookup(t *testing.T) {
	x, _ := openTestIndex(t)
	m, d := sampleDigest(10)
	stale := m
	stale.ModTime++
	var names []string
	for i := range 40 {
		names = append(names, fmt.Sprintf("f%02d", i))
	}
	for i, n := range names {
		switch {
		case i%5 == 0: // not indexed
		case i%7 == 0:
			if err := x.Put("/d/"+n, stale, d); err != nil {
				t.Fatal(err)
			}
		default:
			if err := x.Put("/d/"+n, m, d); err != nil {
				t.Fatal(err)
			}
		}
		if i%3 == 0 { // a subdirectory's files between this name and the next
			for j := range 12 {
				if err := x.Put(fmt.Sprintf("/d/%s/sub/%02d", n, j), m, d); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	qs := make([]IndexQuery, len(names))
	for i, n := range names {
		qs[i] = IndexQuery{Name: n, Meta: m, Index: i}
	}
	x.LookupDir("/d", qs)
	hits := 0
	for i, q := range qs {
		want, ok := x.Lookup("/d/"+names[i], m)
		if q.Hit != ok || (ok && q.Content != want.Content) || q.Index != i {
			t.Errorf("%s: LookupDir hit %v %s, Lookup %v %s", names[i], q.Hit, q.Content, ok, want.Content)
		}
		if q.Hit {
			hits++
		}
	}
	if hits == 0 || hits == len(names) {
		t.Fatalf("%d hits of %d: the test does not test", hits, len(names))
	}
	// Out of order queries fall back to seeking.
	rev := []IndexQuery{{Name: "f03", Meta: m}, {Name: "f01", Meta: m}}
	x.LookupDir("/d/", rev)
	if !rev[0].Hit || !rev[1].Hit {
		t.Fatalf("out of order: %+v", rev)
	}
}
