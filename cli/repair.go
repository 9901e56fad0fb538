package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/consistency"
)

func (a *app) repairCommand() *cobra.Command {
	var args consistency.RepairArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "repair --repo DIR|NAME FOLDER [--from ID] [--missing] [--all] [--deep] [--apply]",
		Short: "Repair a folder from a snapshot (a plan unless --apply)",
		Long: `Without --apply, print the plan and change nothing. By default only corrupt
files are restored; --missing also restores missing ones; --all makes the
folder equal to the snapshot, moving new and changed files aside. Restores are
atomic, and every file replaced or moved goes byte for byte into
HOME/trash/<repair-id>/ first: undo with 'holdfast repair undo REPAIR-ID'.`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("repair takes one FOLDER, got %d", len(pos)))
			}
			args.Folder = absPaths(pos)[0]
			if args.From != "" {
				if ref, ok := consistency.ParseSnapshotRef(args.From); ok {
					args.From = ref.ID
				}
			}
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res consistency.RepairResult
			if _, err := a.op(cmd.Context(), consistency.OpRepair, args, secrets, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			w := a.stdout
			for _, st := range res.Steps {
				mark := ""
				switch {
				case st.Error != "":
					mark = "  FAILED: " + st.Error
				case st.Done:
					mark = "  done"
				}
				fmt.Fprintf(w, "%-10s %-9s %s%s\n", st.Action, st.Class, st.Path, mark)
			}
			switch {
			case len(res.Steps) == 0:
				fmt.Fprintf(w, "Nothing to repair in %s (%d differences left alone by the options).\n", res.Folder, res.Skipped)
			case !res.Applied:
				fmt.Fprintf(w, "Plan: %d steps from snapshot %s; %d differences left alone. Run again with --apply to carry it out.\n", len(res.Steps), short(res.Snapshot), res.Skipped)
			default:
				fmt.Fprintf(w, "Repair %s: %d steps, %d failed. Replaced and moved files are in %s; undo with: holdfast repair undo %s\n",
					res.ID, len(res.Steps), res.Failed, res.Trash, res.ID)
			}
			return nil
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().StringVar(&args.From, "from", "", "repair from this snapshot (snapshot:ID or ID) instead of the folder's latest")
	cmd.Flags().BoolVar(&args.Missing, "missing", false, "also restore missing files")
	cmd.Flags().BoolVar(&args.All, "all", false, "make the folder equal to the snapshot (new and changed files are moved aside)")
	cmd.Flags().BoolVar(&args.Deep, "deep", false, "read every file to find corruption")
	cmd.Flags().BoolVar(&args.Apply, "apply", false, "carry the plan out")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	undo := &cobra.Command{
		Use:   "undo REPAIR-ID",
		Short: "Put back everything a repair changed",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("repair undo takes one REPAIR-ID"))
			}
			var res consistency.UndoResult
			found, err := a.op(cmd.Context(), consistency.OpRepairUndo, consistency.UndoArgs{ID: pos[0]}, nil, &res)
			if err != nil {
				return err
			}
			return a.printUndo(res, found, asJSON)
		},
	}
	undo.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	cmd.AddCommand(undo)
	return cmd
}

func (a *app) printUndo(res consistency.UndoResult, found, asJSON bool) error {
	if asJSON {
		if err := printJSON(a.stdout, res); err != nil {
			return err
		}
		return finish(found)
	}
	for _, p := range res.Restored {
		fmt.Fprintf(a.stdout, "put back  %s\n", p)
	}
	for _, c := range res.Conflicts {
		fmt.Fprintf(a.stdout, "left      %s\n", c)
	}
	fmt.Fprintf(a.stdout, "%d put back, %d left alone.\n", len(res.Restored), len(res.Conflicts))
	return finish(found)
}
