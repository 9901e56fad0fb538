package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// WriteDefault writes the default settings to path as a commented TOML file,
// atomically and with mode 0600. It does nothing if path already exists, so
// it never overwrites a user's settings. The directory must exist.
func WriteDefault(path string) error {
	err := createAtomic(path, defaultFile())
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write default config %s: %w", path, err)
	}
	return nil
}

// defaultFile renders Default() as config.toml, with a comment above each
// key. Load(defaultFile()) must equal Default().
func defaultFile() []byte {
	d := Default()
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	line("# Holdfast settings.")
	line("#")
	line("# This file holds the settings you may edit by hand. Things you create")
	line("# in the app — sources, jobs, watched folders, peers — live in Holdfast's")
	line("# database, not here. Every key is optional: a key left out takes the")
	line("# default shown below. Unknown keys are an error.")
	line("")
	line("[general]")
	line("# Name shown to peers for this device; empty means use the host name.")
	line("device_name = %q", d.General.DeviceName)
	line("# How much to log: one of %s.", strings.Join(logLevels, ", "))
	line("log_level = %q", d.General.LogLevel)
	line("")
	line("[logs]")
	line("# Size in MB at which the log file is rotated: %d to %d.", minMaxSizeMB, maxMaxSizeMB)
	line("max_size_mb = %d", d.Logs.MaxSizeMB)
	line("# Number of rotated log files to keep: %d to %d.", minKeep, maxKeep)
	line("keep = %d", d.Logs.Keep)
	line("")
	line("[ui]")
	line("# Colour scheme: one of %s (system follows the desktop).", strings.Join(themes, ", "))
	line("theme = %q", d.UI.Theme)
	line("# Keep running in the tray when the window is closed: true or false.")
	line("close_to_tray = %t", d.UI.CloseToTray)
	line("")
	line("[control]")
	line(`# How long the command line waits for the database lock when no engine runs,`)
	line(`# as a duration such as "500ms" or "2s": %s to %s.`, Duration{minClientTimeout}, Duration{maxClientTimeout})
	line("client_timeout = %q", d.Control.ClientTimeout)
	line("")
	line("[monitor]")
	line(`# How often this machine is sampled: 1s to 1m.`)
	line("interval = %q", d.Monitor.Interval)
	line(`# How often samples are written to the database: 5s to 10m. A crash loses`)
	line(`# at most this much history; a clean stop loses nothing.`)
	line("flush_interval = %q", d.Monitor.FlushInterval)
	line(`# How long every sample is kept: 1h to 90 days (2160h).`)
	line("raw_retention = %q", d.Monitor.RawRetention)
	line(`# How long one point per minute (min, max, average) is kept: 24h to 5 years.`)
	line("minute_retention = %q", d.Monitor.MinuteRetention)
	line(`# How long one point per hour (min, max, average) is kept: 24h to 20 years.`)
	line("hour_retention = %q", d.Monitor.HourRetention)
	line(`# Serve Prometheus /metrics on this host:port, e.g. "127.0.0.1:9720"; empty`)
	line(`# serves nothing. 'holdfast serve --metrics-listen' overrides it.`)
	line("metrics_listen = %q", d.Monitor.MetricsListen)
	writeTasks(line, d.Tasks)
	writeAlerts(line, d.Alerts)
	writePeers(line, d.Peers)
	return []byte(b.String())
}
