package watch

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestStateCountsBytesAndChangesAreHeard(t *testing.T) {
	var mu sync.Mutex
	heard := map[string]int{}
	s, _ := newService(t, Options{OnChange: func(folder string) {
		mu.Lock()
		heard[folder]++
		mu.Unlock()
	}})
	dir := t.TempDir()
	// waitHeard waits until the folder was heard of more than n times.
	waitHeard := func(t *testing.T, n int) int {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			got := heard[dir]
			mu.Unlock()
			if got > n {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("the change after %d was not heard", n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 1000), 0o644)
	os.WriteFile(filepath.Join(dir, "sub", "b"), make([]byte, 24), 0o644)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(context.Background()) })
	if err := s.Add(dir); err != nil {
		t.Fatal(err)
	}
	settle(t, s, dir, "first scan")
	st, _ := s.State(dir)
	if st.Files != 2 || st.Bytes != 1024 {
		t.Errorf("state after the first scan: %d files, %d bytes", st.Files, st.Bytes)
	}
	first := waitHeard(t, 0)

	os.WriteFile(filepath.Join(dir, "sub", "c"), make([]byte, 76), 0o644)
	settle(t, s, dir, "a new file")
	st, _ = s.State(dir)
	waitHeard(t, first)
	if st.Files != 3 || st.Bytes != 1100 {
		t.Errorf("after a new file: %d files, %d bytes", st.Files, st.Bytes)
	}
	var info FolderInfo
	if info, _ = s.info(dir); info.Bytes != 1100 || info.Files != 3 {
		t.Errorf("watch.list: %+v", info)
	}
}
