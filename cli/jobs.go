package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/tasks/jobs"
)

func (a *app) jobsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "Back up and check on a schedule",
		Long: `Jobs back folders up, or check repositories, on a schedule, run by the
engine of the home (the desktop app in the tray, or holdfast serve). A run
missed while the machine slept or was off runs once on wake; two runs of one
job never overlap; a failed run is retried when --retries says so.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return a.jobsList(cmd, false) },
	}
	cmd.AddCommand(a.jobsAddCommand(), a.jobsListCommand(), a.jobsRemoveCommand(), a.jobsRunCommand(),
		a.jobsPauseCommand(true), a.jobsPauseCommand(false))
	return cmd
}

func oneName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usageErr(fmt.Errorf("%s takes one job NAME", cmd.CommandPath()))
	}
	return nil
}

func (a *app) jobsAddCommand() *cobra.Command {
	var args jobs.AddArgs
	var action, every, at, days, cron string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add NAME --action backup|check|verify --repo NAME [--source PATH]... (--every DURATION | --at HH:MM [--days mon,tue,...] | --cron EXPR)",
		Short: "Add a job",
		Example: `  holdfast jobs add docs --action backup --repo nas --source ~/Documents --at 02:00 --keep-daily 7 --keep-weekly 4
  holdfast jobs add photos --action backup --repo nas --source ~/Pictures --every 6h --retries 3
  holdfast jobs add weekly-check --action check --repo nas --cron "30 3 * * sun"`,
		Args: oneName,
		RunE: func(cmd *cobra.Command, pos []string) error {
			args.Name = pos[0]
			args.Action = jobs.Action(action)
			sched, err := scheduleFlags(every, at, days, cron)
			if err != nil {
				return err
			}
			args.Schedule = sched
			args.Sources = absPaths(args.Sources)
			var info jobs.Info
			if _, err := a.op(cmd.Context(), jobs.OpAdd, args, nil, &info); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, info)
			}
			fmt.Fprintf(a.stdout, "Added job %s: %s, %s.\n", info.Name, jobWhat(info.Job), info.Description)
			if info.Paused {
				fmt.Fprintln(a.stdout, "It is paused: `holdfast jobs resume "+info.Name+"` lets it run.")
			}
			if len(info.NextRuns) > 0 {
				fmt.Fprintln(a.stdout, "Next runs:")
				for _, t := range info.NextRuns {
					fmt.Fprintf(a.stdout, "  %s\n", t.Local().Format("Mon 2006-01-02 15:04 MST"))
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&action, "action", "", "backup, check or verify")
	repoFlag(cmd, &args.Repo)
	f.StringArrayVar(&args.Sources, "source", nil, "a folder to back up (repeat for more)")
	f.StringVar(&every, "every", "", "run every DURATION (e.g. 30m, 6h, 2d; at least 1m)")
	f.StringVar(&at, "at", "", "run at HH:MM local time")
	f.StringVar(&days, "days", "", "with --at: on these days (mon,tue,... or mon-fri, weekdays, weekends)")
	f.StringVar(&cron, "cron", "", `run on a cron schedule ("MIN HOUR DOM MON DOW", or @daily, @hourly, @weekly...)`)
	f.IntVar(&args.Retention.KeepLast, "keep-last", 0, "after each backup, keep the N newest snapshots")
	f.IntVar(&args.Retention.KeepHourly, "keep-hourly", 0, "... and the newest of each of the last N hours")
	f.IntVar(&args.Retention.KeepDaily, "keep-daily", 0, "... of each of the last N days")
	f.IntVar(&args.Retention.KeepWeekly, "keep-weekly", 0, "... of each of the last N weeks")
	f.IntVar(&args.Retention.KeepMonthly, "keep-monthly", 0, "... of each of the last N months")
	f.IntVar(&args.Retention.KeepYearly, "keep-yearly", 0, "... of each of the last N years")
	f.BoolVar(&args.Retention.Prune, "prune", false, "also free the space forgotten snapshots used")
	f.IntVar(&args.Retries, "retries", 0, "retry a failed run up to N times (after 1m, 5m, 25m, ...)")
	f.StringVar(&args.OnInterrupted, "on-interrupted", jobs.OnInterruptedRerun, "when Holdfast stopped mid-run: rerun at once, or wait for the next time")
	f.BoolVar(&args.Paused, "paused", false, "add the job paused")
	f.BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

// scheduleFlags turns --every, --at/--days or --cron into a schedule.
func scheduleFlags(every, at, days, cron string) (string, error) {
	n := 0
	for _, v := range []string{every, at, cron} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return "", usageErr(fmt.Errorf("give exactly one of --every DURATION, --at HH:MM or --cron EXPR"))
	}
	if days != "" && at == "" {
		return "", usageErr(fmt.Errorf("--days goes with --at"))
	}
	switch {
	case every != "":
		return "every " + every, nil
	case at != "" && days != "":
		return "at " + at + " on " + days, nil
	case at != "":
		return "at " + at, nil
	}
	return "cron " + cron, nil
}

// jobWhat says what a job does, in a few words.
func jobWhat(j jobs.Job) string {
	switch j.Action {
	case jobs.ActionBackup:
		return fmt.Sprintf("back up %s into %s", strings.Join(j.Sources, ", "), j.Repo)
	case jobs.ActionVerify:
		return fmt.Sprintf("verify %s", j.Repo)
	}
	return fmt.Sprintf("%s %s", j.Action, j.Repo)
}

func (a *app) jobsListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the jobs, when they run next and how they last went",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.jobsList(cmd, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

func (a *app) jobsList(cmd *cobra.Command, asJSON bool) error {
	var res jobs.ListResult
	if _, err := a.op(cmd.Context(), jobs.OpList, struct{}{}, nil, &res); err != nil {
		return err
	}
	if asJSON {
		return printJSON(a.stdout, res)
	}
	if len(res.Jobs) == 0 {
		fmt.Fprintln(a.stdout, "No jobs yet. Add one with: holdfast jobs add NAME --action backup --repo NAME --source DIR --at 02:00")
		return nil
	}
	if res.PausedAll {
		fmt.Fprintln(a.stdout, "All schedules are paused (holdfast jobs resume --all).")
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tACTION\tREPO\tSCHEDULE\tNEXT RUN\tLAST RUN")
	now := time.Now()
	for _, j := range res.Jobs {
		next := "—"
		switch {
		case j.Paused:
			next = "paused"
		case res.PausedAll:
			next = "held"
		case j.RunningTask != "":
			next = "running (task " + j.RunningTask + ")"
		case j.NextRun != nil && !j.NextRun.After(now):
			next = "due now"
		case j.NextRun != nil:
			next = j.NextRun.Local().Format("Mon 01-02 15:04")
		}
		last := "never"
		if !j.LastRun.IsZero() {
			last = j.LastRun.Local().Format("Mon 01-02 15:04")
			if j.LastResult != "" {
				last += " " + j.LastResult
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", j.Name, j.Action, j.Repo, j.Description, next, last)
	}
	return tw.Flush()
}

func (a *app) jobsRemoveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a job (a run in progress finishes)",
		Args:  oneName,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if _, err := a.op(cmd.Context(), jobs.OpRemove, jobs.NameArgs{Name: pos[0]}, nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed job %s.\n", pos[0])
			return nil
		},
	}
}

func (a *app) jobsRunCommand() *cobra.Command {
	var noWait, asJSON bool
	var peer string
	cmd := &cobra.Command{
		Use:   "run NAME [--no-wait]",
		Short: "Run a job now, as a task, and wait for it",
		Long: `Run a job now, outside its schedule. The task ID is printed at once; the
command then waits and exits with the task's exit code (0 done, 1 failed,
3 done with problems found), unless --no-wait. With no engine running on the
home, the job runs in this process (and is always waited for).`,
		Args: oneName,
		RunE: func(cmd *cobra.Command, pos []string) error {
			var res jobs.RunResult
			found, err := a.opVia(cmd.Context(), peer, jobs.OpRun, jobs.NameArgs{Name: pos[0], Wait: !noWait}, &res)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(a.stdout, res); err != nil {
					return err
				}
				return finish(found)
			}
			switch {
			case res.State == "":
				fmt.Fprintf(a.stdout, "Job %s started as task %s.\n", res.Job, res.TaskID)
			case found:
				fmt.Fprintf(a.stdout, "Job %s (task %s) succeeded and found problems.\n", res.Job, res.TaskID)
			default:
				fmt.Fprintf(a.stdout, "Job %s (task %s) %s.\n", res.Job, res.TaskID, res.State)
			}
			return finish(found)
		},
	}
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "return once the task started")
	peerFlag(cmd.Flags(), &peer)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

func (a *app) jobsPauseCommand(pause bool) *cobra.Command {
	var all bool
	verb, op := "resume", jobs.OpResume
	short := "Let a paused job run again, or with --all every schedule"
	if pause {
		verb, op = "pause", jobs.OpPause
		short = "Pause a job, or with --all hold every schedule and pause running tasks"
	}
	cmd := &cobra.Command{
		Use:   verb + " NAME|--all",
		Short: short,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if all == (len(pos) == 1) || len(pos) > 1 {
				return usageErr(fmt.Errorf("%s: give one job NAME or --all", cmd.CommandPath()))
			}
			args := jobs.NameArgs{All: all}
			if !all {
				args.Name = pos[0]
			}
			if _, err := a.op(cmd.Context(), op, args, nil, nil); err != nil {
				return err
			}
			switch {
			case all && pause:
				fmt.Fprintln(a.stdout, "All schedules are paused, and running tasks with them.")
			case all:
				fmt.Fprintln(a.stdout, "Schedules run again; a run missed meanwhile runs once now.")
			case pause:
				fmt.Fprintf(a.stdout, "Job %s is paused.\n", args.Name)
			default:
				fmt.Fprintf(a.stdout, "Job %s runs again.\n", args.Name)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every schedule (and the running tasks)")
	return cmd
}
