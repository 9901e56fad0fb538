package ui

// The Alerts page of a paired peer: its alerts, read through the
// engine's peers service, with Acknowledge only where the peer grants
// this device control. Silencing and the rules stay with each device's
// own page. A peer's alerts.changed events stay on the peer, so its
// alerts are read again every few seconds while shown.

import (
	"context"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/peers/trust"
)

// alRemoteRefresh is how often a peer's alerts are read again.
const alRemoteRefresh = 10 * time.Second

// remoteExtras completes an answer: the device's rules (a peer's, so its
// alert values show in their units) and what a peer grants this device.
// It runs in the load's goroutine.
func (p *alertsPage) remoteExtras(t target, a *alertsAnswer) {
	if t.local() {
		a.rules = p.s.eng.Alerts.Rules()
		return
	}
	var rules []alerts.Rule
	if err := p.alCallOn(t, alerts.OpRules, nil, &rules); err == nil {
		a.rules = rules
	} // a peer of an older version has no alerts.rules: plain numbers
	if g, err := p.s.eng.Peers.Granted(context.Background(), t.id); err == nil {
		p.do(func() { p.s.dev.setGranted(t.id, g) })
	}
}

// setTarget shows another device's alerts.
func (p *alertsPage) setTarget(t target) {
	if p.remote != nil {
		p.remote()
		p.remote = nil
	}
	p.tgt = t
	p.loaded, p.loadErr = false, nil
	p.active, p.history, p.rules = nil, nil, nil
	if t.local() {
		p.rulesToggle.Show()
	} else {
		if p.rulesOpen {
			p.toggleRules()
		}
		p.rulesToggle.Hide()
		ctx, cancel := context.WithCancel(p.s.ctx)
		p.remote = cancel
		go func() {
			tk := time.NewTicker(alRemoteRefresh)
			defer tk.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tk.C:
					p.do(func() {
						if ctx.Err() == nil {
							p.load()
						}
					})
				}
			}
		}()
	}
	p.load()
	p.refreshAll()
}

// remoteNote tells why a peer's alerts have no Acknowledge.
func (p *alertsPage) remoteNote() string {
	if p.tgt.local() || !p.loaded || len(p.active) == 0 || p.canAck() {
		return ""
	}
	return " · watch only: " + p.tgt.name + " has not granted this device control"
}

// canAck reports whether the device shown lets this one acknowledge.
func (p *alertsPage) canAck() bool { return p.s.dev.can(p.tgt, trust.Control) }

// canSilence reports whether alerts can be silenced from here: silences
// are kept by each device for its own notifications.
func (p *alertsPage) canSilence() bool { return p.tgt.local() }
