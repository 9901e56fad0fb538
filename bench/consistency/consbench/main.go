// Command consbench is the helper of the consistency benchmark
// (bench/consistency/run.sh): it makes the trees, waits on and times the
// watcher of a running engine, reads the index's size and writes the report.
//
//	consbench gen -files N [-seed S] DIR      a deterministic tree of N regular files
//	consbench mutate [-seed S] DIR            change a handful of entries of DIR, print what changed
//	consbench ready -hf BIN -home H DIR...     wait until a running engine's watched folders are ready
//	consbench latency -hf BIN -home H -n N DIR write N files in DIR, one at a time; time each until the engine's tree has it
//	consbench dbstats -db FILE -bucket B      bytes and keys of a bbolt bucket (the engine must be stopped)
//	consbench report -records F -md OUT       the tables of BENCHMARKS.md from the records
//
// Sizes follow a mix seen in home and source folders: 55 % below 4 KiB,
// 38 % 4–64 KiB, 6 % 64–512 KiB, 1 % 0.5–2 MiB (about 45 KB per file on
// average). Directories hold about 25 files each, nested up to about 6
// levels deep. Content
// is pseudo-random (incompressible; nothing here compresses). File mtimes
// are fixed from the seed, so `rsync -rn` between a tree and `cp -a` of it
// finds nothing.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

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
	case "ready":
		err = cmdReady(os.Args[2:])
	case "latency":
		err = cmdLatency(os.Args[2:])
	case "dbstats":
		err = cmdDBStats(os.Args[2:])
	case "report":
		err = cmdReport(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "consbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  consbench gen -files N [-seed S] DIR
  consbench mutate [-seed S] DIR
  consbench ready -hf BIN -home H [-timeout D] DIR...
  consbench latency -hf BIN -home H [-n N] DIR
  consbench dbstats -db FILE -bucket NAME
  consbench report -records FILE -md OUT`)
	os.Exit(2)
}

var baseTime = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

type spec struct {
	path string
	size int
	seed uint64
	mt   time.Time
}

// plan lays out n files: directories breadth first, 2–5 subdirectories
// each (8 at the top) until there is one directory per 25 files, then 10–40 files in
// each directory in turn until n files are placed.
func plan(n int, seed uint64) []spec {
	rng := rand.New(rand.NewPCG(seed, 1))
	need := max(1, n/25)
	dirs := []string{""}
	for i := 0; len(dirs) < need; i++ {
		k := 2 + rng.IntN(4)
		if i == 0 {
			k = 8 // a home folder: several top-level folders
		}
		for ; k > 0 && len(dirs) < need; k-- {
			dirs = append(dirs, filepath.Join(dirs[i], fmt.Sprintf("d%04d-%s", len(dirs), word(rng))))
		}
	}
	out := make([]spec, 0, n)
	for i := 0; len(out) < n; i = (i + 1) % len(dirs) {
		for k := 10 + rng.IntN(31); k > 0 && len(out) < n; k-- {
			out = append(out, spec{
				path: filepath.Join(dirs[i], fmt.Sprintf("%s-%06d.%s", word(rng), len(out), []string{"txt", "go", "json", "jpg", "log", "md"}[rng.IntN(6)])),
				size: size(rng),
				seed: rng.Uint64(),
				mt:   baseTime.Add(time.Duration(rng.IntN(3e7)) * time.Second),
			})
		}
	}
	return out
}

func size(rng *rand.Rand) int {
	switch r := rng.IntN(100); {
	case r < 55:
		return rng.IntN(4 << 10)
	case r < 93:
		return 4<<10 + rng.IntN(60<<10)
	case r < 99:
		return 64<<10 + rng.IntN(448<<10)
	default:
		return 512<<10 + rng.IntN(1536<<10)
	}
}

func word(rng *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 3+rng.IntN(6))
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

func cmdGen(args []string) error {
	fl := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fl.Int("files", 20000, "number of regular files")
	seed := fl.Uint64("seed", 1, "seed")
	_ = fl.Parse(args)
	if fl.NArg() != 1 || *n <= 0 {
		usage()
	}
	root := fl.Arg(0)
	files := plan(*n, *seed)
	jobs := make(chan spec, 256)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			buf := make([]byte, 4<<20)
			for f := range jobs {
				if err := write(root, f, buf); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	// Directory mtimes last, fixed too.
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		return os.Chtimes(p, baseTime, baseTime)
	})
}

func write(root string, f spec, buf []byte) error {
	p := filepath.Join(root, f.path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	c := rand.NewChaCha8([32]byte{byte(f.seed), byte(f.seed >> 8), byte(f.seed >> 16), byte(f.seed >> 24), byte(f.seed >> 32), byte(f.seed >> 40), byte(f.seed >> 48), byte(f.seed >> 56)})
	b := buf[:f.size]
	_, _ = c.Read(b)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return err
	}
	return os.Chtimes(p, f.mt, f.mt)
}

// cmdMutate makes a known handful of changes: 3 files rewritten (same
// size, new bytes, new mtime), 2 files touched only (mtime), 2 deleted,
// 2 added, 1 chmod. It prints one line per change.
func cmdMutate(args []string) error {
	fl := flag.NewFlagSet("mutate", flag.ExitOnError)
	seed := fl.Uint64("seed", 7, "seed")
	_ = fl.Parse(args)
	if fl.NArg() != 1 {
		usage()
	}
	root := fl.Arg(0)
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(files) < 20 {
		return fmt.Errorf("%s: too few files to mutate", root)
	}
	rng := rand.New(rand.NewPCG(*seed, 2))
	rng.Shuffle(len(files), func(i, j int) { files[i], files[j] = files[j], files[i] })
	now := time.Now().Add(-time.Hour) // outside any racy window
	rel := func(p string) string { r, _ := filepath.Rel(root, p); return r }
	k := 0
	next := func() string { k++; return files[k-1] }
	for range 3 {
		p := next()
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		b := make([]byte, max(fi.Size(), 1))
		c := rand.NewChaCha8([32]byte{byte(rng.Uint64())})
		_, _ = c.Read(b)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(p, now, now); err != nil {
			return err
		}
		fmt.Println("modified", rel(p))
	}
	for range 2 {
		p := next()
		if err := os.Chtimes(p, now, now); err != nil {
			return err
		}
		fmt.Println("touched", rel(p))
	}
	for range 2 {
		p := next()
		if err := os.Remove(p); err != nil {
			return err
		}
		fmt.Println("deleted", rel(p))
	}
	for i := range 2 {
		p := filepath.Join(filepath.Dir(next()), fmt.Sprintf("added-%d.txt", i))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("new file %d\n", i)), 0o644); err != nil {
			return err
		}
		if err := os.Chtimes(p, now, now); err != nil {
			return err
		}
		fmt.Println("added", rel(p))
	}
	p := next()
	if err := os.Chmod(p, 0o600); err != nil {
		return err
	}
	fmt.Println("chmod", rel(p))
	return nil
}
