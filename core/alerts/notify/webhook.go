package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/version"
)

// DefaultWebhookTimeout bounds one webhook request when Webhook.Timeout is
// zero.
const DefaultWebhookTimeout = 5 * time.Second

// Webhook POSTs each notification as JSON to a URL. Any status other than
// 2xx is an error.
//
// The body (Content-Type: application/json) is a WebhookPayload:
//
//	{
//	  "version": 1,
//	  "host": "nas",
//	  "transition": "firing",          // or "resolved"
//	  "repeat": false,                 // true for a reminder of an alert still firing
//	  "title": "Warning: disk_space_warning /home",
//	  "body": "Filesystem /home is 91% full",
//	  "alert": {
//	    "id": "3f9a2c01bd",            // stable for the alert's life
//	    "source": "metric",            // or "backup", "tasks", "consistency", "peers"…
//	    "rule": "disk_space_warning",  // metric alerts only
//	    "key": "mountpoint=\"/home\"", // event key, or the series' labels
//	    "labels": {"mountpoint": "/home"},
//	    "severity": "warning",         // info, warning, error, critical
//	    "state": "firing",             // firing, acknowledged, resolved
//	    "message": "Filesystem /home is 91% full",
//	    "resolution": "",              // how it ended, when resolved
//	    "value": 0.91,                 // metric alerts; 0 for events
//	    "count": 1,                    // times an event was raised while active
//	    "since": "2025-06-01T10:00:00Z",
//	    "fired_at": "2025-06-01T10:00:00Z",
//	    "resolved_at": "2025-06-01T11:00:00Z" // only once resolved
//	  }
//	}
//
// Times are RFC 3339. Fields may be added in later versions, never
// renamed or removed without changing "version".
type Webhook struct {
	URL string
	// Timeout bounds a request; zero is 5 s.
	Timeout time.Duration
	// Header is added to every request (for example Authorization).
	Header http.Header
	// Client defaults to a plain http.Client.
	Client *http.Client
}

// WebhookPayload is the JSON a Webhook posts.
type WebhookPayload struct {
	Version    int          `json:"version"`
	Host       string       `json:"host"`
	Transition string       `json:"transition"`
	Repeat     bool         `json:"repeat"`
	Title      string       `json:"title"`
	Body       string       `json:"body"`
	Alert      WebhookAlert `json:"alert"`
}

// WebhookAlert is the alert inside a WebhookPayload.
type WebhookAlert struct {
	ID         string            `json:"id"`
	Source     string            `json:"source"`
	Rule       string            `json:"rule,omitempty"`
	Key        string            `json:"key"`
	Labels     map[string]string `json:"labels,omitempty"`
	Severity   string            `json:"severity"`
	State      string            `json:"state"`
	Message    string            `json:"message"`
	Resolution string            `json:"resolution,omitempty"`
	Value      float64           `json:"value"`
	Count      int               `json:"count"`
	Since      time.Time         `json:"since"`
	FiredAt    time.Time         `json:"fired_at,omitzero"`
	ResolvedAt time.Time         `json:"resolved_at,omitzero"`
}

// Payload builds the JSON body for a notification.
func Payload(n alerts.Notification) WebhookPayload {
	a := n.Alert
	return WebhookPayload{
		Version: 1, Host: n.Host, Transition: string(n.Transition), Repeat: n.Repeat,
		Title: n.Title, Body: n.Body,
		Alert: WebhookAlert{
			ID: a.ID, Source: a.Source, Rule: a.Rule, Key: a.Key, Labels: a.Labels,
			Severity: string(a.Severity), State: string(a.State), Message: a.Message,
			Resolution: a.Resolution, Value: a.Value, Count: a.Count,
			Since: a.Since, FiredAt: a.FiredAt, ResolvedAt: a.ResolvedAt,
		},
	}
}

// Name implements alerts.Notifier.
func (w *Webhook) Name() string { return "webhook" }

// Validate checks the URL.
func (w *Webhook) Validate() error {
	u, err := url.Parse(w.URL)
	if err != nil {
		return fmt.Errorf("webhook url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook url %q: want an http:// or https:// URL", w.URL)
	}
	return nil
}

// Notify implements alerts.Notifier.
func (w *Webhook) Notify(ctx context.Context, n alerts.Notification) error {
	if err := w.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(Payload(n))
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	for k, vs := range w.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Holdfast/"+version.Version)
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("webhook %s: %s", redactURL(w.URL), resp.Status)
		if s := bytes.TrimSpace(snippet); len(s) > 0 {
			msg += ": " + string(s)
		}
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// redactURL drops credentials and the query (tokens often live there)
// from a URL before it goes into an error message.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(invalid url)"
	}
	u.User = nil
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.String()
}
