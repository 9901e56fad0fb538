package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/backup"
)

// repoFlag adds --repo DIR|NAME.
func repoFlag(cmd *cobra.Command, into *string) {
	cmd.Flags().StringVarP(into, "repo", "r", "", "repository: a directory, or the name of one this home knows")
}

// requireRepo checks --repo was given and records its absolute form, for
// when it is a directory rather than a known repository's name.
func requireRepo(r *backup.RepoArgs) error {
	if r.Repo == "" {
		return usageErr(fmt.Errorf("--repo DIR|NAME is required"))
	}
	r.RepoAbs = absPaths([]string{r.Repo})[0]
	return nil
}

func (a *app) backupCommands() []*cobra.Command {
	return []*cobra.Command{a.initCommand(), a.reposCommand(), a.backupCommand(), a.snapshotsCommand(),
		a.lsCommand(), a.diffCommand(), a.restoreCommand(), a.forgetCommand(), a.checkCommand(), a.keyCommand()}
}

func (a *app) initCommand() *cobra.Command {
	var args backup.InitArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "init --repo DIR [--name NAME] [--remember]",
		Short: "Create an encrypted repository",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			if secrets == nil {
				return usageErr(fmt.Errorf("init needs a password: set HOLDFAST_PASSWORD or --password-file"))
			}
			var res backup.InitResult
			if _, err := a.op(cmd.Context(), backup.OpInit, args, secrets, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			fmt.Fprintf(a.stdout, "Created repository %s at %s (%s).\n", res.ID[:12], res.Path, res.Cipher)
			if res.Name != "" {
				fmt.Fprintf(a.stdout, "This home knows it as %q: use --repo %s.\n", res.Name, res.Name)
			}
			switch res.Password {
			case "keyring":
				fmt.Fprintln(a.stdout, "Its password is remembered in the OS keyring, for scheduled and unattended work.")
			case "file":
				fmt.Fprintln(a.stdout, "Its password is remembered in a private file (mode 0600) inside the home, because no OS keyring answered.")
			}
			fmt.Fprintln(a.stdout, "Keep the password safe: without it the backups cannot be read, by anyone.")
			return nil
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().StringVar(&args.Name, "name", "", "remember the repository in this home under NAME")
	cmd.Flags().BoolVar(&args.Remember, "remember", false, "also remember its password (needs --name)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

func (a *app) reposCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "repos",
		Short: "List the repositories this home knows",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var res []backup.RepoInfo
			if _, err := a.op(cmd.Context(), backup.OpRepos, struct{}{}, nil, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			if len(res) == 0 {
				fmt.Fprintln(a.stdout, "No repositories yet. Create one with: holdfast init --repo DIR --name NAME")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPATH\tID\tPASSWORD")
			for _, r := range res {
				where := r.Password
				if where == "" {
					where = "not remembered"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Path, short(r.ID), where)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	return cmd
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func (a *app) backupCommand() *cobra.Command {
	var args backup.BackupArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "backup --repo DIR|NAME [--tag T]... [--exclude PATTERN]... PATH...",
		Short: "Back folders up into a new snapshot",
		RunE: func(cmd *cobra.Command, paths []string) error {
			if len(paths) == 0 {
				return usageErr(fmt.Errorf("name at least one PATH to back up"))
			}
			args.Paths = absPaths(paths)
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var sum backup.BackupSummary
			found, err := a.op(cmd.Context(), backup.OpBackup, args, secrets, &sum)
			if err != nil {
				return err
			}
			if asJSON {
				raw, err := json.Marshal(a.withTaskID(sum))
				if err != nil {
					return err
				}
				fmt.Fprintln(a.stdout, string(raw))
				return finish(found)
			}
			w := a.stdout
			fmt.Fprintf(w, "Files:       %d new, %d changed, %d unmodified\n", sum.FilesNew, sum.FilesChanged, sum.FilesUnmodified)
			fmt.Fprintf(w, "Directories: %d new, %d changed, %d unmodified\n", sum.DirsNew, sum.DirsChanged, sum.DirsUnmodified)
			fmt.Fprintf(w, "Added:       %s (%s stored)\n", backup.HumanBytes(sum.DataAdded), backup.HumanBytes(sum.DataAddedStored))
			fmt.Fprintf(w, "Processed:   %d files, %s in %s\n", sum.TotalFiles, backup.HumanBytes(sum.TotalBytes), seconds(sum.DurationSeconds))
			fmt.Fprintf(w, "Snapshot %s saved\n", short(sum.SnapshotID))
			for _, c := range sum.Changed {
				fmt.Fprintf(a.stderr, "warning: %s changed while it was read\n", c)
			}
			for _, e := range sum.Errors {
				fmt.Fprintf(a.stderr, "error: %s (left out of the snapshot)\n", e)
			}
			return finish(found)
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().StringArrayVar(&args.Tags, "tag", nil, "tag the snapshot (repeatable)")
	cmd.Flags().StringArrayVar(&args.Excludes, "exclude", nil, "skip files and directories matching PATTERN (a glob on the name or the full path; repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as one line of JSON")
	pw.add(cmd)
	return cmd
}

func seconds(s float64) string {
	return (time.Duration(s*1000) * time.Millisecond).String()
}

func (a *app) snapshotsCommand() *cobra.Command {
	var args backup.SnapshotsArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "snapshots --repo DIR|NAME",
		Short: "List the snapshots in a repository",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res []backup.SnapshotInfo
			if _, err := a.op(cmd.Context(), backup.OpSnapshots, args, secrets, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTIME\tHOST\tTAGS\tFILES\tSIZE\tPATHS")
			for _, s := range res {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", s.ShortID, s.Time.Local().Format("2006-01-02 15:04:05"), s.Hostname,
					strings.Join(s.Tags, ","), s.Files, backup.HumanBytes(s.Bytes), strings.Join(s.Paths, " "))
			}
			fmt.Fprintf(tw, "%d snapshots\n", len(res))
			return tw.Flush()
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

func (a *app) lsCommand() *cobra.Command {
	var args backup.LsArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls --repo DIR|NAME SNAPSHOT [PATH]",
		Short: "List the files in a snapshot",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) < 1 || len(pos) > 2 {
				return usageErr(fmt.Errorf("ls takes SNAPSHOT and an optional PATH"))
			}
			args.Snapshot = pos[0]
			if len(pos) == 2 {
				args.Path = pos[1]
			}
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res backup.LsResult
			if _, err := a.op(cmd.Context(), backup.OpLs, args, secrets, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			for _, e := range res.Entries {
				line := fmt.Sprintf("%s %10d %s %s", e.Mode, e.Size, e.ModTime.Local().Format("2006-01-02 15:04"), e.Path)
				if e.Target != "" {
					line += " -> " + e.Target
				}
				fmt.Fprintln(a.stdout, line)
			}
			return nil
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().BoolVarP(&args.Recursive, "recursive", "R", false, "list everything below PATH")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

func (a *app) diffCommand() *cobra.Command {
	var args backup.DiffArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff --repo DIR|NAME SNAPSHOT1 SNAPSHOT2",
		Short: "Show what changed between two snapshots (exit 3 when they differ)",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 2 {
				return usageErr(fmt.Errorf("diff takes two snapshots"))
			}
			args.A, args.B = pos[0], pos[1]
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res backup.DiffResult
			found, err := a.op(cmd.Context(), backup.OpDiff, args, secrets, &res)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(a.stdout, res); err != nil {
					return err
				}
				return finish(found)
			}
			for _, g := range []struct {
				mark    string
				entries []backup.Entry
			}{{"+", res.Added}, {"-", res.Removed}, {"M", res.Modified}, {"U", res.Metadata}} {
				for _, e := range g.entries {
					fmt.Fprintf(a.stdout, "%s %s\n", g.mark, e.Path)
				}
			}
			fmt.Fprintf(a.stdout, "%d added, %d removed, %d modified, %d with changed metadata\n",
				len(res.Added), len(res.Removed), len(res.Modified), len(res.Metadata))
			return finish(found)
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

func (a *app) restoreCommand() *cobra.Command {
	var args backup.RestoreArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "restore --repo DIR|NAME SNAPSHOT|latest --target DIR [--include PATTERN]... [--verify]",
		Short: "Restore a snapshot into a directory",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("restore takes one SNAPSHOT (an ID, a prefix, or latest)"))
			}
			if args.Target == "" {
				return usageErr(fmt.Errorf("--target DIR is required"))
			}
			args.Snapshot = pos[0]
			args.Target = absPaths([]string{args.Target})[0]
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res backup.RestoreSummary
			found, err := a.op(cmd.Context(), backup.OpRestore, args, secrets, &res)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(a.stdout, a.withTaskID(res)); err != nil {
					return err
				}
				return finish(found)
			}
			fmt.Fprintf(a.stdout, "Restored %d files (%s), %d directories and %d symlinks into %s in %s\n",
				res.Files, backup.HumanBytes(res.Bytes), res.Dirs, res.Symlinks, res.Target, seconds(res.DurationSeconds))
			if res.Skipped > 0 {
				fmt.Fprintf(a.stdout, "%d already present and identical, left as they were\n", res.Skipped)
			}
			if args.Verify {
				fmt.Fprintf(a.stdout, "Verified %d files against the snapshot\n", res.Verified)
			}
			for _, c := range res.Conflicts {
				fmt.Fprintf(a.stderr, "conflict: %s\n", c)
			}
			for _, e := range res.Errors {
				fmt.Fprintf(a.stderr, "error: %s\n", e)
			}
			return finish(found)
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().StringVarP(&args.Target, "target", "t", "", "directory to restore into")
	cmd.Flags().StringArrayVar(&args.Includes, "include", nil, "restore only paths matching PATTERN (repeatable)")
	cmd.Flags().BoolVar(&args.Verify, "verify", false, "read every restored file again and compare it with the snapshot")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

func (a *app) forgetCommand() *cobra.Command {
	var args backup.ForgetArgs
	var pw passwordFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "forget --repo DIR|NAME [--keep-last N] [--keep-daily N] ... [--prune] [--dry-run]",
		Short: "Remove snapshots by a retention policy, and unused data with --prune",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res backup.ForgetResult
			if _, err := a.op(cmd.Context(), backup.OpForget, args, secrets, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, a.withTaskID(res))
			}
			verb := "removed"
			if res.DryRun {
				verb = "would remove"
			}
			if res.Policy != "" {
				fmt.Fprintf(a.stdout, "Policy: %s\n", res.Policy)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			for _, d := range res.Decisions {
				fate := "remove"
				if d.Keep {
					fate = "keep"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", short(d.ID), d.Time.Local().Format("2006-01-02 15:04"), fate, strings.Join(d.Reasons, ", "))
			}
			tw.Flush()
			fmt.Fprintf(a.stdout, "%s %d snapshots\n", verb, res.Removed)
			if p := res.Prune; p != nil {
				fmt.Fprintf(a.stdout, "prune: %s %d packs, rewrote %d into %d, freed %s (%d unreferenced packs)\n", verb,
					p.PacksRemoved, p.PacksRepacked, p.PacksWritten, backup.HumanBytes(p.BytesFreed), p.UnreferencedPacks)
			}
			return nil
		},
	}
	repoFlag(cmd, &args.Repo)
	f := cmd.Flags()
	f.IntVar(&args.KeepLast, "keep-last", 0, "keep the N newest snapshots")
	f.IntVar(&args.KeepHourly, "keep-hourly", 0, "keep the newest snapshot of each of the last N hours with one")
	f.IntVar(&args.KeepDaily, "keep-daily", 0, "… of each of the last N days")
	f.IntVar(&args.KeepWeekly, "keep-weekly", 0, "… of each of the last N weeks")
	f.IntVar(&args.KeepMonthly, "keep-monthly", 0, "… of each of the last N months")
	f.IntVar(&args.KeepYearly, "keep-yearly", 0, "… of each of the last N years")
	f.StringVar(&args.KeepWithin, "keep-within", "", "keep every snapshot within DURATION of the newest (e.g. 7d, 1y2m)")
	f.BoolVar(&args.Prune, "prune", false, "then remove the data no snapshot uses")
	f.BoolVar(&args.DryRun, "dry-run", false, "only say what would be removed")
	f.BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

func (a *app) checkCommand() *cobra.Command {
	var args backup.CheckArgs
	var pw passwordFlags
	var asJSON bool
	var subset string
	cmd := &cobra.Command{
		Use:   "check --repo DIR|NAME [--read-data | --read-data-subset N%]",
		Short: "Prove a repository intact (exit 3 when damage is found)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if subset != "" {
				if args.ReadData {
					return usageErr(fmt.Errorf("--read-data and --read-data-subset exclude each other"))
				}
				var pct float64
				if _, err := fmt.Sscanf(strings.TrimSuffix(subset, "%"), "%g", &pct); err != nil || pct <= 0 || pct > 100 {
					return usageErr(fmt.Errorf("--read-data-subset %q: give a percentage between 0 and 100, like 10%%", subset))
				}
				args.ReadDataSubset = pct
			}
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res backup.CheckResult
			found, err := a.op(cmd.Context(), backup.OpCheck, args, secrets, &res)
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(a.stdout, a.withTaskID(res)); err != nil {
					return err
				}
				return finish(found)
			}
			w := a.stdout
			fmt.Fprintf(w, "%d snapshots, %d packs, %d blobs checked", res.Snapshots, res.Packs, res.Blobs)
			if res.PacksRead > 0 {
				fmt.Fprintf(w, "; %d packs (%s) read and verified", res.PacksRead, backup.HumanBytes(res.BytesRead))
			}
			fmt.Fprintln(w)
			if n := len(res.UnreferencedPacks); n > 0 {
				fmt.Fprintf(w, "%d unreferenced packs (left by an interrupted backup; harmless, 'forget --prune' removes them)\n", n)
			}
			for _, p := range res.DamagedPacks {
				fmt.Fprintf(w, "damaged pack: %s\n", p)
			}
			for _, s := range res.AffectedSnapshots {
				fmt.Fprintf(w, "affected snapshot: %s\n", s)
			}
			for _, f := range res.AffectedFiles {
				fmt.Fprintf(w, "affected file: %s\n", f)
			}
			for _, e := range res.Errors {
				fmt.Fprintf(a.stderr, "error: %s\n", e)
			}
			if res.Sound {
				fmt.Fprintln(w, "No damage found.")
			} else {
				fmt.Fprintln(w, "Damage found: the files above cannot be restored from the snapshots named.")
			}
			return finish(found)
		},
	}
	repoFlag(cmd, &args.Repo)
	cmd.Flags().BoolVar(&args.ReadData, "read-data", false, "read and verify every pack")
	cmd.Flags().StringVar(&subset, "read-data-subset", "", "read and verify a random N% of the packs")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	pw.add(cmd)
	return cmd
}

func (a *app) keyCommand() *cobra.Command {
	key := &cobra.Command{Use: "key", Short: "Manage the passwords that open a repository"}
	var args backup.KeyArgs
	var pw passwordFlags
	var newFile string
	var asJSON bool
	add := &cobra.Command{
		Use:   "add --repo DIR|NAME",
		Short: "Add a password (the new one from $HOLDFAST_NEW_PASSWORD or --new-password-file)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			newPW, ok, err := readSecret(newFile, "HOLDFAST_NEW_PASSWORD")
			if err != nil {
				return err
			}
			if !ok {
				return usageErr(fmt.Errorf("key add needs the new password: set HOLDFAST_NEW_PASSWORD or --new-password-file"))
			}
			if secrets == nil {
				secrets = map[string]string{}
			}
			secrets["new_password"] = newPW
			var res map[string]string
			if _, err := a.op(cmd.Context(), backup.OpKeyAdd, args, secrets, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			fmt.Fprintf(a.stdout, "Added key %s\n", res["id"])
			return nil
		},
	}
	add.Flags().StringVar(&newFile, "new-password-file", "", "read the new password from FILE")
	list := &cobra.Command{
		Use:   "list --repo DIR|NAME",
		Short: "List the keys",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			var res []backup.KeyInfo
			if _, err := a.op(cmd.Context(), backup.OpKeyList, args, secrets, &res); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, res)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, " \tID\tUSER\tHOST\tCREATED")
			for _, k := range res {
				cur := " "
				if k.Current {
					cur = "*"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", cur, k.ID, k.Username, k.Hostname, k.Created.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	remove := &cobra.Command{
		Use:   "remove --repo DIR|NAME KEY-ID",
		Short: "Remove a key (not the last one, nor the one in use)",
		RunE: func(cmd *cobra.Command, pos []string) error {
			if len(pos) != 1 {
				return usageErr(fmt.Errorf("key remove takes one KEY-ID"))
			}
			args.KeyID = pos[0]
			secrets, err := pw.forRepo(&args.RepoArgs)
			if err != nil {
				return err
			}
			if _, err := a.op(cmd.Context(), backup.OpKeyRemove, args, secrets, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Removed key %s\n", args.KeyID)
			return nil
		},
	}
	for _, c := range []*cobra.Command{add, list, remove} {
		repoFlag(c, &args.Repo)
		pw.add(c)
		c.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
		key.AddCommand(c)
	}
	return key
}
