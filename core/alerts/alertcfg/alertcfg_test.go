package alertcfg

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/alerts/notify"
	"github.com/holdfast/holdfast/core/config"
)

// source answers every metric with one value per metric name.
type source struct {
	mu   sync.Mutex
	vals map[string]float64
}

func (s *source) set(metric string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vals[metric] = v
}

func (s *source) Aggregate(ctx context.Context, metric, agg string, window time.Duration, now time.Time) ([]alerts.Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vals[metric]; ok {
		return []alerts.Value{{V: v}}, nil
	}
	return nil, nil
}

func (s *source) Slope(ctx context.Context, metric string, window time.Duration, now time.Time) ([]alerts.Value, error) {
	return nil, nil
}

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	a := config.Default().Alerts
	a.QuietHours = "22:00-07:00"
	a.ReNotify = config.Duration{Duration: 2 * time.Hour}
	a.Webhook.URL = "https://hooks.example.org/x"
	a.Webhook.Headers = map[string]string{"authorization": "Bearer t"}
	a.Rules = []alerts.RuleConfig{{Name: "swap_usage_warning", Disabled: true}}

	opts, err := Options(a, Env{Dir: dir, Desktop: true, Cores: 4})
	if err != nil {
		t.Fatal(err)
	}
	if opts.QuietHours == nil || opts.QuietHours.Start != "22:00" || opts.ReNotify != 2*time.Hour || opts.KnownMetrics == nil {
		t.Errorf("options %+v", opts)
	}
	if len(opts.Rules) != len(alerts.DefaultRules(4))-1 {
		t.Errorf("%d rules", len(opts.Rules))
	}
	var names []string
	for _, n := range opts.Notifiers {
		names = append(names, n.Name())
	}
	if strings.Join(names, ",") != "desktop,webhook" {
		t.Errorf("notifiers %v", names)
	}
	if w := opts.Notifiers[1].(*notify.Webhook); w.Header.Get("Authorization") != "Bearer t" {
		t.Errorf("webhook headers %v", w.Header)
	}

	// Headless: no desktop pop-ups. Desktop switched off: none either.
	a.Desktop.Enabled = false
	if opts, _ := Options(a, Env{Dir: dir, Desktop: true}); len(opts.Notifiers) != 1 {
		t.Errorf("desktop off: %d notifiers", len(opts.Notifiers))
	}
	a.Desktop.Enabled = true
	if opts, _ := Options(a, Env{Dir: dir}); len(opts.Notifiers) != 1 {
		t.Errorf("headless: %d notifiers", len(opts.Notifiers))
	}
}

func TestEmailPasswordFile(t *testing.T) {
	dir := t.TempDir()
	e := config.AlertsEmail{Host: "smtp.example.org", Port: 587, StartTLS: true, Username: "me",
		PasswordFile: "smtp-password", From: "a@example.org", To: []string{"b@example.org"}}
	if _, err := Email(e, dir, ""); err == nil || !strings.Contains(err.Error(), "password file") {
		t.Errorf("missing password file: %v", err)
	}
	path := PasswordPath(e.PasswordFile, dir)
	if err := WritePassword(path, "s3cret"); err != nil {
		t.Fatal(err)
	}
	m, err := Email(e, dir, "")
	if err != nil || m.Password != "s3cret" || m.Username != "me" {
		t.Fatalf("with the file: %+v, %v", m, err)
	}
	if m, err := Email(e, dir, "typed"); err != nil || m.Password != "typed" {
		t.Errorf("a typed password wins: %+v, %v", m, err)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("password file mode %v", fi.Mode().Perm())
		}
		os.Chmod(path, 0o644)
		if _, err := Email(e, dir, ""); err == nil || !strings.Contains(err.Error(), "readable by others") {
			t.Errorf("world-readable password file: %v", err)
		}
		// The other notifiers still work; the mail is left out.
		a := config.Default().Alerts
		a.Email = e
		a.Webhook.URL = "http://127.0.0.1:1/x"
		ns, err := Notifiers(a, Env{Dir: dir})
		if err == nil || len(ns) != 1 || ns[0].Name() != "webhook" {
			t.Errorf("notifiers with a bad password file: %v, %v", ns, err)
		}
	}
	if err := WritePassword(path, "two\nlines"); err == nil {
		t.Error("a two-line password was saved")
	}
}

func TestSaveAppliesLive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	if err := config.WriteDefault(path); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, "holdfast.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	src := &source{vals: map[string]float64{}}
	c, _ := config.Load(path)
	opts, err := Options(c.Alerts, Env{Dir: dir, Cores: 2})
	if err != nil {
		t.Fatal(err)
	}
	opts.Source = src
	svc, err := alerts.New(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(context.Background())

	// Load 3 on 2 cores: under the default 2 × cores.
	src.set(alerts.MetricLoad15, 3)
	ctx := context.Background()
	now := time.Now()
	if err := svc.Evaluate(ctx, now); err != nil {
		t.Fatal(err)
	}
	if len(svc.Active()) != 0 {
		t.Fatalf("active %+v", svc.Active())
	}

	// The rule editor lowers the threshold: saved and applied.
	a := c.Alerts
	clear := 1.0
	a.Rules = []alerts.RuleConfig{{Name: "load_average_high", Metric: alerts.MetricLoad15, Agg: "last", Window: "5m",
		Op: ">", Raise: 2, Clear: &clear, Severity: "error"}}
	if _, err := Save(path, svc, a, Env{Dir: dir, Cores: 2}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Evaluate(ctx, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if act := svc.Active(); len(act) != 1 || act[0].Rule != "load_average_high" || act[0].Severity != alerts.SeverityError {
		t.Fatalf("after saving a lower threshold: %+v", act)
	}
	reread, err := config.Load(path)
	if err != nil || len(reread.Alerts.Rules) != 1 || reread.Alerts.Rules[0].Raise != 2 {
		t.Fatalf("config.toml after Save: %v %+v", err, reread.Alerts.Rules)
	}

	// Switching the rule off resolves its alert.
	a.Rules = []alerts.RuleConfig{{Name: "load_average_high", Disabled: true}}
	if _, err := Save(path, svc, a, Env{Dir: dir, Cores: 2}); err != nil {
		t.Fatal(err)
	}
	if act := svc.Active(); len(act) != 0 {
		t.Fatalf("after switching the rule off: %+v", act)
	}

	// An invalid rule is refused; nothing is written or applied.
	before, _ := os.ReadFile(path)
	a.Rules = []alerts.RuleConfig{{Name: "x", Metric: "nope", Window: "1m", Op: ">", Severity: "warning"}}
	if _, err := Save(path, svc, a, Env{Dir: dir}); err == nil || !strings.Contains(err.Error(), `unknown metric "nope"`) {
		t.Errorf("invalid rule: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("a refused save changed config.toml")
	}
}

func TestSendTest(t *testing.T) {
	var got notify.WebhookPayload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	if err := Test(context.Background(), Webhook(config.AlertsWebhook{URL: srv.URL}), "nas"); err != nil {
		t.Fatal(err)
	}
	if got.Host != "nas" || !strings.Contains(got.Title, "Test") || got.Alert.Severity != "info" {
		t.Errorf("payload %+v", got)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusForbidden)
	}))
	defer bad.Close()
	if err := Test(context.Background(), Webhook(config.AlertsWebhook{URL: bad.URL}), ""); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("a refusing server: %v", err)
	}
}
