package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
	"github.com/holdfast/holdfast/core/logs"
)

func (a *app) serveCommand() *cobra.Command {
	var metricsListen, listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the engine headless until stopped (for servers and systemd)",
		Long: `Run the Holdfast engine without a window, logging to stderr and to
HOME/logs/holdfast.log, until SIGINT or SIGTERM. Other holdfast commands on
the same home talk to it through HOME/engine.sock. It opens no network port
unless asked: --metrics-listen serves Prometheus /metrics.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a.engineOpts.MetricsListen = metricsListen
			a.engineOpts.PeersListen = listen
			return a.runEngine(cmd.Context(), engine.ModeServe, func(ctx context.Context, eng *engine.Engine) error {
				if err := eng.Start(ctx); err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "holdfast: engine running on %s (PID %d); Ctrl-C stops it\n", eng.Home().Dir, os.Getpid())
				if addr := eng.MetricsAddr(); addr != "" {
					fmt.Fprintf(a.stderr, "holdfast: Prometheus metrics at http://%s/metrics\n", addr)
				}
				if addrs := eng.Peers.Addresses(); len(addrs) > 0 {
					fmt.Fprintf(a.stderr, "holdfast: accepting peers on %s as %s\n", strings.Join(addrs, ", "), eng.Peers.ID())
				}
				<-ctx.Done()
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&metricsListen, "metrics-listen", "", "serve Prometheus /metrics on host:port (e.g. 127.0.0.1:9720)")
	cmd.Flags().StringVar(&listen, "listen", "", "accept paired peers on host:port (e.g. :7420), overriding [peers] listen")
	return cmd
}

// runEngine opens the home's engine with logging to stderr and the log
// file, runs body, and stops the engine however body ends.
func (a *app) runEngine(ctx context.Context, mode engine.Mode, body func(context.Context, *engine.Engine) error) error {
	h, err := home.Open(a.homeDir)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	// The config is read again by engine.Open; here only its log settings
	// matter, and a bad file is reported by Open with its line.
	log, closeLog, err := openLog(h, a.stderr)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer closeLog()
	opts := a.engineOpts
	opts.Mode, opts.Log = mode, log
	eng, err := engine.Open(h, opts)
	if err != nil {
		return &exitError{code: 1, err: err}
	}
	defer eng.Stop()
	if err := body(ctx, eng); err != nil {
		log.Error("engine failed", "err", err)
		return &exitError{code: 1, err: err}
	}
	return nil
}

// openLog returns the engine's logger: text records to stderr and to the
// rotating file in HOME/logs, at the configured level.
func openLog(h *home.Home, stderr io.Writer) (*slog.Logger, func(), error) {
	cfg := loadConfigLenient(h)
	level, err := logs.ParseLevel(cfg.General.LogLevel)
	if err != nil {
		level = slog.LevelInfo
	}
	file, err := logs.OpenRotating(h.LogsPath(), int64(cfg.Logs.MaxSizeMB)<<20, cfg.Logs.Keep)
	if err != nil {
		return nil, nil, err
	}
	return logs.New(level, stderr, file), func() { file.Close() }, nil
}
