// Package logs writes Holdfast's log: slog records to stderr and to a
// size-rotated file in HOME/logs, keeping a bounded number of old files.
package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// FileName is the current log file inside the logs directory; rotated
// files are FileName.1 (newest) to FileName.N.
const FileName = "holdfast.log"

// Rotating is an io.Writer that appends to dir/holdfast.log and rotates it
// when it would pass maxSize bytes, keeping keep old files.
type Rotating struct {
	mu      sync.Mutex
	dir     string
	maxSize int64
	keep    int
	f       *os.File
	size    int64
}

// OpenRotating opens (appending) the log file in dir.
func OpenRotating(dir string, maxSize int64, keep int) (*Rotating, error) {
	if maxSize <= 0 {
		return nil, errors.New("log rotation size must be positive")
	}
	if keep < 1 {
		keep = 1
	}
	r := &Rotating{dir: dir, maxSize: maxSize, keep: keep}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Rotating) path(n int) string {
	if n == 0 {
		return filepath.Join(r.dir, FileName)
	}
	return filepath.Join(r.dir, fmt.Sprintf("%s.%d", FileName, n))
}

func (r *Rotating) open() error {
	f, err := os.OpenFile(r.path(0), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	r.f, r.size = f, fi.Size()
	return nil
}

// Write appends p, rotating first if p would not fit.
func (r *Rotating) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, errors.New("log file is closed")
	}
	if r.size > 0 && r.size+int64(len(p)) > r.maxSize {
		if err := r.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	return n, err
}

func (r *Rotating) rotate() error {
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("close log file: %w", err)
	}
	r.f = nil
	os.Remove(r.path(r.keep))
	for n := r.keep - 1; n >= 0; n-- {
		if err := os.Rename(r.path(n), r.path(n+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate log file: %w", err)
		}
	}
	return r.open()
}

// Close closes the file.
func (r *Rotating) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Sync()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	r.f = nil
	return err
}

// ParseLevel maps a config level name to a slog level.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log level %q: %w", s, err)
	}
	return l, nil
}

// New returns a logger writing text records to each of the writers.
func New(level slog.Leveler, writers ...io.Writer) *slog.Logger {
	hs := make([]slog.Handler, 0, len(writers))
	for _, w := range writers {
		hs = append(hs, slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	}
	if len(hs) == 1 {
		return slog.New(hs[0])
	}
	return slog.New(fanout(hs))
}

// fanout sends each record to several handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
