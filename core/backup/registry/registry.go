// Package registry remembers the repositories a home knows, by name, so
// commands, jobs and the GUI can say `--repo NAME`, and keeps their
// passwords for unattended work when asked to: in the OS keyring where one
// runs, otherwise in a 0600 file inside the home.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/store"
)

// Bucket holds one JSON record per repository name.
var Bucket = []byte("repos")

// Where a remembered password is kept.
const (
	InKeyring = "keyring"
	InFile    = "file"
)

// Repo is a repository the home knows.
type Repo struct {
	Name  string    `json:"name"`
	Path  string    `json:"path"`
	ID    string    `json:"id"`
	Added time.Time `json:"added"`
	// Password says where its password is remembered: "keyring", "file",
	// or "" when it is not.
	Password string `json:"password,omitempty"`
	// LastCheck is when `check` last ran on it through this home, and
	// LastCheckSound what it found.
	LastCheck      time.Time `json:"last_check,omitempty"`
	LastCheckSound bool      `json:"last_check_sound,omitempty"`
	LastCheckRead  bool      `json:"last_check_read_data,omitempty"`
}

// ErrNotFound means no repository has that name.
var ErrNotFound = errors.New("no repository by that name")

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateName checks a repository name: letters, digits, '.', '_' and
// '-', starting with a letter or digit, at most 64 characters.
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("repository name %q: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Registry is the home's list of repositories.
type Registry struct {
	st      *store.Store
	secrets *Secrets
}

// New opens the registry in the home's database; homeDir is where password
// files go when no keyring runs.
func New(st *store.Store, homeDir string) *Registry {
	return &Registry{st: st, secrets: &Secrets{Dir: filepath.Join(homeDir, "secrets"), Service: "holdfast", Account: homeDir}}
}

// Store is the database the registry lives in.
func (r *Registry) Store() *store.Store { return r.st }

// Add remembers repo under its name, which must be new.
func (r *Registry) Add(repo Repo) error {
	if err := ValidateName(repo.Name); err != nil {
		return err
	}
	if !filepath.IsAbs(repo.Path) {
		return fmt.Errorf("repository %s: path %q is not absolute", repo.Name, repo.Path)
	}
	if repo.Added.IsZero() {
		repo.Added = time.Now().UTC()
	}
	return r.st.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(Bucket)
		if err != nil {
			return err
		}
		if b.Get([]byte(repo.Name)) != nil {
			return fmt.Errorf("a repository named %q is already known; choose another name", repo.Name)
		}
		return put(b, repo)
	})
}

func put(b *bolt.Bucket, repo Repo) error {
	raw, err := json.Marshal(repo)
	if err != nil {
		return err
	}
	return b.Put([]byte(repo.Name), raw)
}

// Get returns the repository called name.
func (r *Registry) Get(name string) (Repo, error) {
	var repo Repo
	err := r.st.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return fmt.Errorf("repository %q: %w", name, ErrNotFound)
		}
		raw := b.Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("repository %q: %w", name, ErrNotFound)
		}
		if err := json.Unmarshal(raw, &repo); err != nil {
			return fmt.Errorf("repository %q: record is corrupt: %w", name, err)
		}
		return nil
	})
	return repo, err
}

// List returns every known repository, by name.
func (r *Registry) List() ([]Repo, error) {
	var out []Repo
	err := r.st.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var repo Repo
			if err := json.Unmarshal(v, &repo); err != nil {
				return fmt.Errorf("repository %q: record is corrupt: %w", k, err)
			}
			out = append(out, repo)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// Remove forgets the repository and its remembered password. The
// repository itself is not touched.
func (r *Registry) Remove(name string) error {
	repo, err := r.Get(name)
	if err != nil {
		return err
	}
	if repo.Password != "" {
		if err := r.secrets.Delete(repo.Name, repo.Password); err != nil {
			return err
		}
	}
	return r.st.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(Bucket).Delete([]byte(name))
	})
}

// Resolve turns a --repo argument into a repository: a known name, or
// else a directory path. abs, when set, is arg made absolute by the
// caller (whose working directory the engine does not share).
func (r *Registry) Resolve(arg, abs string) (Repo, error) {
	if arg == "" {
		return Repo{}, errors.New("no repository given (--repo DIR or NAME)")
	}
	if ValidateName(arg) == nil {
		repo, err := r.Get(arg)
		if err == nil {
			return repo, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return Repo{}, err
		}
	}
	if abs == "" {
		var err error
		if abs, err = filepath.Abs(arg); err != nil {
			return Repo{}, fmt.Errorf("repository %q: %w", arg, err)
		}
	}
	// A path that is also a known repository's path gets its record.
	all, err := r.List()
	if err != nil {
		return Repo{}, err
	}
	for _, repo := range all {
		if repo.Path == abs {
			return repo, nil
		}
	}
	return Repo{Path: abs}, nil
}

// RememberPassword stores the password of a known repository and records
// where it went (keyring or file), which it returns.
func (r *Registry) RememberPassword(name, password string) (string, error) {
	repo, err := r.Get(name)
	if err != nil {
		return "", err
	}
	where, err := r.secrets.Save(name, password)
	if err != nil {
		return "", err
	}
	repo.Password = where
	err = r.st.Update(func(tx *bolt.Tx) error { return put(tx.Bucket(Bucket), repo) })
	return where, err
}

// RecordCheck notes the outcome of a check of a known repository.
func (r *Registry) RecordCheck(name string, at time.Time, sound, readData bool) error {
	return r.st.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		if b == nil {
			return ErrNotFound
		}
		raw := b.Get([]byte(name))
		if raw == nil {
			return fmt.Errorf("repository %q: %w", name, ErrNotFound)
		}
		var repo Repo
		if err := json.Unmarshal(raw, &repo); err != nil {
			return fmt.Errorf("repository %q: record is corrupt: %w", name, err)
		}
		repo.LastCheck, repo.LastCheckSound, repo.LastCheckRead = at.UTC(), sound, readData
		return put(b, repo)
	})
}

// Password returns the remembered password of a known repository.
func (r *Registry) Password(repo Repo) (string, error) {
	if repo.Password == "" {
		return "", fmt.Errorf("repository %s: no password given (set HOLDFAST_PASSWORD or --password-file) and none remembered", repoLabel(repo))
	}
	return r.secrets.Load(repo.Name, repo.Password)
}

func repoLabel(repo Repo) string {
	if repo.Name != "" {
		return repo.Name
	}
	return repo.Path
}
