package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/holdfast/holdfast/core/alerts"
)

// writeAlerts renders the [alerts] table, with a comment above each key,
// as the default file and SaveAlerts write it.
func writeAlerts(line func(format string, args ...any), a Alerts) {
	line("")
	line("[alerts]")
	if len(a.Rules) == 0 {
		line("# Alert rules. The default rules (listed on the Alerts page) are in force;")
		line("# an [[alerts.rule]] table with the name of a default rule replaces it, one")
		line("# with only its name and disabled = true switches it off, and one with a new")
		line("# name adds a rule. Thresholds of ratios are fractions (0.9 is 90 %%).")
		line("# For example:")
		line("#")
		line("# [[alerts.rule]]")
		line(`# name = "home_almost_full"`)
		line(`# metric = "filesystem_used_bytes"`)
		line(`# ratio_of = "filesystem_size_bytes"`)
		line(`# agg = "last"            # avg, min, max or last over the window`)
		line(`# window = "5m"`)
		line(`# op = ">"                # ">" alerts when high, "<" when low`)
		line(`# raise = 0.95`)
		line(`# clear = 0.9             # the value must fall back below this to resolve`)
		line(`# for = "10m"             # how long it must last before it fires`)
		line(`# severity = "error"      # info, warning, error or critical`)
		line(`# message = "{{.Labels.mountpoint}} is {{.Value | percent}} full"`)
		line(`# match = { mountpoint = "/home" }`)
		line("")
	}
	line(`# Hold back all but critical notifications during these hours of the day,`)
	line(`# local time, e.g. "22:00-07:00"; empty never holds any back.`)
	line("quiet_hours = %s", tomlString(a.QuietHours))
	line(`# Remind of an alert still firing and not acknowledged this long after the`)
	line(`# last notification, e.g. "2h"; "0s" never reminds. %s to %s.`, Duration{minReNotify}, Duration{maxReNotify})
	line("renotify = %s", tomlString(a.ReNotify.String()))
	line("")
	line("[alerts.desktop]")
	line("# Show a desktop notification while the desktop app runs: true or false.")
	line("enabled = %t", a.Desktop.Enabled)
	line("")
	line("[alerts.webhook]")
	line(`# POST every notification as JSON to this http:// or https:// URL; empty`)
	line(`# sends nothing. Headers are added to each request, for example`)
	line(`# headers = { Authorization = "Bearer …" }.`)
	line("url = %s", tomlString(a.Webhook.URL))
	if len(a.Webhook.Headers) > 0 {
		line("# Headers added to each request.")
		line("headers = %s", tomlInlineTable(a.Webhook.Headers))
	}
	line("")
	line("[alerts.email]")
	line(`# Send every notification by e-mail through this SMTP server; empty sends`)
	line(`# no mail.`)
	line("host = %s", tomlString(a.Email.Host))
	line("# The server's port: 587 for submission with STARTTLS, 25 without.")
	line("port = %d", a.Email.Port)
	line("# Upgrade the connection with STARTTLS before anything else: true or false.")
	line("starttls = %t", a.Email.StartTLS)
	line("# The user name to log in with; empty does not log in.")
	line("username = %s", tomlString(a.Email.Username))
	line(`# A file holding the password on its first line (mode 0600), relative to`)
	line(`# this file's folder; the password itself is never written here.`)
	line("password_file = %s", tomlString(a.Email.PasswordFile))
	line(`# The sender, e.g. "Holdfast <holdfast@example.org>".`)
	line("from = %s", tomlString(a.Email.From))
	line(`# The recipients, e.g. ["me@example.org"].`)
	line("to = %s", tomlStringArray(a.Email.To))
	line("")
	if len(a.Rules) == 0 {
		return
	}
	line("# Alert rules that differ from the defaults: a rule with the name of a")
	line("# default rule replaces it (disabled = true switches it off); a new name")
	line("# adds a rule. Thresholds of ratios are fractions (0.9 is 90 %%).")
	for i, r := range a.Rules {
		if i > 0 {
			line("")
		}
		writeRule(line, r)
	}
}

func writeRule(line func(format string, args ...any), r alerts.RuleConfig) {
	line("[[alerts.rule]]")
	str := func(k, v string) {
		if v != "" {
			line("%s = %s", k, tomlString(v))
		}
	}
	str("name", r.Name)
	if r.Disabled {
		line("disabled = true")
	}
	str("kind", r.Kind)
	str("metric", r.Metric)
	str("ratio_of", r.RatioOf)
	str("agg", r.Agg)
	str("window", r.Window)
	str("op", r.Op)
	if r.Raise != 0 || r.Op != "" {
		line("raise = %s", tomlFloat(r.Raise))
	}
	if r.Clear != nil {
		line("clear = %s", tomlFloat(*r.Clear))
	}
	str("within", r.Within)
	str("clear_within", r.ClearWithin)
	str("for", r.For)
	str("severity", r.Severity)
	str("message", r.Message)
	if len(r.Match) > 0 {
		line("match = %s", tomlInlineTable(r.Match))
	}
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

var bareKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func tomlKey(k string) string {
	if bareKeyRE.MatchString(k) {
		return k
	}
	return tomlString(k)
}

func tomlInlineTable(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, tomlKey(k)+" = "+tomlString(m[k]))
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

func tomlStringArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// tomlFloat writes f so that TOML reads it back as the same float64.
func tomlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEn") { // an integer-looking float stays a float
		s += ".0"
	}
	return s
}

// saveMu serialises SaveAlerts within the process.
var saveMu sync.Mutex

// SaveAlerts replaces the [alerts] table of the settings file at path with
// a and returns the settings now in the file. The rest of the file — other
// tables, comments — is kept as it is; the [alerts] tables are written
// anew, with their comments, where the first of them was (at the end if
// there was none). A missing file is created with the defaults first.
//
// a is validated first, and the new text is parsed back and compared
// before anything is written: an invalid a, a file that does not load,
// or one whose [alerts] keys cannot be rewritten in place (dotted keys or
// an inline table outside [alerts]) is an error, and the file is left
// alone. The file is replaced atomically (write-temp, fsync, rename,
// fsync-directory), keeping its mode.
func SaveAlerts(path string, a Alerts) (Config, error) {
	saveMu.Lock()
	defer saveMu.Unlock()
	a.normalize()
	if errs := ValidateAlerts(a); len(errs) > 0 {
		return Config{}, errs[0]
	}
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		old, err = defaultFile(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	text, got, err := rewriteAlerts(string(old), a, filepath.Base(path))
	if err != nil {
		return Config{}, err
	}
	if err := replaceAtomic(path, []byte(text)); err != nil {
		return Config{}, fmt.Errorf("write config: %w", err)
	}
	return got, nil
}

// rewriteAlerts returns old with its [alerts] tables replaced by a, and
// the settings the new text holds, which are old's with a for [alerts].
func rewriteAlerts(old string, a Alerts, file string) (string, Config, error) {
	cur, p := parse(old)
	if p != nil {
		return "", Config{}, fmt.Errorf("%s cannot be changed while it has a problem: %w", file,
			&Error{File: file, Line: p.line, Key: p.keyString(), Msg: p.msg, Err: p.err})
	}
	var b strings.Builder
	writeAlerts(func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }, a)
	text := spliceAlerts(old, strings.TrimPrefix(b.String(), "\n"))
	want := cur
	want.Alerts = a
	got, p := parse(text)
	if p != nil || !reflect.DeepEqual(got, want) {
		return "", Config{}, fmt.Errorf("the [alerts] settings in %s are written in a way Holdfast cannot rewrite (dotted keys or an inline table?); edit them by hand", file)
	}
	return text, got, nil
}

// spliceAlerts removes the lines of every [alerts…] and [[alerts…]] table
// from text — each from its header to the next header of another table,
// but for comment lines right above that header, which belong to it — and
// puts section where the first one was, or at the end.
func spliceAlerts(text, section string) string {
	lines := strings.SplitAfter(text, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	var out, above []string // above: comment lines just above the next header
	at := -1
	in := false
	inString := ""
	for _, l := range lines {
		s := strings.TrimLeft(strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r"), " \t\ufeff")
		if inString != "" {
			if strings.Contains(s, inString) {
				inString = ""
			}
			if !in {
				out = append(out, l)
			}
			continue
		}
		if h, ok := strings.CutPrefix(s, "["); ok {
			h = strings.TrimPrefix(h, "[")
			if key, _, ok := parseKey(h); ok {
				if in && key[0] != "alerts" {
					out = append(out, above...)
				}
				in = key[0] == "alerts"
				if in && at < 0 {
					at = len(out)
				}
				above = nil
			}
		} else if strings.HasPrefix(s, "#") {
			above = append(above, l)
		} else if strings.TrimSpace(s) == "" {
			above = nil
		} else if _, rest, ok := parseKey(s); ok {
			if v, ok := strings.CutPrefix(rest, "="); ok {
				v = strings.TrimLeft(v, " \t")
				for _, delim := range []string{`"""`, `'''`} {
					if r, ok := strings.CutPrefix(v, delim); ok && !strings.Contains(r, delim) {
						inString = delim
					}
				}
			}
		}
		if !in {
			out = append(out, l)
		}
	}
	if len(out) > 0 && !strings.HasSuffix(out[len(out)-1], "\n") {
		out[len(out)-1] += "\n"
	}
	if at < 0 {
		at = len(out)
		if at > 0 && strings.TrimSpace(out[at-1]) != "" {
			section = "\n" + section
		}
	} else if at < len(out) {
		section += "\n" // keep a blank line before the table that follows
	}
	out = slices.Insert(out, at, section)
	return strings.Join(out, "")
}
