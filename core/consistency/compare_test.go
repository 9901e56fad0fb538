package consistency

import (
	"context"
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/content"
)

func decodeB64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestCompareRandomTrees checks Compare against what the generator knows
// it changed and against rsync as an independent oracle.
func TestCompareRandomTrees(t *testing.T) {
	_, rsyncErr := exec.LookPath("rsync")
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 42))
		dir := t.TempDir()
		a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
		os.Mkdir(a, 0o755)
		genTree(t, rng, a, 60+rng.IntN(200))
		cpA(t, a, b)

		rep, err := Compare(context.Background(), scanLive(t, a), scanLive(t, b), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Identical() || rep.Score != 100 {
			t.Fatalf("seed %d: a copy differs: %+v", seed, rep)
		}

		want := mutate(t, rng, a, b, 1+rng.IntN(12))
		rep, err = Compare(context.Background(), scanLive(t, a), scanLive(t, b), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("seed %d: %+v", seed, rep.Counts)
		diffExpect(t, "generator", want, got(rep))
		if rep.Identical() || rep.Score >= 100 {
			t.Errorf("seed %d: changes but identical, score %v", seed, rep.Score)
		}
		if n := rep.Counts.Missing + rep.Counts.Extra + rep.Counts.Modified + rep.Counts.Metadata + rep.Counts.Identical; n != rep.Counts.Entries {
			t.Errorf("seed %d: counts do not add up: %+v", seed, rep.Counts)
		}
		if rsyncErr == nil {
			diffExpect(t, "rsync", rsyncOracle(t, a, b), got(rep))
		}
	}
	if rsyncErr != nil {
		t.Skip("rsync is not installed: the oracle half of the test did not run")
	}
}

// countingTree counts the directories a comparison lists.
type countingTree struct {
	Tree
	listed map[string]int
}

func (c *countingTree) Entries(ctx context.Context, rel string) ([]content.Entry, error) {
	c.listed[rel]++
	return c.Tree.Entries(ctx, rel)
}

func TestCompareDescendsOnlyWhereHashesDiffer(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{"x/deep", "y/deep", "z"} {
		os.MkdirAll(filepath.Join(a, d), 0o755)
		os.WriteFile(filepath.Join(a, d, "f"), []byte(d), 0o644)
	}
	cpA(t, a, b)
	os.WriteFile(filepath.Join(b, "x/deep/f"), []byte("changed"), 0o644)
	old := time.Unix(1e9, 0)
	os.Chtimes(filepath.Join(b, "y/deep/f"), old, old) // mtime only

	for _, contentOnly := range []bool{false, true} {
		ca := &countingTree{Tree: scanLive(t, a), listed: map[string]int{}}
		cb := &countingTree{Tree: scanLive(t, b), listed: map[string]int{}}
		rep, err := Compare(context.Background(), ca, cb, Options{ContentOnly: contentOnly})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Modified) != 1 || rep.Modified[0].Path != "x/deep/f" {
			t.Errorf("modified %+v", rep.Modified)
		}
		wantMeta := 1
		if contentOnly {
			wantMeta = 0
		}
		if len(rep.Metadata) != wantMeta {
			t.Errorf("content only %v: metadata %+v", contentOnly, rep.Metadata)
		}
		if ca.listed["z"] != 0 || cb.listed["z"] != 0 {
			t.Errorf("descended into the identical z")
		}
		if got := ca.listed["y/deep"] > 0; got == contentOnly {
			t.Errorf("content only %v: descended into y/deep (mtime drift only): %v", contentOnly, got)
		}
		if rep.Counts.Entries != 8 {
			t.Errorf("counts %+v", rep.Counts)
		}
	}
}

func TestCompareBadInput(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Log("running as root: unreadable files are readable; that case is skipped")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.MkdirAll(filepath.Join(a, "d"), 0o755)
	os.WriteFile(filepath.Join(a, "Readme.md"), []byte("r"), 0o644)
	os.WriteFile(filepath.Join(a, "secret"), []byte("s"), 0o644)
	os.WriteFile(filepath.Join(a, "n\xe9e"), []byte("latin-1 name"), 0o644)
	os.Symlink("loop", filepath.Join(a, "loop")) // a symlink loop
	os.Symlink(".", filepath.Join(a, "d", "self"))
	cpA(t, a, b)
	os.Rename(filepath.Join(b, "Readme.md"), filepath.Join(b, "README.md")) // case-only rename
	os.WriteFile(filepath.Join(b, "n\xe9e"), []byte("other bytes!"), 0o644)

	rep, err := Compare(context.Background(), scanLive(t, a), scanLive(t, b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 1 || rep.Missing[0].Path != "Readme.md" || rep.Missing[0].CaseOf != "README.md" ||
		len(rep.Extra) != 1 || rep.Extra[0].CaseOf != "Readme.md" {
		t.Errorf("case-only rename: missing %+v extra %+v", rep.Missing, rep.Extra)
	}
	if len(rep.Modified) != 1 || rep.Modified[0].PathB64 != base64.StdEncoding.EncodeToString([]byte("n\xe9e")) || rep.Modified[0].Path != "n\uFFFDe" {
		t.Errorf("non-UTF-8 name: %+v", rep.Modified)
	}

	if os.Geteuid() != 0 {
		// The same unreadable file on both sides: never "identical".
		os.Chmod(filepath.Join(a, "secret"), 0)
		os.Chmod(filepath.Join(b, "secret"), 0)
		defer os.Chmod(filepath.Join(a, "secret"), 0o644)
		defer os.Chmod(filepath.Join(b, "secret"), 0o644)
		os.Rename(filepath.Join(b, "README.md"), filepath.Join(b, "Readme.md"))
		os.WriteFile(filepath.Join(b, "n\xe9e"), []byte("latin-1 name"), 0o644)
		rep, err = Compare(context.Background(), scanLive(t, a), scanLive(t, b), Options{ContentOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Identical() || rep.Score == 100 || len(rep.Errors) != 2 || len(rep.Missing)+len(rep.Extra) != 0 {
			t.Errorf("unreadable on both sides: %+v", rep)
		}
		// Unreadable on one side only: an error, not "extra".
		os.Chmod(filepath.Join(b, "secret"), 0o644)
		rep, _ = Compare(context.Background(), scanLive(t, a), scanLive(t, b), Options{ContentOnly: true})
		if len(rep.Errors) != 1 || rep.Errors[0].Side != "a" || len(rep.Extra) != 0 || rep.Identical() {
			t.Errorf("unreadable in a: %+v", rep)
		}
	}
}

// withUnreadable scans dir and then drops name from the root as a scan
// does with a file it cannot read (root reads everything, so the test
// cannot rely on permissions), reporting it as a problem.
func withUnreadable(t *testing.T, dir, name string) *Live {
	tree, _, err := content.Scan(context.Background(), dir, content.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	root := tree.Root()
	root.Entries = slices.DeleteFunc(root.Entries, func(e content.Entry) bool { return e.Name == name })
	root.Hash = content.DirHash(root.Entries)
	return NewLive(tree, []content.PathError{{Path: name, Err: errors.New("permission denied")}})
}

func TestCompareUnreadableIsNeverIdentical(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.MkdirAll(a, 0o755)
	os.WriteFile(filepath.Join(a, "secret"), []byte("s"), 0o644)
	os.WriteFile(filepath.Join(a, "plain"), []byte("p"), 0o644)
	cpA(t, a, b)

	rep, err := Compare(context.Background(), withUnreadable(t, a, "secret"), withUnreadable(t, b, "secret"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identical() || rep.Score == 100 || len(rep.Errors) != 2 || len(rep.Missing)+len(rep.Extra) != 0 {
		t.Errorf("unreadable on both sides: %+v", rep)
	}
	rep, _ = Compare(context.Background(), withUnreadable(t, a, "secret"), scanLive(t, b), Options{})
	if len(rep.Errors) != 1 || rep.Errors[0].Side != "a" || len(rep.Extra) != 0 || rep.Identical() || rep.Counts.Entries != 2 {
		t.Errorf("unreadable in a only: %+v", rep)
	}
}
