package collect

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// fsStat is one filesystem's usage, as df shows it.
type fsStat struct {
	size, used, avail  uint64 // bytes
	inodes, inodesUsed uint64 // 0 inodes: the filesystem has no fixed inode table
}

// mount is one filesystem being sampled. The fields above busy are fixed
// when it is created; st and err are written by the statfs goroutine and
// read by the collector after it receives that goroutine's fsResult;
// launched, done and the rest belong to the collector.
type mount struct {
	point, device, fstype string
	id                    string // identity across mount-table re-reads
	key                   string // problem key
	labels                []Label

	busy atomic.Bool // a statfs is in flight

	st  fsStat
	err error

	launched, done uint64 // fsGen of the last statfs started / answered in time
}

type fsResult struct {
	m   *mount
	gen uint64
}

var errStatfsStuck = errors.New("an earlier statfs has still not returned (hung network mount?)")

func newMount(e mountEntry) *mount {
	return &mount{
		point:  e.point,
		device: e.source,
		fstype: e.fstype,
		id:     e.majmin + "\x00" + e.point + "\x00" + e.source + "\x00" + e.fstype,
		key:    "filesystem " + e.point,
		labels: []Label{{"mountpoint", e.point}, {"device", e.source}, {"fstype", e.fstype}},
	}
}

// setMounts replaces the list of sampled filesystems, keeping the state
// (notably a statfs still in flight) of those that remain.
func (c *Collector) setMounts(entries []mountEntry) {
	if len(entries) > maxMounts {
		c.log.Warn("system metrics: too many filesystems, sampling the first ones", "count", len(entries), "max", maxMounts)
		entries = entries[:maxMounts]
	}
	old := make(map[string]*mount, len(c.mounts))
	for _, m := range c.mounts {
		old[m.id] = m
	}
	next := make([]*mount, 0, len(entries))
	for _, e := range entries {
		m := newMount(e)
		if o, ok := old[m.id]; ok {
			m = o
			delete(old, m.id)
		}
		next = append(next, m)
	}
	for _, m := range old {
		c.clear(m.key)
	}
	c.mounts = next
}

// startFS starts one statfs goroutine per filesystem that has none in
// flight; finishFS collects their answers.
func (c *Collector) startFS() time.Time {
	c.fsGen++
	for _, m := range c.mounts {
		if m.busy.Load() {
			continue
		}
		m.busy.Store(true)
		m.launched = c.fsGen
		go runStatfs(c.statfs, m, c.fsGen, c.fsDone)
	}
	return time.Now()
}

func runStatfs(statfs func(*mount) (fsStat, error), m *mount, gen uint64, done chan<- fsResult) {
	st, err := statfs(m)
	m.st, m.err = st, err
	select {
	case done <- fsResult{m, gen}:
	default:
		// Only if more statfs calls than the buffer holds are stuck at
		// once (mounts keep vanishing while hung); this mount then counts
		// as timed out this tick.
	}
	m.busy.Store(false)
}

// finishFS waits, until StatfsTimeout after start at most, for the statfs
// calls started this tick and emits the filesystems that answered.
func (c *Collector) finishFS(ctx context.Context, start time.Time) {
	pending := 0
	for _, m := range c.mounts {
		if m.launched == c.fsGen {
			pending++
		}
	}
	if pending > 0 {
		c.fsTimer.Reset(max(c.opts.StatfsTimeout-time.Since(start), 0))
	wait:
		for pending > 0 {
			select {
			case r := <-c.fsDone:
				if r.gen == c.fsGen {
					r.m.done = c.fsGen
					pending--
				}
			case <-c.fsTimer.C:
				break wait
			case <-ctx.Done():
				break wait
			}
		}
		c.fsTimer.Stop()
	}
	if ctx.Err() != nil {
		return // the caller gave up: no verdict on mounts that had no time
	}
	for _, m := range c.mounts {
		switch {
		case m.launched != c.fsGen:
			c.fail(m.key, errStatfsStuck)
		case m.done != c.fsGen:
			c.fail(m.key, fmt.Errorf("statfs %s: no answer within %v", m.point, c.opts.StatfsTimeout))
		case m.err != nil:
			c.fail(m.key, m.err)
		case m.st.size == 0:
			// Nothing to show (an empty or synthetic filesystem): skipped
			// without complaint, like df -x.
			c.clear(m.key)
		default:
			c.ok(m.key)
			st := &m.st
			c.gauge("filesystem_size_bytes", float64(st.size), m.labels)
			c.gauge("filesystem_used_bytes", float64(st.used), m.labels)
			c.gauge("filesystem_available_bytes", float64(st.avail), m.labels)
			if st.inodes > 0 {
				c.gauge("filesystem_inodes_total", float64(st.inodes), m.labels)
				c.gauge("filesystem_inodes_used", float64(st.inodesUsed), m.labels)
			}
		}
	}
}
