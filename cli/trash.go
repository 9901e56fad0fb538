package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
)

func (a *app) trashCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trash list|restore|empty",
		Short: "The files repairs replaced or moved aside",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr(fmt.Errorf("trash needs a subcommand: list, restore or empty"))
		},
	}
	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the repairs in the trash",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res []consistency.TrashEntry
			if _, err := a.op(cmd.Context(), consistency.OpTrashList, struct{}{}, nil, &res); err != nil {
				return err
			}
			if listJSON {
				return printJSON(a.stdout, res)
			}
			if len(res) == 0 {
				fmt.Fprintln(a.stdout, "The trash is empty.")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REPAIR\tTIME\tFOLDER\tITEMS\tIN TRASH\tSTATE")
			for _, e := range res {
				state := "applied"
				if e.Undone != nil {
					state = "undone"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d files, %s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04"), e.Folder, e.Items, e.Files, backup.HumanBytes(e.Bytes), state)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print one JSON document (see docs/json.md)")

	var restoreJSON bool
	restore := &cobra.Command{
		Use:   "restore REPAIR-ID [PATH...]",
		Short: "Put trashed files back where they were, when their place is free",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) < 1 {
				return usageErr(fmt.Errorf("trash restore takes a REPAIR-ID and optionally relative PATHs"))
			}
			var res consistency.UndoResult
			found, err := a.op(cmd.Context(), consistency.OpTrashRestore, consistency.TrashRestoreArgs{ID: pos[0], Paths: pos[1:]}, nil, &res)
			if err != nil {
				return err
			}
			return a.printUndo(res, found, restoreJSON)
		},
	}
	restore.Flags().BoolVar(&restoreJSON, "json", false, "print one JSON document (see docs/json.md)")

	var emptyArgs consistency.TrashEmptyArgs
	var emptyJSON bool
	empty := &cobra.Command{
		Use:   "empty [--older-than D]",
		Short: "Delete repairs from the trash (for good)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res consistency.TrashEmptyResult
			if _, err := a.op(cmd.Context(), consistency.OpTrashEmpty, emptyArgs, nil, &res); err != nil {
				return err
			}
			if emptyJSON {
				return printJSON(a.stdout, res)
			}
			fmt.Fprintf(a.stdout, "Removed %d repairs (%s) from the trash.\n", len(res.Removed), backup.HumanBytes(res.Bytes))
			return nil
		},
	}
	empty.Flags().StringVar(&emptyArgs.OlderThan, "older-than", "", "only repairs older than D (30d, 12h, 90m)")
	empty.Flags().BoolVar(&emptyJSON, "json", false, "print one JSON document (see docs/json.md)")
	cmd.AddCommand(list, restore, empty)
	return cmd
}
