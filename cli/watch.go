package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/watch"
)

func (a *app) watchCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "watch add|remove|list",
		Short: "Watched folders: the running engine keeps their trees current",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr(fmt.Errorf("watch needs a subcommand: add, remove or list"))
		},
	}
	one := func(use, short, op string, print func(any)) *cobra.Command {
		var asJSON bool
		c := &cobra.Command{
			Use:   use,
			Short: short,
			RunE: func(cmd *cobra.Command, pos []string) error {
				if len(pos) != 1 {
					return usageErr(fmt.Errorf("%s takes one DIR", cmd.CommandPath()))
				}
				var out any
				if op == watch.OpAdd {
					out = &watch.FolderInfo{}
				} else {
					out = &map[string]string{}
				}
				if _, err := a.op(cmd.Context(), op, watch.Args{Path: absPaths(pos)[0]}, nil, out); err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.stdout, out)
				}
				print(out)
				return nil
			},
		}
		c.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
		return c
	}
	add := one("add DIR", "Watch a folder", watch.OpAdd, func(v any) {
		fi := v.(*watch.FolderInfo)
		if fi.Watching {
			fmt.Fprintf(a.stdout, "Watching %s.\n", fi.Path)
		} else {
			fmt.Fprintf(a.stdout, "%s will be watched while the engine runs (holdfast serve or the desktop app).\n", fi.Path)
		}
	})
	remove := one("remove DIR", "Stop watching a folder", watch.OpRemove, func(v any) {
		fmt.Fprintf(a.stdout, "No longer watching %s.\n", (*v.(*map[string]string))["removed"])
	})
	var asJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List the watched folders",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res []watch.FolderInfo
			if _, err := a.op(cmd.Context(), watch.OpList, struct{}{}, nil, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			if len(res) == 0 {
				fmt.Fprintln(a.stdout, "No watched folders. Add one with: holdfast watch add DIR")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PATH\tSTATE\tFILES\tDIRS\tPROBLEMS")
			for _, f := range res {
				state := "not running"
				switch {
				case f.Error != "":
					state = "error: " + f.Error
				case f.Ready:
					state = "current"
				case f.Watching:
					state = "scanning"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", f.Path, state, f.Files, f.Dirs, f.Problems)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	cmd.AddCommand(add, remove, list)
	return cmd
}
