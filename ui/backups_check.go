package ui

// The check dialog of the Backups page: a quick check of a repository's
// structure, or reading all of its data back; then progress and what was
// found, in the same dialog.

import (
	"context"
	"fmt"
	"image/color"
	"regexp"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

// The two kinds of check the dialog offers.
const (
	checkQuick = "Quick check (structure)"
	checkFull  = "Read all data"
)

// checkForm is the check dialog of one repository. While a check runs it
// outlives its dialog: the dialog can be hidden, and the repository's
// Check… button shows it again, with the outcome once there is one.
type checkForm struct {
	p    *backupsPage
	repo string

	what    *widget.RadioGroup
	hint    *widget.Label
	bar     *widget.ProgressBar
	status  *widget.Label
	verdict *widget.Label
	counts  *widget.Label
	list    *widget.List // what is damaged, when something is
	listBox fyne.CanvasObject
	next    *widget.Label
	unref   *widget.Label
	run     *widget.Button
	close   *widget.Button
	hide    *widget.Button

	cancel   context.CancelFunc
	running  bool
	stopped  bool // by its Stop button
	done     bool
	progress string // the latest progress, in words
	result   backup.CheckResult
	exit     int
	err      error
	problems []string // the lines of list

	dlg     *dialog.CustomDialog // nil while not shown
	box     *fyne.Container
	content fyne.CanvasObject
}

func (p *backupsPage) newCheckForm(repoName string) *checkForm {
	f := &checkForm{p: p, repo: repoName}
	intro := bkWrapped("A check proves that the snapshots in " + repoName + " can be restored: that nothing " +
		"they need is missing or damaged. Backups can go on while it runs.")
	f.hint = bkWrapped("")
	f.hint.Importance = widget.LowImportance
	f.what = widget.NewRadioGroup([]string{checkQuick, checkFull}, nil)
	f.what.Required = true
	f.what.SetSelected(checkQuick)
	f.what.OnChanged = func(string) { f.updateHint() }
	f.bar = widget.NewProgressBar()
	f.bar.Max = 1
	f.bar.Hide()
	f.status = bkWrapped("")
	f.status.Hide()
	f.verdict = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.verdict.Wrapping = fyne.TextWrapWord
	f.verdict.Hide()
	f.counts = bkWrapped("")
	f.counts.Hide()
	f.list = widget.NewList(func() int { return len(f.problems) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(f.problems) {
				o.(*widget.Label).SetText(f.problems[id])
			}
		})
	size := canvas.NewRectangle(color.Transparent)
	size.SetMinSize(fyne.NewSize(0, 150))
	f.listBox = container.NewStack(size, f.list)
	f.listBox.Hide()
	f.next = bkWrapped("")
	f.next.Hide()
	f.unref = bkWrapped("")
	f.unref.Hide()
	f.run = widget.NewButtonWithIcon("Check", theme.SearchIcon(), f.start)
	f.run.Importance = widget.HighImportance
	f.close = widget.NewButton("Cancel", func() {
		if f.running {
			f.stopped = true
			f.cancel()
			f.status.SetText("Stopping the check…")
			return
		}
		f.dismiss()
	})
	f.hide = widget.NewButton("Hide", f.dismiss)
	f.box = container.NewVBox(intro, f.what, f.hint, f.bar, f.status, f.verdict, f.counts, f.listBox, f.next, f.unref)
	f.content = bkWidth(600, f.box)
	f.updateHint()
	return f
}

// updateHint says what the chosen kind of check does and costs.
func (f *checkForm) updateHint() {
	f.hint.Show()
	if f.what.Selected == checkFull {
		size := "every pack"
		if h := f.p.stat(f.repo).health; h != nil && h.SizeBytes > 0 {
			size = "all " + backup.HumanBytes(h.SizeBytes)
		}
		f.hint.SetText("Also reads " + size + " back from the disk and verifies every byte, to catch data the disk " +
			"damaged silently. Takes as long as reading that much.")
	} else {
		f.hint.SetText("Proves that every snapshot's folders and files are indexed and that the packs holding " +
			"them are there. Takes seconds; reads no file contents.")
	}
	f.relayout()
}

// showCheck opens the check dialog of a repository, or shows again the
// one that runs or has news.
func (p *backupsPage) showCheck(name string) {
	f := p.checks[name]
	if f == nil {
		f = p.newCheckForm(name)
		p.checks[name] = f
	}
	if f.dlg != nil {
		return
	}
	f.dlg = dialog.NewCustomWithoutButtons("Check "+name, f.content, p.s.win)
	f.dlg.SetOnClosed(func() {
		f.dlg = nil
		if !f.running && p.checks[name] == f {
			delete(p.checks, name) // its outcome was seen
		}
	})
	if !f.done {
		f.updateHint() // the size to read may be known by now
	}
	f.setButtons()
	f.dlg.Show()
}

// dismiss hides the dialog; a running check goes on.
func (f *checkForm) dismiss() {
	if f.dlg != nil {
		f.dlg.Hide()
	}
}

// setButtons shows the buttons that fit the state: before, while and
// after a check.
func (f *checkForm) setButtons() {
	switch {
	case f.running:
		f.close.SetText("Stop")
	case f.done:
		f.close.SetText("Close")
	default:
		f.close.SetText("Cancel")
	}
	if f.dlg == nil {
		return
	}
	if f.running {
		f.dlg.SetButtons([]fyne.CanvasObject{f.close, f.hide, f.run})
	} else {
		f.dlg.SetButtons([]fyne.CanvasObject{f.close, f.run})
	}
}

// relayout fits the dialog to what it shows now, in the middle of the
// window.
func (f *checkForm) relayout() {
	f.box.Refresh()
	if f.dlg == nil {
		return
	}
	f.dlg.Resize(f.dlg.MinSize())
	f.dlg.Refresh()
	if top := f.p.s.win.Canvas().Overlays().Top(); top != nil {
		top.Refresh() // centres the dialog again
	}
}

// progressWords is what the repository's row says while the check runs.
func (f *checkForm) progressWords() string {
	if f.progress == "" {
		return "checking…"
	}
	return "checking: " + f.progress
}

// start runs the check the form describes. The dialog's Check button
// calls it.
func (f *checkForm) start() {
	if f.running {
		return
	}
	p := f.p
	p.checks[f.repo] = f
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.running, f.stopped, f.done, f.progress = cancel, true, false, false, ""
	f.what.Disable()
	f.run.Disable()
	for _, o := range []fyne.CanvasObject{f.verdict, f.counts, f.listBox, f.next, f.unref} {
		o.Hide()
	}
	f.bar.SetValue(0)
	f.bar.Show()
	f.status.Importance = widget.MediumImportance
	f.status.SetText("Opening the repository…")
	f.status.Show()
	f.setButtons()
	f.relayout()
	p.refreshRepos()
	p.startCheck(ctx, f.repo, f.what.Selected == checkFull, func(pr control.Progress) {
		if pr.Total > 0 {
			f.bar.SetValue(float64(pr.Done) / float64(pr.Total))
		}
		if msg := strings.TrimPrefix(pr.Message, "check: "); msg != "" {
			f.progress = msg
			f.status.SetText(bkCapital(msg))
			p.repoList.Refresh()
		}
	}, func(res backup.CheckResult, exit int, err error) {
		cancel()
		f.finished(res, exit, err)
	})
}

// finished shows what the check found.
func (f *checkForm) finished(res backup.CheckResult, exit int, err error) {
	f.running, f.done = false, true
	f.result, f.exit, f.err = res, exit, err
	f.bar.Hide()
	f.what.Enable()
	f.run.SetText("Check again")
	f.run.Importance = widget.MediumImportance
	f.run.Enable()
	f.setButtons()
	defer f.p.refreshRepos()
	defer f.relayout()
	switch {
	case err != nil && f.stopped:
		f.status.Importance = widget.MediumImportance
		f.status.SetText("The check was stopped before it finished.")
		return
	case err != nil:
		f.status.Importance = widget.DangerImportance
		f.status.SetText("The check could not run: " + err.Error())
		return
	}
	f.status.Hide()
	f.hint.Hide() // room for the outcome; it comes back with another choice
	f.verdict.Importance = widget.SuccessImportance
	f.verdict.SetText("Sound: every snapshot can be restored in full.")
	if !res.Sound {
		f.verdict.Importance = widget.DangerImportance
		f.verdict.SetText(bkCheckVerdict(res))
	}
	f.verdict.Show()
	f.counts.SetText(bkCheckCounts(res))
	f.counts.Show()
	f.problems = bkCheckProblems(res)
	f.list.Refresh()
	if len(f.problems) > 0 {
		f.list.ScrollToTop()
		f.listBox.Show()
	}
	if !res.Sound {
		f.next.Importance = widget.MediumImportance
		f.next.TextStyle.Bold = true
		f.next.SetText(bkCheckNext(res))
		f.next.Show()
	}
	if n := len(res.UnreferencedPacks); n > 0 {
		f.unref.Importance = widget.LowImportance
		f.unref.SetText(fmt.Sprintf("%d unreferenced pack%s: data no snapshot uses, such as what an interrupted "+
			"backup left behind. %s harmless; forget --prune removes them.", n, plural(n), bkItIs(n)))
		f.unref.Show()
	}
}

// bkCheckVerdict says in one line what damage a check found.
func bkCheckVerdict(res backup.CheckResult) string {
	if n := len(res.AffectedSnapshots); n > 0 {
		return fmt.Sprintf("DAMAGED: %d snapshot%s cannot be restored in full.", n, plural(n))
	}
	if n := len(res.DamagedPacks); n > 0 {
		return fmt.Sprintf("DAMAGED: %d pack%s of data %s missing or damaged.", n, plural(n), bkIsAre(n))
	}
	return "DAMAGED: data the snapshots need is missing."
}

// bkCheckCounts says how much a check looked at.
func bkCheckCounts(res backup.CheckResult) string {
	text := fmt.Sprintf("%d snapshot%s and %d pack%s checked in %s", res.Snapshots, plural(res.Snapshots),
		res.Packs, plural(res.Packs), bkSeconds(res.DurationSeconds))
	if res.PacksRead > 0 {
		text += fmt.Sprintf(" · %d pack%s read back and verified (%s)", res.PacksRead, plural(res.PacksRead), backup.HumanBytes(res.BytesRead))
	} else {
		text += " · no data read back (a quick check)"
	}
	return text + "."
}

// bkCheckProblems lists what a check found damaged: the snapshots, the
// files in them and the engine's words for each problem.
func bkCheckProblems(res backup.CheckResult) []string {
	var lines []string
	for _, id := range res.AffectedSnapshots {
		lines = append(lines, "Snapshot "+bkShort(id)+" cannot be restored in full")
	}
	for _, f := range res.AffectedFiles {
		lines = append(lines, "    "+f)
	}
	if n := len(res.AffectedFiles); n >= 1000 {
		lines = append(lines, "    … and perhaps more: the list stops at 1000 files")
	}
	for _, e := range res.Errors {
		lines = append(lines, "Found: "+bkLongIDs.ReplaceAllStringFunc(e, func(id string) string { return id[:8] + "…" }))
	}
	return lines
}

// bkLongIDs are pack and blob IDs in the engine's words; eight digits
// tell them apart in a list.
var bkLongIDs = regexp.MustCompile(`\b[0-9a-f]{64}\b`)

// bkCheckNext is the next step after damage was found.
func bkCheckNext(res backup.CheckResult) string {
	if len(res.AffectedSnapshots) == 0 {
		return "No snapshot needs the damaged data. Run a backup again to be sure fresh copies are stored."
	}
	return "Restore these files from another snapshot, or run a backup again to store fresh copies."
}

// bkCapital starts text with a capital letter.
func bkCapital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func bkItIs(n int) string {
	if n == 1 {
		return "It is"
	}
	return "They are"
}

func bkIsAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}
