package consistency

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/content"
)

// scanLive scans dir without an index.
func scanLive(t *testing.T, dir string) *Live {
	t.Helper()
	tree, st, err := content.Scan(context.Background(), dir, content.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	problems := st.Errors
	for _, p := range st.Changed {
		problems = append(problems, content.PathError{Path: p, Err: fmt.Errorf("changed while it was read")})
	}
	return NewLive(tree, problems)
}

// genTree writes a random tree under root and returns the relative paths
// of everything in it.
func genTree(t *testing.T, rng *rand.Rand, root string, files int) {
	t.Helper()
	dirs := []string{""}
	base := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range files {
		switch rng.IntN(10) {
		case 0: // a new directory
			parent := dirs[rng.IntN(len(dirs))]
			d := filepath.Join(parent, fmt.Sprintf("dir%d", i))
			if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, d)
		case 1: // a symbolic link
			d := dirs[rng.IntN(len(dirs))]
			if err := os.Symlink(fmt.Sprintf("target-%d", rng.IntN(5)), filepath.Join(root, d, fmt.Sprintf("link%d", i))); err != nil {
				t.Fatal(err)
			}
		default:
			d := dirs[rng.IntN(len(dirs))]
			name := fmt.Sprintf("file%d.txt", i)
			if i%17 == 0 {
				name = fmt.Sprintf("bad\xff%d", i) // not UTF-8
			}
			p := filepath.Join(root, d, name)
			data := make([]byte, rng.IntN(3000))
			for k := range data {
				data[k] = byte(rng.IntN(4)) // compressible, collisions likely: equal sizes
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			mt := base.Add(time.Duration(rng.IntN(1e6)) * time.Second)
			if err := os.Chtimes(p, mt, mt); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// cpA copies src to dst with cp -a, preserving modes and times.
func cpA(t *testing.T, src, dst string) {
	t.Helper()
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v %s", err, out)
	}
}

// expectation is what the generator changed, by category.
type expectation map[string]map[string]bool

func newExpectation() expectation {
	return expectation{"missing": {}, "extra": {}, "modified": {}, "metadata": {}}
}

// allBelow lists p and everything below it in root.
func allBelow(t *testing.T, root, p string) []string {
	var out []string
	err := filepath.WalkDir(filepath.Join(root, p), func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, q)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// mutate changes b (a copy of a) in n random ways and returns what a
// comparison of a with b must report.
func mutate(t *testing.T, rng *rand.Rand, a, b string, n int) expectation {
	t.Helper()
	want := newExpectation()
	var cands []string
	filepath.WalkDir(b, func(q string, d fs.DirEntry, err error) error {
		if q != b {
			rel, _ := filepath.Rel(b, q)
			cands = append(cands, filepath.ToSlash(rel))
		}
		return nil
	})
	rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	var used []string
	conflicts := func(p string) bool {
		for _, u := range used {
			if p == u || strings.HasPrefix(p, u+"/") || strings.HasPrefix(u, p+"/") {
				return true
			}
		}
		return false
	}
	for _, p := range cands {
		if n == 0 {
			break
		}
		if conflicts(p) {
			continue
		}
		abs := filepath.Join(b, filepath.FromSlash(p))
		fi, err := os.Lstat(abs)
		if err != nil {
			t.Fatal(err)
		}
		used = append(used, p)
		n--
		switch {
		case fi.Mode().IsRegular():
			switch rng.IntN(6) {
			case 0: // same size, same mtime, other bytes
				data, _ := os.ReadFile(abs)
				if len(data) == 0 {
					data = []byte("x")
					want["modified"][p] = true
				} else {
					data[rng.IntN(len(data))] ^= 0x40
					want["modified"][p] = true
				}
				os.WriteFile(abs, data, fi.Mode())
				os.Chtimes(abs, fi.ModTime(), fi.ModTime())
			case 1: // other size
				f, _ := os.OpenFile(abs, os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString("more")
				f.Close()
				want["modified"][p] = true
			case 2: // mtime only
				mt := fi.ModTime().Add(-time.Hour)
				os.Chtimes(abs, mt, mt)
				want["metadata"][p] = true
			case 3: // mode only
				os.Chmod(abs, 0o600)
				want["metadata"][p] = true
			case 4: // gone
				os.Remove(abs)
				want["missing"][p] = true
			case 5: // replaced by a directory with a file in it
				os.Remove(abs)
				os.Mkdir(abs, 0o755)
				os.WriteFile(filepath.Join(abs, "inside"), []byte("in"), 0o644)
				want["modified"][p] = true
				want["extra"][p+"/inside"] = true
			}
		case fi.IsDir():
			switch rng.IntN(3) {
			case 0:
				for _, q := range allBelow(t, b, p) {
					want["missing"][q] = true
				}
				os.RemoveAll(abs)
			case 1:
				os.Chmod(abs, 0o700)
				want["metadata"][p] = true
			case 2: // new things inside
				os.MkdirAll(filepath.Join(abs, "newdir"), 0o755)
				os.WriteFile(filepath.Join(abs, "newdir", "new.txt"), []byte("new"), 0o644)
				os.WriteFile(filepath.Join(abs, "extra.txt"), []byte("extra"), 0o644)
				want["extra"][p+"/newdir"] = true
				want["extra"][p+"/newdir/new.txt"] = true
				want["extra"][p+"/extra.txt"] = true
				// the directory's own mtime changed: not drift
			}
		default: // symbolic link
			os.Remove(abs)
			os.Symlink("elsewhere", abs)
			want["modified"][p] = true
		}
	}
	return want
}

// got turns a report into the expectation's shape.
func got(r *Report) expectation {
	g := newExpectation()
	add := func(cat string, es []Entry) {
		for _, e := range es {
			p := e.Path
			if e.PathB64 != "" {
				p = decodeB64(e.PathB64)
			}
			g[cat][p] = true
		}
	}
	add("missing", r.Missing)
	add("extra", r.Extra)
	add("modified", r.Modified)
	add("metadata", r.Metadata)
	return g
}

// rsyncOracle runs rsync -rlptcn --delete --itemize-changes a/ b/ and
// classifies its lines like Compare does.
func rsyncOracle(t *testing.T, a, b string) expectation {
	t.Helper()
	out, err := exec.Command("rsync", "-rlptcn", "--delete", "--itemize-changes", a+"/", b+"/").Output()
	if err != nil {
		t.Fatalf("rsync: %v", err)
	}
	g := newExpectation()
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		if p, ok := strings.CutPrefix(line, "*deleting   "); ok {
			p = strings.TrimSuffix(unescapeRsync(p), "/")
			if _, err := os.Lstat(filepath.Join(a, p)); err == nil {
				g["modified"][p] = true // a different type in a
			} else {
				g["extra"][p] = true
			}
			continue
		}
		if len(line) < 13 {
			t.Fatalf("rsync line %q", line)
		}
		flags, p := line[:11], line[12:]
		if i := strings.Index(p, " -> "); i >= 0 && flags[1] == 'L' {
			p = p[:i]
		}
		p = strings.TrimSuffix(unescapeRsync(p), "/")
		if p == "." || p == "" {
			continue
		}
		switch {
		case strings.Contains(flags, "+++++++++"):
			if _, err := os.Lstat(filepath.Join(b, p)); err == nil {
				g["modified"][p] = true
			} else {
				g["missing"][p] = true
			}
		case flags[2] == 'c' || flags[3] == 's':
			g["modified"][p] = true
		case flags[1] == 'd':
			if flags[5] == 'p' {
				g["metadata"][p] = true
			} // .d..t: a directory's own mtime is not drift
		case flags[4] == 't' || flags[5] == 'p':
			g["metadata"][p] = true
		}
	}
	return g
}

// unescapeRsync undoes rsync's \#ooo escapes of unprintable bytes.
func unescapeRsync(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 < len(s) && s[i+1] == '#' {
			var v int
			if _, err := fmt.Sscanf(s[i+2:i+5], "%3o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 4
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func diffExpect(t *testing.T, name string, want, have expectation) {
	t.Helper()
	for _, cat := range []string{"missing", "extra", "modified", "metadata"} {
		var extra, lacking []string
		for p := range have[cat] {
			if !want[cat][p] {
				extra = append(extra, p)
			}
		}
		for p := range want[cat] {
			if !have[cat][p] {
				lacking = append(lacking, p)
			}
		}
		sort.Strings(extra)
		sort.Strings(lacking)
		if len(extra)+len(lacking) > 0 {
			t.Errorf("%s %s: unexpected %q, not reported %q", name, cat, extra, lacking)
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
