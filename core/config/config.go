// Package config loads, validates and writes Holdfast's hand-editable
// settings file (config.toml).
//
// Only settings a person edits by hand live here. Things the app creates —
// sources, jobs, watched folders, peers — live in the database.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"
)

// Config is the contents of config.toml. Each field holds a TOML table.
type Config struct {
	General General `toml:"general"`
	Logs    Logs    `toml:"logs"`
	UI      UI      `toml:"ui"`
	Control Control `toml:"control"`
	Monitor Monitor `toml:"monitor"`
	Tasks   Tasks   `toml:"tasks"`
	Alerts  Alerts  `toml:"alerts"`
	Peers   Peers   `toml:"peers"`
}

// General is the [general] table.
type General struct {
	// DeviceName is how this device is shown to peers; "" means the host
	// name (see Config.DeviceName).
	DeviceName string `toml:"device_name"`
	// LogLevel is one of debug, info, warn, error.
	LogLevel string `toml:"log_level"`
}

// Logs is the [logs] table.
type Logs struct {
	// MaxSizeMB is the size in MB at which the log file is rotated (1..1024).
	MaxSizeMB int `toml:"max_size_mb"`
	// Keep is the number of rotated log files kept (1..100).
	Keep int `toml:"keep"`
}

// UI is the [ui] table.
type UI struct {
	// Theme is one of system, light, dark.
	Theme string `toml:"theme"`
	// CloseToTray keeps Holdfast running in the tray when its window closes.
	CloseToTray bool `toml:"close_to_tray"`
}

// Monitor is the [monitor] table: sampling and the metrics history.
type Monitor struct {
	// Interval is how often the machine is sampled (1s..1m).
	Interval Duration `toml:"interval"`
	// FlushInterval is how often samples are written to the database
	// (5s..10m); a crash loses at most this much history.
	FlushInterval Duration `toml:"flush_interval"`
	// RawRetention, MinuteRetention and HourRetention say how long each
	// resolution of the history is kept.
	RawRetention    Duration `toml:"raw_retention"`
	MinuteRetention Duration `toml:"minute_retention"`
	HourRetention   Duration `toml:"hour_retention"`
	// MetricsListen, when set, serves Prometheus /metrics on this
	// host:port ("127.0.0.1:9720"); empty serves nothing.
	MetricsListen string `toml:"metrics_listen"`
}

// Control is the [control] table.
type Control struct {
	// ClientTimeout is how long the CLI waits for the database lock when no
	// engine runs (100ms..1m).
	ClientTimeout Duration `toml:"client_timeout"`
}

// Allowed values and ranges.
var (
	logLevels = []string{"debug", "info", "warn", "error"}
	themes    = []string{"system", "light", "dark"}
)

const (
	minMaxSizeMB, maxMaxSizeMB = 1, 1024
	minKeep, maxKeep           = 1, 100
	minClientTimeout           = 100 * time.Millisecond
	maxClientTimeout           = time.Minute
)

// Default returns the settings used for keys the file does not set.
func Default() Config {
	return Config{
		General: General{DeviceName: "", LogLevel: "info"},
		Logs:    Logs{MaxSizeMB: 10, Keep: 5},
		UI:      UI{Theme: "system", CloseToTray: true},
		Control: Control{ClientTimeout: Duration{2 * time.Second}},
		Monitor: Monitor{
			Interval: Duration{time.Second}, FlushInterval: Duration{time.Minute},
			RawRetention: Duration{24 * time.Hour}, MinuteRetention: Duration{90 * 24 * time.Hour},
			HourRetention: Duration{2 * 365 * 24 * time.Hour},
		},
		Tasks:  defaultTasks(),
		Alerts: defaultAlerts(),
		Peers:  defaultPeers(),
	}
}

// DeviceName returns general.device_name, or the host name when it is empty
// (or "holdfast" if the host name cannot be determined).
func (c Config) DeviceName() string {
	if c.General.DeviceName != "" {
		return c.General.DeviceName
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "holdfast"
}

// Validate reports the first setting that is out of range or not an allowed
// value, as an *Error without File or Line. It returns nil if c is valid.
func (c Config) Validate() error {
	if ps := c.problems(); len(ps) > 0 {
		return &Error{Key: ps[0].keyString(), Msg: ps[0].msg, Err: ps[0].err}
	}
	return nil
}

// problem is an error tied to a key, before its file and line are known.
type problem struct {
	key  toml.Key
	line int    // 1-based; 0 if not known (yet)
	msg  string // includes the key where it reads naturally
	err  error  // underlying error, if any
}

// keyString is the problem's key as Error.Key gives it: dotted, and
// ending at the array of tables for a key inside one ("alerts.rule").
func (p problem) keyString() string {
	for i, part := range p.key {
		if isElem(part) {
			return p.key[:i].String()
		}
	}
	return p.key.String()
}

// problems returns every invalid value in c.
func (c Config) problems() []problem {
	var ps []problem
	add := func(key toml.Key, format string, args ...any) {
		ps = append(ps, problem{key: key, msg: key.String() + ": " + fmt.Sprintf(format, args...)})
	}
	oneOf := func(key toml.Key, v string, allowed []string) {
		if !slices.Contains(allowed, v) {
			add(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
		}
	}
	between := func(key toml.Key, v, lo, hi int) {
		if v < lo || v > hi {
			add(key, "%d is not between %d and %d", v, lo, hi)
		}
	}

	if strings.ContainsFunc(c.General.DeviceName, unicode.IsControl) {
		add(toml.Key{"general", "device_name"}, "%q contains control characters", c.General.DeviceName)
	}
	oneOf(toml.Key{"general", "log_level"}, c.General.LogLevel, logLevels)
	between(toml.Key{"logs", "max_size_mb"}, c.Logs.MaxSizeMB, minMaxSizeMB, maxMaxSizeMB)
	between(toml.Key{"logs", "keep"}, c.Logs.Keep, minKeep, maxKeep)
	oneOf(toml.Key{"ui", "theme"}, c.UI.Theme, themes)
	for _, r := range []struct {
		key      string
		v        Duration
		min, max time.Duration
	}{
		{"interval", c.Monitor.Interval, time.Second, time.Minute},
		{"flush_interval", c.Monitor.FlushInterval, 5 * time.Second, 10 * time.Minute},
		{"raw_retention", c.Monitor.RawRetention, time.Hour, 90 * 24 * time.Hour},
		{"minute_retention", c.Monitor.MinuteRetention, 24 * time.Hour, 5 * 365 * 24 * time.Hour},
		{"hour_retention", c.Monitor.HourRetention, 24 * time.Hour, 20 * 365 * 24 * time.Hour},
	} {
		if r.v.Duration < r.min || r.v.Duration > r.max {
			add(toml.Key{"monitor", r.key}, "%s is not between %s and %s", r.v, Duration{r.min}, Duration{r.max})
		}
	}
	if a := c.Monitor.MetricsListen; a != "" {
		if _, port, err := net.SplitHostPort(a); err != nil || port == "" {
			add(toml.Key{"monitor", "metrics_listen"}, "%q is not host:port (like 127.0.0.1:9720)", a)
		}
	}
	if d := c.Control.ClientTimeout.Duration; d < minClientTimeout || d > maxClientTimeout {
		add(toml.Key{"control", "client_timeout"}, "%s is not between %s and %s",
			c.Control.ClientTimeout, Duration{minClientTimeout}, Duration{maxClientTimeout})
	}
	ps = append(ps, c.Tasks.problems()...)
	ps = append(ps, c.Alerts.alertProblems()...)
	ps = append(ps, c.Peers.problems()...)
	return ps
}

// Error is a problem with the settings file. Load returns every error about
// the file's contents as an *Error.
type Error struct {
	File string // base name of the file, e.g. "config.toml"; "" from Validate
	Line int    // 1-based line of the offending key; 0 if unknown
	Key  string // dotted key, e.g. "ui.theme"; "" if the error is not about one key
	Msg  string // the message; names Key where there is one
	Err  error  // underlying error, if any
}

// Error formats e as "config.toml:7: unknown key \"ui.colour\"".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Load reads the settings file at path. Keys the file does not set take their
// Default values; a missing file gives Default() and no error. Problems with
// the file's contents (syntax, unknown keys, wrong types, invalid values) are
// returned as an *Error naming the key and its line. Load never writes to
// the file.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	c, p := parse(string(data))
	if p != nil {
		return Config{}, &Error{File: filepath.Base(path), Line: p.line, Key: p.keyString(), Msg: p.msg, Err: p.err}
	}
	return c, nil
}

// parse decodes and checks text, returning the first problem in it.
//
// It works in two passes. The first decodes into a plain map and checks it
// against Config's shape: keys must match exactly (BurntSushi/toml matches
// struct fields case-insensitively, which would let "Theme" through) and
// values must have the right TOML type. Only then is the text decoded into
// Config and its values validated.
func parse(text string) (Config, *problem) {
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		return Config{}, parseProblem(text, "syntax error", err)
	}
	if ps := checkShape(raw); len(ps) > 0 {
		return Config{}, first(text, ps)
	}
	c := Default()
	if _, err := toml.Decode(text, &c); err != nil {
		// checkShape should have caught anything the decoder rejects.
		return Config{}, parseProblem(text, "cannot decode", err)
	}
	c.Alerts.normalize()
	if ps := c.problems(); len(ps) > 0 {
		return Config{}, first(text, ps)
	}
	return c, nil
}

// first returns the problem that comes first in text, with its line set.
// Problems whose line cannot be found come last.
func first(text string, ps []problem) *problem {
	idx := indexLines(text)
	var best *problem
	for i := range ps {
		p := &ps[i]
		p.line = idx.line(p.key)
		if best == nil || p.line > 0 && (best.line == 0 || p.line < best.line) {
			best = p
		}
	}
	return best
}

// parseProblem turns an error from the TOML decoder into a problem at its
// line, naming the key being parsed if it is on that line. what says what
// kind of error it is.
func parseProblem(text, what string, err error) *problem {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &problem{msg: what + ": " + err.Error(), err: err}
	}
	p := &problem{line: pe.Position.Line, msg: what + ": " + pe.Message, err: err}
	if key, rest, ok := parseKey(pe.LastKey); ok && rest == "" && indexLines(text).line(key) == p.line {
		p.key = key
		p.msg = key.String() + ": " + p.msg
	}
	return p
}
