package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// folderInfo is the part of `holdfast watch list --json` used here.
type folderInfo struct {
	Path    string     `json:"path"`
	Ready   bool       `json:"ready"`
	Files   int        `json:"files"`
	Updated *time.Time `json:"updated"`
	Error   string     `json:"error"`
}

func watchList(hf, home string) (map[string]folderInfo, error) {
	out, err := exec.Command(hf, "--home", home, "watch", "list", "--json").Output()
	if err != nil {
		return nil, fmt.Errorf("holdfast watch list: %w", err)
	}
	var fs []folderInfo
	if err := json.Unmarshal(out, &fs); err != nil {
		return nil, fmt.Errorf("holdfast watch list: %w", err)
	}
	m := map[string]folderInfo{}
	for _, f := range fs {
		m[f.Path] = f
	}
	return m, nil
}

func absAll(dirs []string) ([]string, error) {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		a, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// cmdReady polls until every folder is ready and prints the seconds
// waited.
func cmdReady(args []string) error {
	fl := flag.NewFlagSet("ready", flag.ExitOnError)
	hf := fl.String("hf", "holdfast", "holdfast binary")
	home := fl.String("home", "", "home of the running engine")
	timeout := fl.Duration("timeout", 10*time.Minute, "give up after")
	_ = fl.Parse(args)
	dirs, err := absAll(fl.Args())
	if err != nil || len(dirs) == 0 {
		usage()
	}
	start := time.Now()
	for {
		m, err := watchList(*hf, *home)
		if err != nil {
			return err
		}
		done := true
		for _, d := range dirs {
			f, ok := m[d]
			if !ok {
				return fmt.Errorf("%s is not watched", d)
			}
			if f.Error != "" {
				return fmt.Errorf("%s: %s", d, f.Error)
			}
			done = done && f.Ready
		}
		if done {
			fmt.Printf("%.3f\n", time.Since(start).Seconds())
			return nil
		}
		if time.Since(start) > *timeout {
			return fmt.Errorf("not ready after %s", *timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmdLatency writes n new files into dir, one at a time, and for each
// reports the time from just before the write to the moment the engine's
// tree changed, as the engine stamps it (`updated` of watch list): so the
// polling cost of this program does not count. It prints one JSON line
// {"latencies_s":[...]}.
func cmdLatency(args []string) error {
	fl := flag.NewFlagSet("latency", flag.ExitOnError)
	hf := fl.String("hf", "holdfast", "holdfast binary")
	home := fl.String("home", "", "home of the running engine")
	n := fl.Int("n", 20, "writes")
	_ = fl.Parse(args)
	dirs, err := absAll(fl.Args())
	if err != nil || len(dirs) != 1 {
		usage()
	}
	dir := dirs[0]
	var lat []float64
	for i := range *n {
		m, err := watchList(*hf, *home)
		if err != nil {
			return err
		}
		before := m[dir].Updated
		// Wait out a quiet second so writes do not share one debounce.
		time.Sleep(time.Second)
		p := filepath.Join(dir, fmt.Sprintf("latency-%03d-%d.txt", i, time.Now().UnixNano()))
		t0 := time.Now()
		if err := os.WriteFile(p, []byte("a write to time\n"), 0o644); err != nil {
			return err
		}
		deadline := t0.Add(30 * time.Second)
		for {
			m, err := watchList(*hf, *home)
			if err != nil {
				return err
			}
			if u := m[dir].Updated; u != nil && (before == nil || u.After(*before)) && !u.Before(t0) {
				lat = append(lat, u.Sub(t0).Seconds())
				break
			}
			if time.Now().After(deadline) {
				return errors.New("the engine did not update the tree within 30 s of a write")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	b, _ := json.Marshal(map[string]any{"latencies_s": lat})
	fmt.Println(string(b))
	return nil
}

// cmdDBStats prints {"bytes":…,"keys":…} of one bucket: the bytes of its
// pages in use (leaf and branch), and its number of keys.
func cmdDBStats(args []string) error {
	fl := flag.NewFlagSet("dbstats", flag.ExitOnError)
	path := fl.String("db", "", "bbolt file")
	bucket := fl.String("bucket", "content.index", "bucket")
	_ = fl.Parse(args)
	db, err := bolt.Open(*path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(*bucket))
		if b == nil {
			return fmt.Errorf("%s: no bucket %s", *path, *bucket)
		}
		st := b.Stats()
		fmt.Printf("{\"bytes\":%d,\"alloc\":%d,\"keys\":%d}\n", st.LeafInuse+st.BranchInuse, st.LeafAlloc+st.BranchAlloc, st.KeyN)
		return nil
	})
}
