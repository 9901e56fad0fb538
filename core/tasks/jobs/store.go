package jobs

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/holdfast/holdfast/core/store"
	bolt "go.etcd.io/bbolt"
)

// Buckets the jobs live in. Values are JSON.
var (
	// BucketJobs holds one Job per name.
	BucketJobs = []byte("jobs")
	// BucketMeta holds the scheduler's own state: the "hold" flag.
	BucketMeta = []byte("jobs.meta")
)

var holdKey = []byte("hold")

// ErrNotFound means no job has that name.
var ErrNotFound = errors.New("no job by that name")

// ErrExists means a job with that name is already there.
var ErrExists = errors.New("a job by that name already exists")

// Store keeps jobs in the home's database.
type Store struct {
	db *bolt.DB
}

// OpenStore creates the buckets when missing.
func OpenStore(db *bolt.DB) (*Store, error) {
	if err := store.EnsureBuckets(db, BucketJobs, BucketMeta); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Store{db: db}, nil
}

func decode(name, raw []byte) (Job, error) {
	var j Job
	if err := json.Unmarshal(raw, &j); err != nil {
		return j, fmt.Errorf("job %q: record is corrupt: %w", name, err)
	}
	return j, nil
}

func put(tx *bolt.Tx, j Job) error {
	raw, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("job %q: encode: %w", j.Name, err)
	}
	return tx.Bucket(BucketJobs).Put([]byte(j.Name), raw)
}

// Add stores a new job.
func (s *Store) Add(j Job) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(BucketJobs).Get([]byte(j.Name)) != nil {
			return fmt.Errorf("job %q: %w", j.Name, ErrExists)
		}
		return put(tx, j)
	})
}

// Get returns the job called name.
func (s *Store) Get(name string) (Job, error) {
	var j Job
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(BucketJobs).Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("job %q: %w", name, ErrNotFound)
		}
		var err error
		j, err = decode([]byte(name), raw)
		return err
	})
	return j, err
}

// List returns every job, by name. A corrupt record is reported through
// bad and left out, so one broken job does not stop the others.
func (s *Store) List(bad func(error)) ([]Job, error) {
	var out []Job
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketJobs).ForEach(func(k, v []byte) error {
			j, err := decode(k, v)
			if err != nil {
				if bad != nil {
					bad(err)
				}
				return nil
			}
			out = append(out, j)
			return nil
		})
	})
	return out, err
}

// Update changes the job called name in one transaction.
func (s *Store) Update(name string, fn func(*Job) error) (Job, error) {
	var j Job
	err := s.db.Update(func(tx *bolt.Tx) error {
		raw := tx.Bucket(BucketJobs).Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("job %q: %w", name, ErrNotFound)
		}
		var err error
		if j, err = decode([]byte(name), raw); err != nil {
			return err
		}
		if err := fn(&j); err != nil {
			return err
		}
		j.Name = name
		return put(tx, j)
	})
	return j, err
}

// Remove deletes the job called name.
func (s *Store) Remove(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketJobs)
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("job %q: %w", name, ErrNotFound)
		}
		return b.Delete([]byte(name))
	})
}

// Hold reads the scheduler-wide hold ("Pause all").
func (s *Store) Hold() (bool, error) {
	var on bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(BucketMeta).Get(holdKey)
		on = len(v) == 1 && v[0] == 1
		return nil
	})
	return on, err
}

// SetHold records the hold.
func (s *Store) SetHold(on bool) error {
	v := []byte{0}
	if on {
		v[0] = 1
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(BucketMeta).Put(holdKey, v) })
}
