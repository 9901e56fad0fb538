package repo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/holdfast/holdfast/core/content/b3"
)

// FormatVersion is the repository format version written to config.
const FormatVersion = 1

// Size limits enforced by writers and by every decoder.
const (
	// MaxBlobSize is the largest blob plaintext accepted by Packer.Add
	// and by decoders.
	MaxBlobSize = 256 << 20
	// DefaultPackSize is the default target pack size.
	DefaultPackSize = 16 << 20
	// MaxPackSize is the largest accepted pack target; pack offsets are
	// 32-bit, and a pack may overshoot its target by one blob.
	MaxPackSize = 1 << 30
	// maxPackFile is the largest pack file a decoder accepts.
	maxPackFile = 1<<32 - 1

	maxConfigFile   = 64 << 10
	maxKeyFile      = 64 << 10
	maxLockFile     = 64 << 10
	maxSnapshotFile = 64 << 20
	maxIndexFile    = 512 << 20
)

// Directory and file names of the repository layout.
const (
	configFile   = "config"
	keysDir      = "keys"
	dataDir      = "data"
	indexDir     = "index"
	snapshotsDir = "snapshots"
	locksDir     = "locks"
	tmpPrefix    = ".tmp-"
)

// Errors returned by this package; test with errors.Is.
var (
	// ErrWrongPassword: no key file could be opened with the password.
	ErrWrongPassword = errors.New("wrong password or no key for it")
	// ErrNotRepository: the directory has no config file.
	ErrNotRepository = errors.New("not a holdfast repository")
	// ErrAlreadyInitialized: Init found an existing config file.
	ErrAlreadyInitialized = errors.New("repository already initialized")
	// ErrNotFound: a requested object does not exist.
	ErrNotFound = errors.New("not found")
	// ErrCorrupt: an object failed to authenticate, decode or verify.
	ErrCorrupt = errors.New("corrupt")
)

// ID is a 32-byte identifier: a stored (keyed) blob ID, or the BLAKE3 hash
// of a file's bytes naming a pack, index, snapshot, lock or key file.
type ID [32]byte

// String returns the lowercase hex form (64 characters).
func (id ID) String() string { return hex.EncodeToString(id[:]) }

// Short returns the first 8 hex characters, for messages.
func (id ID) Short() string { return hex.EncodeToString(id[:4]) }

// IsZero reports whether id is all zeros.
func (id ID) IsZero() bool { return id == ID{} }

// ParseID parses a 64-character hex string.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 64 {
		return id, fmt.Errorf("invalid ID %q: want 64 hex characters", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("invalid ID %q: %v", s, err)
	}
	if strings.ToLower(s) != s {
		return id, fmt.Errorf("invalid ID %q: must be lowercase hex", s)
	}
	return id, nil
}

// MarshalText encodes the ID as hex.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText parses a hex ID.
func (id *ID) UnmarshalText(b []byte) error {
	x, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = x
	return nil
}

// fileID names a write-once file: BLAKE3 of its bytes.
func fileID(b []byte) ID { return ID(b3.Sum256(b)) }

// BlobType distinguishes file content chunks from directory trees.
type BlobType uint8

const (
	// DataBlob holds a chunk of file content.
	DataBlob BlobType = 1
	// TreeBlob holds a serialized directory.
	TreeBlob BlobType = 2
)

func (t BlobType) String() string {
	switch t {
	case DataBlob:
		return "data"
	case TreeBlob:
		return "tree"
	}
	return fmt.Sprintf("blobtype(%d)", uint8(t))
}

func (t BlobType) valid() bool { return t == DataBlob || t == TreeBlob }

// Config is the plaintext config file. It holds no secrets.
type Config struct {
	Version     int       `json:"version"`
	ID          string    `json:"id"`          // 64 hex chars, random
	Chunker     string    `json:"chunker"`     // opaque, supplied at Init
	Cipher      string    `json:"cipher"`      // CipherXAES256GCM or CipherXChaCha20Poly1305
	Compression string    `json:"compression"` // "zstd"
	Created     time.Time `json:"created"`
}

func (c *Config) repoID() [32]byte {
	id, _ := ParseID(c.ID)
	return id
}

func parseConfig(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return c, err
	}
	if c.Version != FormatVersion {
		return c, fmt.Errorf("unsupported format version %d (this build reads %d)", c.Version, FormatVersion)
	}
	if _, err := ParseID(c.ID); err != nil {
		return c, fmt.Errorf("repository id: %v", err)
	}
	if _, err := newCipher(c.Cipher, make([]byte, 32)); err != nil {
		return c, err
	}
	if c.Compression != "zstd" {
		return c, fmt.Errorf("unknown compression %q", c.Compression)
	}
	return c, nil
}

// InitOptions configures Init.
type InitOptions struct {
	// Chunker is the chunker parameter string (required); stored
	// verbatim in config so every client chunks the same way.
	Chunker string
	// KDF for the first key; the zero value means DefaultKDFParams.
	KDF KDFParams
	// Cipher is one of Ciphers(); empty means DefaultCipher().
	Cipher string
}

// Repository is an open local-directory repository. All methods are safe
// for concurrent use.
type Repository struct {
	dir      string
	cfg      Config
	keyID    string // key file used to open
	kdf      KDFParams
	keys     masterKeys
	aead     aeadCipher
	ids      *idHasher
	hostname string
	username string

	idx index

	mu        sync.Mutex
	packSize  int
	exclusive int // live exclusive leases taken through this Repository

	leaseRefresh time.Duration
	leaseStale   time.Duration
}

// Init creates a new repository in dir (created if missing) protected by
// password. It refuses a non-empty directory that is not a repository
// and a directory that already has a config file.
func Init(ctx context.Context, dir, password string, opts InitOptions) (*Repository, error) {
	if opts.Chunker == "" {
		return nil, errors.New("init: InitOptions.Chunker is required")
	}
	if opts.KDF == (KDFParams{}) {
		opts.KDF = DefaultKDFParams()
	}
	if err := opts.KDF.Validate(); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if opts.Cipher == "" {
		opts.Cipher = DefaultCipher()
	}
	if password == "" {
		return nil, errors.New("init: empty password")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, configFile)); err == nil {
		return nil, fmt.Errorf("init %s: %w", dir, ErrAlreadyInitialized)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if len(ents) > 0 {
		return nil, fmt.Errorf("init: %s is not empty and is not a repository", dir)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rid [32]byte
	rand.Read(rid[:])
	cfg := Config{
		Version:     FormatVersion,
		ID:          hex.EncodeToString(rid[:]),
		Chunker:     opts.Chunker,
		Cipher:      opts.Cipher,
		Compression: "zstd",
		Created:     time.Now().UTC(),
	}
	for _, d := range []string{keysDir, dataDir, indexDir, snapshotsDir, locksDir} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
	}
	for i := 0; i < 256; i++ {
		if err := os.Mkdir(filepath.Join(dir, dataDir, fmt.Sprintf("%02x", i)), 0o700); err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
	}
	if err := syncDir(filepath.Join(dir, dataDir)); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	r, err := newRepository(dir, cfg, newMasterKeys())
	if err != nil {
		return nil, err
	}
	r.kdf = opts.KDF
	kid, err := r.writeKey(ctx, password, opts.KDF)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	r.keyID = kid
	cb, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	// Written last and without clobbering: config present means
	// "fully initialized", and two racing Inits cannot both win.
	if err := writeFileAtomic(dir, configFile, append(cb, '\n'), true); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("init %s: %w", dir, ErrAlreadyInitialized)
		}
		return nil, fmt.Errorf("init: %w", err)
	}
	return r, nil
}

// Open opens the repository in dir, trying password against every key
// file. It returns an error wrapping ErrWrongPassword if none opens.
func Open(ctx context.Context, dir, password string) (*Repository, error) {
	cb, err := readFileLimited(filepath.Join(dir, configFile), maxConfigFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open %s: %w", dir, ErrNotRepository)
		}
		return nil, fmt.Errorf("open: %w", err)
	}
	cfg, err := parseConfig(cb)
	if err != nil {
		return nil, fmt.Errorf("open %s: config: %w", dir, err)
	}
	names, err := listNames(filepath.Join(dir, keysDir))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := readFileLimited(filepath.Join(dir, keysDir, name), maxKeyFile)
		if err != nil {
			continue
		}
		kf, err := parseKeyFile(b)
		if err != nil {
			continue // a damaged key file must not lock out the others
		}
		mk, err := kf.open(password, cfg.repoID())
		if err != nil {
			continue
		}
		r, err := newRepository(dir, cfg, mk)
		if err != nil {
			return nil, err
		}
		r.keyID = name
		r.kdf = kf.params()
		return r, nil
	}
	return nil, fmt.Errorf("%w in %s", ErrWrongPassword, dir)
}

func newRepository(dir string, cfg Config, mk masterKeys) (*Repository, error) {
	a, err := newCipher(cfg.Cipher, mk.Encrypt[:])
	if err != nil {
		return nil, err
	}
	ids, err := newIDHasher(mk.ID)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	uname := ""
	if u, err := user.Current(); err == nil {
		uname = u.Username
	}
	r := &Repository{
		dir:          dir,
		cfg:          cfg,
		keys:         mk,
		aead:         a,
		ids:          ids,
		hostname:     host,
		username:     uname,
		packSize:     DefaultPackSize,
		leaseRefresh: LeaseRefreshInterval,
		leaseStale:   LeaseStaleAge,
	}
	r.idx.init()
	return r, nil
}

// Dir returns the repository directory.
func (r *Repository) Dir() string { return r.dir }

// Config returns a copy of the repository configuration.
func (r *Repository) Config() Config { return r.cfg }

// KeyID returns the ID of the key file the repository was opened with.
func (r *Repository) KeyID() string { return r.keyID }

// StoredID returns the keyed ID under which a blob whose plaintext has
// BLAKE3 hash plain is stored: BLAKE3 keyed with the repository ID key.
// Stored IDs reveal nothing about content to anyone without the key.
func (r *Repository) StoredID(plain [32]byte) ID { return r.ids.sum(plain) }

// SetPackSize sets the target size of packs started after the call.
// It is clamped to [4 KiB, MaxPackSize].
func (r *Repository) SetPackSize(n int) {
	n = max(4<<10, min(n, MaxPackSize))
	r.mu.Lock()
	r.packSize = n
	r.mu.Unlock()
}

// ---- file helpers ----

// writeFileAtomic writes dir/name via a ".tmp-" file in dir: write,
// fsync, (link or rename), fsync dir. With noClobber an existing target
// is an error wrapping fs.ErrExist; otherwise an existing target is
// replaced (used only for content-addressed names, where it is identical).
func writeFileAtomic(dir, name string, data []byte, noClobber bool) (err error) {
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	// Write-once: stored files are read-only.
	if err = os.Chmod(tmp, 0o400); err != nil {
		return err
	}
	final := filepath.Join(dir, name)
	if noClobber {
		err = os.Link(tmp, final)
		switch {
		case err == nil:
			_ = os.Remove(tmp)
		case errors.Is(err, fs.ErrExist):
			return err
		default:
			// Filesystem without hard links: best effort.
			if _, serr := os.Lstat(final); serr == nil {
				return fs.ErrExist
			}
			if err = os.Rename(tmp, final); err != nil {
				return err
			}
		}
	} else if err = os.Rename(tmp, final); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		return nil // filesystems that cannot sync directories
	}
	return err
}

// removeFile removes dir/name and syncs dir. A missing file is not an error.
func removeFile(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return syncDir(dir)
}

// readFileLimited reads a whole file, refusing files larger than limit.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: size %d exceeds limit %d", path, st.Size(), limit)
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// listNames lists file names in dir, sorted, ignoring ".tmp-" files and
// anything else starting with a dot.
func listNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || e.IsDir() {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// listIDs lists files in dir whose names are IDs.
func listIDs(dir string) ([]ID, error) {
	names, err := listNames(dir)
	if err != nil {
		return nil, err
	}
	ids := make([]ID, 0, len(names))
	for _, n := range names {
		if id, err := ParseID(n); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// readVerified reads dir/<id> (at most limit bytes) and checks that its
// BLAKE3 hash equals its name.
func (r *Repository) readVerified(sub string, id ID, limit int64) ([]byte, error) {
	rel := sub + "/" + id.String()
	b, err := readFileLimited(filepath.Join(r.dir, sub, id.String()), limit)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", rel, ErrNotFound)
		}
		return nil, err
	}
	if got := fileID(b); got != id {
		return nil, fmt.Errorf("%s: %w: content hash is %s", rel, ErrCorrupt, got.Short())
	}
	return b, nil
}

// saveSealed seals plaintext with ad and writes it to sub/<BLAKE3 of file>.
func (r *Repository) saveSealed(sub string, plaintext []byte, ad string) (ID, error) {
	b := r.aead.Seal(make([]byte, 0, len(plaintext)+sealOverhead), plaintext, []byte(ad))
	id := fileID(b)
	if err := writeFileAtomic(filepath.Join(r.dir, sub), id.String(), b, false); err != nil {
		return ID{}, err
	}
	return id, nil
}

// removeFileMustExist is removeFile, but a missing file is ErrNotFound.
func removeFileMustExist(dir, name string) error {
	if err := os.Remove(filepath.Join(dir, name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return err
	}
	return syncDir(dir)
}

// CleanTemp removes ".tmp-" files older than olderThan, left behind by
// writers that crashed between creating and renaming them, and returns
// how many it removed. Readers ignore such files, so this is only
// housekeeping; use an age well above the longest possible write (an
// hour) so a concurrent writer's temp file is never removed.
func (r *Repository) CleanTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	dirs := []string{r.dir, filepath.Join(r.dir, keysDir), filepath.Join(r.dir, indexDir),
		filepath.Join(r.dir, snapshotsDir), filepath.Join(r.dir, locksDir)}
	for i := 0; i < 256; i++ {
		dirs = append(dirs, filepath.Join(r.dir, dataDir, fmt.Sprintf("%02x", i)))
	}
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		ents, err := os.ReadDir(d)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return n, err
		}
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), tmpPrefix) || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil || fi.ModTime().After(cutoff) {
				continue
			}
			if err := removeFile(d, e.Name()); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
