package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
)

var since = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

func sample() alerts.Notification {
	return alerts.Notification{
		Alert: alerts.Alert{
			ID: "3f9a2c01bd", Source: alerts.SourceMetric, Rule: "disk_space_warning",
			Key: `mountpoint="/home"`, Labels: map[string]string{"mountpoint": "/home"},
			Severity: alerts.SeverityWarning, State: alerts.StateFiring,
			Message: "Filesystem /home is 91% full", Value: 0.91, Count: 1,
			Since: since, FiredAt: since, Updated: since,
		},
		Transition: alerts.TransitionFiring,
		Host:       "nas",
		Title:      "Warning: disk_space_warning /home",
		Body:       "Filesystem /home is 91% full — ünïcode",
	}
}

// Compile-time checks.
var (
	_ alerts.Notifier = (*Desktop)(nil)
	_ alerts.Notifier = (*Webhook)(nil)
	_ alerts.Notifier = (*SMTP)(nil)
)

func TestWebhookPostsJSON(t *testing.T) {
	var (
		mu   sync.Mutex
		got  map[string]any
		hdr  http.Header
		meth string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		meth, hdr = r.Method, r.Header.Clone()
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode: %v", err)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL + "/hook", Header: http.Header{"Authorization": {"Bearer s3cret"}}}
	if err := w.Notify(context.Background(), sample()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if meth != http.MethodPost || hdr.Get("Content-Type") != "application/json" || hdr.Get("Authorization") != "Bearer s3cret" {
		t.Errorf("method %s headers %v", meth, hdr)
	}
	want := map[string]any{
		"version": 1.0, "host": "nas", "transition": "firing", "repeat": false,
		"title": "Warning: disk_space_warning /home", "body": "Filesystem /home is 91% full — ünïcode",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	a, _ := got["alert"].(map[string]any)
	wantAlert := map[string]any{
		"id": "3f9a2c01bd", "source": "metric", "rule": "disk_space_warning", "key": `mountpoint="/home"`,
		"severity": "warning", "state": "firing", "message": "Filesystem /home is 91% full",
		"value": 0.91, "count": 1.0, "since": "2025-06-01T10:00:00Z", "fired_at": "2025-06-01T10:00:00Z",
	}
	for k, v := range wantAlert {
		if a[k] != v {
			t.Errorf("alert.%s = %v, want %v", k, a[k], v)
		}
	}
	if l, _ := a["labels"].(map[string]any); l["mountpoint"] != "/home" {
		t.Errorf("labels %v", a["labels"])
	}
	if _, ok := a["resolved_at"]; ok {
		t.Error("resolved_at present on a firing alert")
	}
}

func TestWebhookErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream down", http.StatusBadGateway)
	}))
	defer srv.Close()
	err := (&Webhook{URL: srv.URL + "/hook?token=abc"}).Notify(context.Background(), sample())
	if err == nil || !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "upstream down") {
		t.Fatalf("non-2xx: %v", err)
	}
	if strings.Contains(err.Error(), "abc") {
		t.Errorf("error leaks the token: %v", err)
	}

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	start := time.Now()
	err = (&Webhook{URL: slow.URL, Timeout: 100 * time.Millisecond}).Notify(context.Background(), sample())
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow server: %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("timeout not applied")
	}

	for _, u := range []string{"", "ftp://x/y", "not a url", "http://"} {
		if err := (&Webhook{URL: u}).Notify(context.Background(), sample()); err == nil {
			t.Errorf("accepted url %q", u)
		}
	}
}

// smtpServer is a minimal SMTP server: EHLO/HELO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT. reject makes it refuse RCPT for that address.
type smtpServer struct {
	ln     net.Listener
	reject string
	ext    []string

	mu   sync.Mutex
	from string
	rcpt []string
	data []byte
	cmds []string
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *smtpServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(c)
	_ = tp.PrintfLine("220 test ESMTP")
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.cmds = append(s.cmds, line)
		s.mu.Unlock()
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, strings.SplitN(line, " ", 2)[0]))
		switch verb {
		case "EHLO":
			lines := append([]string{"test"}, s.ext...)
			lines = append(lines, "8BITMIME")
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				_ = tp.PrintfLine("250%s%s", sep, l)
			}
		case "HELO", "RSET", "NOOP":
			_ = tp.PrintfLine("250 ok")
		case "MAIL":
			s.mu.Lock()
			s.from = addrArg(arg)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 ok")
		case "RCPT":
			a := addrArg(arg)
			if a == s.reject {
				_ = tp.PrintfLine("550 no such user")
				continue
			}
			s.mu.Lock()
			s.rcpt = append(s.rcpt, a)
			s.mu.Unlock()
			_ = tp.PrintfLine("250 ok")
		case "DATA":
			_ = tp.PrintfLine("354 go ahead")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.data = b
			s.mu.Unlock()
			_ = tp.PrintfLine("250 queued")
		case "QUIT":
			_ = tp.PrintfLine("221 bye")
			return
		default:
			_ = tp.PrintfLine("502 unknown command")
		}
	}
}

// addrArg extracts the address from "FROM:<a@b>" or "TO:<a@b>".
func addrArg(arg string) string {
	i, j := strings.Index(arg, "<"), strings.Index(arg, ">")
	if i < 0 || j < i {
		return ""
	}
	return arg[i+1 : j]
}

func TestSMTPSendsMail(t *testing.T) {
	srv := startSMTP(t)
	s := &SMTP{
		Host: "127.0.0.1", Port: srv.port(),
		From: "Holdfast <holdfast@example.org>",
		To:   []string{"ops@example.org", "Me <me@example.org>"},
	}
	n := sample()
	if err := s.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.from != "holdfast@example.org" {
		t.Errorf("MAIL FROM %q", srv.from)
	}
	if strings.Join(srv.rcpt, ",") != "ops@example.org,me@example.org" {
		t.Errorf("RCPT %v", srv.rcpt)
	}
	if last := srv.cmds[len(srv.cmds)-1]; last != "QUIT" {
		t.Errorf("last command %q", last)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(srv.data)))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, srv.data)
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if subject != "[Holdfast nas] Warning: disk_space_warning /home" {
		t.Errorf("subject %q", subject)
	}
	if !strings.Contains(msg.Header.Get("From"), "holdfast@example.org") || !strings.Contains(msg.Header.Get("To"), "me@example.org") {
		t.Errorf("headers %v", msg.Header)
	}
	if msg.Header.Get("X-Holdfast-Alert") != "3f9a2c01bd" || msg.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("headers %v", msg.Header)
	}
	if _, err := msg.Header.Date(); err != nil {
		t.Errorf("date: %v", err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	// CRLF on the wire; textproto's dot reader hands the lines over with LF.
	if !strings.HasPrefix(string(body), "Filesystem /home is 91% full — ünïcode\n") || !strings.Contains(string(body), "Holdfast on nas") {
		t.Errorf("body %q", body)
	}
}

func TestSMTPErrors(t *testing.T) {
	srv := startSMTP(t)
	srv.reject = "nobody@example.org"
	base := SMTP{Host: "127.0.0.1", Port: srv.port(), From: "holdfast@example.org", To: []string{"nobody@example.org"}}

	s := base
	err := s.Notify(context.Background(), sample())
	if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "RCPT") {
		t.Errorf("rejected recipient: %v", err)
	}

	s = base
	s.To = []string{"ok@example.org"}
	s.StartTLS = true
	if err := s.Notify(context.Background(), sample()); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("StartTLS without server support: %v", err)
	}

	s = base
	s.To = []string{"ok@example.org"}
	s.Username, s.Password = "u", "p"
	if err := s.Notify(context.Background(), sample()); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Errorf("auth without server support: %v", err)
	}

	for _, bad := range []SMTP{
		{Port: 25, From: "a@b.c", To: []string{"d@e.f"}},
		{Host: "h", From: "not an address", To: []string{"d@e.f"}},
		{Host: "h", From: "a@b.c"},
		{Host: "h", From: "a@b.c", To: []string{"??"}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}

	// A server that never answers: the timeout ends it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_, _ = io.Copy(io.Discard, bufio.NewReader(c))
			c.Close()
		}
	}()
	s = SMTP{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "a@b.c", To: []string{"d@e.f"}, Timeout: 200 * time.Millisecond}
	start := time.Now()
	if err := s.Notify(context.Background(), sample()); err == nil {
		t.Error("silent server: no error")
	}
	if time.Since(start) > 5*time.Second {
		t.Error("timeout not applied")
	}
}

func TestSMTPHeaderInjection(t *testing.T) {
	srv := startSMTP(t)
	n := sample()
	n.Title = "evil\r\nBcc: victim@example.org"
	s := &SMTP{Host: "127.0.0.1", Port: srv.port(), From: "a@example.org", To: []string{"b@example.org"}}
	if err := s.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	msg, err := mail.ReadMessage(strings.NewReader(string(srv.data)))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" {
		t.Errorf("header injected: %v", msg.Header)
	}
}

func TestDesktopCallPath(t *testing.T) {
	var gotApp, gotTitle, gotBody string
	d := &Desktop{Send: func(app, title, body, icon string) error {
		gotApp, gotTitle, gotBody = app, title, body
		return nil
	}}
	if d.Name() != "desktop" {
		t.Error(d.Name())
	}
	n := sample()
	if err := d.Notify(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if gotApp != "Holdfast" || gotTitle != n.Title || gotBody != n.Body {
		t.Errorf("sent %q %q %q", gotApp, gotTitle, gotBody)
	}

	d.Send = func(app, title, body, icon string) error { return errors.New("no notification daemon") }
	if err := d.Notify(context.Background(), n); err == nil || !strings.Contains(err.Error(), "no notification daemon") {
		t.Errorf("failure: %v", err)
	}

	block := make(chan struct{})
	defer close(block)
	d.Send = func(app, title, body, icon string) error { <-block; return nil }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Notify(ctx, n); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung send: %v", err)
	}
}
