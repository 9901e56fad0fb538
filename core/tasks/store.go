package tasks

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	hfstore "github.com/holdfast/holdfast/core/store"
	bolt "go.etcd.io/bbolt"
)

// Buckets the runner keeps its records in. Values are JSON.
var (
	// BucketTasks holds every task of the full history, keyed by its ID
	// as 8 big-endian bytes, so it is in creation order.
	BucketTasks = []byte("tasks")
	// BucketDaily holds the daily totals of tasks older than the full
	// history, keyed by "YYYY-MM-DD/kind" (local date the task ended).
	BucketDaily = []byte("tasks.daily")
	// BucketMeta holds the runner's own records.
	BucketMeta = []byte("tasks.meta")
)

// keyPendingInterrupted lists the interrupted tasks no engine has taken
// up yet (Runner.Interrupted).
var keyPendingInterrupted = []byte("pending_interrupted")

// ErrNotFound means no task has the ID asked for.
var ErrNotFound = errors.New("no such task")

// Daily is the totals of one kind of task on one day.
type Daily struct {
	Date        string `json:"date"` // YYYY-MM-DD
	Kind        string `json:"kind"`
	Tasks       int    `json:"tasks"`
	Succeeded   int    `json:"succeeded"`
	Failed      int    `json:"failed"`
	Canceled    int    `json:"canceled"`
	Interrupted int    `json:"interrupted"`
	// Timed counts the tasks that ran (were not canceled while queued);
	// Seconds is their running time added up.
	Timed   int     `json:"timed"`
	Seconds float64 `json:"seconds"`
	Size    int64   `json:"size"`
}

// add counts t into d.
func (d *Daily) add(t Task) {
	d.Tasks++
	switch t.State {
	case Succeeded:
		d.Succeeded++
	case Failed:
		d.Failed++
	case Canceled:
		d.Canceled++
	case Interrupted:
		d.Interrupted++
	}
	if t.Started != nil && t.Ended != nil {
		d.Timed++
		d.Seconds += t.Ended.Sub(*t.Started).Seconds()
	}
	d.Size += t.Size
}

func (d *Daily) merge(o Daily) {
	d.Tasks += o.Tasks
	d.Succeeded += o.Succeeded
	d.Failed += o.Failed
	d.Canceled += o.Canceled
	d.Interrupted += o.Interrupted
	d.Timed += o.Timed
	d.Seconds += o.Seconds
	d.Size += o.Size
}

// store is the runner's view of the database.
type store struct {
	db *bolt.DB
}

func openStore(db *bolt.DB) (*store, error) {
	if db == nil {
		return nil, errors.New("tasks: no database")
	}
	if err := hfstore.EnsureBuckets(db, BucketTasks, BucketDaily, BucketMeta); err != nil {
		return nil, fmt.Errorf("tasks: %w", err)
	}
	return &store{db: db}, nil
}

func idKey(id ID) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(id))
	return k[:]
}

func putTask(tx *bolt.Tx, t *Task) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode task %d: %w", t.ID, err)
	}
	return tx.Bucket(BucketTasks).Put(idKey(t.ID), raw)
}

// create gives t the next ID and stores it.
func (s *store) create(t *Task) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		seq, err := tx.Bucket(BucketTasks).NextSequence()
		if err != nil {
			return err
		}
		t.ID = ID(seq)
		return putTask(tx, t)
	})
	if err != nil {
		return fmt.Errorf("store new task: %w", err)
	}
	return nil
}

// put stores t, committed and fsynced.
func (s *store) put(t *Task) error {
	if err := s.db.Update(func(tx *bolt.Tx) error { return putTask(tx, t) }); err != nil {
		return fmt.Errorf("store task %d: %w", t.ID, err)
	}
	return nil
}

func (s *store) get(id ID) (Task, error) {
	var t Task
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(BucketTasks).Get(idKey(id))
		if raw == nil {
			return fmt.Errorf("task %d: %w", id, ErrNotFound)
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return fmt.Errorf("task %d: stored record does not decode: %w", id, err)
		}
		return nil
	})
	return t, err
}

func (s *store) delete(id ID) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketTasks)
		if b.Get(idKey(id)) == nil {
			return fmt.Errorf("task %d: %w", id, ErrNotFound)
		}
		return b.Delete(idKey(id))
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete task %d: %w", id, err)
	}
	return err
}

// each calls fn with every stored task, oldest first. Records that do not
// decode are reported through bad and skipped.
func (s *store) each(fn func(Task), bad func(error)) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketTasks).ForEach(func(k, v []byte) error {
			var t Task
			if err := json.Unmarshal(v, &t); err != nil {
				if bad != nil {
					bad(fmt.Errorf("task record %x: %w", k, err))
				}
				return nil
			}
			fn(t)
			return nil
		})
	})
}

// interruptLive marks every task a dead process left live as
// interrupted, and adds them to the pending list. It returns them.
func (s *store) interruptLive(now time.Time) ([]Task, error) {
	if !s.any(func(t taskEnd) bool { return !t.State.Ended() }) {
		return nil, nil
	}
	var out []Task
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketTasks)
		var found []Task
		if err := b.ForEach(func(k, v []byte) error {
			var t Task
			if json.Unmarshal(v, &t) != nil || t.State.Ended() {
				return nil
			}
			found = append(found, t)
			return nil
		}); err != nil {
			return err
		}
		for _, t := range found {
			was := t.State
			end := t.Updated
			if end.IsZero() {
				end = now
			}
			t.State, t.Ended, t.Held, t.Exit = Interrupted, &end, false, 1
			t.Error = fmt.Sprintf("interrupted: the process running it stopped while it was %s", was)
			if err := putTask(tx, &t); err != nil {
				return err
			}
			out = append(out, t)
		}
		if len(out) == 0 {
			return nil
		}
		pending, err := readPending(tx)
		if err != nil {
			return err
		}
		for _, t := range out {
			pending = append(pending, t.ID)
		}
		return writePending(tx, pending)
	})
	if err != nil {
		return nil, fmt.Errorf("mark interrupted tasks: %w", err)
	}
	return out, nil
}

// addPending adds id to the interrupted tasks no engine has taken up.
func (s *store) addPending(id ID) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		pending, err := readPending(tx)
		if err != nil {
			return err
		}
		return writePending(tx, append(pending, id))
	})
}

// takePending returns the pending interrupted tasks that still exist and
// empties the list.
func (s *store) takePending() ([]Task, error) {
	var out []Task
	err := s.db.Update(func(tx *bolt.Tx) error {
		pending, err := readPending(tx)
		if err != nil || len(pending) == 0 {
			return err
		}
		b := tx.Bucket(BucketTasks)
		for _, id := range pending {
			var t Task
			if raw := b.Get(idKey(id)); raw != nil && json.Unmarshal(raw, &t) == nil {
				out = append(out, t)
			}
		}
		return writePending(tx, nil)
	})
	return out, err
}

func readPending(tx *bolt.Tx) ([]ID, error) {
	raw := tx.Bucket(BucketMeta).Get(keyPendingInterrupted)
	if raw == nil {
		return nil, nil
	}
	var ids []ID
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, fmt.Errorf("pending interrupted tasks: %w", err)
	}
	return ids, nil
}

func writePending(tx *bolt.Tx, ids []ID) error {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return tx.Bucket(BucketMeta).Delete(keyPendingInterrupted)
	}
	raw, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	return tx.Bucket(BucketMeta).Put(keyPendingInterrupted, raw)
}

// taskEnd is the part of a task record that says whether and when it
// ended, decoded alone to look for work before opening a write
// transaction: a commit costs its fsyncs even when it changes nothing, and
// every CLI command that finds no engine running opens the runner.
type taskEnd struct {
	State State      `json:"state"`
	Ended *time.Time `json:"ended"`
}

// any reports, reading only, whether a task record matches; records that do
// not decode never match.
func (s *store) any(match func(taskEnd) bool) bool {
	found := false
	_ = s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(BucketTasks).Cursor()
		for k, v := c.First(); k != nil && !found; k, v = c.Next() {
			var t taskEnd
			found = json.Unmarshal(v, &t) == nil && match(t)
		}
		return nil
	})
	return found
}

// oldDaily reports, reading only, whether a daily total is of a day before
// aggregateCutoff.
func (s *store) oldDaily(aggregateCutoff string) bool {
	old := false
	_ = s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(BucketDaily).Cursor().First()
		old = k != nil && string(k[:min(len(k), len(aggregateCutoff))]) < aggregateCutoff
		return nil
	})
	return old
}

func dailyKey(date, kind string) []byte { return []byte(date + "/" + kind) }

// fold moves the ended tasks that ended before historyCutoff into the
// daily totals, and drops the daily totals of days before
// aggregateCutoff (a YYYY-MM-DD date), in one transaction.
func (s *store) fold(historyCutoff time.Time, aggregateCutoff string, loc *time.Location) (folded, dropped int, err error) {
	if !s.oldDaily(aggregateCutoff) && !s.any(func(t taskEnd) bool {
		return t.State.Ended() && t.Ended != nil && t.Ended.Before(historyCutoff)
	}) {
		return 0, 0, nil
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		tb, db := tx.Bucket(BucketTasks), tx.Bucket(BucketDaily)
		var keys [][]byte
		days := map[string]*Daily{}
		if err := tb.ForEach(func(k, v []byte) error {
			var t Task
			if err := json.Unmarshal(v, &t); err != nil || !t.State.Ended() || t.Ended == nil || !t.Ended.Before(historyCutoff) {
				return nil
			}
			keys = append(keys, slices.Clone(k))
			date := t.Ended.In(loc).Format(time.DateOnly)
			key := string(dailyKey(date, t.Kind))
			d := days[key]
			if d == nil {
				d = &Daily{Date: date, Kind: t.Kind}
				if raw := db.Get([]byte(key)); raw != nil {
					if err := json.Unmarshal(raw, d); err != nil {
						return fmt.Errorf("daily totals %s: %w", key, err)
					}
				}
				days[key] = d
			}
			d.add(t)
			return nil
		}); err != nil {
			return err
		}
		for key, d := range days {
			raw, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if err := db.Put([]byte(key), raw); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if err := tb.Delete(k); err != nil {
				return err
			}
		}
		folded = len(keys)
		var old [][]byte
		c := db.Cursor()
		for k, _ := c.First(); k != nil && string(k[:min(len(k), len(aggregateCutoff))]) < aggregateCutoff; k, _ = c.Next() {
			old = append(old, slices.Clone(k))
		}
		for _, k := range old {
			if err := db.Delete(k); err != nil {
				return err
			}
		}
		dropped = len(old)
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("fold task history: %w", err)
	}
	return folded, dropped, nil
}

// dailyFrom returns the daily totals from the date from (YYYY-MM-DD) on.
func (s *store) dailyFrom(from string) ([]Daily, error) {
	var out []Daily
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(BucketDaily).Cursor()
		for k, v := c.Seek([]byte(from)); k != nil; k, v = c.Next() {
			var d Daily
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("daily totals %s: %w", k, err)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}
