// Package cli is Holdfast's command line: cobra commands that send each
// operation to the home's running engine over its control socket, or run it
// in-process when no engine runs, and print the result as text or JSON.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
)

// DesktopFunc runs the desktop app around an opened, not yet started,
// engine until the app quits or ctx ends. The cgo build provides it.
type DesktopFunc func(ctx context.Context, eng *engine.Engine) error

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: control.ExitUsage, err: err} }

// silentExit ends the command with code and no further message (the
// command printed what it had to say).
func silentExit(code int) error { return &exitError{code: code} }

// app is the state shared by the commands of one invocation.
type app struct {
	homeDir string
	desktop DesktopFunc
	stdout  io.Writer
	stderr  io.Writer
	// engineOpts are extra options for the engine a command runs.
	engineOpts engine.Options
	// lastTask is the task the last operation ran as, 0 if none.
	lastTask uint64
}

// Main runs the command line and returns the process exit code.
func Main(args []string, desktop DesktopFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, desktop, os.Stdout, os.Stderr)
}

func run(ctx context.Context, args []string, desktop DesktopFunc, stdout, stderr io.Writer) int {
	a := &app{desktop: desktop, stdout: stdout, stderr: stderr}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return control.ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "holdfast:", ee.err)
			if ee.code == control.ExitUsage {
				fmt.Fprintln(stderr, "Run 'holdfast --help' for usage.")
			}
		}
		return ee.code
	}
	// Whatever cobra itself rejects (unknown command, bad flag) is usage.
	fmt.Fprintln(stderr, "holdfast:", err)
	fmt.Fprintln(stderr, "Run 'holdfast --help' for usage.")
	return control.ExitUsage
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "holdfast",
		Short: "Keeps your machines healthy and your files safe",
		Long: `Holdfast watches this machine, backs folders up into encrypted repositories,
proves that folders still match their backups and their copies elsewhere,
and pairs with other Holdfast instances.

Run without a command to open the desktop app.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.desktop == nil {
				fmt.Fprintln(a.stderr, "This is the headless build of Holdfast: it has no desktop app. Use 'holdfast serve' to run the engine.")
				fmt.Fprintln(a.stderr)
				return cmd.Help()
			}
			return a.runDesktop(cmd.Context())
		},
	}
	root.PersistentFlags().StringVar(&a.homeDir, "home", "", "state directory (default $XDG_STATE_HOME/holdfast)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(a.serveCommand(), a.statusCommand(), a.versionCommand())
	root.AddCommand(a.backupCommands()...)
	root.AddCommand(a.metricsCommand(), a.alertsCommand())
	root.AddCommand(a.compareCommand(), a.verifyCommand(), a.watchCommand(), a.repairCommand(), a.trashCommand())
	root.AddCommand(a.topCommand())
	root.AddCommand(a.jobsCommand())
	root.AddCommand(a.tasksCommand(), a.taskCommand(), a.statsCommand())
	root.AddCommand(a.peerCommand())
	return root
}

// noArgs rejects positional arguments as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErr(fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args))
	}
	return nil
}

// absPaths makes paths absolute in the CLI's working directory, since the
// engine that runs the operation has its own.
func absPaths(in []string) []string {
	out := make([]string, len(in))
	for i, p := range in {
		if abs, err := filepath.Abs(p); err == nil {
			out[i] = abs
		} else {
			out[i] = p
		}
	}
	return out
}
