package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/version"
)

func (a *app) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			info := version.Get(a.desktop != nil)
			info.Compressor = repo.CompressorName()
			if asJSON {
				return printJSON(a.stdout, info)
			}
			fmt.Fprintln(a.stdout, info.String())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}
