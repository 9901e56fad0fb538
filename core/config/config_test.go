package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// writeConfig writes text to a config.toml in a fresh directory.
func writeConfig(t testing.TB, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadValid(t *testing.T) {
	tests := []struct {
		name string
		text string
		want func(*Config)
	}{
		{"empty", "", func(*Config) {}},
		{"comments only", "# nothing\n\n", func(*Config) {}},
		{"empty tables", "[general]\n[logs]\n[ui]\n[control]\n", func(*Config) {}},
		{"all keys", `
[general]
device_name = "laptop"
log_level = "debug"
[logs]
max_size_mb = 1024
keep = 1
[ui]
theme = "dark"
close_to_tray = false
[control]
client_timeout = "100ms"
`, func(c *Config) {
			c.General = General{DeviceName: "laptop", LogLevel: "debug"}
			c.Logs = Logs{MaxSizeMB: 1024, Keep: 1}
			c.UI = UI{Theme: "dark", CloseToTray: false}
			c.Control.ClientTimeout = Duration{100 * time.Millisecond}
		}},
		{"dotted keys", "ui.theme = 'light'\nlogs.keep = 100\n", func(c *Config) {
			c.UI.Theme = "light"
			c.Logs.Keep = 100
		}},
		{"inline table", `control = { client_timeout = "1m" }`, func(c *Config) {
			c.Control.ClientTimeout = Duration{time.Minute}
		}},
		{"quoted key and CRLF", "[general]\r\n\"log_level\" = \"warn\"\r\n", func(c *Config) {
			c.General.LogLevel = "warn"
		}},
		{"BOM", "\ufeff[general]\nlog_level = 'error'\n", func(c *Config) {
			c.General.LogLevel = "error"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(writeConfig(t, tt.text))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := Default()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Load = %+v, want %+v", got, want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		line int
		key  string
		msg  string // the whole Error() text, or a prefix of it ending in "…"
	}{
		// Syntax.
		{"bare word value", "[general]\nlog_level = verbose\n", 2, "general.log_level",
			`config.toml:2: general.log_level: syntax error: …`},
		{"duplicate key", "[ui]\ntheme = 'dark'\n\ntheme = 'light'\n", 4, "",
			`config.toml:4: syntax error: …`},
		{"unterminated string", "[ui]\ntheme = \"dark\n", 2, "ui.theme", `config.toml:2: ui.theme: syntax error: …`},
		{"unterminated multi-line string", "[general]\ndevice_name = '''\nx\n", 3, "", `config.toml:3: …`},

		// Unknown keys.
		{"unknown key in table", "[ui]\ntheme = 'dark'\n\n# colour\ncolour = 'red'\n", 5, "ui.colour",
			`config.toml:5: unknown key "ui.colour"`},
		{"unknown table", "[general]\nlog_level = 'info'\n[extra]\nx = 1\n", 3, "extra",
			`config.toml:3: unknown table "extra"`},
		{"unknown sub-table", "[ui]\n[ui.extra]\n", 2, "ui.extra", `config.toml:2: unknown table "ui.extra"`},
		{"unknown top-level key", "\n\nverbose = true\n", 3, "verbose", `config.toml:3: unknown key "verbose"`},
		{"unknown dotted key", "[general]\nlog_level = 'info'\n  ui . colour = 1\n", 3, "general.ui",
			`config.toml:3: unknown table "general.ui"`},
		{"unknown quoted key", "[logs]\n'max size' = 3\n", 2, `logs."max size"`, `config.toml:2: unknown key logs."max size"`},
		{"wrong case", "[UI]\ntheme = 'dark'\n", 1, "UI", `config.toml:1: unknown table "UI"`},
		{"wrong case key", "[ui]\nTheme = 'dark'\n", 2, "ui.Theme", `config.toml:2: unknown key "ui.Theme"`},
		{"unknown key in array of tables", "[[general]]\n", 1, "general",
			`config.toml:1: general: must be a table, not an array of tables`},

		// Wrong types.
		{"string for int", "[logs]\nmax_size_mb = 10\nkeep = \"five\"\n", 3, "logs.keep",
			`config.toml:3: logs.keep: must be an integer, not the string "five"`},
		{"float for int", "[logs]\nkeep = 5.0\n", 2, "logs.keep", `config.toml:2: logs.keep: must be an integer, not the float 5`},
		{"string for bool", "[ui]\nclose_to_tray = \"yes\"\n", 2, "ui.close_to_tray",
			`config.toml:2: ui.close_to_tray: must be true or false, not the string "yes"`},
		{"int for string", "[general]\nlog_level = 1\n", 2, "general.log_level",
			`config.toml:2: general.log_level: must be a string, not the integer 1`},
		{"array for string", "[general]\ndevice_name = ['a']\n", 2, "general.device_name", `config.toml:2: general.device_name: must be a string, not an array`},
		{"int for duration", "[control]\nclient_timeout = 2\n", 2, "control.client_timeout",
			`config.toml:2: control.client_timeout: must be a duration string such as "2s", not the integer 2`},
		{"bad duration", "[control]\nclient_timeout = \"2 seconds\"\n", 2, "control.client_timeout",
			`config.toml:2: control.client_timeout: "2 seconds" is not a duration such as "500ms" or "2s"`},
		{"value for table", "ui = 'dark'\n", 1, "ui", `config.toml:1: ui: must be a table, not the string "dark"`},
		{"inline table", "[general]\nlog_level = 'info'\n\nui = { theme = 3 }\n", 4, "general.ui", `config.toml:4: unknown table "general.ui"`},
		{"root inline table", "\nui = { theme = 3 }\n", 2, "ui.theme", `config.toml:2: ui.theme: must be a string, not the integer 3`},

		// Invalid values.
		{"log level", "[general]\ndevice_name = ''\nlog_level = \"verbose\"\n", 3, "general.log_level",
			`config.toml:3: general.log_level: "verbose" is not one of debug, info, warn, error`},
		{"log level case", "[general]\nlog_level = \"INFO\"\n", 2, "general.log_level", `config.toml:2: general.log_level: "INFO" is not one of …`},
		{"device name", "[general]\ndevice_name = \"a\\nb\"\n", 2, "general.device_name",
			`config.toml:2: general.device_name: "a\nb" contains control characters`},
		{"max size 0", "[logs]\nmax_size_mb = 0\n", 2, "logs.max_size_mb", `config.toml:2: logs.max_size_mb: 0 is not between 1 and 1024`},
		{"max size big", "[logs]\nmax_size_mb = 1025\n", 2, "logs.max_size_mb", `config.toml:2: logs.max_size_mb: 1025 is not between 1 and 1024`},
		{"keep negative", "[logs]\nkeep = -1\n", 2, "logs.keep", `config.toml:2: logs.keep: -1 is not between 1 and 100`},
		{"keep big", "[logs]\nkeep = 101\n", 2, "logs.keep", `config.toml:2: logs.keep: 101 is not between 1 and 100`},
		{"theme", "[ui]\ntheme = \"blue\"\n", 2, "ui.theme", `config.toml:2: ui.theme: "blue" is not one of system, light, dark`},
		{"timeout short", "[control]\nclient_timeout = \"99ms\"\n", 2, "control.client_timeout",
			`config.toml:2: control.client_timeout: 99ms is not between 100ms and 1m`},
		{"timeout long", "[control]\nclient_timeout = \"1m0.5s\"\n", 2, "control.client_timeout",
			`config.toml:2: control.client_timeout: 1m0.5s is not between 100ms and 1m`},
		{"timeout negative", "[control]\nclient_timeout = \"-2s\"\n", 2, "control.client_timeout", `config.toml:2: control.client_timeout: -2s …`},
		{"dotted", "logs.keep = 0\n", 1, "logs.keep", `config.toml:1: logs.keep: 0 is not between 1 and 100`},

		// The first problem in the file is reported.
		{"first of several", "[ui]\ntheme = 'blue'\n[logs]\nkeep = 0\n", 2, "ui.theme", `config.toml:2: ui.theme: …`},
		{"first of several reversed", "[logs]\nkeep = 0\n[ui]\ntheme = 'blue'\n", 2, "logs.keep", `config.toml:2: logs.keep: …`},
		{"multi-line string not scanned", "[general]\ndevice_name = \"\"\"\nlog_level = 'x'\n\"\"\"\nlog_level = 'verbose'\n", 2, "general.device_name",
			`config.toml:2: general.device_name: …`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tt.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load error = %v (%T), want *Error", err, err)
			}
			if e.File != "config.toml" || e.Line != tt.line || e.Key != tt.key {
				t.Errorf("Load error at %s:%d key %q, want config.toml:%d key %q (%v)", e.File, e.Line, e.Key, tt.line, tt.key, err)
			}
			if prefix, ok := strings.CutSuffix(tt.msg, "…"); ok {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("Load error = %q, want prefix %q", err, prefix)
				}
			} else if err.Error() != tt.msg {
				t.Errorf("Load error = %q, want %q", err, tt.msg)
			}
			if e.Key != "" && !strings.Contains(e.Msg, e.Key) {
				t.Errorf("message %q does not name key %q", e.Msg, e.Key)
			}
		})
	}
}

func TestLoadWrapsCauses(t *testing.T) {
	_, err := Load(writeConfig(t, "[ui\n"))
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		t.Errorf("syntax error %v does not wrap toml.ParseError", err)
	}

	_, err = Load(writeConfig(t, "[control]\nclient_timeout = 'soon'\n"))
	var e *Error
	if !errors.As(err, &e) || e.Err == nil || !strings.Contains(e.Err.Error(), `invalid duration "soon"`) {
		t.Errorf("duration error %v does not wrap time.ParseDuration's error", err)
	}

	_, err = Load(t.TempDir()) // a directory: unreadable as a file
	if err == nil || errors.As(err, &e) {
		t.Errorf("Load(dir) = %v, want a read error", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	got, err := Load(path)
	if err != nil || !reflect.DeepEqual(got, Default()) {
		t.Fatalf("Load(missing) = %+v, %v; want defaults, nil", got, err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load created %s (stat: %v)", path, err)
	}
}

func TestLoadDoesNotModify(t *testing.T) {
	for _, text := range []string{
		string(defaultFile()),
		"[ui]\ntheme = 'dark'\n",
		"[ui]\ncolour = 'red'\n",
		"[logs]\nkeep = 0\n",
		"not toml at all ]]]\n",
	} {
		path := writeConfig(t, text)
		old := time.Now().Add(-time.Hour).Truncate(time.Second)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
		_, _ = Load(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != text || !fi.ModTime().Equal(old) {
			t.Errorf("Load changed %q: now %q, mtime %v (was %v)", text, data, fi.ModTime(), old)
		}
		if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
			t.Errorf("Load left files behind: %v", entries)
		}
	}
}

func TestWriteDefaultRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := WriteDefault(path); err != nil {
		t.Fatalf("WriteDefault: %v", err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatalf("Load(default file): %v", err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Errorf("Load(default file) = %+v, want %+v", got, Default())
	}

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("WriteDefault left files behind: %v", entries)
	}

	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("# ")) || !bytes.Contains(data, []byte("database")) {
		t.Errorf("default file lacks its header comment:\n%s", data)
	}
	// Every key has a comment line directly above it.
	lines := strings.Split(string(data), "\n")
	keys := 0
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "[") {
			continue
		}
		keys++
		if i == 0 || !strings.HasPrefix(lines[i-1], "#") {
			t.Errorf("line %d %q has no comment above it", i+1, l)
		}
	}
	if keys != 30 {
		t.Errorf("default file has %d keys, want 30:\n%s", keys, data)
	}
}

func TestWriteDefaultKeepsExisting(t *testing.T) {
	const mine = "[ui]\ntheme = 'dark'\n"
	path := writeConfig(t, mine)
	if err := WriteDefault(path); err != nil {
		t.Fatalf("WriteDefault over existing file: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != mine {
		t.Errorf("WriteDefault clobbered the file: %q", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("WriteDefault left files behind: %v", entries)
	}
}

func TestWriteDefaultMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope", "config.toml")
	if err := WriteDefault(path); err == nil {
		t.Error("WriteDefault into a missing directory succeeded")
	}
}

func TestDefaultValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}
	c := Default()
	c.UI.Theme = "blue"
	err := c.Validate()
	var e *Error
	if !errors.As(err, &e) || e.Key != "ui.theme" || err.Error() != `ui.theme: "blue" is not one of system, light, dark` {
		t.Errorf("Validate = %v", err)
	}
}

func TestDeviceName(t *testing.T) {
	c := Default()
	host, err := os.Hostname()
	if err == nil && host != "" {
		if got := c.DeviceName(); got != host {
			t.Errorf("DeviceName() = %q, want host name %q", got, host)
		}
	}
	c.General.DeviceName = "laptop"
	if got := c.DeviceName(); got != "laptop" {
		t.Errorf("DeviceName() = %q, want %q", got, "laptop")
	}
}

func TestDurationText(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"2s", 2 * time.Second, "2s"},
		{"100ms", 100 * time.Millisecond, "100ms"},
		{"60s", time.Minute, "1m"},
		{"1m30s", 90 * time.Second, "1m30s"},
		{"2h", 2 * time.Hour, "2h"},
		{"1h0m1s", time.Hour + time.Second, "1h0m1s"},
		{"0", 0, "0s"},
	}
	for _, tt := range tests {
		var d Duration
		if err := d.UnmarshalText([]byte(tt.in)); err != nil || d.Duration != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", tt.in, d.Duration, err, tt.want)
		}
		out, err := d.MarshalText()
		if err != nil || string(out) != tt.out {
			t.Errorf("MarshalText(%v) = %q, %v; want %q", tt.want, out, err, tt.out)
		}
	}
	var d Duration
	if err := d.UnmarshalText([]byte("soon")); err == nil {
		t.Error(`UnmarshalText("soon") succeeded`)
	}
}

func TestLineIndex(t *testing.T) {
	text := `# comment
top = 1
[ a . "b.c" ]
x = 1
'y z' . w = { q = 1 }
s = """
fake = 1
"""
fake = 2
[[arr]]
k = 'v'
`
	idx := indexLines(text)
	tests := []struct {
		key  toml.Key
		line int
	}{
		{toml.Key{"top"}, 2},
		{toml.Key{"a", "b.c"}, 3},
		{toml.Key{"a", "b.c", "x"}, 4},
		{toml.Key{"a", "b.c", "y z", "w"}, 5},
		{toml.Key{"a", "b.c", "y z", "w", "q"}, 5}, // inside an inline table: its parent's line
		{toml.Key{"a", "b.c", "s"}, 6},
		{toml.Key{"a", "b.c", "fake"}, 9},
		{toml.Key{"arr"}, 10},
		{toml.Key{"arr", ruleElem(0), "k"}, 11},
		{toml.Key{"nowhere"}, 0},
	}
	for _, tt := range tests {
		if got := idx.line(tt.key); got != tt.line {
			t.Errorf("line(%s) = %d, want %d", tt.key, got, tt.line)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(string(defaultFile()))
	f.Add("")
	f.Add("[general]\nlog_level = \"verbose\"\n")
	f.Add("[ui]\ncolour = 'red'\n")
	f.Add("[logs]\nkeep = \"five\"\nmax_size_mb = 0\n")
	f.Add("control = { client_timeout = \"1m\" }\nui.theme = 'dark'\n")
	f.Add("[control]\nclient_timeout = '-1h'\n[[ui]]\n")
	f.Add("[general]\ndevice_name = '''\nx = 1\n'''\n")
	f.Add(alertsFile)
	f.Add("[alerts]\nquiet_hours = '22:00-7:00'\nrenotify = '1h'\n[[alerts.rule]]\nname = 'x'\ndisabled = true\nraise = inf\n")
	f.Add("[[alerts.rule]]\nname = 'a'\nmetric = 'load1'\nwindow = '1m'\nop = '<'\nraise = 1\nclear = 2\nseverity = 'crit'\nmatch = { 'x y' = '!a|b*' }\n[alerts.rule.match]\nz = ''\n")
	f.Add("alerts = { rule = [ { name = 'a', disabled = true } ], webhook = { url = 'http://h', headers = { A = 'b' } } }\n")
	f.Add("[alerts.email]\nhost = 'h'\nfrom = 'a@b.c'\nto = ['d@e.f', 3]\n")
	// One file per fuzzing process, rewritten for each input: calls to the
	// fuzz function within a process are sequential.
	path := filepath.Join(f.TempDir(), "config.toml")
	f.Fuzz(func(t *testing.T, text string) {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(path)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load error %v (%T) is not an *Error", err, err)
			}
			if e.File != "config.toml" || e.Msg == "" {
				t.Fatalf("Load error %#v lacks file or message", e)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load returned an invalid config: %v\ninput: %q", err, text)
		}
		// The [alerts] table written back reads as the same settings, or
		// is refused for keys it cannot rewrite in place: never a file
		// that reads differently.
		out, got, err := rewriteAlerts(text, c.Alerts, "config.toml")
		if err != nil {
			if !strings.Contains(err.Error(), "edit them by hand") {
				t.Fatalf("rewriting [alerts]: %v\ninput: %q", err, text)
			}
			return
		}
		if again, p := parse(out); p != nil || !reflect.DeepEqual(again, c) || !reflect.DeepEqual(got, c) {
			t.Fatalf("rewritten [alerts] reads differently (%v)\ninput: %q\noutput: %q", p, text, out)
		}
	})
}
