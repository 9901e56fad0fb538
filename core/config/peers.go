package config

import (
	"net"
	"time"

	"github.com/BurntSushi/toml"
)

// Peers is the [peers] table: where this device accepts other Holdfast
// instances, and when a missing one raises an alert.
type Peers struct {
	// Listen is host:port to accept peers on (":7420" for every
	// interface); empty accepts none, though this device still dials its
	// peers. 'holdfast serve --listen' overrides it.
	Listen string `toml:"listen"`
	// OfflineAlertAfter raises an alert when a paired peer has been
	// offline this long (1m..30 days); "0s" never does.
	OfflineAlertAfter Duration `toml:"offline_alert_after"`
	// WatchAll streams every connected peer's live metrics here, not only
	// the one a window shows: a desktop watching its fleet.
	WatchAll bool `toml:"watch_all"`
}

const (
	minOfflineAlert = time.Minute
	maxOfflineAlert = 30 * 24 * time.Hour
)

func defaultPeers() Peers {
	return Peers{OfflineAlertAfter: Duration{10 * time.Minute}}
}

func (p Peers) problems() []problem {
	var ps []problem
	if p.Listen != "" {
		if _, port, err := net.SplitHostPort(p.Listen); err != nil || port == "" {
			key := toml.Key{"peers", "listen"}
			ps = append(ps, problem{key: key, msg: key.String() + ": " + quote(p.Listen) + ` is not host:port (like ":7420" or "192.168.1.5:7420")`})
		}
	}
	if d := p.OfflineAlertAfter.Duration; d != 0 && (d < minOfflineAlert || d > maxOfflineAlert) {
		key := toml.Key{"peers", "offline_alert_after"}
		ps = append(ps, problem{key: key, msg: key.String() + ": " + p.OfflineAlertAfter.String() + " is not 0s or between " + Duration{minOfflineAlert}.String() + " and " + Duration{maxOfflineAlert}.String()})
	}
	return ps
}

func quote(s string) string { return `"` + s + `"` }

// writePeers renders the [peers] table of the default file.
func writePeers(line func(format string, args ...any), p Peers) {
	line("")
	line("[peers]")
	line(`# Accept other Holdfast instances on this host:port, e.g. ":7420" (every`)
	line(`# interface) or "192.168.1.5:7420"; empty accepts none, though this device`)
	line(`# still connects to its peers. 'holdfast serve --listen' overrides it.`)
	line("listen = %q", p.Listen)
	line(`# Raise an alert when a paired peer has been offline this long: 1m to 720h,`)
	line(`# or "0s" never.`)
	line("offline_alert_after = %q", p.OfflineAlertAfter)
	line(`# Stream every connected peer's live metrics to this device, not only the`)
	line(`# one a window shows.`)
	line("watch_all = %t", p.WatchAll)
}
