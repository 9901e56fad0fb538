package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks"
)

// tasksCommand is `holdfast tasks`: the task list.
func (a *app) tasksCommand() *cobra.Command {
	var args tasks.ListArgs
	var state, peer string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tasks [--state STATE] [--kind KIND]",
		Short: "List the tasks: running, queued and the history",
		Long: `List the tasks of this home: backups, restores, checks and the other long
work, live ones as they are now and the finished ones of the full history
(see [tasks] history_days in config.toml). Through the running engine when
there is one, else from the stored history.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			args.State = tasks.State(state)
			if state != "" && !args.State.Valid() {
				return usageErr(fmt.Errorf("--state %q: use one of %s", state, stateNames()))
			}
			var list []tasks.Task
			if _, err := a.opVia(cmd.Context(), peer, tasks.OpList, args, &list); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "No tasks.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tSTATE\tSTARTED\tDURATION\tDESCRIPTION")
			now := time.Now()
			for _, t := range list {
				started := "-"
				if t.Started != nil {
					started = t.Started.Local().Format("2006-01-02 15:04:05")
				}
				dur := "-"
				if t.Started != nil {
					dur = roundDuration(t.Duration(now)).String()
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Kind, stateText(t), started, dur, t.Description)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "only tasks in STATE ("+stateNames()+")")
	cmd.Flags().StringVar(&args.Kind, "kind", "", "only tasks of KIND (backup, restore, check, forget…)")
	cmd.Flags().StringVar(&args.Job, "job", "", "only tasks started by the job NAME")
	peerFlag(cmd.Flags(), &peer)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

// roundDuration keeps a duration readable: tenths of a second under a
// minute, whole seconds above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}

func stateNames() string {
	names := make([]string, len(tasks.States))
	for i, s := range tasks.States {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// stateText is a task's state for a person: with its progress while it
// runs, and "with warnings" when it found problems.
func stateText(t tasks.Task) string {
	s := string(t.State)
	switch {
	case t.State == tasks.Running && t.Progress.Percent > 0:
		s += fmt.Sprintf(" %.0f%%", t.Progress.Percent)
	case t.State == tasks.Paused && !t.Held:
		s = "pausing"
	case t.State == tasks.Succeeded && len(t.Warnings) > 0:
		s += " with warnings"
	}
	return s
}

// taskCommand is `holdfast task show|pause|resume|cancel|retry|delete ID`.
func (a *app) taskCommand() *cobra.Command {
	task := &cobra.Command{
		Use:   "task",
		Short: "Show, pause, resume, cancel, retry or delete one task",
		Long: `Act on one task, by its ID (see 'holdfast tasks'). Pause and resume need the
running engine of the home (holdfast serve or the desktop app); a task run
by the CLI alone stops with Ctrl-C.`,
	}
	var asJSON bool
	withID := func(use, short, op string, done func(t tasks.Task)) *cobra.Command {
		cmd := &cobra.Command{
			Use:   use + " ID",
			Short: short,
			RunE: func(cmd *cobra.Command, pos []string) error {
				id, err := taskArg(use, pos)
				if err != nil {
					return err
				}
				var t tasks.Task
				if _, err := a.op(cmd.Context(), op, tasks.IDArgs{ID: id}, nil, &t); err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.stdout, t)
				}
				done(t)
				return nil
			},
		}
		cmd.Flags().BoolVar(&asJSON, "json", false, "print the task as one JSON document (see docs/json.md)")
		return cmd
	}
	show := withID("show", "Show a task in full: progress, warnings, error and log", tasks.OpShow, func(t tasks.Task) { printTask(a.stdout, t) })
	pause := withID("pause", "Pause a running task at its next checkpoint", tasks.OpPause, func(t tasks.Task) {
		fmt.Fprintf(a.stdout, "Task %d paused: %s\n", t.ID, t.Description)
	})
	resume := withID("resume", "Resume a paused task", tasks.OpResume, func(t tasks.Task) {
		fmt.Fprintf(a.stdout, "Task %d %s: %s\n", t.ID, t.State, t.Description)
	})
	cancel := withID("cancel", "Cancel a queued, running or paused task", tasks.OpCancel, func(t tasks.Task) {
		fmt.Fprintf(a.stdout, "Task %d %s: %s\n", t.ID, t.State, t.Description)
	})

	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Delete an ended task from the history",
		RunE: func(cmd *cobra.Command, pos []string) error {
			id, err := taskArg("delete", pos)
			if err != nil {
				return err
			}
			var res tasks.DeleteResult
			if _, err := a.op(cmd.Context(), tasks.OpDelete, tasks.IDArgs{ID: id}, nil, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			fmt.Fprintf(a.stdout, "Task %d deleted.\n", id)
			return nil
		},
	}
	del.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")

	var pw passwordFlags
	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Run an ended task again with the same inputs, as a new task",
		Long: `Run an ended task again with the same inputs, as a new task, and wait for it
like the original command (Ctrl-C cancels it). Passwords are never stored
with tasks: the remembered one is used, or give it again with
$HOLDFAST_PASSWORD or --password-file.`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			id, err := taskArg("retry", pos)
			if err != nil {
				return err
			}
			secrets, err := pw.secrets()
			if err != nil {
				return err
			}
			raw, _ := json.Marshal(tasks.IDArgs{ID: id})
			res, err := a.call(cmd.Context(), control.Request{Op: tasks.OpRetry, Args: raw, Secrets: secrets})
			if err != nil {
				return &exitError{code: control.ExitError, err: err}
			}
			if asJSON {
				data, err := res.JSON()
				if err != nil {
					return &exitError{code: control.ExitError, err: fmt.Errorf("encode the retry's result: %w", err)}
				}
				out := retryResult{TaskID: tasks.ID(res.TaskID), RetryOf: id, Exit: res.Exit, Error: res.Error, Result: data}
				if err := printJSON(a.stdout, out); err != nil {
					return err
				}
				return silentExit(res.Exit)
			}
			if res.Error != "" {
				return &exitError{code: max(res.Exit, control.ExitError), err: res.Err()}
			}
			what := "succeeded"
			if res.Exit == control.ExitFound {
				what = "succeeded with warnings (see 'holdfast task show " + tasks.ID(res.TaskID).String() + "')"
			}
			fmt.Fprintf(a.stdout, "Task %d (retry of %d) %s.\n", res.TaskID, id, what)
			return finish(res.Exit == control.ExitFound)
		},
	}
	retry.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(retry)

	task.AddCommand(show, pause, resume, cancel, retry, del)
	return task
}

// retryResult is what `task retry --json` prints.
type retryResult struct {
	TaskID  tasks.ID        `json:"task_id"`
	RetryOf tasks.ID        `json:"retry_of"`
	Exit    int             `json:"exit"`
	Error   string          `json:"error,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
}

func taskArg(verb string, pos []string) (tasks.ID, error) {
	if len(pos) != 1 {
		return 0, usageErr(fmt.Errorf("task %s takes one task ID", verb))
	}
	id, err := tasks.ParseID(pos[0])
	if err != nil {
		return 0, usageErr(fmt.Errorf("task %s: %w", verb, err))
	}
	return id, nil
}

// printTask writes a task's record for a person.
func printTask(w io.Writer, t tasks.Task) {
	line := func(k, format string, args ...any) { fmt.Fprintf(w, "%-12s %s\n", k+":", fmt.Sprintf(format, args...)) }
	line("Task", "%d", t.ID)
	line("Kind", "%s", t.Kind)
	line("Description", "%s", t.Description)
	line("State", "%s", stateText(t))
	if t.Job != "" {
		line("Job", "%s (attempt %d)", t.Job, t.Attempt)
	}
	if t.RetryOf != 0 {
		line("Retry of", "%d", t.RetryOf)
	}
	line("Created", "%s", t.Created.Local().Format(time.DateTime))
	if t.Started != nil {
		line("Started", "%s", t.Started.Local().Format(time.DateTime))
		line("Duration", "%s", roundDuration(t.Duration(time.Now())))
	}
	if t.Ended != nil {
		line("Ended", "%s (exit %d)", t.Ended.Local().Format(time.DateTime), t.Exit)
	}
	if len(t.Resources) > 0 {
		line("Locks", "%s", strings.Join(t.Resources, ", "))
	}
	p := t.Progress
	if p.Message != "" {
		line("Progress", "%s", p.Message)
	}
	if p.Percent > 0 {
		eta := ""
		if p.ETASeconds > 0 {
			eta = fmt.Sprintf(", about %s left", (time.Duration(p.ETASeconds) * time.Second).Round(time.Second))
		}
		line("Done", "%.1f%%%s", p.Percent, eta)
	}
	for _, c := range p.Counters {
		v := fmt.Sprintf("%d", c.Value)
		if c.Total > 0 {
			v += fmt.Sprintf(" of %d", c.Total)
		}
		if c.Unit != "" {
			v += " " + c.Unit
		}
		if c.Level != "" {
			v += " (" + c.Level + ")"
		}
		line("  "+c.Name, "%s", v)
	}
	if t.Size > 0 {
		line("Size", "%d bytes", t.Size)
	}
	for _, warn := range t.Warnings {
		line("Warning", "%s", warn)
	}
	if t.Error != "" {
		line("Error", "%s", t.Error)
	}
	if len(t.Log) > 0 {
		fmt.Fprintf(w, "Log (last %d lines):\n", len(t.Log))
		for _, l := range t.Log {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}
