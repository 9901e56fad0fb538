// Package alertcfg turns the [alerts] table of config.toml into the alerts
// service's rules, quiet hours, reminders and notifiers, and applies a
// changed table to a running service: the one path from the settings file
// to the service, for the engine at start and for the app's editors.
package alertcfg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/alerts/notify"
	"github.com/holdfast/holdfast/core/config"
)

// Env is what the [alerts] table is read against.
type Env struct {
	// Dir is config.toml's folder; relative password files are in it.
	Dir string
	// Desktop says the desktop app runs, so desktop notifications can be
	// shown; a headless engine never shows them.
	Desktop bool
	// Cores sizes the default load rule; 0 is runtime.NumCPU().
	Cores int
	// Log receives problems with notifiers that do not stop the rest.
	Log *slog.Logger
}

func (e Env) cores() int {
	if e.Cores > 0 {
		return e.Cores
	}
	return runtime.NumCPU()
}

// Options returns the alerts service's options for a: the rules in force
// (the defaults merged with a's rules), the quiet hours, the re-notify
// interval, KnownMetrics and the notifiers (desktop when enabled and the
// desktop app runs, the webhook when it has a URL, e-mail when it has a
// host). A notifier that cannot be set up (an unreadable password file) is
// left out and logged: notifications are never a reason not to start.
func Options(a config.Alerts, env Env) (alerts.Options, error) {
	rules, err := a.EffectiveRules(env.cores())
	if err != nil {
		return alerts.Options{}, err
	}
	q, err := config.ParseQuietHours(a.QuietHours)
	if err != nil {
		return alerts.Options{}, fmt.Errorf("alerts.quiet_hours: %w", err)
	}
	ns, err := Notifiers(a, env)
	if err != nil && env.Log != nil {
		env.Log.Warn("alerts: a notification channel is left out", "err", err)
	}
	return alerts.Options{
		Rules:        rules,
		KnownMetrics: alerts.KnownMetric,
		QuietHours:   q,
		ReNotify:     a.ReNotify.Duration,
		Notifiers:    ns,
	}, nil
}

// Notifiers returns the notifiers a asks for. Those that cannot be set up
// are left out, and said why in the error.
func Notifiers(a config.Alerts, env Env) ([]alerts.Notifier, error) {
	var ns []alerts.Notifier
	var errs []error
	if a.Desktop.Enabled && env.Desktop {
		ns = append(ns, &notify.Desktop{})
	}
	if a.Webhook.URL != "" {
		ns = append(ns, Webhook(a.Webhook))
	}
	if a.Email.Configured() {
		m, err := Email(a.Email, env.Dir, "")
		if err != nil {
			errs = append(errs, err)
		} else {
			ns = append(ns, m)
		}
	}
	return ns, errors.Join(errs...)
}

// Webhook is the webhook notifier of w.
func Webhook(w config.AlertsWebhook) *notify.Webhook {
	h := http.Header{}
	for k, v := range w.Headers {
		h.Set(k, v)
	}
	return &notify.Webhook{URL: w.URL, Header: h}
}

// Email is the mail notifier of e. The password is password when it is not
// empty (a password typed but not saved yet), else the first line of e's
// password file, which must not be readable by others.
func Email(e config.AlertsEmail, dir, password string) (*notify.SMTP, error) {
	m := &notify.SMTP{
		Host: e.Host, Port: e.Port, StartTLS: e.StartTLS,
		Username: e.Username, Password: password,
		From: e.From, To: append([]string(nil), e.To...),
	}
	if m.Username != "" && m.Password == "" && e.PasswordFile != "" {
		pw, err := ReadPassword(PasswordPath(e.PasswordFile, dir))
		if err != nil {
			return nil, fmt.Errorf("e-mail: %w", err)
		}
		m.Password = pw
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("e-mail: %w", err)
	}
	return m, nil
}

// PasswordPath resolves a password_file against config.toml's folder.
func PasswordPath(file, dir string) string {
	if file == "" || filepath.IsAbs(file) {
		return file
	}
	return filepath.Join(dir, file)
}

// ReadPassword reads the first line of a password file, refusing one that
// others may read.
func ReadPassword(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("password file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSuffix(line, "\r"), nil
}

// WritePassword stores password in path with mode 0600, replacing it
// atomically.
func WritePassword(path, password string) error {
	if strings.ContainsAny(password, "\r\n") {
		return errors.New("the password must be one line")
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("save password: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(password + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("save password to %s: %w", path, err)
	}
	return nil
}

// Save writes a as the [alerts] table of the settings file at path and
// applies it to the running service svc at once, without a restart: the
// rules, quiet hours, re-notify interval and notifiers. Nothing is written
// when a is invalid. It returns the settings now in the file.
func Save(path string, svc *alerts.Service, a config.Alerts, env Env) (config.Config, error) {
	if errs := config.ValidateAlerts(a); len(errs) > 0 {
		return config.Config{}, errs[0]
	}
	opts, err := Options(a, env)
	if err != nil {
		return config.Config{}, err
	}
	c, err := config.SaveAlerts(path, a)
	if err != nil {
		return config.Config{}, err
	}
	if err := svc.Reconfigure(opts.Rules, opts); err != nil {
		return c, fmt.Errorf("saved, but not applied: %w", err)
	}
	return c, nil
}

// updateMu serialises Update within the process.
var updateMu sync.Mutex

// Update reads the settings file at path, lets change edit its [alerts]
// table, and saves and applies the result as Save does. Editors that own
// one part of the table (the rules, the channels) change only that part,
// so they never undo each other's changes or a hand edit elsewhere.
func Update(path string, svc *alerts.Service, env Env, change func(*config.Alerts)) (config.Config, error) {
	updateMu.Lock()
	defer updateMu.Unlock()
	c, err := config.Load(path)
	if err != nil {
		return config.Config{}, err
	}
	a := c.Alerts
	a.Rules = slices.Clone(a.Rules)
	change(&a)
	return Save(path, svc, a, env)
}

// Test sends a test notification through n and says how it went.
func Test(ctx context.Context, n alerts.Notifier, host string) error {
	if host == "" {
		host, _ = os.Hostname()
	}
	now := time.Now()
	a := alerts.Alert{
		ID: "test", Source: "holdfast", Key: "test", Severity: alerts.SeverityInfo, State: alerts.StateFiring,
		Message: "This is a test notification from Holdfast. If you read it, alerts reach you here.",
		Count:   1, Since: now, FiredAt: now, Updated: now,
	}
	ctx, cancel := context.WithTimeout(ctx, alerts.NotifyTimeout)
	defer cancel()
	return n.Notify(ctx, alerts.Notification{
		Alert: a, Transition: alerts.TransitionFiring, Host: host,
		Title: "Test: Holdfast notifications work",
		Body:  a.Message,
	})
}
