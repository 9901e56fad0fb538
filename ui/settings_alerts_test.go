package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/alerts/notify"
	"github.com/holdfast/holdfast/core/config"
)

func TestAlertSettingsSaveTestAndApply(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	var mu sync.Mutex
	var got []notify.WebhookPayload
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.WebhookPayload
		_ = json.NewDecoder(r.Body).Decode(&p)
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}))
	defer srv.Close()
	received := func() []notify.WebhookPayload {
		mu.Lock()
		defer mu.Unlock()
		return append([]notify.WebhookPayload(nil), got...)
	}

	var f *alertSettings
	var w fyne.Window
	uiDo(func() {
		f = newAlertSettings(s)
		w = test.NewWindow(f.view())
		w.Resize(fyne.NewSize(900, 900))
	})
	t.Cleanup(func() { uiDo(w.Close) })
	uiDo(func() {
		if !f.desktop.Checked || f.renotify.Text != "0s" || f.port.Text != "587" || !f.starttls.Checked {
			t.Errorf("defaults shown: desktop %v renotify %q port %q", f.desktop.Checked, f.renotify.Text, f.port.Text)
		}
	})

	// Mistakes are shown next to their fields and nothing is saved.
	var saveErr error
	var saved bool
	uiDo(func() {
		f.quietFrom.SetText("22:00")
		f.renotify.SetText("10s")
		f.webhook.SetText("hooks.example.org")
		f.host.SetText("smtp.example.org")
		f.save(func(err error) { saved, saveErr = true, err })
	})
	uiDo(func() {
		if !saved || saveErr == nil {
			t.Fatal("invalid settings saved")
		}
		for key, want := range map[string]string{
			"alerts.quiet_hours": "give both the start and the end",
			"alerts.renotify":    "10s is neither 0s",
			"alerts.webhook":     "is not an http:// or https:// URL",
			"alerts.email.from":  "the sender is needed",
			"alerts.email.to":    "at least one recipient",
		} {
			if l := f.errs[key]; !l.Visible() || !strings.Contains(l.Text, want) {
				t.Errorf("%s: %q (shown %v), want %q", key, l.Text, l.Visible(), want)
			}
		}
		if !strings.Contains(texts(w.Content()), "Not saved") {
			t.Error("no 'Not saved'")
		}
	})
	if c, _ := config.Load(eng.Home().ConfigPath()); c.Alerts.ReNotify.Duration != 0 {
		t.Fatal("config.toml changed")
	}

	// Send test reaches the webhook before anything is saved.
	var tested bool
	var testErr error
	uiDo(func() {
		f.webhook.SetText(srv.URL + "/hook")
		f.testWebhookDone(func(err error) { tested, testErr = true, err })
	})
	waitUI(t, "the test notification", func() bool { return tested })
	if testErr != nil || len(received()) != 1 || !strings.Contains(received()[0].Title, "Test") {
		t.Fatalf("test: %v, received %+v", testErr, received())
	}
	uiDo(func() {
		if !strings.HasPrefix(f.webhookOut.Text, "Sent at ") {
			t.Errorf("test outcome %q", f.webhookOut.Text)
		}
	})

	// Corrected and saved: written to config.toml and in force.
	saved = false
	uiDo(func() {
		f.quietTo.SetText("07:00")
		f.renotify.SetText("2h")
		f.host.SetText("")
		f.desktop.SetChecked(false)
		f.save(func(err error) { saved, saveErr = true, err })
	})
	waitUI(t, "the settings saved", func() bool { return saved })
	if saveErr != nil {
		t.Fatal(saveErr)
	}
	c, err := config.Load(eng.Home().ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if c.Alerts.QuietHours != "22:00-07:00" || c.Alerts.ReNotify.Duration != 2*time.Hour || c.Alerts.Desktop.Enabled ||
		c.Alerts.Webhook.URL != srv.URL+"/hook" {
		t.Fatalf("config.toml [alerts]: %+v", c.Alerts)
	}
	uiDo(func() {
		for k, l := range f.errs {
			if l.Visible() {
				t.Errorf("%s still shows %q", k, l.Text)
			}
		}
		if !strings.HasPrefix(f.status.Text, "Saved to config.toml") {
			t.Errorf("status %q", f.status.Text)
		}
	})
	// The running service now posts to the webhook (critical: quiet hours
	// hold back the rest).
	if err := eng.Alerts.Raise(context.Background(), alerts.Event{Source: "backup", Key: "k", Severity: alerts.SeverityCritical, Message: "Backup of X failed"}); err != nil {
		t.Fatal(err)
	}
	if err := eng.Alerts.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := received()
	if len(rs) != 2 || rs[1].Body != "Backup of X failed" || rs[1].Transition != "firing" {
		t.Errorf("after saving, the webhook received %+v", rs)
	}
}

func TestAlertSettingsPassword(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	var f *alertSettings
	uiDo(func() {
		f = newAlertSettings(s)
		f.view()
		f.host.SetText("127.0.0.1")
		f.port.SetText("2525")
		f.starttls.SetChecked(false)
		f.user.SetText("me")
		f.password.SetText("s3cret")
		f.from.SetText("a@example.org")
		f.to.SetText("b@example.org, c@example.org")
	})
	var saved bool
	var saveErr error
	uiDo(func() { f.save(func(err error) { saved, saveErr = true, err }) })
	waitUI(t, "the settings saved", func() bool { return saved })
	if saveErr != nil {
		t.Fatal(saveErr)
	}
	c, _ := config.Load(eng.Home().ConfigPath())
	if c.Alerts.Email.PasswordFile != smtpPasswordFile || c.Alerts.Email.Username != "me" || len(c.Alerts.Email.To) != 2 {
		t.Fatalf("[alerts.email] %+v", c.Alerts.Email)
	}
	data, _ := readFile(eng.Home().ConfigPath())
	if strings.Contains(data, "s3cret") {
		t.Fatal("the password is in config.toml")
	}
	pw, _ := readFile(eng.Home().Dir + "/" + smtpPasswordFile)
	if strings.TrimSpace(pw) != "s3cret" {
		t.Errorf("password file holds %q", pw)
	}
	uiDo(func() {
		if f.password.Text != "" || !strings.Contains(f.password.PlaceHolder, smtpPasswordFile) {
			t.Errorf("password field after save: %q / %q", f.password.Text, f.password.PlaceHolder)
		}
	})
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
