package engine

import (
	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/core/tasks/jobs"
	"github.com/holdfast/holdfast/core/version"
	"github.com/holdfast/holdfast/peers"
	"github.com/holdfast/holdfast/peers/identity"
	"github.com/holdfast/holdfast/peers/trust"
)

// PeerOps are the operations paired peers may call on this engine, with
// the permission each needs: observe reads, control acts. Everything
// else (backups, repositories, settings, the trust store) stays local.
var PeerOps = map[string]trust.Permission{
	OpStatus:            trust.Observe,
	monitor.OpQuery:     trust.Observe,
	monitor.OpProcesses: trust.Observe,
	alerts.OpList:       trust.Observe,
	alerts.OpRules:      trust.Observe,
	tasks.OpList:        trust.Observe,
	tasks.OpShow:        trust.Observe,
	tasks.OpStats:       trust.Observe,
	jobs.OpList:         trust.Observe,
	jobs.OpRun:          trust.Control,
	tasks.OpPause:       trust.Control,
	tasks.OpResume:      trust.Control,
	tasks.OpCancel:      trust.Control,
	alerts.OpAck:        trust.Control,
}

// openPeers opens the home's identity and trust store and the peers
// service, and registers the peer operations. Serve and desktop engines
// run the service (accepting peers when a listen address is set); a
// standalone CLI command uses it only for the trust store and to join.
func (e *Engine) openPeers(listen string) error {
	id, err := identity.LoadOrCreate(e.home.Dir)
	if err != nil {
		return err
	}
	ts, err := trust.Open(e.store.DB())
	if err != nil {
		return err
	}
	if listen == "" {
		listen = e.cfg.Peers.Listen
	}
	if e.mode == ModeLocal {
		listen = ""
	}
	svc := peers.New(peers.Options{
		Identity: id, Trust: ts, Dispatcher: e, Allowed: PeerOps, Bus: e.bus,
		Alerts: e.Alerts, OfflineAlertAfter: e.cfg.Peers.OfflineAlertAfter.Duration,
		Log: e.log.With("service", "peers"), DeviceName: e.cfg.DeviceName(), Version: version.Version,
		Listen: listen, WatchAll: e.cfg.Peers.WatchAll,
	})
	svc.Register(e.router)
	e.Peers = svc
	if e.mode != ModeLocal {
		e.services = append(e.services, svc)
	}
	return nil
}
