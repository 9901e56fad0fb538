// Package notify holds the alerts.Notifier implementations: desktop
// pop-ups, webhooks and e-mail.
package notify

import (
	"context"
	"fmt"
	"sync"

	"github.com/gen2brain/beeep"

	"github.com/holdfast/holdfast/core/alerts"
)

// DefaultAppName is the application name desktop notifications carry.
const DefaultAppName = "Holdfast"

// beeepMu guards beeep.AppName, a package variable.
var beeepMu sync.Mutex

// Desktop shows notifications on the desktop through beeep (D-Bus or
// notify-send on Linux, the notification centre on macOS, toasts on
// Windows).
//
// On a machine without a notification daemon (a server) every call fails;
// the error is returned and the alerts service logs it once per distinct
// error, records it on the alert, and carries on. Nothing is fatal.
type Desktop struct {
	// AppName defaults to "Holdfast".
	AppName string
	// Icon is a path to a PNG, or empty.
	Icon string
	// Send shows one notification; nil uses beeep.Notify. Tests replace it.
	Send func(appName, title, body, icon string) error
}

// Name implements alerts.Notifier.
func (d *Desktop) Name() string { return "desktop" }

// Notify implements alerts.Notifier. It gives up waiting when ctx ends
// (the pop-up may still appear).
func (d *Desktop) Notify(ctx context.Context, n alerts.Notification) error {
	app := d.AppName
	if app == "" {
		app = DefaultAppName
	}
	send := d.Send
	if send == nil {
		send = beeepSend
	}
	done := make(chan error, 1)
	go func() { done <- send(app, n.Title, n.Body, d.Icon) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("desktop notification: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("desktop notification: %w", ctx.Err())
	}
}

func beeepSend(app, title, body, icon string) error {
	beeepMu.Lock()
	defer beeepMu.Unlock()
	beeep.AppName = app
	return beeep.Notify(title, body, icon)
}
