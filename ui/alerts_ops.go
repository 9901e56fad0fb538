package ui

// The Alerts page talks to the engine only through these calls. Each one
// blocks, so it runs in a goroutine; its answer comes back to the UI
// thread through p.do. Nothing here touches a widget but through p.do.

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2/dialog"

	"github.com/holdfast/holdfast/core/alerts"
)

// alertsAnswer is the engine's answer to alerts.list, with the rules.
type alertsAnswer struct {
	tgt             target // the device asked
	active, history []alerts.Alert
	rules           []alerts.Rule
	err             error
}

// alCall runs one alerts operation in the engine and decodes its data
// into out, when given.
func (p *alertsPage) alCall(op string, args, out any) error {
	return p.alCallOn(p.tgt, op, args, out)
}

// alCallOn is alCall on the given device (devices.go).
func (p *alertsPage) alCallOn(t target, op string, args, out any) error {
	return p.s.dev.call(context.Background(), t, op, args, out)
}

// load asks the engine for the alerts, active and ended, and the rules
// in force. While an answer is on its way, further calls make one more
// load when it has come, so a burst of changes costs two loads at most.
// The answer waits in p.ready as well as going through p.do, so that
// build, when it runs first, takes an answer that has already come
// without waiting for the UI queue.
func (p *alertsPage) load() {
	if p.loading {
		p.again = true
		return
	}
	p.loading = true
	ready := make(chan alertsAnswer, 1)
	p.ready = ready
	t := p.tgt
	go func() {
		var all []alerts.Alert
		a := alertsAnswer{tgt: t, err: p.alCallOn(t, alerts.OpList, alerts.ListArgs{All: true}, &all)}
		// alerts.list puts the active ones first; the ended ones have
		// ResolvedAt set (an ack-only event ended by its acknowledgement
		// keeps the state "acknowledged").
		for _, al := range all {
			if al.ResolvedAt.IsZero() && al.State != alerts.StateResolved {
				a.active = append(a.active, al)
			} else {
				a.history = append(a.history, al)
			}
		}
		p.remoteExtras(t, &a)
		ready <- a
		p.do(p.take)
	}()
}

// take applies the answer to the last load if it has come and was not
// applied yet.
func (p *alertsPage) take() {
	if p.ready == nil {
		return
	}
	var a alertsAnswer
	select {
	case a = <-p.ready:
	default:
		return
	}
	p.ready, p.loading = nil, false
	if a.tgt != p.tgt {
		// Asked of the device shown before a switch: ask again.
		p.load()
		return
	}
	p.loadErr = a.err
	if a.err == nil {
		p.loaded = true
		p.active, p.history = a.active, a.history
	}
	p.rules = a.rules
	p.refreshAll()
	if p.again {
		p.again = false
		p.load()
	}
}

// acknowledge acknowledges an active alert through alerts.ack, as its
// Acknowledge button does. done, when given, is called on the UI thread
// with the outcome; a refusal is shown in a dialog either way.
func (p *alertsPage) acknowledge(id string, done func(error)) {
	p.change(id, alerts.OpAck, alerts.IDArgs{ID: id}, "Could not acknowledge the alert", done)
}

// silence holds back an alert's notifications until the given time
// through alerts.silence, as the Silence menu does.
func (p *alertsPage) silence(id string, until time.Time, done func(error)) {
	p.change(id, alerts.OpSilence, alerts.IDArgs{ID: id, Until: until}, "Could not silence the alert", done)
}

// change runs one operation on an alert; its row is busy meanwhile.
func (p *alertsPage) change(id, op string, args alerts.IDArgs, failure string, done func(error)) {
	if p.busy[id] {
		if done != nil {
			done(fmt.Errorf("%s: a change to it is already on its way", failure))
		}
		return
	}
	p.busy[id] = true
	p.refreshAll()
	go func() {
		err := p.alCall(op, args, nil)
		p.do(func() {
			delete(p.busy, id)
			if err != nil {
				dialog.ShowError(fmt.Errorf("%s: %w", failure, err), p.s.win)
			}
			p.load() // the engine's alerts.changed comes too; loads coalesce
			p.refreshAll()
			if done != nil {
				done(err)
			}
		})
	}()
}
