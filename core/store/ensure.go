package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// EnsureBuckets creates the top-level buckets that are missing. It looks in
// a read transaction first and writes only when one is missing: a write
// transaction costs a commit and its fsyncs even when it changes nothing,
// and every CLI command that finds no engine running opens every service.
func EnsureBuckets(db *bolt.DB, names ...[]byte) error {
	if !Missing(db, names...) {
		return nil
	}
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range names {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
}

// Missing reports whether any of the named top-level buckets does not
// exist yet.
func Missing(db *bolt.DB, names ...[]byte) bool {
	missing := false
	_ = db.View(func(tx *bolt.Tx) error {
		for _, b := range names {
			if tx.Bucket(b) == nil {
				missing = true
				break
			}
		}
		return nil
	})
	return missing
}

// TxID is the ID of the last committed write transaction: it grows by one
// with every commit, so tests can tell that opening something wrote nothing.
func TxID(db *bolt.DB) int {
	var id int
	_ = db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return id
}
