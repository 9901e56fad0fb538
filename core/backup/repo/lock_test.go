package repo

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func lockFiles(t *testing.T, r *Repository) []ID {
	t.Helper()
	ids, err := listIDs(filepath.Join(r.Dir(), "locks"))
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// fakeLease writes a lock file as another process would have.
func fakeLease(t *testing.T, r *Repository, l lockJSON) ID {
	t.Helper()
	l.Version = 1
	b, _ := json.Marshal(l)
	id, err := r.saveSealed(locksDir, b, adLock)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	if processAlive(pid) {
		t.Skip("PID reused already")
	}
	return pid
}

func TestLeases(t *testing.T) {
	ctx := context.Background()
	a := newTestRepo(t)
	b := reopen(t, a)

	type step struct {
		who       *Repository
		exclusive bool
		ok        bool
	}
	cases := []struct {
		name  string
		held  []bool // exclusive flags of leases held by a
		try   step
		after int // lock files expected while held
	}{
		{"shared+shared", []bool{false}, step{b, false, true}, 2},
		{"shared+shared+shared", []bool{false, false}, step{b, false, true}, 3},
		{"exclusive blocked by shared", []bool{false}, step{b, true, false}, 1},
		{"shared blocked by exclusive", []bool{true}, step{b, false, false}, 1},
		{"exclusive blocked by exclusive", []bool{true}, step{b, true, false}, 1},
		{"exclusive alone", nil, step{b, true, true}, 1},
		{"own process also conflicts", []bool{true}, step{a, false, false}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var held []*Lease
			for _, ex := range c.held {
				l, err := a.Lock(ctx, ex)
				if err != nil {
					t.Fatal(err)
				}
				held = append(held, l)
			}
			l, err := c.try.who.Lock(ctx, c.try.exclusive)
			if c.try.ok != (err == nil) {
				t.Fatalf("Lock(exclusive=%v) = %v", c.try.exclusive, err)
			}
			if err != nil && !errors.Is(err, ErrLocked) {
				t.Fatalf("conflict error does not wrap ErrLocked: %v", err)
			}
			if n := len(lockFiles(t, a)); n != c.after {
				t.Fatalf("%d lock files, want %d", n, c.after)
			}
			if l != nil {
				if err := l.Release(); err != nil {
					t.Fatal(err)
				}
				if err := l.Release(); err != nil {
					t.Fatal("second Release:", err)
				}
			}
			for _, h := range held {
				h.Release()
			}
			if n := len(lockFiles(t, a)); n != 0 {
				t.Fatalf("%d lock files left after release", n)
			}
		})
	}
}

func TestStaleLeases(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	host := r.hostname
	cases := []struct {
		name  string
		lock  lockJSON
		stale bool
	}{
		{"old, other host", lockJSON{Time: time.Now().Add(-31 * time.Minute), Exclusive: true, Hostname: "elsewhere", PID: 1}, true},
		{"old, this host, live pid", lockJSON{Time: time.Now().Add(-31 * time.Minute), Exclusive: true, Hostname: host, PID: os.Getpid()}, true},
		{"dead pid, this host", lockJSON{Time: time.Now(), Exclusive: true, Hostname: host, PID: deadPID(t)}, true},
		{"invalid pid, this host", lockJSON{Time: time.Now(), Exclusive: true, Hostname: host, PID: -1}, true},
		{"fresh, other host", lockJSON{Time: time.Now(), Exclusive: true, Hostname: "elsewhere", PID: 999999}, false},
		{"fresh, live pid", lockJSON{Time: time.Now().Add(-29 * time.Minute), Exclusive: true, Hostname: host, PID: os.Getpid()}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := fakeLease(t, r, c.lock)
			l, err := r.Lock(ctx, true)
			if c.stale {
				if err != nil {
					t.Fatalf("stale lease blocked: %v", err)
				}
				for _, f := range lockFiles(t, r) {
					if f == id {
						t.Fatal("stale lock file not removed")
					}
				}
				l.Release()
			} else {
				if !errors.Is(err, ErrLocked) {
					t.Fatalf("live lease ignored: %v", err)
				}
				os.Remove(filepath.Join(r.Dir(), "locks", id.String()))
			}
		})
	}

	// An unreadable lock file counts as exclusive until its mtime is stale.
	junk := filepath.Join(r.Dir(), "locks", ID{7}.String())
	os.WriteFile(junk, []byte("junk"), 0o600)
	if _, err := r.Lock(ctx, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("fresh unreadable lock ignored: %v", err)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(junk, old, old)
	l, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatalf("stale unreadable lock blocked: %v", err)
	}
	l.Release()
	if _, err := os.Stat(junk); !os.IsNotExist(err) {
		t.Fatal("stale unreadable lock not removed")
	}
}

func TestLeaseRefreshAndLoss(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.leaseRefresh = 20 * time.Millisecond
	l, err := r.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	first := l.ID()
	deadline := time.Now().Add(5 * time.Second)
	for l.ID() == first && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l.ID() == first {
		t.Fatal("lease never refreshed")
	}
	time.Sleep(50 * time.Millisecond)
	if files := lockFiles(t, r); len(files) > 2 {
		t.Fatalf("refresh leaves old lock files: %d", len(files))
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	// Someone removes our lock file (e.g. they thought it stale). A
	// refresh racing with the removal may have just replaced it, so keep
	// removing until the loss is noticed.
	timeout := time.After(5 * time.Second)
removing:
	for {
		for _, id := range lockFiles(t, r) {
			os.Remove(filepath.Join(r.Dir(), "locks", id.String()))
		}
		select {
		case <-l.Lost():
			break removing
		case <-timeout:
			t.Fatal("lost lease not detected")
		case <-time.After(2 * time.Millisecond):
		}
	}
	if !errors.Is(l.Err(), ErrLeaseLost) {
		t.Fatalf("Err = %v", l.Err())
	}
	if err := l.Release(); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("Release after loss = %v", err)
	}
	if files := lockFiles(t, r); len(files) != 0 {
		t.Fatalf("%d lock files after release", len(files))
	}
}

// TestExclusiveLeaseRace: many lockers race for an exclusive lease; at no
// time may two hold it.
func TestExclusiveLeaseRace(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	var holders, maxHolders, wins atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		repo := reopen(t, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				l, err := repo.Lock(ctx, true)
				if err != nil {
					if !errors.Is(err, ErrLocked) {
						t.Error(err)
					}
					continue
				}
				n := holders.Add(1)
				for {
					m := maxHolders.Load()
					if n <= m || maxHolders.CompareAndSwap(m, n) {
						break
					}
				}
				wins.Add(1)
				time.Sleep(time.Millisecond)
				holders.Add(-1)
				l.Release()
			}
		}()
	}
	wg.Wait()
	if maxHolders.Load() > 1 {
		t.Fatalf("%d exclusive leases held at once", maxHolders.Load())
	}
	if wins.Load() == 0 {
		t.Fatal("nobody ever got the lease")
	}
}
