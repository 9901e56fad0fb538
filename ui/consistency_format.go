package ui

// Words, colours and icons as the Consistency page shows them.

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/watch"
)

// Folder states, as the list shows them.
const (
	cnStateUpToDate    = "Up to date"
	cnStateScanning    = "Scanning"
	cnStateDrifted     = "Drifted"
	cnStateCorrupt     = "Corrupt"
	cnStateUnavailable = "Unavailable"
	cnStateIdle        = "Not watched now"
)

// cnFolderState is a folder's state in one word and its colour: the
// watcher's (scanning, unavailable) first, then its last check's.
func cnFolderState(f watch.FolderInfo, rec *consistency.CheckRecord) (string, statusKind) {
	switch {
	case f.Error != "":
		return cnStateUnavailable, statusError
	case !f.Watching:
		return cnStateIdle, statusNeutral
	case !f.Ready:
		return cnStateScanning, statusBusy
	case rec != nil && rec.Result == consistency.ResultCorrupt:
		return cnStateCorrupt, statusError
	case rec != nil && rec.Result == consistency.ResultDrifted:
		return cnStateDrifted, statusWarn
	}
	return cnStateUpToDate, statusOK
}

func cnImportance(k statusKind) widget.Importance {
	switch k {
	case statusOK:
		return widget.SuccessImportance
	case statusWarn:
		return widget.WarningImportance
	case statusError:
		return widget.DangerImportance
	case statusBusy:
		return widget.HighImportance
	}
	return widget.LowImportance
}

// cnFolderSize is "1,234 files · 3.2 MiB".
func cnFolderSize(f watch.FolderInfo) string {
	if f.Error != "" {
		return f.Error
	}
	if !f.Ready {
		if f.Watching {
			return "reading the folder for the first time"
		}
		return "watched while Holdfast runs"
	}
	s := fmt.Sprintf("%s file%s · %s", cnThousands(f.Files), plural(f.Files), backup.HumanBytes(f.Bytes))
	if f.Problems > 0 {
		s += fmt.Sprintf(" · %d unreadable", f.Problems)
	}
	return s
}

// cnLastCheck is "verified against demo 3 minutes ago: 2 corrupt · 99.5 %".
func cnLastCheck(rec *consistency.CheckRecord, now time.Time) string {
	if rec == nil {
		return "never checked"
	}
	verb := "verified against " + rec.Against
	if rec.Kind == "compare" {
		verb = "compared with " + cnOperand(rec.Against)
	}
	if rec.Deep {
		verb = "deep-" + verb
	}
	s := verb + " " + cnAgo(rec.Time, now)
	if rec.Result == consistency.ResultClean {
		return s + ": identical · 100 %"
	}
	return s + ": " + cnCountWords(rec.Counts) + " · " + cnScore(rec.Score)
}

func cnAgo(t, now time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	return humanDuration(d) + " ago"
}

// cnScore is a score as a percentage, two decimals only when needed.
func cnScore(s float64) string {
	if s == float64(int(s)) {
		return fmt.Sprintf("%.0f %%", s)
	}
	return fmt.Sprintf("%.2f %%", s)
}

// cnOperand names a compare operand briefly: a snapshot by its short ID,
// a folder by its path.
func cnOperand(s string) string {
	if ref, ok := consistency.ParseSnapshotRef(s); ok {
		out := "snapshot " + bkShort(ref.ID)
		if ref.Path != "" {
			out += " (" + ref.Path + ")"
		}
		return out
	}
	return s
}

// cnClassOrder lists the classes of both verify and compare, worst first.
var cnClassOrder = []string{"corrupt", "errors", "missing", "changed", "modified", "new", "extra", "metadata"}

// cnCountWords is "2 corrupt, 1 missing, 3 new".
func cnCountWords(counts map[string]int) string {
	var parts []string
	for _, c := range cnClassOrder {
		if n := counts[c]; n > 0 {
			w := c
			if c == "errors" {
				w = "unreadable"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, w))
		}
	}
	if len(parts) == 0 {
		return "nothing differs"
	}
	return strings.Join(parts, ", ")
}

// cnStatusLine answers "are my folders intact?". selected is the folder
// whose outcome the page shows ("" for none): when it is one that drifted,
// the line does not ask to select one.
func cnStatusLine(folders []watch.FolderInfo, checks map[string]consistency.CheckRecord, selected string, now time.Time) (statusKind, string) {
	if len(folders) == 0 {
		return statusNeutral, "No watched folders yet"
	}
	var corrupt, unavailable, drifted, scanning, never []string
	var newest time.Time
	shown := false // the selected folder is one that drifted
	for _, f := range folders {
		var rec *consistency.CheckRecord
		if r, ok := checks[f.Path]; ok {
			rec = &r
			if r.Time.After(newest) {
				newest = r.Time
			}
		}
		name := filepath.Base(f.Path)
		switch st, _ := cnFolderState(f, rec); st {
		case cnStateCorrupt:
			corrupt = append(corrupt, name)
		case cnStateUnavailable:
			unavailable = append(unavailable, name)
		case cnStateDrifted:
			drifted = append(drifted, name)
			shown = shown || f.Path == selected
		case cnStateScanning:
			scanning = append(scanning, name)
		}
		if rec == nil {
			never = append(never, name)
		}
	}
	switch {
	case len(corrupt) > 0:
		return statusError, "Corrupt files in " + bkFirst(corrupt, 3) + " — Repair puts the backup's version back"
	case len(unavailable) > 0:
		return statusError, "Cannot read " + bkFirst(unavailable, 3) + " — is the disk there?"
	case len(drifted) > 0:
		if len(drifted) == 1 {
			if shown {
				return statusWarn, drifted[0] + " differed at its last check"
			}
			return statusWarn, drifted[0] + " differed at its last check — select it to see what"
		}
		if shown {
			return statusWarn, cnAnd(drifted, 3) + " differed at their last checks"
		}
		return statusWarn, cnAnd(drifted, 3) + " differed at their last checks — select one to see what"
	case len(scanning) > 0:
		return statusBusy, "Reading " + bkFirst(scanning, 3) + " for the first time…"
	case len(never) == len(folders):
		return statusNeutral, fmt.Sprintf("%d folder%s watched, not checked yet — Verify compares a folder with its backup", len(folders), plural(len(folders)))
	case len(never) > 0:
		return statusWarn, fmt.Sprintf("%s never checked — Verify compares it with its backup", bkFirst(never, 3))
	}
	return statusOK, fmt.Sprintf("All %d watched folder%s matched at their last check · the latest %s", len(folders), plural(len(folders)), cnAgo(newest, now))
}

// cnClass is how one class of difference looks.
type cnClass struct {
	word string
	icon fyne.Resource
	imp  widget.Importance
	rank int // lower is worse
}

func cnClassOf(class string) cnClass {
	switch class {
	case "corrupt":
		return cnClass{"corrupt", theme.NewErrorThemedResource(theme.ErrorIcon()), widget.DangerImportance, 0}
	case "errors":
		return cnClass{"unreadable", theme.NewErrorThemedResource(theme.WarningIcon()), widget.DangerImportance, 1}
	case "missing":
		return cnClass{"missing", theme.NewWarningThemedResource(theme.ContentRemoveIcon()), widget.WarningImportance, 2}
	case "changed", "modified":
		return cnClass{class, theme.NewWarningThemedResource(theme.DocumentCreateIcon()), widget.WarningImportance, 3}
	case "new", "extra":
		return cnClass{class, theme.NewPrimaryThemedResource(theme.ContentAddIcon()), widget.HighImportance, 4}
	case "metadata":
		return cnClass{"metadata", theme.NewDisabledResource(theme.InfoIcon()), widget.LowImportance, 5}
	}
	return cnClass{class, theme.FolderIcon(), widget.MediumImportance, 9}
}

// cnThousands writes n with thin groups: 12 345.
func cnThousands(n int) string {
	s := fmt.Sprint(n)
	if len(s) <= 4 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cnEntryDetail says how an entry differs, in words. For a verify, side
// A is the snapshot and B the folder.
func cnEntryDetail(class string, e consistency.Entry, verify bool) string {
	switch class {
	case "corrupt":
		return "content differs while size and time match the backup: silent corruption"
	case "missing":
		if verify {
			return "in the backup, gone from the folder"
		}
		return "only in the first folder"
	case "new":
		return "not in the backup"
	case "extra":
		return "only in the other side"
	}
	var parts []string
	for _, ch := range e.Changes {
		switch {
		case ch == "size" && e.A != nil && e.B != nil:
			was, is := cnSizePair(e.A.Size, e.B.Size)
			parts = append(parts, "size "+was+", now "+is)
		case ch == "mode" && e.A != nil && e.B != nil:
			parts = append(parts, "mode "+e.A.Mode+", now "+e.B.Mode)
		case ch == "mtime" && e.A != nil && e.B != nil:
			was, is := cnTimePair(e.A.ModTime, e.B.ModTime)
			parts = append(parts, "modified "+was+", now "+is)
		case ch == "type" && e.A != nil && e.B != nil:
			parts = append(parts, e.A.Type+", now a "+e.B.Type)
		case ch == "content" && !contains(e.Changes, "size"):
			parts = append(parts, "content differs")
		case ch == "target":
			parts = append(parts, "link target differs")
		}
	}
	if class == "changed" && len(parts) > 0 {
		return "edited since the backup: " + strings.Join(parts, ", ")
	}
	if class == "changed" {
		return "edited since the backup"
	}
	return strings.Join(parts, ", ")
}

// cnStepWords describes a repair plan: "restores 2 files, moves 1 aside".
func cnStepWords(steps []consistency.PlanStep) (restore, aside, chmod, replaced int) {
	for _, st := range steps {
		switch st.Action {
		case "restore":
			restore++
			if st.Class != "missing" {
				replaced++
			}
		case "move-aside":
			aside++
		case "chmod":
			chmod++
		}
	}
	return
}

// cnAnd lists up to n names in words: "a", "a and b", "a, b and c",
// "a, b, c and 2 more".
func cnAnd(names []string, n int) string {
	switch {
	case len(names) > n:
		return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
	case len(names) <= 1:
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// cnSizePair writes two sizes that differ so that they read differently:
// in binary units, or in bytes where the units round them alike.
func cnSizePair(a, b int64) (string, string) {
	was, is := backup.HumanBytes(a), backup.HumanBytes(b)
	if was != is {
		return was, is
	}
	return cnThousands(int(a)) + " bytes", cnThousands(int(b)) + " bytes"
}

// cnTimePair writes two modification times that differ so that they read
// differently: to the minute, or to the second (and beyond) where minutes
// are alike.
func cnTimePair(a, b time.Time) (string, string) {
	for _, layout := range []string{"2 Jan 2006 15:04", "2 Jan 2006 15:04:05", "2 Jan 2006 15:04:05.000000000"} {
		was, is := a.Local().Format(layout), b.Local().Format(layout)
		if was != is {
			return was, is
		}
	}
	return a.Local().Format("2 Jan 2006 15:04"), b.Local().Format("2 Jan 2006 15:04")
}
