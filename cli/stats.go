package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/tasks"
)

// statsCommand is `holdfast stats`: task statistics from the history.
func (a *app) statsCommand() *cobra.Command {
	args := tasks.StatsArgs{Days: 30}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [--days N]",
		Short: "Task statistics: how many ran, succeeded and failed, how long they took",
		Long: `Sum up the tasks that ended in the last N days (today included): from the
full history, and for days older than [tasks] history_days from the daily
totals kept for [tasks] aggregate_days.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if args.Days < 1 || args.Days > tasks.MaxStatsDays {
				return usageErr(fmt.Errorf("--days %d: give a number of days from 1 to %d", args.Days, tasks.MaxStatsDays))
			}
			var st tasks.Stats
			if _, err := a.op(cmd.Context(), tasks.OpStats, args, nil, &st); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, st)
			}
			o := st.Overview
			w := a.stdout
			fmt.Fprintf(w, "Last %d days: %d tasks, %d succeeded, %d failed, %d canceled (%.1f%% successful)\n",
				st.Days, o.TotalTasks, o.SuccessfulTasks, o.FailedTasks, o.CanceledTasks, o.SuccessRate)
			fmt.Fprintf(w, "Average duration %s; backups processed %s\n",
				(time.Duration(o.AvgDuration * float64(time.Second))).Round(time.Millisecond), backup.HumanBytes(o.TotalSize))
			if len(st.TypeStats) > 0 {
				fmt.Fprintln(w)
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KIND\tTASKS\tSUCCEEDED\tFAILED\tAVG DURATION")
				for _, t := range st.TypeStats {
					fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", t.Type, t.Count, t.Successful, t.Failed,
						(time.Duration(t.AvgDuration * float64(time.Second))).Round(time.Millisecond))
				}
				tw.Flush()
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&args.Days, "days", 30, "how many days back, today included")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}
