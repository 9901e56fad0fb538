package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Lease timing: a held lease is rewritten every LeaseRefreshInterval; a
// lease whose time is older than LeaseStaleAge is stale.
const (
	LeaseRefreshInterval = 5 * time.Minute
	LeaseStaleAge        = 30 * time.Minute
)

var (
	// ErrLocked: a conflicting live lease exists.
	ErrLocked = errors.New("repository is locked")
	// ErrLeaseLost: a held lease's file disappeared or could not be
	// refreshed in time; the operation is no longer protected.
	ErrLeaseLost = errors.New("lease lost")
)

// lockJSON is the plaintext of locks/<id>.
type lockJSON struct {
	Version   int       `json:"version"`
	Time      time.Time `json:"time"`
	Exclusive bool      `json:"exclusive"`
	Hostname  string    `json:"hostname"`
	Username  string    `json:"username"`
	PID       int       `json:"pid"`
}

// LeaseInfo describes a lock file.
type LeaseInfo struct {
	ID        ID
	Time      time.Time
	Exclusive bool
	Hostname  string
	Username  string
	PID       int
	// Unreadable: the file failed to authenticate or decode; it is
	// treated as a live exclusive lease until its mtime is stale.
	Unreadable bool
}

func (li *LeaseInfo) String() string {
	if li.Unreadable {
		return fmt.Sprintf("unreadable lock file %s/%s", locksDir, li.ID)
	}
	kind := "shared"
	if li.Exclusive {
		kind = "exclusive"
	}
	return fmt.Sprintf("%s lease by %s@%s (PID %d) refreshed %s (lock %s)",
		kind, li.Username, li.Hostname, li.PID, li.Time.Format(time.RFC3339), li.ID.Short())
}

func decodeLock(b []byte) (lockJSON, error) {
	var l lockJSON
	if len(b) > maxLockFile {
		return l, errors.New("lock too large")
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, err
	}
	if l.Version != 1 {
		return l, fmt.Errorf("unsupported lock version %d", l.Version)
	}
	if l.Time.IsZero() {
		return l, errors.New("lock has no time")
	}
	return l, nil
}

func (r *Repository) writeLock(exclusive bool, t time.Time) (ID, error) {
	b, err := json.Marshal(lockJSON{
		Version: 1, Time: t.UTC(), Exclusive: exclusive,
		Hostname: r.hostname, Username: r.username, PID: os.Getpid(),
	})
	if err != nil {
		return ID{}, err
	}
	return r.saveSealed(locksDir, b, adLock)
}

// stale reports whether a lease can be ignored and removed.
func (r *Repository) stale(li *LeaseInfo, now time.Time) bool {
	if now.Sub(li.Time) > r.leaseStale {
		return true
	}
	return !li.Unreadable && li.Hostname != "" && li.Hostname == r.hostname && !processAlive(li.PID)
}

// ListLeases returns the live leases, removing stale ones on the way.
func (r *Repository) ListLeases(ctx context.Context) ([]LeaseInfo, error) {
	return r.liveLeases(ctx, ID{})
}

func (r *Repository) liveLeases(ctx context.Context, self ID) ([]LeaseInfo, error) {
	dir := filepath.Join(r.dir, locksDir)
	ids, err := listIDs(dir)
	if err != nil {
		return nil, err
	}
	var out []LeaseInfo
	now := time.Now()
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if id == self {
			continue
		}
		li := LeaseInfo{ID: id}
		b, err := r.readVerified(locksDir, id, maxLockFile)
		if errors.Is(err, ErrNotFound) {
			continue // released meanwhile
		}
		var l lockJSON
		if err == nil {
			var pt []byte
			if pt, err = r.aead.Open(nil, b, []byte(adLock)); err == nil {
				l, err = decodeLock(pt)
			}
		}
		if err != nil {
			li.Unreadable, li.Exclusive = true, true
			fi, serr := os.Stat(filepath.Join(dir, id.String()))
			if serr != nil {
				continue
			}
			li.Time = fi.ModTime()
		} else {
			li.Time, li.Exclusive, li.Hostname, li.Username, li.PID = l.Time, l.Exclusive, l.Hostname, l.Username, l.PID
		}
		if r.stale(&li, now) {
			if err := removeFile(dir, id.String()); err != nil {
				return nil, fmt.Errorf("remove stale lock %s: %w", id.Short(), err)
			}
			continue
		}
		out = append(out, li)
	}
	return out, nil
}

func conflicting(exclusive bool, others []LeaseInfo) *LeaseInfo {
	for i := range others {
		if exclusive || others[i].Exclusive {
			return &others[i]
		}
	}
	return nil
}

// Lease is a held lock. It is refreshed in the background until Release.
type Lease struct {
	r         *Repository
	exclusive bool

	mu          sync.Mutex
	id          ID
	lastRefresh time.Time
	err         error
	released    bool

	lost chan struct{}
	stop chan struct{}
	done chan struct{}
}

// Lock takes a lease. Shared leases (backup) coexist; an exclusive lease
// (prune, key removal) needs no other live lease, and a shared one needs
// no live exclusive lease. Stale leases (time older than LeaseStaleAge,
// or from a dead process on this host) are removed, so no manual unlock
// is ever needed. After writing its lock file the locker lists the locks
// again and backs off if it raced with a conflicting locker. A conflict
// is an error wrapping ErrLocked.
func (r *Repository) Lock(ctx context.Context, exclusive bool) (*Lease, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		others, err := r.liveLeases(ctx, ID{})
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		if c := conflicting(exclusive, others); c != nil {
			return nil, fmt.Errorf("%w: %s", ErrLocked, c)
		}
		now := time.Now()
		id, err := r.writeLock(exclusive, now)
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		others, err = r.liveLeases(ctx, id)
		if err != nil {
			_ = removeFile(filepath.Join(r.dir, locksDir), id.String())
			return nil, fmt.Errorf("lock: %w", err)
		}
		c := conflicting(exclusive, others)
		if c == nil {
			l := &Lease{
				r: r, exclusive: exclusive, id: id, lastRefresh: now,
				lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
			}
			if exclusive {
				r.mu.Lock()
				r.exclusive++
				r.mu.Unlock()
			}
			go l.refresher()
			return l, nil
		}
		// Raced with a conflicting locker: withdraw and retry after a
		// random pause so two lockers do not keep colliding.
		_ = removeFile(filepath.Join(r.dir, locksDir), id.String())
		if attempt == attempts {
			return nil, fmt.Errorf("%w: %s", ErrLocked, c)
		}
		pause := time.Duration(50+mrand.IntN(200)) * time.Millisecond * time.Duration(attempt)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// Exclusive reports whether the lease is exclusive.
func (l *Lease) Exclusive() bool { return l.exclusive }

// ID returns the current lock file ID (it changes on every refresh).
func (l *Lease) ID() ID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.id
}

// Lost is closed when the lease is lost (see ErrLeaseLost); a long
// operation should stop when it is.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Err returns nil while the lease is healthy, the last refresh error if a
// refresh failed (it is retried), or an error wrapping ErrLeaseLost.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Lease) refresher() {
	defer close(l.done)
	t := time.NewTicker(l.r.leaseRefresh)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if !l.refresh() {
				return
			}
		}
	}
}

// refresh writes a new lock file with the current time and removes the
// old one (lock files are write-once). It returns false once the lease
// is lost.
func (l *Lease) refresh() bool {
	dir := filepath.Join(l.r.dir, locksDir)
	l.mu.Lock()
	old, last := l.id, l.lastRefresh
	l.mu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, old.String())); errors.Is(err, fs.ErrNotExist) {
		l.markLost(fmt.Errorf("%w: lock file %s was removed", ErrLeaseLost, old.Short()))
		return false
	}
	now := time.Now()
	if now.Sub(last) > l.r.leaseStale {
		l.markLost(fmt.Errorf("%w: not refreshed for %s", ErrLeaseLost, now.Sub(last).Round(time.Second)))
		return false
	}
	id, err := l.r.writeLock(l.exclusive, now)
	if err != nil {
		l.mu.Lock()
		l.err = fmt.Errorf("refresh lease: %w", err)
		l.mu.Unlock()
		return true
	}
	// Removing the old file also tells us whether someone else removed
	// it since the check above (they judged us stale): then the lease
	// had a gap and is lost, even though the new file exists.
	if err := os.Remove(filepath.Join(dir, old.String())); errors.Is(err, fs.ErrNotExist) {
		_ = removeFile(dir, id.String())
		l.markLost(fmt.Errorf("%w: lock file %s was removed", ErrLeaseLost, old.Short()))
		return false
	}
	_ = syncDir(dir)
	l.mu.Lock()
	l.id, l.lastRefresh, l.err = id, now, nil
	l.mu.Unlock()
	return true
}

func (l *Lease) markLost(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
	close(l.lost)
}

// Release stops refreshing and removes the lock file. It is idempotent.
// It returns an error wrapping ErrLeaseLost if the lease had been lost.
func (l *Lease) Release() error {
	l.mu.Lock()
	if l.released {
		l.mu.Unlock()
		return nil
	}
	l.released = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	if l.exclusive {
		l.r.mu.Lock()
		l.r.exclusive--
		l.r.mu.Unlock()
	}
	l.mu.Lock()
	id, lerr := l.id, l.err
	l.mu.Unlock()
	if err := removeFile(filepath.Join(l.r.dir, locksDir), id.String()); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	if errors.Is(lerr, ErrLeaseLost) {
		return lerr
	}
	return nil
}
