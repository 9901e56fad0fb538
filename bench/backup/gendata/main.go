// Command gendata makes and checks the data sets of the backup benchmark
// (bench/backup/run.sh).
//
//	gendata gen [-size BYTES] [-seed N] DIR   deterministic test tree (~2 GB by default)
//	gendata mutate [-seed N] [-percent P] DIR  rewrite part of P% of the files, move their mtime
//	gendata verify SRC DST                     compare two trees (content, type, mode, mtime)
//	gendata share DIR                          share of bytes zstd (default level) shrinks by >= 3%
//	gendata stats DIR                          files, dirs, symlinks and bytes of a tree
//
// Everything is derived from fixed seeds: the same -size and -seed give
// byte-identical trees (content, names and file mtimes) on any machine.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/holdfast/holdfast/core/backup/repo"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	// fullSize is the nominal size of the full data set; counts scale
	// with -size relative to it.
	fullSize = 2_000_000_000
	// blockSize is the repeated block found inside several files.
	blockSize = 10 * mib
)

// baseTime is the mtime of the first generated file; file i gets
// baseTime + i minutes.
var baseTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = cmdGen(os.Args[2:])
	case "mutate":
		err = cmdMutate(os.Args[2:])
	case "verify":
		err = cmdVerify(os.Args[2:])
	case "share":
		err = cmdShare(os.Args[2:])
	case "stats":
		err = cmdStats(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  gendata gen [-size BYTES] [-seed N] DIR
  gendata mutate [-seed N] [-percent P] DIR
  gendata verify [-mtime=false] SRC DST
  gendata share DIR
  gendata stats DIR`)
	os.Exit(2)
}

// parseSize accepts plain bytes or a K/M/G (decimal) suffix.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1_000_000_000, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1_000_000, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1_000, strings.TrimSuffix(s, "K")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(f * float64(mult)), nil
}

// ---------------------------------------------------------------- plan

type kind string

const (
	kText   kind = "text"   // word text, Zipf-distributed vocabulary
	kLog    kind = "log"    // timestamped log lines
	kJSON   kind = "json"   // NDJSON records
	kRandom kind = "random" // incompressible
)

func (k kind) compressible() bool { return k != kRandom }

type fileSpec struct {
	Path    string  `json:"path"`
	Kind    kind    `json:"kind"`
	Size    int64   `json:"size"`
	Seed    uint64  `json:"seed"`
	Inserts []int64 `json:"inserts,omitempty"` // offsets of the repeated 10 MiB block
	CopyOf  string  `json:"copy_of,omitempty"` // same content as that file
	MTime   int64   `json:"mtime"`             // unix seconds
}

type manifest struct {
	Seed                uint64      `json:"seed"`
	Size                int64       `json:"size_requested"`
	Bytes               int64       `json:"bytes"`
	CompressibleBytes   int64       `json:"compressible_bytes"`
	IncompressibleBytes int64       `json:"incompressible_bytes"`
	RepeatedBlockBytes  int64       `json:"repeated_block_bytes"`
	CopiedBytes         int64       `json:"copied_bytes"`
	Files               []fileSpec  `json:"files"`
	Symlinks            [][2]string `json:"symlinks"`
	EmptyDirs           []string    `json:"empty_dirs"`
}

// plan lays out the tree for a requested size. At 2 GB: ~20,000 small
// files (1-64 KiB) in nested directories, 30 medium files (1-20 MiB, 4 of
// them copies), 6 large files (100-250 MiB, 1 a copy); a 10 MiB block
// repeats inside 4 files; about half the bytes are compressible.
func plan(size int64, seed uint64) *manifest {
	scale := float64(size) / fullSize
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	m := &manifest{Seed: seed, Size: size}
	words := vocabulary(seed, 4000)
	n := 0
	mtime := func() int64 { n++; return baseTime.Add(time.Duration(n) * time.Minute).Unix() }
	fileSeed := func() uint64 { return rng.Uint64() }

	// Large files: nominally 100-250 MiB; shrunk for small sets so they
	// stay about half of the bytes.
	nLarge := max(3, int(math.Round(6*scale)))
	largeLo, largeHi := float64(100*mib), float64(250*mib)
	if budget := 0.52 * float64(size); float64(nLarge)*(largeLo+largeHi)/2 > budget {
		f := budget / (float64(nLarge) * (largeLo + largeHi) / 2)
		largeLo, largeHi = largeLo*f, largeHi*f
	}
	largeKinds := []kind{kLog, kRandom, kJSON, kRandom, kText}
	var large []fileSpec
	for i := 0; i < nLarge-1; i++ {
		k := largeKinds[i%len(largeKinds)]
		s := int64(largeLo + rng.Float64()*(largeHi-largeLo))
		f := fileSpec{Path: fmt.Sprintf("big/%s-%02d.%s", words[i*7%len(words)], i, ext(k, true)), Kind: k, Size: s, Seed: fileSeed(), MTime: mtime()}
		switch i % len(largeKinds) {
		case 1: // random with the repeated block twice (and so its copy)
			f.Inserts = []int64{s / 4, s - s/4 - blockSize}
		case 3: // random with the repeated block three times
			f.Inserts = []int64{s / 8, s / 2, s - s/8 - blockSize}
		case 4: // text with the block once
			f.Inserts = []int64{s / 3}
		}
		large = append(large, f)
	}
	// The last large file is a copy of the first incompressible one.
	src := large[1]
	large = append(large, fileSpec{Path: "archive/old-big/" + filepath.Base(src.Path) + ".bak", Kind: src.Kind, Size: src.Size,
		Seed: src.Seed, Inserts: src.Inserts, CopyOf: src.Path, MTime: mtime()})
	m.Files = append(m.Files, large...)

	// Medium files: 1-20 MiB, the last 4 copies of the first 4.
	nMed := max(6, int(math.Round(30*scale)))
	nCopies := max(1, nMed*4/30)
	medKinds := []kind{kText, kRandom, kJSON, kLog, kRandom}
	var med []fileSpec
	for i := 0; i < nMed-nCopies; i++ {
		k := medKinds[i%len(medKinds)]
		s := int64(mib + rng.Float64()*19*mib)
		dir := []string{"media", "docs", "exports", "db"}[i%4]
		f := fileSpec{Path: fmt.Sprintf("%s/%s-%03d.%s", dir, words[(i*13+5)%len(words)], i, ext(k, false)), Kind: k, Size: s, Seed: fileSeed(), MTime: mtime()}
		if i%10 == 1 && s > blockSize+mib { // some medium files carry the repeated block
			f.Inserts = []int64{s - blockSize - mib/2}
		}
		med = append(med, f)
	}
	for i := 0; i < nCopies; i++ {
		src := med[i]
		med = append(med, fileSpec{Path: fmt.Sprintf("archive/copies/%d-%s", i, filepath.Base(src.Path)), Kind: src.Kind, Size: src.Size,
			Seed: src.Seed, Inserts: src.Inserts, CopyOf: src.Path, MTime: mtime()})
	}
	m.Files = append(m.Files, med...)

	// Small files: 1-64 KiB, nested 1-4 levels below small/.
	nSmall := max(100, int(math.Round(20000*scale)))
	top := []string{"src", "notes", "photos", "mail", "projects", "config", "var", "home"}
	for i := 0; i < nSmall; i++ {
		var k kind
		switch r := rng.IntN(100); {
		case r < 35:
			k = kText
		case r < 45:
			k = kJSON
		case r < 55:
			k = kLog
		default:
			k = kRandom
		}
		parts := []string{"small", top[rng.IntN(len(top))]}
		for d := rng.IntN(4); d > 0; d-- {
			parts = append(parts, words[len(parts)*5+rng.IntN(5)])
		}
		parts = append(parts, fmt.Sprintf("%s-%05d.%s", words[rng.IntN(len(words))], i, ext(k, false)))
		m.Files = append(m.Files, fileSpec{Path: strings.Join(parts, "/"), Kind: k, Size: int64(kib + rng.IntN(63*kib+1)),
			Seed: fileSeed(), MTime: mtime()})
	}
	// A few empty files, symlinks and an empty directory, so restores
	// are checked on them too.
	for i := 0; i < 3; i++ {
		m.Files = append(m.Files, fileSpec{Path: fmt.Sprintf("small/config/empty-%d.lock", i), Kind: kText, Seed: fileSeed(), MTime: mtime()})
	}
	m.Symlinks = [][2]string{
		{"big/latest", filepath.Base(large[0].Path)},
		{"small/config/current", "../src"},
		{"docs-link", "docs"},
		{"dangling", "does/not/exist"},
	}
	m.EmptyDirs = []string{"var/empty", "small/config/empty.d"}

	for _, f := range m.Files {
		m.Bytes += f.Size
		ins := int64(0)
		for _, off := range f.Inserts {
			ins += min(blockSize, f.Size-off)
		}
		m.RepeatedBlockBytes += ins
		if f.CopyOf != "" {
			m.CopiedBytes += f.Size
		}
		if f.Kind.compressible() {
			m.CompressibleBytes += f.Size - ins
			m.IncompressibleBytes += ins
		} else {
			m.IncompressibleBytes += f.Size
		}
	}
	return m
}

func ext(k kind, large bool) string {
	switch k {
	case kText:
		if large {
			return "txt"
		}
		return "md"
	case kLog:
		return "log"
	case kJSON:
		return "json"
	}
	return "bin"
}

// vocabulary returns n distinct pronounceable words.
func vocabulary(seed uint64, n int) []string {
	rng := rand.New(rand.NewPCG(seed, 7))
	cons := []string{"b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "st", "tr", "ch", "sh", "br"}
	vow := []string{"a", "e", "i", "o", "u", "ai", "ou", "ea"}
	seen := map[string]bool{}
	out := make([]string, 0, n)
	for len(out) < n {
		var b strings.Builder
		for s := 1 + rng.IntN(3); s > 0; s-- {
			b.WriteString(cons[rng.IntN(len(cons))])
			b.WriteString(vow[rng.IntN(len(vow))])
		}
		if rng.IntN(3) == 0 {
			b.WriteString(cons[rng.IntN(len(cons))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// ---------------------------------------------------------------- content

// source fills buffers with a file's generated content.
type source interface{ fill(p []byte) }

type randomSource struct{ c *rand.ChaCha8 }

func (r randomSource) fill(p []byte) { r.c.Read(p) }

// lineSource produces text one line at a time.
type lineSource struct {
	rng     *rand.Rand
	words   []string
	zipf    []uint16 // lookup table: uniform index -> Zipf-distributed word
	kind    kind
	pending []byte
	t       time.Time
	n       int
}

func (s *lineSource) word() string { return s.words[s.zipf[s.rng.Uint32()&0xffff]] }

func (s *lineSource) line() {
	b := s.pending[:0]
	switch s.kind {
	case kLog:
		s.t = s.t.Add(time.Duration(s.rng.IntN(2000)) * time.Millisecond)
		lvl := []string{"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"}[s.rng.IntN(6)]
		b = s.t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		b = fmt.Appendf(b, " %-5s %s[%d]: ", lvl, s.words[s.rng.IntN(40)], 1000+s.rng.IntN(50))
		for i := 3 + s.rng.IntN(8); i > 0; i-- {
			b = append(b, s.word()...)
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "req=%08x dur=%dms status=%d\n", s.rng.Uint32(), s.rng.IntN(900), []int{200, 200, 200, 204, 304, 404, 500}[s.rng.IntN(7)])
	case kJSON:
		s.n++
		b = fmt.Appendf(b, `{"id":%d,"user":"%s.%s","active":%t,"score":%.3f,"tags":["%s","%s"],"created":"%s","note":"`,
			s.n, s.word(), s.word(), s.rng.IntN(2) == 0, s.rng.Float64()*100, s.word(), s.word(),
			s.t.Add(time.Duration(s.n)*time.Second).Format(time.RFC3339))
		for i := 2 + s.rng.IntN(10); i > 0; i-- {
			b = append(b, s.word()...)
			if i > 1 {
				b = append(b, ' ')
			}
		}
		b = append(b, "\"}\n"...)
	default: // prose, in paragraphs
		for i := 5 + s.rng.IntN(12); i > 0; i-- {
			w := s.word()
			if len(b) == 0 {
				b = append(b, w[0]-'a'+'A')
				b = append(b, w[1:]...)
			} else {
				b = append(b, w...)
			}
			if i > 1 {
				b = append(b, ' ')
			}
		}
		b = append(b, ".\n"...)
		if s.rng.IntN(6) == 0 {
			b = append(b, '\n')
		}
	}
	s.pending = b
}

func (s *lineSource) fill(p []byte) {
	for len(p) > 0 {
		if len(s.pending) == 0 {
			s.line()
		}
		n := copy(p, s.pending)
		p = p[n:]
		s.pending = s.pending[n:]
	}
}

// zipfTable maps 16 bits of randomness to word ranks with P(rank r) ~ 1/(r+1)^1.1.
func zipfTable(n int) []uint16 {
	w := make([]float64, n)
	sum := 0.0
	for r := range w {
		w[r] = 1 / math.Pow(float64(r+1), 1.1)
		sum += w[r]
	}
	t := make([]uint16, 1<<16)
	r, acc := 0, w[0]/sum
	for i := range t {
		for float64(i)/float64(len(t)) >= acc && r < n-1 {
			r++
			acc += w[r] / sum
		}
		t[i] = uint16(r)
	}
	return t
}

func newSource(f fileSpec, words []string, zipf []uint16) source {
	if f.Kind == kRandom {
		var s [32]byte
		for i := range 4 {
			v := f.Seed*0x9e3779b97f4a7c15 + uint64(i)*0xbf58476d1ce4e5b9
			for j := range 8 {
				s[i*8+j] = byte(v >> (8 * j))
			}
		}
		return randomSource{rand.NewChaCha8(s)}
	}
	return &lineSource{rng: rand.New(rand.NewPCG(f.Seed, 1)), words: words, zipf: zipf, kind: f.Kind,
		t: time.Unix(f.MTime, 0).UTC().Add(-30 * 24 * time.Hour)}
}

func repeatedBlock(seed uint64) []byte {
	var s [32]byte
	copy(s[:], "holdfast-bench-repeated-block!!!")
	s[0] ^= byte(seed)
	b := make([]byte, blockSize)
	rand.NewChaCha8(s).Read(b)
	return b
}

func writeFile(root string, f fileSpec, words []string, zipf []uint16, block []byte, buf []byte) error {
	path := filepath.Join(root, filepath.FromSlash(f.Path))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	src := newSource(f, words, zipf)
	inserts := append([]int64(nil), f.Inserts...)
	sort.Slice(inserts, func(i, j int) bool { return inserts[i] < inserts[j] })
	var pos int64
	for pos < f.Size {
		if len(inserts) > 0 && pos >= inserts[0] {
			n := min(int64(len(block)), f.Size-pos)
			if _, err := out.Write(block[:n]); err != nil {
				out.Close()
				return err
			}
			pos += n
			inserts = inserts[1:]
			continue
		}
		n := min(int64(len(buf)), f.Size-pos)
		if len(inserts) > 0 {
			n = min(n, inserts[0]-pos)
		}
		src.fill(buf[:n])
		if _, err := out.Write(buf[:n]); err != nil {
			out.Close()
			return err
		}
		pos += n
	}
	if err := out.Close(); err != nil {
		return err
	}
	t := time.Unix(f.MTime, 0)
	return os.Chtimes(path, t, t)
}

func cmdGen(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ExitOnError)
	sizeS := fl.String("size", "2G", "approximate total size (bytes, or with K/M/G suffix)")
	seed := fl.Uint64("seed", 1, "seed")
	fl.Parse(args)
	if fl.NArg() != 1 {
		return errors.New("gen needs DIR")
	}
	size, err := parseSize(*sizeS)
	if err != nil {
		return err
	}
	dir := filepath.Clean(fl.Arg(0))
	m := plan(size, *seed)
	mpath := dir + ".manifest.json"
	if old, err := os.ReadFile(mpath); err == nil {
		var om manifest
		if json.Unmarshal(old, &om) == nil && om.Seed == m.Seed && om.Size == m.Size && om.Bytes == m.Bytes {
			if _, err := os.Stat(dir); err == nil {
				fmt.Printf("%s already holds this data set (%d files, %d bytes); nothing to do\n", dir, len(m.Files), m.Bytes)
				return nil
			}
		}
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s exists but is not this data set (no matching %s): remove it first", dir, mpath)
	}
	tmp := dir + ".partial"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	start := time.Now()
	words := vocabulary(*seed, 4000)
	zipf := zipfTable(len(words))
	block := repeatedBlock(*seed)

	// Biggest first, so the workers finish together.
	order := make([]int, len(m.Files))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return m.Files[order[a]].Size > m.Files[order[b]].Size })
	jobs := make(chan int)
	errc := make(chan error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, mib)
			for i := range jobs {
				if err := writeFile(tmp, m.Files[i], words, zipf, block, buf); err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		}()
	}
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	for _, l := range m.Symlinks {
		p := filepath.Join(tmp, filepath.FromSlash(l[0]))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(l[1], p); err != nil {
			return err
		}
	}
	for _, d := range m.EmptyDirs {
		if err := os.MkdirAll(filepath.Join(tmp, filepath.FromSlash(d)), 0o755); err != nil {
			return err
		}
	}
	raw, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	if err := os.WriteFile(mpath, raw, 0o644); err != nil {
		return err
	}
	fmt.Printf("generated %s: %d files, %d bytes (%.0f%% compressible, %d in copies, %d in repeated 10 MiB blocks) in %.1fs\n",
		dir, len(m.Files), m.Bytes, 100*float64(m.CompressibleBytes)/float64(m.Bytes), m.CopiedBytes, m.RepeatedBlockBytes,
		time.Since(start).Seconds())
	return nil
}

// ---------------------------------------------------------------- mutate

// regularFiles lists the regular files below dir in lexical order.
func regularFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func cmdMutate(args []string) error {
	fl := flag.NewFlagSet("mutate", flag.ExitOnError)
	seed := fl.Uint64("seed", 1, "seed")
	pct := fl.Float64("percent", 1, "percentage of the files to change")
	fl.Parse(args)
	if fl.NArg() != 1 {
		return errors.New("mutate needs DIR")
	}
	files, err := regularFiles(fl.Arg(0))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return errors.New("no files to mutate")
	}
	rng := rand.New(rand.NewPCG(*seed, 42))
	k := int(math.Ceil(float64(len(files)) * *pct / 100))
	perm := rng.Perm(len(files))[:k]
	sort.Ints(perm)
	var rewritten int64
	for _, i := range perm {
		p := files[i]
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		// Rewrite an eighth of the file (1 byte to 4 MiB) at a random
		// offset, with random bytes; an empty file gets one byte.
		size := fi.Size()
		n := min(max(size/8, 1), 4*mib)
		off := int64(0)
		if size > n {
			off = rng.Int64N(size - n + 1)
		}
		b := make([]byte, n)
		var s [32]byte
		s[0], s[1], s[2] = byte(i), byte(i>>8), byte(i>>16)
		rand.NewChaCha8(s).Read(b)
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(b, off); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		rewritten += n
		// A deterministic new mtime, an hour and a second after the old.
		t := fi.ModTime().Add(time.Hour + time.Second)
		if err := os.Chtimes(p, t, t); err != nil {
			return err
		}
	}
	fmt.Printf("mutated %d of %d files (%d bytes rewritten)\n", k, len(files), rewritten)
	return nil
}

// ---------------------------------------------------------------- verify

type entry struct {
	mode   fs.FileMode
	size   int64
	mtime  time.Time
	target string
}

func scan(root string) (map[string]entry, error) {
	out := map[string]entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		e := entry{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime()}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if e.target, err = os.Readlink(p); err != nil {
				return err
			}
		}
		out[rel] = e
		return nil
	})
	return out, err
}

func sameContent(a, b string, bufA, bufB []byte) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	for {
		na, ea := io.ReadFull(fa, bufA)
		nb, eb := io.ReadFull(fb, bufB)
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == io.EOF || eb == io.ErrUnexpectedEOF, nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}

func cmdVerify(args []string) error {
	fl := flag.NewFlagSet("verify", flag.ExitOnError)
	checkMtime := fl.Bool("mtime", true, "require equal mtimes of regular files and symlinks (to the microsecond)")
	fl.Parse(args)
	if fl.NArg() != 2 {
		return errors.New("verify needs SRC DST")
	}
	srcRoot, dstRoot := fl.Arg(0), fl.Arg(1)
	src, err := scan(srcRoot)
	if err != nil {
		return err
	}
	dst, err := scan(dstRoot)
	if err != nil {
		return err
	}
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	var toCompare []string
	var files, dirs, links int
	var bytesN int64
	names := make([]string, 0, len(src))
	for n := range src {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := src[n]
		d, ok := dst[n]
		if !ok {
			bad("missing: %s", n)
			continue
		}
		if s.mode.Type() != d.mode.Type() {
			bad("type differs: %s (%v vs %v)", n, s.mode.Type(), d.mode.Type())
			continue
		}
		switch {
		case s.mode.IsRegular():
			files++
			bytesN += s.size
			if s.size != d.size {
				bad("size differs: %s (%d vs %d)", n, s.size, d.size)
				continue
			}
			toCompare = append(toCompare, n)
		case s.mode&fs.ModeSymlink != 0:
			links++
			if s.target != d.target {
				bad("symlink target differs: %s (%q vs %q)", n, s.target, d.target)
			}
		case s.mode.IsDir():
			dirs++
		}
		if s.mode&fs.ModeSymlink == 0 && s.mode.Perm() != d.mode.Perm() {
			bad("mode differs: %s (%v vs %v)", n, s.mode, d.mode)
		}
		if *checkMtime && !s.mode.IsDir() && !s.mtime.Truncate(time.Microsecond).Equal(d.mtime.Truncate(time.Microsecond)) {
			bad("mtime differs: %s (%v vs %v)", n, s.mtime, d.mtime)
		}
	}
	for n := range dst {
		if _, ok := src[n]; !ok {
			bad("extra: %s", n)
		}
	}
	// Content, in parallel.
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, b := make([]byte, mib), make([]byte, mib)
			for n := range jobs {
				same, err := sameContent(filepath.Join(srcRoot, n), filepath.Join(dstRoot, n), a, b)
				if err != nil || !same {
					mu.Lock()
					if err != nil {
						bad("content unreadable: %s: %v", n, err)
					} else {
						bad("content differs: %s", n)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, n := range toCompare {
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	if len(problems) > 0 {
		sort.Strings(problems)
		fmt.Fprintf(os.Stderr, "RESTORE MISMATCH: %s vs %s: %d problems\n", srcRoot, dstRoot, len(problems))
		for i, p := range problems {
			if i == 30 {
				fmt.Fprintf(os.Stderr, "  ... and %d more\n", len(problems)-30)
				break
			}
			fmt.Fprintln(os.Stderr, "  "+p)
		}
		return errors.New("trees differ")
	}
	fmt.Printf("verified: %d files (%d bytes), %d dirs, %d symlinks identical\n", files, bytesN, dirs, links)
	return nil
}

// ---------------------------------------------------------------- share, stats

// cmdShare estimates which share of the bytes Holdfast would store
// compressed: files are cut into 1 MiB blocks (about Holdfast's average
// chunk) and each block counts as compressible when zstd at the default
// level with a 512 KiB window (Holdfast's settings and compressor,
// repo.CompressFrame) makes it >= 3% smaller. It also reports that
// compressor's single-core throughput on this data (bytes over the summed
// CPU time of the calls, in each thread's own CPU time).
func cmdShare(args []string) error {
	if len(args) != 1 {
		return errors.New("share needs DIR")
	}
	files, err := regularFiles(args[0])
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var total, comp, compOut int64
	var encTime time.Duration
	jobs := make(chan string)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lockThread()
			buf := make([]byte, mib)
			var dst []byte
			for p := range jobs {
				f, err := os.Open(p)
				if err != nil {
					select {
					case errc <- err:
					default:
					}
					continue
				}
				var t, c, co int64
				var et time.Duration
				for {
					n, err := io.ReadFull(f, buf)
					if n > 0 {
						t += int64(n)
						t0 := threadClock()
						var cerr error
						dst, cerr = repo.CompressFrame(dst[:0], buf[:n])
						et += threadClock() - t0
						if cerr != nil {
							select {
							case errc <- fmt.Errorf("%s: %w", p, cerr):
							default:
							}
							break
						}
						if int64(len(dst))*100 <= int64(n)*97 {
							c += int64(n)
							co += int64(len(dst))
						}
					}
					if err != nil {
						break
					}
				}
				f.Close()
				mu.Lock()
				total, comp, compOut = total+t, comp+c, compOut+co
				encTime += et
				mu.Unlock()
			}
		}()
	}
	for _, p := range files {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	share, ratio, mbps := 0.0, 1.0, 0.0
	if encTime > 0 {
		mbps = float64(total) / 1e6 / encTime.Seconds()
	}
	if total > 0 {
		share = float64(comp) / float64(total)
	}
	if comp > 0 {
		ratio = float64(compOut) / float64(comp)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"compressible_bytes": comp, "compressible_share": share, "compressible_ratio": ratio, "zstd_mbps": math.Round(mbps*10) / 10,
	})
}

func cmdStats(args []string) error {
	if len(args) != 1 {
		return errors.New("stats needs DIR")
	}
	var files, dirs, links int
	var total int64
	err := filepath.WalkDir(args[0], func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			files++
			total += fi.Size()
		case d.IsDir():
			dirs++
		case d.Type()&fs.ModeSymlink != 0:
			links++
		}
		return nil
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"files": files, "dirs": dirs, "symlinks": links, "bytes": total})
}
