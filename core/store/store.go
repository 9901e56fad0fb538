// Package store is Holdfast's state database: one bbolt file with a schema
// version, the buckets every service keeps its records in, and the migrations
// that carry old databases forward.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// SchemaVersion is the database layout this build reads and writes.
const SchemaVersion = 1

var (
	metaBucket = []byte("meta")
	schemaKey  = []byte("schema_version")
	createdKey = []byte("created")
)

// ErrCorrupt marks a database that cannot be read as a Holdfast database.
var ErrCorrupt = errors.New("database is corrupt")

// ErrLocked means another process has the database open and did not let go
// within the timeout.
var ErrLocked = errors.New("database is locked by another process")

// NewerError says the database was written by a newer Holdfast.
type NewerError struct {
	Path          string
	Version, Want int
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("database %s has schema version %d, newer than this Holdfast understands (version %d); upgrade Holdfast — the file was left untouched",
		e.Path, e.Version, e.Want)
}

// Options tune Open.
type Options struct {
	// Timeout bounds the wait for the file lock; zero waits 1 s.
	Timeout time.Duration
	// ReadOnly opens the file without a write lock and never writes.
	ReadOnly bool
}

// Store is the open database.
type Store struct {
	db   *bolt.DB
	path string
}

// migration carries a database from version From to From+1.
type migration struct {
	From int
	Run  func(tx *bolt.Tx) error
}

// migrations lists every step from version 1 upward, in order.
var migrations []migration

// Open opens or creates the database at path. A database that is not a
// readable Holdfast database gives an error wrapping ErrCorrupt; one from a
// newer version gives a *NewerError; both leave the file untouched.
func Open(path string, opts Options) (s *Store, err error) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	fi, statErr := os.Stat(path)
	existed := statErr == nil && fi.Size() > 0
	if statErr == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("open database %s: not a regular file", path)
	}
	if !existed && opts.ReadOnly {
		return nil, fmt.Errorf("open database %s: %w", path, os.ErrNotExist)
	}
	// bbolt can panic on some malformed pages; a panic here is corruption.
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("open database %s: %w (%v)", path, ErrCorrupt, r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, ReadOnly: opts.ReadOnly})
	if err != nil {
		switch {
		case errors.Is(err, bolterr.ErrTimeout):
			return nil, fmt.Errorf("open database %s: %w", path, ErrLocked)
		case errors.Is(err, bolterr.ErrInvalid), errors.Is(err, bolterr.ErrChecksum),
			errors.Is(err, bolterr.ErrVersionMismatch), errors.Is(err, bolterr.ErrInvalidMapping):
			return nil, fmt.Errorf("open database %s: %w: %v", path, ErrCorrupt, err)
		}
		if existed && !errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("open database %s: %w: %v", path, ErrCorrupt, err)
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s = &Store{db: db, path: path}
	if err := s.prepare(existed, opts.ReadOnly); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// prepare checks the schema version of an existing database (reading only),
// then creates or migrates it.
func (s *Store) prepare(existed, readOnly bool) error {
	version := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil {
			if k, _ := tx.Cursor().First(); existed && k != nil {
				return fmt.Errorf("open database %s: %w: it has data but no Holdfast schema version (not a Holdfast database?)", s.path, ErrCorrupt)
			}
			return nil
		}
		v := meta.Get(schemaKey)
		if len(v) != 8 {
			return fmt.Errorf("open database %s: %w: schema version record is malformed", s.path, ErrCorrupt)
		}
		version = int(binary.BigEndian.Uint64(v))
		return nil
	})
	if err != nil {
		return err
	}
	if version > SchemaVersion {
		return &NewerError{Path: s.path, Version: version, Want: SchemaVersion}
	}
	if readOnly {
		if version < SchemaVersion {
			return fmt.Errorf("open database %s: schema version %d needs migrating to %d; open it read-write first", s.path, version, SchemaVersion)
		}
		return nil
	}
	if version == 0 {
		return s.db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(metaBucket)
			if err != nil {
				return err
			}
			for _, b := range Buckets {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return fmt.Errorf("create bucket %s: %w", b, err)
				}
			}
			created, _ := time.Now().UTC().MarshalText()
			if err := meta.Put(createdKey, created); err != nil {
				return err
			}
			return putVersion(meta, SchemaVersion)
		})
	}
	for _, m := range migrations {
		if m.From < version {
			continue
		}
		if err := s.db.Update(func(tx *bolt.Tx) error {
			if err := m.Run(tx); err != nil {
				return err
			}
			return putVersion(tx.Bucket(metaBucket), m.From+1)
		}); err != nil {
			return fmt.Errorf("migrate database %s from version %d: %w", s.path, m.From, err)
		}
		version = m.From + 1
	}
	return nil
}

func putVersion(meta *bolt.Bucket, v int) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	return meta.Put(schemaKey, b[:])
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Version reads the schema version recorded in the database.
func (s *Store) Version() (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(metaBucket).Get(schemaKey)
		if len(raw) != 8 {
			return fmt.Errorf("%w: schema version record is malformed", ErrCorrupt)
		}
		v = int(binary.BigEndian.Uint64(raw))
		return nil
	})
	return v, err
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(tx *bolt.Tx) error) error { return s.db.View(fn) }

// Update runs fn in a read-write transaction, committed and fsynced when fn
// returns nil.
func (s *Store) Update(fn func(tx *bolt.Tx) error) error { return s.db.Update(fn) }

// Close closes the database file.
func (s *Store) Close() error {
	if s == nil || s.db == nil {
		return nil
	}
	return s.db.Close()
}

// DB is the underlying bbolt database, for packages that manage their own
// buckets (the time-series store, the file index).
func (s *Store) DB() *bolt.DB { return s.db }
