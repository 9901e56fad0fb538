package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/config"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
)

func (a *app) statusCommand() *cobra.Command {
	var asJSON bool
	var peer string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Say whether an engine runs on the home and what it is doing",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var st engine.Status
			if _, err := a.callInto(cmd.Context(), viaPeer(peer, control.Request{Op: engine.OpStatus}), &st); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, st)
			}
			w := a.stdout
			if !st.Running {
				fmt.Fprintf(w, "No engine is running on %s.\n", st.Home)
				fmt.Fprintf(w, "Start one with 'holdfast serve' or open the desktop app.\n")
				return nil
			}
			fmt.Fprintf(w, "Engine running on %s\n", st.Home)
			fmt.Fprintf(w, "  mode     %s (PID %d)\n", st.Mode, st.PID)
			fmt.Fprintf(w, "  device   %s\n", st.Device)
			fmt.Fprintf(w, "  version  %s\n", st.Version)
			fmt.Fprintf(w, "  up       %s, since %s\n", (time.Duration(st.UptimeSeconds) * time.Second).String(), st.Started.Local().Format(time.DateTime))
			if len(st.Active) == 0 {
				fmt.Fprintf(w, "  doing    nothing right now\n")
			}
			for _, c := range st.Active {
				fmt.Fprintf(w, "  doing    %s, for %s\n", c.Op, time.Since(c.Started).Round(time.Second))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	peerFlag(cmd.Flags(), &peer)
	return cmd
}

// loadConfigLenient reads the settings for things needed before the engine
// opens (the log file); a bad file falls back to defaults here and is
// reported properly by engine.Open.
func loadConfigLenient(h *home.Home) config.Config {
	cfg, err := config.Load(h.ConfigPath())
	if err != nil {
		return config.Default()
	}
	return cfg
}
