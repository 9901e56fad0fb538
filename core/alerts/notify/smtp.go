package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
)

// DefaultSMTPTimeout bounds one mail delivery when SMTP.Timeout is zero.
const DefaultSMTPTimeout = 20 * time.Second

// SMTP sends each notification as a plain-text e-mail through a mail
// server. With StartTLS the connection must be upgraded before anything
// else (no silent fallback to plain text); credentials are only ever sent
// over TLS or to a server on localhost (net/smtp's PLAIN rule).
type SMTP struct {
	Host string
	// Port defaults to 587 with StartTLS and 25 without.
	Port               int
	Username, Password string
	From               string
	To                 []string
	StartTLS           bool
	// TLSConfig is used for STARTTLS; nil verifies the server as Host.
	TLSConfig *tls.Config
	// Timeout bounds the whole session; zero is 20 s.
	Timeout time.Duration
}

// Name implements alerts.Notifier.
func (s *SMTP) Name() string { return "smtp" }

// Validate checks the settings.
func (s *SMTP) Validate() error {
	if s.Host == "" {
		return errors.New("smtp: host is empty")
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("smtp: port %d out of range", s.Port)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("smtp: from %q: %w", s.From, err)
	}
	if len(s.To) == 0 {
		return errors.New("smtp: no recipients (to)")
	}
	for _, t := range s.To {
		if _, err := mail.ParseAddress(t); err != nil {
			return fmt.Errorf("smtp: to %q: %w", t, err)
		}
	}
	return nil
}

func (s *SMTP) port() int {
	switch {
	case s.Port != 0:
		return s.Port
	case s.StartTLS:
		return 587
	}
	return 25
}

// Notify implements alerts.Notifier.
func (s *SMTP) Notify(ctx context.Context, n alerts.Notification) error {
	if err := s.Validate(); err != nil {
		return err
	}
	from, _ := mail.ParseAddress(s.From)
	var rcpts []*mail.Address
	for _, t := range s.To {
		a, _ := mail.ParseAddress(t)
		rcpts = append(rcpts, a)
	}
	msg, err := buildMessage(from, rcpts, n, time.Now())
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}

	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.port()))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer c.Close()
	step := func(what string, err error) error {
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return fmt.Errorf("smtp %s: %s: %w", addr, what, err)
	}
	if err := step("EHLO", c.Hello(helloName())); err != nil {
		return err
	}
	if s.StartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS, and start_tls is on", addr)
		}
		cfg := s.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
		}
		if err := step("STARTTLS", c.StartTLS(cfg)); err != nil {
			return err
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer AUTH, but a username is set", addr)
		}
		if err := step("AUTH", c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host))); err != nil {
			return err
		}
	}
	if err := step("MAIL FROM", c.Mail(from.Address)); err != nil {
		return err
	}
	for _, r := range rcpts {
		if err := step("RCPT TO "+r.Address, c.Rcpt(r.Address)); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return step("DATA", err)
	}
	if err := step("DATA", w.Close()); err != nil {
		return err
	}
	return step("QUIT", c.Quit())
}

// helloName is this machine's name for EHLO, when it looks like one.
func helloName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsAny(h, " \t\r\n") {
		return "localhost"
	}
	return h
}

// oneLine keeps a header value on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func buildMessage(from *mail.Address, to []*mail.Address, n alerts.Notification, now time.Time) ([]byte, error) {
	subject := "[Holdfast] " + n.Title
	if n.Host != "" {
		subject = "[Holdfast " + n.Host + "] " + n.Title
	}
	var tos []string
	for _, a := range to {
		tos = append(tos, a.String())
	}
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", from.String())
	hdr("To", strings.Join(tos, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", oneLine(subject)))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(id)+"@holdfast>")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=utf-8")
	hdr("Content-Transfer-Encoding", "quoted-printable")
	hdr("Auto-Submitted", "auto-generated")
	hdr("X-Holdfast-Alert", oneLine(n.Alert.ID))
	hdr("X-Holdfast-Transition", oneLine(string(n.Transition)))
	hdr("X-Holdfast-Severity", oneLine(string(n.Alert.Severity)))
	b.WriteString("\r\n")

	var text strings.Builder
	text.WriteString(n.Body)
	text.WriteString("\n\n-- \n")
	if n.Host != "" {
		text.WriteString("Holdfast on " + n.Host + "\n")
	}
	fmt.Fprintf(&text, "Alert %s (%s, %s), since %s\n", n.Alert.ID, n.Alert.Severity, n.Alert.State, n.Alert.Since.Format(time.RFC3339))
	qp := quotedprintable.NewWriter(&b)
	body := strings.ReplaceAll(strings.ReplaceAll(text.String(), "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
