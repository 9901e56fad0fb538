package engine

import (
	"context"
	"os"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/version"
)

// Started is published when the engine has started.
type Started struct {
	At   time.Time
	Mode Mode
}

// Topic implements bus.Event.
func (Started) Topic() string { return "engine.started" }

// Stopping is published when the engine begins to stop.
type Stopping struct{}

// Topic implements bus.Event.
func (Stopping) Topic() string { return "engine.stopping" }

// ActivityChanged is published when an operation starts or ends.
type ActivityChanged struct{}

// Topic implements bus.Event.
func (ActivityChanged) Topic() string { return "engine.activity" }

// AlertsChanged is published when an alert is raised, changes or ends.
type AlertsChanged struct{}

// Topic implements bus.Event.
func (AlertsChanged) Topic() string { return "alerts.changed" }

// Status is what `holdfast status` reports.
type Status struct {
	Running       bool                 `json:"running"`
	Mode          Mode                 `json:"mode,omitempty"`
	PID           int                  `json:"pid,omitempty"`
	Home          string               `json:"home"`
	Device        string               `json:"device"`
	Version       string               `json:"version"`
	Started       *time.Time           `json:"started,omitempty"`
	UptimeSeconds float64              `json:"uptime_seconds,omitempty"`
	SchemaVersion int                  `json:"schema_version"`
	Active        []control.ActiveCall `json:"active"`
	// Metrics is the URL Prometheus scrapes, when /metrics is served.
	Metrics string `json:"metrics,omitempty"`
	// Alerts counts the alerts that want attention (firing, not
	// acknowledged, not silenced).
	Alerts AlertSummary `json:"alerts"`
}

// AlertSummary is the headline of the active alerts.
type AlertSummary struct {
	Firing int    `json:"firing"`
	Worst  string `json:"worst,omitempty"` // the worst severity among them
	Top    string `json:"top,omitempty"`   // the message of the worst one
}

// Status describes the engine now. An engine in local mode reports
// running=false: it is the CLI, not a running engine.
func (e *Engine) Status() Status {
	e.mu.Lock()
	started := e.started
	e.mu.Unlock()
	st := Status{
		Home:    e.home.Dir,
		Device:  e.cfg.DeviceName(),
		Version: version.Version,
		Active:  []control.ActiveCall{},
	}
	st.SchemaVersion, _ = e.store.Version()
	if e.Alerts != nil {
		now := time.Now()
		for _, a := range e.Alerts.Active() {
			if a.State != alerts.StateFiring || a.Silenced(now) {
				continue
			}
			if st.Alerts.Firing == 0 || a.Severity.Rank() > alerts.Severity(st.Alerts.Worst).Rank() {
				st.Alerts.Worst, st.Alerts.Top = string(a.Severity), a.Message
			}
			st.Alerts.Firing++
		}
	}
	if e.mode != ModeLocal && !started.IsZero() {
		st.Running = true
		st.Mode = e.mode
		st.PID = os.Getpid()
		st.Started = &started
		st.UptimeSeconds = time.Since(started).Round(time.Millisecond).Seconds()
		if addr := e.MetricsAddr(); addr != "" {
			st.Metrics = "http://" + addr + "/metrics"
		}
		for _, a := range e.router.Active() {
			if a.Op != OpStatus {
				st.Active = append(st.Active, a)
			}
		}
	}
	return st
}

// Built-in control operations.
const (
	OpStatus = "status"
	// OpShowWindow asks a running desktop app to bring its window forward;
	// the desktop app registers it, a headless engine does not.
	OpShowWindow = "ui.show"
)

func (e *Engine) registerBuiltins() {
	e.Handle(OpStatus, func(ctx context.Context, c *control.Call) (any, error) {
		return e.Status(), nil
	})
}
