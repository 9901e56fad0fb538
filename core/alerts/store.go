package alerts

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	hfstore "github.com/holdfast/holdfast/core/store"
	bolt "go.etcd.io/bbolt"
)

// Buckets the service keeps its records in. Values are JSON.
var (
	// BucketActive holds pending, firing and acknowledged alerts, keyed by
	// rule and series or by event source and key.
	BucketActive = []byte("alerts.active")
	// BucketHistory holds ended alerts, keyed by the big-endian UnixNano
	// of ResolvedAt followed by the ID, so it is in time order.
	BucketHistory = []byte("alerts.history")
	// BucketSilences holds silences by alert key, so an alert that ends and
	// raises again before the silence ends stays silent.
	BucketSilences = []byte("alerts.silences")
)

// History bounds.
const (
	HistoryMaxAge     = 90 * 24 * time.Hour
	HistoryMaxEntries = 10000
)

// record is an active alert as stored.
type record struct {
	Alert
	// Owed: a firing notification was held back (quiet hours, silence) and
	// is sent when that ends if the alert still fires.
	Owed bool `json:"owed,omitempty"`

	saved time.Time // last persisted; value-only changes are written at most once a minute
}

// changes are what one operation did: written in one transaction, then
// notified and announced.
type changes struct {
	put      map[string]*record
	del      map[string]bool
	hist     []*record
	silences map[string]time.Time // zero time deletes
	notes    []job
	changed  bool
}

func newChanges() *changes {
	return &changes{put: map[string]*record{}, del: map[string]bool{}, silences: map[string]time.Time{}}
}

func (c *changes) save(ikey string, r *record, now time.Time) {
	delete(c.del, ikey)
	c.put[ikey] = r
	r.saved = now
	c.changed = true
}

func (c *changes) remove(ikey string) {
	delete(c.put, ikey)
	c.del[ikey] = true
	c.changed = true
}

func (c *changes) empty() bool {
	return len(c.put) == 0 && len(c.del) == 0 && len(c.hist) == 0 && len(c.silences) == 0
}

func historyKey(a *Alert) []byte {
	k := make([]byte, 8, 8+len(a.ID))
	binary.BigEndian.PutUint64(k, uint64(a.ResolvedAt.UnixNano()))
	return append(k, a.ID...)
}

// store is the service's view of the database.
type store struct {
	db        *bolt.DB
	histCount int
}

func openStore(db *bolt.DB) (*store, error) {
	s := &store{db: db}
	if err := hfstore.EnsureBuckets(db, BucketActive, BucketHistory, BucketSilences); err != nil {
		return nil, err
	}
	if err := db.View(func(tx *bolt.Tx) error {
		s.histCount = tx.Bucket(BucketHistory).Stats().KeyN
		return nil
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// load reads the active alerts and silences. Records that do not decode are
// reported and skipped rather than failing the service.
func (s *store) load() (map[string]*record, map[string]time.Time, []error, error) {
	active := map[string]*record{}
	silences := map[string]time.Time{}
	var bad []error
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(BucketActive).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				bad = append(bad, fmt.Errorf("active alert %q: %w", k, err))
				return nil
			}
			active[string(k)] = &r
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(BucketSilences).ForEach(func(k, v []byte) error {
			var t time.Time
			if err := t.UnmarshalText(v); err != nil {
				bad = append(bad, fmt.Errorf("silence %q: %w", k, err))
				return nil
			}
			silences[string(k)] = t
			return nil
		})
	})
	return active, silences, bad, err
}

// commit writes c in one transaction, then bounds the history. It fills in
// the history keys of c's notification jobs.
func (s *store) commit(c *changes, now time.Time) error {
	if c.empty() {
		return nil
	}
	count := s.histCount
	err := s.db.Update(func(tx *bolt.Tx) error {
		count = s.histCount
		act, hist, sil := tx.Bucket(BucketActive), tx.Bucket(BucketHistory), tx.Bucket(BucketSilences)
		for k := range c.del {
			if err := act.Delete([]byte(k)); err != nil {
				return err
			}
		}
		for k, r := range c.put {
			v, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encode alert %s: %w", r.ID, err)
			}
			if err := act.Put([]byte(k), v); err != nil {
				return err
			}
		}
		added := 0
		for _, r := range c.hist {
			v, err := json.Marshal(r.Alert)
			if err != nil {
				return fmt.Errorf("encode alert %s: %w", r.ID, err)
			}
			k := historyKey(&r.Alert)
			if hist.Get(k) == nil {
				added++
			}
			if err := hist.Put(k, v); err != nil {
				return err
			}
		}
		for k, until := range c.silences {
			if until.IsZero() {
				if err := sil.Delete([]byte(k)); err != nil {
					return err
				}
				continue
			}
			v, _ := until.MarshalText()
			if err := sil.Put([]byte(k), v); err != nil {
				return err
			}
		}
		count += added
		if added > 0 {
			cutoff := make([]byte, 8)
			binary.BigEndian.PutUint64(cutoff, uint64(now.Add(-HistoryMaxAge).UnixNano()))
			cur := hist.Cursor()
			for k, _ := cur.First(); k != nil && (count > HistoryMaxEntries || bytes.Compare(k[:min(8, len(k))], cutoff) < 0); k, _ = cur.First() {
				if err := cur.Delete(); err != nil {
					return err
				}
				count--
			}
		}
		return nil
	})
	if err == nil {
		s.histCount = count
	}
	return err
}

// history returns ended alerts, newest first; limit <= 0 means all.
func (s *store) history(limit int) ([]Alert, error) {
	var out []Alert
	err := s.db.View(func(tx *bolt.Tx) error {
		cur := tx.Bucket(BucketHistory).Cursor()
		for k, v := cur.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = cur.Prev() {
			var a Alert
			if err := json.Unmarshal(v, &a); err != nil {
				continue
			}
			out = append(out, a)
		}
		return nil
	})
	return out, err
}

// updateHistory rewrites one history entry, if it is still there.
func (s *store) updateHistory(key []byte, f func(*Alert)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketHistory)
		v := b.Get(key)
		if v == nil {
			return nil
		}
		var a Alert
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		f(&a)
		nv, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put(key, nv)
	})
}
