package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/alerts"
)

func (a *app) alertsCommand() *cobra.Command {
	var args alerts.ListArgs
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "alerts [--all] [--json]",
		Short: "List active alerts (and past ones with --all); ack or silence one",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list []alerts.Alert
			if _, err := a.op(cmd.Context(), alerts.OpList, args, nil, &list); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "No active alerts.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tSTATE\tSINCE\tSOURCE\tMESSAGE")
			for _, al := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", al.ID, al.Severity, al.State,
					al.Since.Local().Format("2006-01-02 15:04"), al.Source, al.Message)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&args.All, "all", false, "include past alerts")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")

	ack := &cobra.Command{
		Use:   "ack ID",
		Short: "Acknowledge an alert: no more reminders for it",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("alerts ack takes one alert ID"))
			}
			var al alerts.Alert
			if _, err := a.op(cmd.Context(), alerts.OpAck, alerts.IDArgs{ID: pos[0]}, nil, &al); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Acknowledged %s: %s\n", al.ID, al.Message)
			return nil
		},
	}
	var until string
	silence := &cobra.Command{
		Use:   "silence ID --until TIME",
		Short: "Silence an alert until a time (RFC 3339, \"15:04\" today, or a duration like 2h)",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("alerts silence takes one alert ID"))
			}
			t, err := parseUntil(until, time.Now())
			if err != nil {
				return usageErr(err)
			}
			var al alerts.Alert
			if _, err := a.op(cmd.Context(), alerts.OpSilence, alerts.IDArgs{ID: pos[0], Until: t}, nil, &al); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Silenced %s until %s\n", al.ID, t.Local().Format("2006-01-02 15:04"))
			return nil
		},
	}
	silence.Flags().StringVar(&until, "until", "", "when the silence ends")
	cmd.AddCommand(ack, silence)
	return cmd
}

// parseUntil reads a silence end: an RFC 3339 time, a clock time today
// (tomorrow if already past), or a duration from now.
func parseUntil(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("--until is required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	if c, err := time.ParseInLocation("15:04", s, now.Location()); err == nil {
		t := time.Date(now.Year(), now.Month(), now.Day(), c.Hour(), c.Minute(), 0, 0, now.Location())
		if !t.After(now) {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--until %q: give an RFC 3339 time, a clock time like 07:30, or a duration like 2h", s)
}
