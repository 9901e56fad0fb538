package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/monitor"
)

func (a *app) topCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "top [--json]",
		Short: "Show the processes using the most CPU and memory",
		Long: `Show the top 10 processes by CPU and the top 10 by resident memory, with their
disk I/O where the system counts it. A running engine samples them every 5 s
(every second while the desktop app shows them) and this prints its latest
sample; with no engine running, the table is measured over one second.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out monitor.ProcessesJSON
			if _, err := a.op(cmd.Context(), monitor.OpProcesses, struct{}{}, nil, &out); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, out)
			}
			printTop(a.stdout, out)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

// printTop writes the table with right-aligned numbers; the name comes
// last, so a long one does not push the columns apart.
func printTop(w io.Writer, p monitor.ProcessesJSON) {
	userW := len("USER")
	for _, pr := range p.Processes {
		userW = max(userW, min(len(pr.User), 16))
	}
	fmt.Fprintf(w, "%7s  %-*s  %7s  %10s  %11s  %11s  %s\n", "PID", userW, "USER", "CPU", "MEMORY", "READ", "WRITE", "NAME")
	for _, pr := range p.Processes {
		user := pr.User
		if len(user) > userW {
			user = user[:userW-1] + "+"
		}
		rd, wr := "-", "-"
		if pr.ReadBytesPerSecond != nil && pr.WriteBytesPerSecond != nil {
			rd, wr = ioRate(*pr.ReadBytesPerSecond), ioRate(*pr.WriteBytesPerSecond)
		}
		fmt.Fprintf(w, "%7d  %-*s  %5.1f %%  %10s  %11s  %11s  %s\n",
			pr.PID, userW, user, 100*pr.CPURatio, backup.HumanBytes(int64(pr.RSSBytes)), rd, wr, pr.Name)
	}
	fmt.Fprintf(w, "\nSampled at %s over %.1f s. CPU 100 %% is one core; READ and WRITE are per second.\n",
		p.At.Local().Format(time.TimeOnly), p.OverSeconds)
}

func ioRate(bps float64) string {
	if bps < 1 {
		return "0"
	}
	return backup.HumanBytes(int64(bps)) + "/s"
}
