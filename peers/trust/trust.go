// Package trust is the trust store: the paired peers a home knows — each
// with a unique name, its device ID, its addresses and what it may do here
// — and the outstanding pairing invites, kept in the home's database.
package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/store"
	"github.com/holdfast/holdfast/peers/identity"
)

// Buckets the store uses. Values are JSON.
var (
	// BucketPeers holds one Peer per device ID (32 raw bytes).
	BucketPeers = []byte("peers")
	// BucketInvites holds one invite per invite ID (a hash of its secret).
	BucketInvites = []byte("peers.invites")
)

// Permission is something a peer may do on this device.
type Permission string

const (
	// Observe: read status, metrics, alerts, tasks and jobs.
	Observe Permission = "observe"
	// Control: run jobs, pause, resume and cancel tasks, acknowledge alerts.
	Control Permission = "control"
)

// Permissions lists the valid permissions.
var Permissions = []Permission{Observe, Control}

// ParsePermission reads a permission name.
func ParsePermission(s string) (Permission, error) {
	p := Permission(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Permissions, p) {
		return "", fmt.Errorf("permission %q: use observe or control", s)
	}
	return p, nil
}

// Peer is one paired device.
type Peer struct {
	ID   identity.DeviceID `json:"id"`
	Name string            `json:"name"`
	// Addresses are host:port where the peer listens, as its last hello
	// (or the invite code) said.
	Addresses []string `json:"addresses"`
	// Permissions say what the peer may do here; a peer with none is
	// revoked: refused and never dialled.
	Permissions []Permission `json:"permissions"`
	Added       time.Time    `json:"added"`
	LastSeen    time.Time    `json:"last_seen,omitzero"`
	// DeviceName is what the peer calls itself; Version its Holdfast.
	DeviceName string `json:"device_name,omitempty"`
	Version    string `json:"version,omitempty"`
}

// Can reports whether the peer has permission p.
func (p Peer) Can(perm Permission) bool { return slices.Contains(p.Permissions, perm) }

// Revoked reports whether the peer has no permission left.
func (p Peer) Revoked() bool { return len(p.Permissions) == 0 }

// Errors of the store.
var (
	ErrNotFound  = errors.New("no such peer")
	ErrAmbiguous = errors.New("ambiguous peer")
	ErrNameTaken = errors.New("name already taken")
)

// Store keeps the peers and invites.
type Store struct {
	db *bolt.DB
	// OnChange, if set, is called after a peer was added, changed or
	// removed, with its ID.
	OnChange func(id identity.DeviceID)

	mu    sync.Mutex
	cache *snapshot // the peers as last decoded
}

// snapshot is every peer decoded, as of the peers bucket's sequence
// number, which every write of a peer bumps: reads (a call from a peer, a
// call to one by name) check one number instead of decoding every record.
type snapshot struct {
	seq    uint64
	sorted []Peer // by name
	byID   map[identity.DeviceID]int
}

// Open creates the buckets when missing.
func Open(db *bolt.DB) (*Store, error) {
	if err := store.EnsureBuckets(db, BucketPeers, BucketInvites); err != nil {
		return nil, fmt.Errorf("open trust store: %w", err)
	}
	return &Store{db: db}, nil
}

func (s *Store) changed(id identity.DeviceID) {
	if s.OnChange != nil {
		s.OnChange(id)
	}
}

// CheckName validates a peer name: 1 to 64 printable characters, not
// only spaces, no control characters.
func CheckName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("peer name is empty")
	case len(name) > 64:
		return fmt.Errorf("peer name %q is longer than 64 bytes", name)
	case strings.ContainsFunc(name, unicode.IsControl):
		return fmt.Errorf("peer name %q contains control characters", name)
	}
	return nil
}

func decode(raw []byte) (Peer, error) {
	var p Peer
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("peer record is corrupt: %w", err)
	}
	return p, nil
}

func put(tx *bolt.Tx, p Peer) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("peer %s: encode: %w", p.Name, err)
	}
	b := tx.Bucket(BucketPeers)
	if _, err := b.NextSequence(); err != nil {
		return err
	}
	return b.Put(p.ID[:], raw)
}

func list(tx *bolt.Tx) ([]Peer, error) {
	var out []Peer
	err := tx.Bucket(BucketPeers).ForEach(func(k, v []byte) error {
		p, err := decode(v)
		if err != nil {
			return fmt.Errorf("peer %x: %w", k, err)
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// peers is the current snapshot, decoded again only when a write
// changed the bucket's sequence since the last one.
func (s *Store) peers() (*snapshot, error) {
	var snap *snapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		seq := tx.Bucket(BucketPeers).Sequence()
		s.mu.Lock()
		snap = s.cache
		s.mu.Unlock()
		if snap != nil && snap.seq == seq {
			return nil
		}
		all, err := list(tx)
		if err != nil {
			return err
		}
		sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
		snap = &snapshot{seq: seq, sorted: all, byID: make(map[identity.DeviceID]int, len(all))}
		for i, p := range all {
			snap.byID[p.ID] = i
		}
		s.mu.Lock()
		s.cache = snap
		s.mu.Unlock()
		return nil
	})
	return snap, err
}

// clone copies p's slices, so a caller's changes stay its own.
func clone(p Peer) Peer {
	p.Addresses = slices.Clone(p.Addresses)
	p.Permissions = slices.Clone(p.Permissions)
	return p
}

// List returns every peer, by name.
func (s *Store) List() ([]Peer, error) {
	snap, err := s.peers()
	if err != nil {
		return nil, err
	}
	out := make([]Peer, len(snap.sorted))
	for i, p := range snap.sorted {
		out[i] = clone(p)
	}
	return out, nil
}

// Get returns the peer with device ID id.
func (s *Store) Get(id identity.DeviceID) (Peer, error) {
	snap, err := s.peers()
	if err != nil {
		return Peer{}, err
	}
	i, ok := snap.byID[id]
	if !ok {
		return Peer{}, fmt.Errorf("peer %s: %w", id.Short(), ErrNotFound)
	}
	return clone(snap.sorted[i]), nil
}

// Resolve finds a peer by its exact name or, failing that, by a prefix of
// its device ID. A prefix that fits several peers is an ErrAmbiguous
// error naming them.
func (s *Store) Resolve(query string) (Peer, error) {
	snap, err := s.peers()
	if err != nil {
		return Peer{}, err
	}
	all := snap.sorted // shared: clone what leaves
	for _, p := range all {
		if p.Name == query {
			return clone(p), nil
		}
	}
	var hits []Peer
	for _, p := range all {
		if p.ID.HasPrefix(query) {
			hits = append(hits, p)
		}
	}
	switch len(hits) {
	case 0:
		return Peer{}, fmt.Errorf("peer %q: %w (no name or device ID prefix matches; see 'holdfast peer list')", query, ErrNotFound)
	case 1:
		return clone(hits[0]), nil
	}
	names := make([]string, len(hits))
	for i, p := range hits {
		names[i] = fmt.Sprintf("%s (%s)", p.Name, p.ID.Short())
	}
	return Peer{}, fmt.Errorf("peer %q: %w: it fits %s; give more of the ID or the name", query, ErrAmbiguous, strings.Join(names, ", "))
}

// UniqueName returns name, or name-2, name-3… whichever no other peer
// than id uses.
func (s *Store) UniqueName(name string, id identity.DeviceID) (string, error) {
	all, err := s.List()
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, p := range all {
		if p.ID != id {
			taken[p.Name] = true
		}
	}
	for i, n := 2, name; ; i++ {
		if !taken[n] {
			return n, nil
		}
		n = fmt.Sprintf("%s-%d", name, i)
	}
}

// Add stores a new peer, or, when its ID is already known, updates its
// addresses and adds the given permissions (pairing again with a known
// device keeps its name and what it was granted). The name must be free.
func (s *Store) Add(p Peer) (Peer, error) {
	if err := CheckName(p.Name); err != nil {
		return Peer{}, err
	}
	if p.ID.IsZero() {
		return Peer{}, errors.New("peer has no device ID")
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		all, err := list(tx)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.ID == p.ID {
				o.Addresses = mergeAddrs(p.Addresses, o.Addresses)
				for _, perm := range p.Permissions {
					if !o.Can(perm) {
						o.Permissions = append(o.Permissions, perm)
					}
				}
				sortPerms(o.Permissions)
				p = o
				return put(tx, o)
			}
			if o.Name == p.Name {
				return fmt.Errorf("peer name %q: %w by %s", p.Name, ErrNameTaken, o.ID.Short())
			}
		}
		if p.Added.IsZero() {
			p.Added = time.Now().UTC()
		}
		if p.Addresses == nil {
			p.Addresses = []string{}
		}
		sortPerms(p.Permissions)
		return put(tx, p)
	})
	if err != nil {
		return Peer{}, err
	}
	s.changed(p.ID)
	return p, nil
}

// update changes one peer in a transaction.
func (s *Store) update(id identity.DeviceID, fn func(tx *bolt.Tx, p *Peer) error) (Peer, error) {
	var p Peer
	err := s.db.Update(func(tx *bolt.Tx) error {
		raw := tx.Bucket(BucketPeers).Get(id[:])
		if raw == nil {
			return fmt.Errorf("peer %s: %w", id.Short(), ErrNotFound)
		}
		var err error
		if p, err = decode(raw); err != nil {
			return err
		}
		if err := fn(tx, &p); err != nil {
			return err
		}
		return put(tx, p)
	})
	return p, err
}

// Rename gives a peer a new, unused name.
func (s *Store) Rename(id identity.DeviceID, name string) (Peer, error) {
	if err := CheckName(name); err != nil {
		return Peer{}, err
	}
	p, err := s.update(id, func(tx *bolt.Tx, p *Peer) error {
		all, err := list(tx)
		if err != nil {
			return err
		}
		for _, o := range all {
			if o.Name == name && o.ID != id {
				return fmt.Errorf("peer name %q: %w by %s", name, ErrNameTaken, o.ID.Short())
			}
		}
		p.Name = name
		return nil
	})
	if err == nil {
		s.changed(id)
	}
	return p, err
}

// Grant adds a permission; Revoke takes one away (revoking every
// permission leaves the peer listed but refused).
func (s *Store) Grant(id identity.DeviceID, perm Permission) (Peer, error) {
	return s.setPerm(id, perm, true)
}

// Revoke takes permission perm from the peer.
func (s *Store) Revoke(id identity.DeviceID, perm Permission) (Peer, error) {
	return s.setPerm(id, perm, false)
}

func (s *Store) setPerm(id identity.DeviceID, perm Permission, on bool) (Peer, error) {
	p, err := s.update(id, func(tx *bolt.Tx, p *Peer) error {
		p.Permissions = slices.DeleteFunc(p.Permissions, func(x Permission) bool { return x == perm })
		if on {
			p.Permissions = append(p.Permissions, perm)
		}
		sortPerms(p.Permissions)
		return nil
	})
	if err == nil {
		s.changed(id)
	}
	return p, err
}

// Seen records that the peer was connected now, with what its hello said.
// Empty fields leave what was stored.
func (s *Store) Seen(id identity.DeviceID, at time.Time, addrs []string, deviceName, version string) (Peer, error) {
	return s.update(id, func(tx *bolt.Tx, p *Peer) error {
		p.LastSeen = at.UTC()
		if len(addrs) > 0 {
			p.Addresses = mergeAddrs(addrs, nil)
		}
		if deviceName != "" {
			p.DeviceName = deviceName
		}
		if version != "" {
			p.Version = version
		}
		return nil
	})
}

// Remove forgets a peer.
func (s *Store) Remove(id identity.DeviceID) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketPeers)
		if b.Get(id[:]) == nil {
			return fmt.Errorf("peer %s: %w", id.Short(), ErrNotFound)
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		return b.Delete(id[:])
	})
	if err == nil {
		s.changed(id)
	}
	return err
}

// mergeAddrs is first then rest, without duplicates or empty entries.
func mergeAddrs(first, rest []string) []string {
	out := []string{}
	for _, a := range append(slices.Clone(first), rest...) {
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func sortPerms(ps []Permission) {
	slices.SortFunc(ps, func(a, b Permission) int {
		return slices.Index(Permissions, a) - slices.Index(Permissions, b)
	})
}
