package repo

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Snapshot is one backup: a root tree plus metadata.
type Snapshot struct {
	// ID is the snapshot file's name (BLAKE3 of the file); set by
	// SaveSnapshot and the loaders, not stored inside the file.
	ID       ID
	Time     time.Time
	Hostname string
	Username string
	Paths    []string
	Tags     []string
	// Tree is the plain BLAKE3 hash of the root tree blob.
	Tree [32]byte
	// Parent is the hex ID of the snapshot this one was based on, or "".
	Parent  string
	Summary *Summary
}

// Summary holds backup statistics.
type Summary struct {
	FilesNew        int64         `json:"files_new"`
	FilesChanged    int64         `json:"files_changed"`
	FilesUnmodified int64         `json:"files_unmodified"`
	DirsNew         int64         `json:"dirs_new"`
	DirsChanged     int64         `json:"dirs_changed"`
	DirsUnmodified  int64         `json:"dirs_unmodified"`
	DataBlobs       int64         `json:"data_blobs"`        // new data blobs stored
	TreeBlobs       int64         `json:"tree_blobs"`        // new tree blobs stored
	DataAdded       int64         `json:"data_added"`        // raw bytes of new blobs
	DataAddedPacked int64         `json:"data_added_packed"` // bytes of new blobs in packs
	TotalFiles      int64         `json:"total_files"`
	TotalBytes      int64         `json:"total_bytes"`
	Duration        time.Duration `json:"duration_ns"`
}

// snapshotJSON is the on-disk (plaintext) form.
type snapshotJSON struct {
	Version  int       `json:"version"`
	Time     time.Time `json:"time"`
	Hostname string    `json:"hostname,omitempty"`
	Username string    `json:"username,omitempty"`
	Paths    []string  `json:"paths"`
	Tags     []string  `json:"tags,omitempty"`
	Tree     string    `json:"tree"`
	Parent   string    `json:"parent,omitempty"`
	Summary  *Summary  `json:"summary,omitempty"`
}

const snapshotVersion = 1

func encodeSnapshot(sn *Snapshot) ([]byte, error) {
	if sn.Time.IsZero() {
		return nil, errors.New("snapshot: Time is zero")
	}
	if sn.Parent != "" {
		if _, err := ParseID(sn.Parent); err != nil {
			return nil, fmt.Errorf("snapshot: parent: %w", err)
		}
	}
	paths := sn.Paths
	if paths == nil {
		paths = []string{}
	}
	return json.Marshal(snapshotJSON{
		Version:  snapshotVersion,
		Time:     sn.Time,
		Hostname: sn.Hostname,
		Username: sn.Username,
		Paths:    paths,
		Tags:     sn.Tags,
		Tree:     hex.EncodeToString(sn.Tree[:]),
		Parent:   sn.Parent,
		Summary:  sn.Summary,
	})
}

// decodeSnapshot decodes and validates a snapshot plaintext.
func decodeSnapshot(b []byte) (*Snapshot, error) {
	if len(b) > maxSnapshotFile {
		return nil, fmt.Errorf("snapshot of %d bytes exceeds limit", len(b))
	}
	var j snapshotJSON
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&j); err != nil {
		return nil, fmt.Errorf("snapshot: %v", err)
	}
	if d.More() {
		return nil, errors.New("snapshot: trailing data")
	}
	if j.Version != snapshotVersion {
		return nil, fmt.Errorf("snapshot: unsupported version %d", j.Version)
	}
	if j.Time.IsZero() {
		return nil, errors.New("snapshot: missing time")
	}
	tree, err := ParseID(j.Tree)
	if err != nil {
		return nil, fmt.Errorf("snapshot: tree: %v", err)
	}
	if j.Parent != "" {
		if _, err := ParseID(j.Parent); err != nil {
			return nil, fmt.Errorf("snapshot: parent: %v", err)
		}
	}
	return &Snapshot{
		Time: j.Time, Hostname: j.Hostname, Username: j.Username,
		Paths: j.Paths, Tags: j.Tags, Tree: tree, Parent: j.Parent, Summary: j.Summary,
	}, nil
}

// SaveSnapshot writes sn and sets sn.ID. To keep the write order packs →
// index → snapshot, it refuses while this Repository has blobs in
// unfinished Packers or finished packs not yet passed to SaveIndex, and
// unless the root tree is in the index.
func (r *Repository) SaveSnapshot(ctx context.Context, sn *Snapshot) (ID, error) {
	if err := ctx.Err(); err != nil {
		return ID{}, err
	}
	x := &r.idx
	x.mu.RLock()
	inflight, unsaved := len(x.inflight), len(x.unsaved)
	x.mu.RUnlock()
	if inflight > 0 || unsaved > 0 {
		return ID{}, fmt.Errorf("save snapshot: %d blobs in unfinished packers and %d packs not in an index file; Finish packers and SaveIndex first", inflight, unsaved)
	}
	if !r.Has(TreeBlob, sn.Tree) {
		return ID{}, fmt.Errorf("save snapshot: root tree %x is not in the index", sn.Tree[:4])
	}
	b, err := encodeSnapshot(sn)
	if err != nil {
		return ID{}, err
	}
	id, err := r.saveSealed(snapshotsDir, b, adSnapshot)
	if err != nil {
		return ID{}, fmt.Errorf("save snapshot: %w", err)
	}
	sn.ID = id
	return id, nil
}

// openSnapshotFile authenticates and decodes the bytes of snapshots/<id>.
func (r *Repository) openSnapshotFile(id ID, b []byte) (*Snapshot, error) {
	rel := snapshotsDir + "/" + id.String()
	pt, err := r.aead.Open(nil, b, []byte(adSnapshot))
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w: %v", rel, ErrCorrupt, err)
	}
	sn, err := decodeSnapshot(pt)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w: %v", rel, ErrCorrupt, err)
	}
	sn.ID = id
	return sn, nil
}

func (r *Repository) loadSnapshotID(id ID) (*Snapshot, error) {
	b, err := r.readVerified(snapshotsDir, id, maxSnapshotFile)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return r.openSnapshotFile(id, b)
}

// LoadSnapshot loads the snapshot whose ID is idOrPrefix or starts with
// it. An ambiguous prefix is an error.
func (r *Repository) LoadSnapshot(ctx context.Context, idOrPrefix string) (*Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := strings.ToLower(idOrPrefix)
	if p == "" || len(p) > 64 || strings.Trim(p, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("snapshot %q: not a hex ID or prefix", idOrPrefix)
	}
	ids, err := listIDs(filepath.Join(r.dir, snapshotsDir))
	if err != nil {
		return nil, err
	}
	var match []ID
	for _, id := range ids {
		if strings.HasPrefix(id.String(), p) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 0:
		return nil, fmt.Errorf("snapshot %s: %w", idOrPrefix, ErrNotFound)
	case 1:
		return r.loadSnapshotID(match[0])
	}
	return nil, fmt.Errorf("snapshot prefix %q is ambiguous: matches %d snapshots", idOrPrefix, len(match))
}

// ListSnapshots loads all snapshots, sorted by time (then ID). Snapshots
// that fail to load are skipped and reported in the returned error, so a
// non-nil error comes with the snapshots that did load.
func (r *Repository) ListSnapshots(ctx context.Context) ([]*Snapshot, error) {
	ids, err := listIDs(filepath.Join(r.dir, snapshotsDir))
	if err != nil {
		return nil, err
	}
	var out []*Snapshot
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sn, err := r.loadSnapshotID(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, sn)
	}
	slices.SortFunc(out, func(a, b *Snapshot) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	return out, errors.Join(errs...)
}

// DeleteSnapshot removes snapshot id. Deleting a missing snapshot is an
// error wrapping ErrNotFound.
func (r *Repository) DeleteSnapshot(ctx context.Context, id ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := removeFileMustExist(filepath.Join(r.dir, snapshotsDir), id.String()); err != nil {
		return fmt.Errorf("delete snapshot %s: %w", id.Short(), err)
	}
	return nil
}
