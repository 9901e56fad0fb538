package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Invite is an outstanding pairing invite as stored: never its secret,
// only values derived from it by one-way hashes (see peers/pairing).
type Invite struct {
	// Key keys the joiner's proof (a hash of the secret).
	Key     []byte    `json:"key"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Used is when a joiner used it up. Used and expired invites are kept
	// for a day, so a late joiner hears exactly why it is refused.
	Used time.Time `json:"used,omitzero"`
}

// keepSpent is how long a used or expired invite is remembered.
const keepSpent = 24 * time.Hour

// Errors of ConsumeInvite.
var (
	ErrInviteUnknown = errors.New("invite unknown (was the code copied whole, and made by this device?)")
	ErrInviteUsed    = errors.New("invite already used: a code works once")
	ErrInviteExpired = errors.New("invite expired: ask for a new code")
)

// AddInvite stores an invite under its ID (another hash of its secret),
// dropping expired ones on the way.
func (s *Store) AddInvite(id []byte, inv Invite) error {
	raw, err := json.Marshal(inv)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketInvites)
		if err := pruneInvites(b, inv.Created); err != nil {
			return err
		}
		return b.Put(id, raw)
	})
}

func pruneInvites(b *bolt.Bucket, now time.Time) error {
	var old [][]byte
	err := b.ForEach(func(k, v []byte) error {
		var inv Invite
		if json.Unmarshal(v, &inv) != nil || !inv.Expires.Add(keepSpent).After(now) {
			old = append(old, k)
		}
		return nil
	})
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return err
}

// HasInvites reports whether any invite is open at now, or was used or
// expired within the last day (so its joiner can be told why not).
func (s *Store) HasInvites(now time.Time) bool {
	found := false
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketInvites).ForEach(func(k, v []byte) error {
			var inv Invite
			if json.Unmarshal(v, &inv) == nil && inv.Expires.Add(keepSpent).After(now) {
				found = true
			}
			return nil
		})
	})
	return found
}

// ConsumeInvite uses up the invite id if check accepts its key, in one
// transaction, so that a code works once however many try it at once. A
// used or expired invite is refused; a failed check leaves the invite for
// the rightful joiner.
func (s *Store) ConsumeInvite(id []byte, now time.Time, check func(key []byte) error) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketInvites)
		raw := b.Get(id)
		if raw == nil {
			return ErrInviteUnknown
		}
		var inv Invite
		if err := json.Unmarshal(raw, &inv); err != nil {
			b.Delete(id)
			return fmt.Errorf("invite record is corrupt: %w", err)
		}
		switch {
		case !inv.Used.IsZero():
			return ErrInviteUsed
		case !inv.Expires.After(now):
			return ErrInviteExpired
		}
		if err := check(inv.Key); err != nil {
			return err
		}
		inv.Used = now
		raw, err := json.Marshal(inv)
		if err != nil {
			return err
		}
		return b.Put(id, raw)
	})
}
