package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
)

const alertsFile = `[ui]
theme = "dark"

[alerts]
quiet_hours = "22:00-07:00"
renotify = "2h"

[alerts.desktop]
enabled = false

[alerts.webhook]
url = "https://hooks.example.org/holdfast"
headers = { Authorization = "Bearer abc" }

[alerts.email]
host = "smtp.example.org"
port = 465
starttls = false
username = "me"
password_file = "smtp-password"
from = "Holdfast <holdfast@example.org>"
to = ["me@example.org", "ops@example.org"]

# Switch the swap rule off.
[[alerts.rule]]
name = "swap_usage_warning"
disabled = true

[[alerts.rule]]
name = "disk_space_warning"
metric = "filesystem_used_bytes"
ratio_of = "filesystem_size_bytes"
agg = "last"
window = "5m"
op = ">"
raise = 0.95
clear = 0.9
severity = "warning"
message = "{{.Labels.mountpoint}} is {{.Value | percent}} full"
[alerts.rule.match]
mountpoint = "!/snap/*"

[[alerts.rule]]
name = "hot"
metric = "temperature_celsius"
agg = "max"
window = "1m"
op = ">"
raise = 90
for = "2m"
severity = "critical"
`

func TestLoadAlerts(t *testing.T) {
	c, err := Load(writeConfig(t, alertsFile))
	if err != nil {
		t.Fatal(err)
	}
	clear := 0.9
	want := Alerts{
		QuietHours: "22:00-07:00",
		ReNotify:   Duration{2 * time.Hour},
		Desktop:    AlertsDesktop{Enabled: false},
		Webhook:    AlertsWebhook{URL: "https://hooks.example.org/holdfast", Headers: map[string]string{"Authorization": "Bearer abc"}},
		Email: AlertsEmail{Host: "smtp.example.org", Port: 465, Username: "me", PasswordFile: "smtp-password",
			From: "Holdfast <holdfast@example.org>", To: []string{"me@example.org", "ops@example.org"}},
		Rules: []alerts.RuleConfig{
			{Name: "swap_usage_warning", Disabled: true},
			{Name: "disk_space_warning", Metric: "filesystem_used_bytes", RatioOf: "filesystem_size_bytes", Agg: "last",
				Window: "5m", Op: ">", Raise: 0.95, Clear: &clear, Severity: "warning",
				Message: "{{.Labels.mountpoint}} is {{.Value | percent}} full", Match: map[string]string{"mountpoint": "!/snap/*"}},
			{Name: "hot", Metric: "temperature_celsius", Agg: "max", Window: "1m", Op: ">", Raise: 90, For: "2m", Severity: "critical"},
		},
	}
	if !reflect.DeepEqual(c.Alerts, want) {
		t.Errorf("alerts\n got %+v\nwant %+v", c.Alerts, want)
	}
	if c.UI.Theme != "dark" {
		t.Errorf("theme %q", c.UI.Theme)
	}
	q, err := ParseQuietHours(c.Alerts.QuietHours)
	if err != nil || q.Start != "22:00" || q.End != "07:00" {
		t.Errorf("quiet hours %+v, %v", q, err)
	}
}

func TestEffectiveRules(t *testing.T) {
	c, err := Load(writeConfig(t, alertsFile))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := c.Alerts.EffectiveRules(4)
	if err != nil {
		t.Fatal(err)
	}
	defaults := alerts.DefaultRules(4)
	byName := map[string]alerts.Rule{}
	var names []string
	for _, r := range rules {
		byName[r.Name] = r
		names = append(names, r.Name)
	}
	// Replaced in place, switched off, added at the end, the rest as they are.
	if _, ok := byName["swap_usage_warning"]; ok {
		t.Error("the disabled default rule is in force")
	}
	if r := byName["disk_space_warning"]; r.Raise != 0.95 || r.Clear != 0.9 || len(r.Match) != 1 {
		t.Errorf("replaced rule %+v", r)
	}
	if names[len(names)-1] != "hot" || byName["hot"].Severity != alerts.SeverityCritical || byName["hot"].For != 2*time.Minute {
		t.Errorf("added rule: %v %+v", names, byName["hot"])
	}
	if len(rules) != len(defaults) { // one off, one added
		t.Errorf("%d rules, want %d: %v", len(rules), len(defaults), names)
	}
	if !reflect.DeepEqual(byName["cpu_usage_warning"], defaults[0]) {
		t.Errorf("an untouched default changed: %+v", byName["cpu_usage_warning"])
	}
	for i, r := range rules[:4] {
		if r.Name != defaults[i].Name {
			t.Errorf("rule %d is %s, want the default order (%s)", i, r.Name, defaults[i].Name)
		}
	}

	none, err := Default().Alerts.EffectiveRules(4)
	if err != nil || !reflect.DeepEqual(none, defaults) {
		t.Errorf("no overrides: %v", err)
	}
}

func TestLoadAlertsErrors(t *testing.T) {
	rule := func(body string) string {
		return "[general]\nlog_level = 'info'\n\n[[alerts.rule]]\nname = \"cpu\"\nmetric = \"cpu_usage_ratio\"\nwindow = \"1m\"\nop = \">\"\nraise = 0.9\nseverity = \"warning\"\n\n[[alerts.rule]]\n" + body
	}
	tests := []struct {
		name string
		text string
		line int
		key  string
		msg  string // whole message, or a prefix ending in "…"
	}{
		{"unknown metric", rule("name = \"disk_full\"\nmetric = \"filesytem_used\"\nwindow = \"5m\"\nop = \">\"\nraise = 0.9\nseverity = \"warning\"\n"), 14, "alerts.rule",
			`config.toml:14: alerts.rule "disk_full": metric: unknown metric "filesytem_used"`},
		{"clear above raise", rule("name = \"disk\"\nmetric = \"load1\"\nwindow = \"5m\"\nop = \">\"\nraise = 4\nclear = 5\nseverity = \"warning\"\n"), 18, "alerts.rule",
			`config.toml:18: alerts.rule "disk": clear: 5 is above raise 4; …`},
		{"threshold not a number", rule("name = \"disk\"\nmetric = \"load1\"\nraise = \"high\"\n"), 15, "alerts.rule",
			`config.toml:15: alerts.rule "disk": raise: must be a number, not the string "high"`},
		{"threshold not finite", rule("name = \"disk\"\nmetric = \"load1\"\nwindow = \"5m\"\nop = \">\"\nraise = nan\nseverity = \"warning\"\n"), 17, "alerts.rule",
			`config.toml:17: alerts.rule "disk": raise: must be a finite number`},
		{"disabled, not finite", rule("name = \"disk\"\ndisabled = true\nclear = -inf\n"), 15, "alerts.rule",
			`config.toml:15: alerts.rule "disk": clear: must be a finite number`},
		{"bad window", rule("name = \"disk\"\nmetric = \"load1\"\nwindow = \"5 min\"\nop = \">\"\nraise = 4\nseverity = \"warning\"\n"), 15, "alerts.rule",
			`config.toml:15: alerts.rule "disk": window: not a duration (like "10m" or "1h30m"): "5 min"`},
		{"missing metric", rule("name = \"disk\"\nwindow = \"5m\"\nop = \">\"\nraise = 4\nseverity = \"warning\"\n"), 12, "alerts.rule",
			`config.toml:12: alerts.rule "disk": metric: must not be empty`},
		{"unknown key in a rule", rule("name = \"disk\"\nmetrc = \"load1\"\n"), 14, "alerts.rule",
			`config.toml:14: alerts.rule "disk": unknown key "metrc"`},
		{"severity", rule("name = \"disk\"\nmetric = \"load1\"\nwindow = \"5m\"\nop = \">\"\nraise = 4\nseverity = \"bad\"\n"), 18, "alerts.rule",
			`config.toml:18: alerts.rule "disk": severity: must be info, warning, error or critical, got "bad"`},
		{"unnamed rule", rule("metric = \"load1\"\nwindow = \"5m\"\nop = \">\"\nraise = 4\nseverity = \"warning\"\n"), 12, "alerts.rule",
			`config.toml:12: alerts.rule #2: name: must not be empty`},
		{"duplicate name", rule("name = \"cpu\"\ndisabled = true\n"), 13, "alerts.rule",
			`config.toml:13: alerts.rule "cpu": name: another rule has the same name`},
		{"match label", rule("name = \"disk\"\nmetric = \"load1\"\nwindow = \"5m\"\nop = \">\"\nraise = 4\nseverity = \"warning\"\n[alerts.rule.match]\nhost = 3\n"), 20, "alerts.rule",
			`config.toml:20: alerts.rule "disk": match.host: must be a string, not the integer 3`},
		{"rule not a table", "[alerts]\nrule = 3\n", 2, "alerts.rule", `config.toml:2: alerts.rule: must be an array of tables, not the integer 3`},
		{"quiet hours", "[alerts]\nquiet_hours = \"22-7\"\n", 2, "alerts.quiet_hours",
			`config.toml:2: alerts.quiet_hours: "22-7" is not a span of the day like "22:00-07:00"`},
		{"quiet hours time", "[alerts]\nquiet_hours = \"22:00-25:00\"\n", 2, "alerts.quiet_hours", `config.toml:2: alerts.quiet_hours: quiet hours end: …`},
		{"quiet hours empty span", "[alerts]\nquiet_hours = \"7:00-07:00\"\n", 2, "alerts.quiet_hours",
			`config.toml:2: alerts.quiet_hours: "7:00-07:00" starts and ends at the same time`},
		{"renotify", "[alerts]\nrenotify = \"10s\"\n", 2, "alerts.renotify",
			`config.toml:2: alerts.renotify: 10s is neither 0s (never) nor between 1m and 720h`},
		{"webhook url", "[alerts.webhook]\nurl = \"hooks.example.org\"\n", 2, "alerts.webhook.url",
			`config.toml:2: alerts.webhook.url: "hooks.example.org" is not an http:// or https:// URL`},
		{"webhook header", "[alerts.webhook]\nurl = \"https://x.org\"\nheaders = { \"Bad Name\" = \"x\" }\n", 3, `alerts.webhook.headers."Bad Name"`,
			`config.toml:3: alerts.webhook.headers."Bad Name": "Bad Name" is not a valid header name`},
		{"email without from", "[alerts.email]\nhost = \"smtp.example.org\"\nto = [\"me@example.org\"]\n", 1, "alerts.email.from",
			`config.toml:1: alerts.email.from: the sender is needed to send mail through smtp.example.org`},
		{"email to", "[alerts.email]\nto = [\"me@example.org\", \"nobody\"]\n", 2, "alerts.email.to",
			`config.toml:2: alerts.email.to: "nobody" is not an e-mail address`},
		{"email to type", "[alerts.email]\nto = \"me@example.org\"\n", 2, "alerts.email.to",
			`config.toml:2: alerts.email.to: must be an array, not the string "me@example.org"`},
		{"email to element type", "[alerts.email]\nto = [1]\n", 2, "alerts.email.to",
			`config.toml:2: alerts.email.to: every element must be a string, not the integer 1`},
		{"email password", "[alerts.email]\nhost = 'h'\nusername = 'me'\nfrom = 'a@b.org'\nto = ['c@d.org']\n", 1, "alerts.email.password_file",
			`config.toml:1: alerts.email.password_file: a file holding the password of "me" is needed`},
		{"email port", "[alerts.email]\nport = 0\n", 2, "alerts.email.port", `config.toml:2: alerts.email.port: 0 is not between 1 and 65535`},
		{"unknown alerts key", "[alerts]\nquiet = 1\n", 2, "alerts.quiet", `config.toml:2: unknown key "alerts.quiet"`},
		{"huge raise", rule("name = \"x\"\nraise = 9007199254740993\n"), 14, "alerts.rule", `config.toml:14: alerts.rule "x": raise: 9007199254740993 is too large`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tt.text))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Load error = %v (%T), want *Error", err, err)
			}
			if e.Line != tt.line || e.Key != tt.key {
				t.Errorf("error at line %d key %q, want line %d key %q (%v)", e.Line, e.Key, tt.line, tt.key, err)
			}
			if prefix, ok := strings.CutSuffix(tt.msg, "…"); ok {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("error = %q, want prefix %q", err, prefix)
				}
			} else if err.Error() != tt.msg {
				t.Errorf("error = %q\n     want %q", err, tt.msg)
			}
			if e.Key == "alerts.rule" && strings.Contains(tt.msg, "alerts.rule \"") {
				var re *alerts.RuleError
				if strings.Contains(tt.name, "unknown metric") && (!errors.As(err, &re) || re.Field != "metric" || re.Rule != "disk_full") {
					t.Errorf("error does not carry the rule error: %#v", e.Err)
				}
			}
		})
	}
}

func TestValidateAlerts(t *testing.T) {
	a := Default().Alerts
	if errs := ValidateAlerts(a); len(errs) != 0 {
		t.Fatalf("defaults: %v", errs)
	}
	a.Webhook.URL = "ftp://x"
	a.ReNotify = Duration{time.Second}
	a.Rules = []alerts.RuleConfig{{Name: "x", Metric: "nope", Window: "1m", Op: ">", Severity: "warning"}}
	var keys []string
	for _, e := range ValidateAlerts(a) {
		keys = append(keys, e.Key)
	}
	if got := strings.Join(keys, " "); got != "alerts.renotify alerts.webhook.url alerts.rule" {
		t.Errorf("keys %q", got)
	}
}

func TestSaveAlerts(t *testing.T) {
	const mine = "# my settings\n[ui]\ntheme = 'dark' # I like it dark\n\n[alerts]\nquiet_hours = '23:00-06:00'\n\n[[alerts.rule]]\nname = 'swap_usage_warning'\ndisabled = true\n\n# logging, by hand\n[logs]\nkeep = 7\n\n[alerts.webhook]\nurl = 'https://old.example.org'\n"
	path := writeConfig(t, mine)
	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	old, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a := old.Alerts
	a.QuietHours = "22:00-07:00"
	a.Webhook.URL = ""
	a.Email = AlertsEmail{Host: "smtp.example.org", Port: 587, StartTLS: true, From: "a@example.org", To: []string{"b@example.org"}}
	clear := 0.5
	a.Rules = append(a.Rules, alerts.RuleConfig{Name: "load", Metric: "load1", Window: "5m", Op: ">", Raise: 8, Clear: &clear, Severity: "warning",
		Message: "load \"{{.Value}}\"\tnow", Match: map[string]string{"odd key": "x"}})
	got, err := SaveAlerts(path, a)
	if err != nil {
		t.Fatal(err)
	}
	want := old
	want.Alerts = a
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SaveAlerts returned\n%+v\nwant\n%+v", got, want)
	}
	reread, err := Load(path)
	if err != nil || !reflect.DeepEqual(reread, want) {
		t.Fatalf("reloaded: %v\n%+v", err, reread)
	}
	data, _ := os.ReadFile(path)
	text := string(data)
	for _, keep := range []string{"# my settings\n[ui]\ntheme = 'dark' # I like it dark\n", "# logging, by hand\n[logs]\nkeep = 7\n"} {
		if !strings.Contains(text, keep) {
			t.Errorf("lost %q:\n%s", keep, text)
		}
	}
	if strings.Count(text, "[alerts]") != 1 || strings.Count(text, "[alerts.webhook]") != 1 || strings.Contains(text, "old.example.org") {
		t.Errorf("alerts tables not replaced once:\n%s", text)
	}
	if strings.Index(text, "[alerts]") > strings.Index(text, "[logs]") {
		t.Errorf("the [alerts] table moved:\n%s", text)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left files behind: %v", entries)
	}

	// Saving the same again changes nothing.
	if _, err := SaveAlerts(path, a); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != text {
		t.Errorf("a second save changed the file:\n%s\n---\n%s", text, again)
	}

	// Invalid settings are refused and the file is left alone.
	bad := a
	bad.Rules = []alerts.RuleConfig{{Name: "x", Metric: "filesytem_used", Window: "1m", Op: ">", Severity: "warning"}}
	if _, err := SaveAlerts(path, bad); err == nil || !strings.Contains(err.Error(), `alerts.rule "x": metric: unknown metric "filesytem_used"`) {
		t.Errorf("invalid rule saved: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != text {
		t.Error("a refused save changed the file")
	}
}

func TestSaveAlertsEdgeCases(t *testing.T) {
	// No file yet: the defaults are written with the new table.
	path := filepath.Join(t.TempDir(), "config.toml")
	a := Default().Alerts
	a.ReNotify = Duration{2 * time.Hour}
	if _, err := SaveAlerts(path, a); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil || c.Alerts.ReNotify.Duration != 2*time.Hour || c.Logs != Default().Logs {
		t.Fatalf("new file: %v %+v", err, c)
	}

	// A file without [alerts] gets it at the end.
	path = writeConfig(t, "[ui]\ntheme = 'light'")
	if _, err := SaveAlerts(path, a); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(path); err != nil || c.UI.Theme != "light" || c.Alerts.ReNotify.Duration != 2*time.Hour {
		t.Fatalf("appended: %v %+v", err, c)
	}

	// Dotted keys outside [alerts] cannot be rewritten in place.
	path = writeConfig(t, "alerts.renotify = '1h'\n[ui]\ntheme = 'light'\n")
	if _, err := SaveAlerts(path, a); err == nil || !strings.Contains(err.Error(), "edit them by hand") {
		t.Errorf("dotted keys: %v", err)
	}

	// A broken file is not touched.
	path = writeConfig(t, "[ui]\ntheme = 'blue'\n")
	if _, err := SaveAlerts(path, a); err == nil || !strings.Contains(err.Error(), "config.toml:2: ui.theme") {
		t.Errorf("broken file: %v", err)
	}
}

func TestDefaultFileShowsAnExampleRule(t *testing.T) {
	text := string(defaultFile())
	var example []string
	for _, l := range strings.Split(text, "\n") {
		s, ok := strings.CutPrefix(l, "# ")
		if !ok && len(example) > 0 {
			break
		}
		if ok && (strings.HasPrefix(s, "[[alerts.rule]]") || len(example) > 0) {
			s, _, _ = strings.Cut(s, "  #")
			example = append(example, s)
		}
	}
	c, err := Load(writeConfig(t, strings.Join(example, "\n")))
	if err != nil {
		t.Fatalf("the example rule does not load: %v\n%s", err, strings.Join(example, "\n"))
	}
	if len(c.Alerts.Rules) != 1 || c.Alerts.Rules[0].Name != "home_almost_full" {
		t.Errorf("example: %+v", c.Alerts.Rules)
	}
}
