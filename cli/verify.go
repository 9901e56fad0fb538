package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/consistency"
)

func (a *app) verifyCommand() *cobra.Command {
	var args consistency.VerifyArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify --repo DIR|NAME FOLDER [--snapshot ID] [--deep] [--json]",
		Short: "Check a folder against its latest snapshot: changed, corrupt, missing, new",
		Long: `Compare a folder with its latest snapshot (or --snapshot ID) and classify each
difference: changed (edited since the backup: size or mtime differ), corrupt
(content differs while size and mtime match the snapshot), missing, new.

Without --deep only files whose size, times, inode or device changed since
they were last indexed are read; that catches anything rewritten through the
file system, even with its mtime put back. --deep reads every file and also
catches bit rot underneath the file system.

Exit 0 when nothing is corrupt, missing or unreadable, 3 otherwise.`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("verify takes one FOLDER, got %d", len(pos)))
			}
			args.Folder = absPaths(pos)[0]
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var v consistency.VerifyResult
			found, err := a.op(cmd.Context(), consistency.OpVerify, args, secrets, &v)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(a.stdout, v); err != nil {
					return err
				}
				return finish(found)
			}
			w := a.stdout
			for _, group := range []struct {
				class string
				es    []consistency.Entry
			}{{"corrupt", v.Corrupt}, {"missing", v.Missing}, {"changed", v.Changed}, {"new", v.New}, {"metadata", v.Metadata}} {
				for _, e := range group.es {
					fmt.Fprintf(w, "%-9s %s\n", group.class, e.Path)
				}
			}
			for _, e := range v.Errors {
				fmt.Fprintf(w, "%-9s %s: %s\n", "error", e.Path, e.Error)
			}
			c := v.Counts
			fmt.Fprintf(w, "%s against snapshot %s (%s): %d corrupt, %d missing, %d changed, %d new, %d unreadable; score %.2f.\n",
				v.Folder, short(v.Snapshot), v.SnapshotTime.Local().Format("2006-01-02 15:04"), c.Corrupt, c.Missing, c.Changed, c.New, c.Errors, v.Score)
			return finish(found)
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().StringVar(&args.Snapshot, "snapshot", "", "verify against this snapshot (ID, prefix or latest) instead of the folder's latest")
	cmd.Flags().BoolVar(&args.Deep, "deep", false, "read every file, to catch bit rot")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}
