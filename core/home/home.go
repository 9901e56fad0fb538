// Package home locates Holdfast's state directory and guards it with a lock,
// so that exactly one engine runs per home.
package home

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// File and directory names inside a home.
const (
	DBFile     = "holdfast.db"
	ConfigFile = "config.toml"
	LogsDir    = "logs"
	SocketFile = "engine.sock"
	LockFile   = "engine.lock"
)

// Home is one Holdfast state directory.
type Home struct {
	Dir string
}

// DefaultDir returns the platform's default home: $XDG_STATE_HOME/holdfast
// (~/.local/state/holdfast) on Linux and other Unixes,
// ~/Library/Application Support/Holdfast on macOS and
// %LocalAppData%\Holdfast on Windows.
func DefaultDir() (string, error) {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "Holdfast"), nil
		}
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("locate home: %w", err)
		}
		return filepath.Join(d, "Holdfast"), nil
	case "darwin":
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locate home: %w", err)
		}
		return filepath.Join(h, "Library", "Application Support", "Holdfast"), nil
	default:
		if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, "holdfast"), nil
		}
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("locate home: %w", err)
		}
		return filepath.Join(h, ".local", "state", "holdfast"), nil
	}
}

// Open returns the home at dir (the default home when dir is empty),
// creating it and its logs directory with private permissions if needed.
func Open(dir string) (*Home, error) {
	if dir == "" {
		d, err := DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("home %s: %w", dir, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("home %s: not a directory", abs)
	}
	if err := os.MkdirAll(filepath.Join(abs, LogsDir), 0o700); err != nil {
		return nil, fmt.Errorf("create home %s: %w", abs, err)
	}
	return &Home{Dir: abs}, nil
}

// Path joins name onto the home directory.
func (h *Home) Path(name ...string) string {
	return filepath.Join(append([]string{h.Dir}, name...)...)
}

// DBPath is the bbolt database.
func (h *Home) DBPath() string { return h.Path(DBFile) }

// ConfigPath is the hand-editable settings file.
func (h *Home) ConfigPath() string { return h.Path(ConfigFile) }

// LogsPath is the directory of rotating log files.
func (h *Home) LogsPath() string { return h.Path(LogsDir) }

// SocketPath is the running engine's control socket.
func (h *Home) SocketPath() string { return h.Path(SocketFile) }

// InUseError says another engine holds the home.
type InUseError struct {
	Dir string
	PID int // 0 when the holder's PID could not be read
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("home %s is in use by another Holdfast engine (PID %d)", e.Dir, e.PID)
	}
	return fmt.Sprintf("home %s is in use by another Holdfast engine", e.Dir)
}

// ErrInUse matches any *InUseError with errors.Is.
var ErrInUse = errors.New("home in use")

// Is lets errors.Is(err, ErrInUse) match.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Lock is the exclusive hold of one engine on a home. The lock file records
// the holder's PID; the operating system releases the lock when the process
// dies, so a crashed engine never blocks the next one.
type Lock struct {
	f *os.File
}

// Lock takes the home's engine lock without waiting. If another process
// holds it, it returns an *InUseError naming that process.
func (h *Home) Lock() (*Lock, error) {
	path := h.Path(LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &InUseError{Dir: h.Dir, PID: readPID(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	if _, err := f.WriteAt([]byte(fmt.Sprintf("%d\n", os.Getpid())), 0); err != nil {
		unlock(f)
		f.Close()
		return nil, fmt.Errorf("write lock %s: %w", path, err)
	}
	_ = f.Sync()
	return &Lock{f: f}, nil
}

// Release gives the lock up.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

// Holder reports the PID of the engine holding the home, or 0 when no
// engine holds it.
func (h *Home) Holder() int {
	path := h.Path(LockFile)
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if err != nil {
		return 0
	}
	defer f.Close()
	if err := tryLock(f); err == nil {
		unlock(f)
		return 0
	}
	return readPID(path)
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var pid int
	if _, err := fmt.Sscanf(string(b), "%d", &pid); err != nil {
		return 0
	}
	return pid
}
