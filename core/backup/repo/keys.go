package repo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"path/filepath"
	"slices"
	"time"
)

// KDFParams are scrypt parameters for deriving a key-encryption key from
// a password.
type KDFParams struct {
	N int `json:"N"` // CPU/memory cost, a power of two
	R int `json:"r"` // block size
	P int `json:"p"` // parallelism
}

// Limits on KDF parameters accepted from key files, so a hostile key file
// cannot make Open allocate gigabytes or spin for minutes.
const (
	maxKDFMemory = 1 << 30 // 128*N*r bytes
	maxKDFR      = 64
	maxKDFP      = 16
)

// DefaultKDFParams are the parameters for new keys when none are
// calibrated: scrypt N=2^15, r=8, p=6 — what restic calibrates to on a
// current server core (32 MiB and about 0.5 s of CPU per guess). The p
// lanes run in parallel in the same 32 MiB (see scryptKey), so opening
// takes about 1.25·p/2 lane-times on two cores instead of p.
func DefaultKDFParams() KDFParams { return KDFParams{N: 1 << 15, R: 8, P: 6} }

// CalibrateKDF picks p for N=2^15, r=8 so that one derivation costs at
// least target of single-core CPU time on this machine (restic aims at
// 0.5 s), never less than DefaultKDFParams.
func CalibrateKDF(target time.Duration) KDFParams {
	p := KDFParams{N: 1 << 15, R: 8, P: 1}
	var salt [32]byte
	start := time.Now()
	scryptKey([]byte("holdfast kdf calibration"), salt[:], p.N, p.R, 1, 32)
	lane := time.Since(start)
	if lane <= 0 {
		return DefaultKDFParams()
	}
	p.P = int((target + lane - 1) / lane)
	p.P = max(p.P, DefaultKDFParams().P)
	p.P = min(p.P, maxKDFP)
	return p
}

// TestKDFParams are cheap parameters (N=2^10) for tests only: they make
// password guessing fast, never use them for real repositories.
func TestKDFParams() KDFParams { return KDFParams{N: 1 << 10, R: 8, P: 1} }

// Validate checks the parameters are well formed and within limits.
func (p KDFParams) Validate() error {
	switch {
	case p.N < 2 || bits.OnesCount(uint(p.N)) != 1:
		return fmt.Errorf("kdf: N=%d is not a power of two >= 2", p.N)
	case p.R < 1 || p.R > maxKDFR:
		return fmt.Errorf("kdf: r=%d out of range [1,%d]", p.R, maxKDFR)
	case p.P < 1 || p.P > maxKDFP:
		return fmt.Errorf("kdf: p=%d out of range [1,%d]", p.P, maxKDFP)
	case p.N > maxKDFMemory/128/p.R:
		return fmt.Errorf("kdf: N=%d r=%d needs more than %d MiB", p.N, p.R, maxKDFMemory>>20)
	}
	return nil
}

func (p KDFParams) derive(password string, salt []byte) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return scryptKey([]byte(password), salt, p.N, p.R, p.P, 32), nil
}

// TimeKDF measures one key derivation with p, to help pick parameters
// (aim for a few hundred milliseconds on the slowest machine that opens
// the repository).
func TimeKDF(p KDFParams) (time.Duration, error) {
	var salt [32]byte
	start := time.Now()
	if _, err := p.derive("holdfast kdf timing", salt[:]); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// keyFile is the JSON document stored in keys/<id>.
type keyFile struct {
	Version  int       `json:"version"`
	Created  time.Time `json:"created"`
	Hostname string    `json:"hostname"`
	Username string    `json:"username"`
	KDF      string    `json:"kdf"`
	N        int       `json:"N"`
	R        int       `json:"r"`
	P        int       `json:"p"`
	Salt     []byte    `json:"salt"` // base64, 32 bytes
	Data     []byte    `json:"data"` // base64, sealed master keys
}

const keySaltSize = 32

func (k *keyFile) params() KDFParams { return KDFParams{N: k.N, R: k.R, P: k.P} }

// parseKeyFile decodes and validates a key file without deriving keys.
func parseKeyFile(b []byte) (*keyFile, error) {
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("key file is %d bytes, limit %d", len(b), maxKeyFile)
	}
	var k keyFile
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("key file: %v", err)
	}
	switch {
	case k.Version != 1:
		return nil, fmt.Errorf("key file: unsupported version %d", k.Version)
	case k.KDF != "scrypt":
		return nil, fmt.Errorf("key file: unsupported kdf %q", k.KDF)
	case len(k.Salt) != keySaltSize:
		return nil, fmt.Errorf("key file: salt is %d bytes, want %d", len(k.Salt), keySaltSize)
	case len(k.Data) != masterKeysSize+sealOverhead:
		return nil, fmt.Errorf("key file: data is %d bytes, want %d", len(k.Data), masterKeysSize+sealOverhead)
	case len(k.Hostname) > 1024 || len(k.Username) > 1024:
		return nil, errors.New("key file: hostname or username too long")
	}
	if err := k.params().Validate(); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	return &k, nil
}

// open derives the key-encryption key and decrypts the master keys.
// Key files are always sealed with XChaCha20-Poly1305, whatever cipher
// the repository uses, with associated data binding them to the
// repository ID.
func (k *keyFile) open(password string, repoID [32]byte) (masterKeys, error) {
	kek, err := k.params().derive(password, k.Salt)
	if err != nil {
		return masterKeys{}, err
	}
	c, err := newXChaCha(kek)
	if err != nil {
		return masterKeys{}, err
	}
	pt, err := c.Open(nil, k.Data, keyAD(repoID))
	if err != nil {
		return masterKeys{}, err
	}
	return unmarshalMasterKeys(pt)
}

func (r *Repository) newKeyFile(password string, p KDFParams) ([]byte, error) {
	if password == "" {
		return nil, errors.New("empty password")
	}
	salt := make([]byte, keySaltSize)
	rand.Read(salt)
	kek, err := p.derive(password, salt)
	if err != nil {
		return nil, err
	}
	c, err := newXChaCha(kek)
	if err != nil {
		return nil, err
	}
	k := keyFile{
		Version:  1,
		Created:  time.Now().UTC(),
		Hostname: r.hostname,
		Username: r.username,
		KDF:      "scrypt",
		N:        p.N, R: p.R, P: p.P,
		Salt: salt,
		Data: c.Seal(nil, r.keys.marshal(), keyAD(r.cfg.repoID())),
	}
	b, err := json.MarshalIndent(&k, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func (r *Repository) writeKey(ctx context.Context, password string, p KDFParams) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b, err := r.newKeyFile(password, p)
	if err != nil {
		return "", err
	}
	id := fileID(b).String()
	if err := writeFileAtomic(filepath.Join(r.dir, keysDir), id, b, true); err != nil {
		return "", err
	}
	return id, nil
}

// KeyInfo describes a key file.
type KeyInfo struct {
	ID       string // file name under keys/
	Current  bool   // the key this Repository was opened with
	Hostname string
	Username string
	Created  time.Time
	KDF      KDFParams
}

// AddKey adds a key file for newPassword, using the KDF parameters of the
// key the repository was opened with, and returns its ID.
func (r *Repository) AddKey(ctx context.Context, newPassword string) (string, error) {
	p := r.kdf
	if p == (KDFParams{}) {
		p = DefaultKDFParams()
	}
	id, err := r.writeKey(ctx, newPassword, p)
	if err != nil {
		return "", fmt.Errorf("add key: %w", err)
	}
	return id, nil
}

// ListKeys lists the key files. Unreadable key files are skipped.
func (r *Repository) ListKeys(ctx context.Context) ([]KeyInfo, error) {
	names, err := listNames(filepath.Join(r.dir, keysDir))
	if err != nil {
		return nil, err
	}
	var out []KeyInfo
	for _, n := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := readFileLimited(filepath.Join(r.dir, keysDir, n), maxKeyFile)
		if err != nil {
			continue
		}
		k, err := parseKeyFile(b)
		if err != nil {
			continue
		}
		out = append(out, KeyInfo{
			ID: n, Current: n == r.keyID,
			Hostname: k.Hostname, Username: k.Username,
			Created: k.Created, KDF: k.params(),
		})
	}
	return out, nil
}

// RemoveKey removes the key file keyID (its full ID). It refuses to remove
// the key in use and the last readable key (a damaged key file can always
// be removed). It takes an exclusive lease for the
// duration unless this Repository already holds one.
func (r *Repository) RemoveKey(ctx context.Context, keyID string) error {
	if keyID == r.keyID {
		return errors.New("remove key: refusing to remove the key currently in use")
	}
	if _, err := ParseID(keyID); err != nil {
		return fmt.Errorf("remove key: %w", err)
	}
	r.mu.Lock()
	haveExclusive := r.exclusive > 0
	r.mu.Unlock()
	if !haveExclusive {
		l, err := r.Lock(ctx, true)
		if err != nil {
			return fmt.Errorf("remove key: %w", err)
		}
		defer l.Release()
	}
	names, err := listNames(filepath.Join(r.dir, keysDir))
	if err != nil {
		return fmt.Errorf("remove key: %w", err)
	}
	if !slices.Contains(names, keyID) {
		return fmt.Errorf("remove key %s: %w", keyID, ErrNotFound)
	}
	// A damaged key file may always go; a good one only if another good
	// one remains.
	keys, err := r.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("remove key: %w", err)
	}
	others := 0
	for _, k := range keys {
		if k.ID != keyID {
			others++
		}
	}
	if others == 0 {
		return errors.New("remove key: refusing to remove the last key")
	}
	if err := removeFile(filepath.Join(r.dir, keysDir), keyID); err != nil {
		return fmt.Errorf("remove key: %w", err)
	}
	return nil
}
