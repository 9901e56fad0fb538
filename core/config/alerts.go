package config

import (
	"fmt"
	"maps"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/BurntSushi/toml"

	"github.com/holdfast/holdfast/core/alerts"
)

// Alerts is the [alerts] table: when and how Holdfast tells you about
// alerts, and the metric rules that differ from the defaults.
type Alerts struct {
	// QuietHours is a daily span of local time, "22:00-07:00", during which
	// only critical alerts notify; "" has none.
	QuietHours string `toml:"quiet_hours"`
	// ReNotify repeats the notification of an alert still firing and not
	// acknowledged this long after the last one; 0 never repeats.
	ReNotify Duration      `toml:"renotify"`
	Desktop  AlertsDesktop `toml:"desktop"`
	Webhook  AlertsWebhook `toml:"webhook"`
	Email    AlertsEmail   `toml:"email"`
	// Rules are the [[alerts.rule]] tables: a rule with the name of a
	// default rule replaces it (or, with disabled = true, switches it
	// off); a rule with a new name is added. See EffectiveRules.
	Rules []alerts.RuleConfig `toml:"rule"`
}

// AlertsDesktop is the [alerts.desktop] table.
type AlertsDesktop struct {
	// Enabled shows desktop pop-ups while the desktop app runs.
	Enabled bool `toml:"enabled"`
}

// AlertsWebhook is the [alerts.webhook] table.
type AlertsWebhook struct {
	// URL receives a JSON POST per notification; "" sends none.
	URL string `toml:"url"`
	// Headers are added to every request (an Authorization token).
	Headers map[string]string `toml:"headers"`
}

// AlertsEmail is the [alerts.email] table. Mail is sent when Host is set.
// The password is never written in config.toml: PasswordFile names a file
// holding it (relative paths are relative to config.toml's folder).
type AlertsEmail struct {
	Host         string   `toml:"host"`
	Port         int      `toml:"port"`
	StartTLS     bool     `toml:"starttls"`
	Username     string   `toml:"username"`
	PasswordFile string   `toml:"password_file"`
	From         string   `toml:"from"`
	To           []string `toml:"to"`
}

// Configured reports whether mail should be sent.
func (e AlertsEmail) Configured() bool { return e.Host != "" }

// Limits of the [alerts] table.
const (
	minReNotify = time.Minute
	maxReNotify = 30 * 24 * time.Hour
)

func defaultAlerts() Alerts {
	return Alerts{
		Desktop: AlertsDesktop{Enabled: true},
		Email:   AlertsEmail{Port: 587, StartTLS: true},
	}
}

var quietRE = regexp.MustCompile(`^\s*([0-9]{1,2}:[0-9]{2})\s*-\s*([0-9]{1,2}:[0-9]{2})\s*$`)

// ParseQuietHours parses "22:00-07:00" ("" is none, and gives nil).
func ParseQuietHours(s string) (*alerts.QuietHours, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	m := quietRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("%q is not a span of the day like \"22:00-07:00\"", s)
	}
	q := &alerts.QuietHours{Start: m[1], End: m[2]}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if normalizeHHMM(m[1]) == normalizeHHMM(m[2]) {
		return nil, fmt.Errorf("%q starts and ends at the same time", s)
	}
	return q, nil
}

func normalizeHHMM(s string) string {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return s
	}
	return t.Format("15:04")
}

// EffectiveRules are the metric rules in force: the default rules for a
// machine with cores CPUs, where a rule of config.toml with the same name
// replaces the default (or, disabled, switches it off), and rules with new
// names are added after them.
func (a Alerts) EffectiveRules(cores int) ([]alerts.Rule, error) {
	overrides, err := alerts.ParseRules(a.Rules)
	if err != nil {
		return nil, err
	}
	return alerts.MergeRules(alerts.DefaultRules(cores), overrides), nil
}

// ruleElem is the key part that stands for the i-th table of an array of
// tables in line lookups. It cannot collide with a real key: TOML keys are
// UTF-8 and may not hold a raw NUL byte… unless quoted with \u0000, which
// only ever costs a wrong line number.
func ruleElem(i int) string { return fmt.Sprintf("\x00%d", i) }

// isElem reports whether a key part is a ruleElem.
func isElem(part string) bool { return strings.HasPrefix(part, "\x00") }

// ruleWhere names rule i in messages: alerts.rule "disk_full", or
// alerts.rule #3 when it has no name.
func ruleWhere(i int, name string) string {
	if name == "" {
		return fmt.Sprintf("alerts.rule #%d", i+1)
	}
	return fmt.Sprintf("alerts.rule %q", name)
}

var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// alertProblems returns every invalid value in the [alerts] table.
func (a Alerts) alertProblems() []problem {
	var ps []problem
	add := func(key toml.Key, format string, args ...any) {
		ps = append(ps, problem{key: key, msg: key.String() + ": " + fmt.Sprintf(format, args...)})
	}
	if _, err := ParseQuietHours(a.QuietHours); err != nil {
		add(toml.Key{"alerts", "quiet_hours"}, "%v", err)
	}
	if d := a.ReNotify.Duration; d != 0 && (d < minReNotify || d > maxReNotify) {
		add(toml.Key{"alerts", "renotify"}, "%s is neither 0s (never) nor between %s and %s", a.ReNotify, Duration{minReNotify}, Duration{maxReNotify})
	}

	if u := a.Webhook.URL; u != "" {
		p, err := url.Parse(u)
		switch {
		case err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "":
			add(toml.Key{"alerts", "webhook", "url"}, "%q is not an http:// or https:// URL", u)
		}
	}
	for _, k := range sortedKeys(a.Webhook.Headers) {
		key := toml.Key{"alerts", "webhook", "headers", k}
		if !headerNameRE.MatchString(k) {
			add(key, "%q is not a valid header name", k)
		} else if strings.ContainsAny(a.Webhook.Headers[k], "\r\n\x00") {
			add(key, "the value must be one line")
		}
	}

	e := a.Email
	noControl := func(field, v string) bool {
		if strings.ContainsFunc(v, unicode.IsControl) {
			add(toml.Key{"alerts", "email", field}, "%q contains control characters", v)
			return false
		}
		return true
	}
	if noControl("host", e.Host) && strings.ContainsAny(e.Host, " /") {
		add(toml.Key{"alerts", "email", "host"}, "%q is not a host name", e.Host)
	}
	if e.Port < 1 || e.Port > 65535 {
		add(toml.Key{"alerts", "email", "port"}, "%d is not between 1 and 65535", e.Port)
	}
	noControl("username", e.Username)
	noControl("password_file", e.PasswordFile)
	if e.From != "" {
		if _, err := mail.ParseAddress(e.From); err != nil {
			add(toml.Key{"alerts", "email", "from"}, "%q is not an e-mail address", e.From)
		}
	}
	for _, t := range e.To {
		if _, err := mail.ParseAddress(t); err != nil {
			add(toml.Key{"alerts", "email", "to"}, "%q is not an e-mail address", t)
			break
		}
	}
	if e.Configured() {
		if e.From == "" {
			add(toml.Key{"alerts", "email", "from"}, "the sender is needed to send mail through %s", e.Host)
		}
		if len(e.To) == 0 {
			add(toml.Key{"alerts", "email", "to"}, "at least one recipient is needed to send mail through %s", e.Host)
		}
		if e.Username != "" && e.PasswordFile == "" {
			add(toml.Key{"alerts", "email", "password_file"}, "a file holding the password of %q is needed", e.Username)
		}
	}

	seen := map[string]bool{}
	for i, rc := range a.Rules {
		where := ruleWhere(i, rc.Name)
		elem := toml.Key{"alerts", "rule", ruleElem(i)}
		if _, err := alerts.ParseRuleConfig(rc, alerts.KnownMetric); err != nil {
			for _, e := range unjoinErr(err) {
				re, ok := e.(*alerts.RuleError)
				if !ok {
					ps = append(ps, problem{key: elem, msg: where + ": " + e.Error(), err: e})
					continue
				}
				ps = append(ps, problem{key: append(elem[:3:3], re.Field), msg: where + ": " + re.Field + ": " + re.Problem, err: re})
			}
		}
		if rc.Disabled { // not validated as a rule, but written back as one
			for _, f := range []struct {
				field string
				v     *float64
			}{{"raise", &rc.Raise}, {"clear", rc.Clear}} {
				if f.v != nil && (math.IsNaN(*f.v) || math.IsInf(*f.v, 0)) {
					ps = append(ps, problem{key: append(elem[:3:3], f.field), msg: where + ": " + f.field + ": must be a finite number"})
				}
			}
		}
		if rc.Name != "" {
			if seen[rc.Name] {
				ps = append(ps, problem{key: append(elem[:3:3], "name"), msg: where + ": name: another rule has the same name",
					err: &alerts.RuleError{Rule: rc.Name, Field: "name", Problem: "another rule has the same name"}})
			}
			seen[rc.Name] = true
		}
	}
	return ps
}

// ValidateAlerts checks an [alerts] table and returns every problem, each
// an *Error whose Key names the setting (alerts.webhook.url,
// alerts.email.to…; alerts.rule for a rule, with the *alerts.RuleError
// as Err). The settings page shows them next to their fields.
func ValidateAlerts(a Alerts) []*Error {
	var out []*Error
	for _, p := range a.alertProblems() {
		out = append(out, &Error{Key: p.keyString(), Msg: p.msg, Err: p.err})
	}
	return out
}

func unjoinErr(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// normalize makes empty maps and lists nil, so that a file that spells
// them out and one that leaves them out give equal settings.
func (a *Alerts) normalize() {
	if len(a.Webhook.Headers) == 0 {
		a.Webhook.Headers = nil
	}
	if len(a.Email.To) == 0 {
		a.Email.To = nil
	}
	if len(a.Rules) == 0 {
		a.Rules = nil
	}
	for i := range a.Rules {
		if len(a.Rules[i].Match) == 0 {
			a.Rules[i].Match = nil
		}
	}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
