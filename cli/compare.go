package cli

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/consistency"
)

// operand makes a folder operand absolute in the CLI's working directory;
// snapshot:ID[:PATH] is passed on as it is.
func operand(s string) string {
	if strings.HasPrefix(s, consistency.SnapshotPrefix) {
		return s
	}
	return absPaths([]string{s})[0]
}

func (a *app) compareCommand() *cobra.Command {
	var args consistency.CompareArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare A B [--repo DIR|NAME] [--json]",
		Short: "Compare two folders, or a folder with a snapshot (snapshot:ID[:PATH])",
		Long: `Compare two trees: folders, or snapshots named snapshot:ID[:PATH] (ID may be
"latest"; a snapshot operand needs --repo). Missing is in A and not in B,
extra is in B and not in A, modified differs in content, metadata in mode or
mtime only. Exit 0 when identical, 3 when they differ.`,
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 2 {
				return usageErr(fmt.Errorf("compare takes two operands A and B, got %d", len(pos)))
			}
			args.A, args.B = operand(pos[0]), operand(pos[1])
			var secrets map[string]string
			if args.Repo != "" {
				var err error
				if secrets, err = pw.forRepo(&args.RepoArgs); err != nil {
					return err
				}
			}
			var rep consistency.Report
			found, err := a.op(cmd.Context(), consistency.OpCompare, args, secrets, &rep)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(a.stdout, rep); err != nil {
					return err
				}
				return finish(found)
			}
			if err := printReport(a.stdout, &rep); err != nil {
				return err
			}
			return finish(found)
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().BoolVar(&args.ContentOnly, "content-only", false, "leave mtimes out: look only where content differs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

// printReport prints a comparison for a person: one line per difference,
// buffered, as a first index reports every file of A.
func printReport(w io.Writer, rep *consistency.Report) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	entry := func(tag string, e *consistency.Entry) {
		line = append(padTag(line[:0], tag), e.Path...)
		if len(e.Changes) > 0 {
			line = append(line, " ("...)
			for i, c := range e.Changes {
				if i > 0 {
					line = append(line, ", "...)
				}
				line = append(line, c...)
			}
			line = append(line, ')')
		}
		if e.CaseOf != "" {
			line = append(append(append(line, " (case-only rename of "...), e.CaseOf...), ')')
		}
		bw.Write(append(line, '\n'))
	}
	for i := range rep.Missing {
		entry("missing", &rep.Missing[i])
	}
	for i := range rep.Extra {
		entry("extra", &rep.Extra[i])
	}
	for i := range rep.Modified {
		entry("modified", &rep.Modified[i])
	}
	for i := range rep.Metadata {
		entry("metadata", &rep.Metadata[i])
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(bw, "%-9s %s (side %s): %s\n", "error", e.Path, e.Side, e.Error)
	}
	c := rep.Counts
	if rep.Identical() {
		fmt.Fprintf(bw, "Identical: %d entries (%s and %s).\n", c.Entries, rep.A, rep.B)
	} else {
		fmt.Fprintf(bw, "%d missing, %d extra, %d modified, %d metadata, %d errors; %d of %d entries identical (score %.2f).\n",
			c.Missing, c.Extra, c.Modified, c.Metadata, c.Errors, c.Identical, c.Entries, rep.Score)
	}
	return bw.Flush()
}

// padTag appends tag left-aligned in 9 columns and a space, as "%-9s ".
func padTag(b []byte, tag string) []byte {
	b = append(b, tag...)
	for n := len(tag); n < 9; n++ {
		b = append(b, ' ')
	}
	return append(b, ' ')
}
