package registry

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Secrets keeps repository passwords: in the OS keyring (Secret Service
// on Linux, Keychain on macOS, Credential Manager on Windows) when one
// answers, otherwise in Dir/<name> with mode 0600.
type Secrets struct {
	Dir     string
	Service string
	// Account prefixes each keyring entry, so two homes on one machine
	// never share passwords by accident.
	Account string
	// NoKeyring skips the keyring (tests, and servers that want files).
	NoKeyring bool
}

// keyringTimeout bounds a keyring call: a desktop without a Secret
// Service must not make a command hang.
const keyringTimeout = 3 * time.Second

func (s *Secrets) user(name string) string { return s.Account + ":" + name }

// Save stores the password and says where: "keyring" or "file".
func (s *Secrets) Save(name, password string) (string, error) {
	if !s.NoKeyring {
		if err := withTimeout(func() error { return keyring.Set(s.Service, s.user(name), password) }); err == nil {
			return InKeyring, nil
		}
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", fmt.Errorf("save password: %w", err)
	}
	path := filepath.Join(s.Dir, name)
	tmp, err := os.CreateTemp(s.Dir, ".tmp-")
	if err != nil {
		return "", fmt.Errorf("save password: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("save password: %w", err)
	}
	if _, err := tmp.WriteString(password); err != nil {
		tmp.Close()
		return "", fmt.Errorf("save password: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("save password: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("save password: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("save password: %w", err)
	}
	return InFile, nil
}

// Load reads a password saved by Save.
func (s *Secrets) Load(name, where string) (string, error) {
	switch where {
	case InKeyring:
		var pw string
		err := withTimeout(func() (err error) { pw, err = keyring.Get(s.Service, s.user(name)); return err })
		if err != nil {
			return "", fmt.Errorf("read the password of repository %s from the keyring: %w", name, err)
		}
		return pw, nil
	case InFile:
		path := filepath.Join(s.Dir, name)
		fi, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("read the password of repository %s: %w", name, err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("password file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read the password of repository %s: %w", name, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return "", fmt.Errorf("repository %s: unknown password store %q", name, where)
}

// Delete removes a saved password.
func (s *Secrets) Delete(name, where string) error {
	switch where {
	case InKeyring:
		err := withTimeout(func() error { return keyring.Delete(s.Service, s.user(name)) })
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("remove the password of repository %s from the keyring: %w", name, err)
		}
	case InFile:
		if err := os.Remove(filepath.Join(s.Dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the password of repository %s: %w", name, err)
		}
	}
	return nil
}

func withTimeout(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(keyringTimeout):
		return errors.New("the keyring did not answer")
	}
}
