package ui

// The Add/Edit job dialog: name, action, repository, sources, schedule
// with a live preview of the next runs (or the reason it cannot run),
// retention, retries and what to do after an interrupted run.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks/jobs"
	"github.com/holdfast/holdfast/core/tasks/schedule"
)

// previewRuns is how many next runs the dialog previews.
const previewRuns = 5

// Schedule forms, as the dialog's choice names them.
const (
	schedEvery = "Every"
	schedAt    = "At a time of day"
	schedCron  = "Cron"
)

// dayNames are the day toggles, Monday first; bits as schedule.ParseDays
// sets them (Sunday is bit 0).
var dayNames = []struct {
	label, word string
	bit         uint
}{
	{"Mon", "mon", 1}, {"Tue", "tue", 2}, {"Wed", "wed", 3}, {"Thu", "thu", 4},
	{"Fri", "fri", 5}, {"Sat", "sat", 6}, {"Sun", "sun", 0},
}

var keepNames = []string{"Last", "Hourly", "Daily", "Weekly", "Monthly", "Yearly"}

type jobDialog struct {
	v   *jobsView
	old *jobs.Job // the job edited; nil when adding
	dlg *dialog.CustomDialog

	name       *widget.Entry
	action     *widget.Select
	repo       *widget.Select
	repoNames  map[string]string // option label → repository name
	repoNote   *widget.Label
	sources    []string
	sourceList *fyne.Container
	sourceNew  *widget.Entry
	sourceBox  fyne.CanvasObject
	sourceHint *widget.Label

	form      *widget.RadioGroup
	every     *widget.Entry
	at        *widget.Entry
	days      []*widget.Check
	cron      *widget.Entry
	everyRow  fyne.CanvasObject
	atRow     fyne.CanvasObject
	cronRow   fyne.CanvasObject
	describe  *widget.Label
	next      *widget.Label
	schedErr  *widget.Label
	schedOK   bool
	keep      []*widget.Entry
	prune     *widget.Check
	keepBox   fyne.CanvasObject
	retries   *widget.Select
	interrupt *widget.RadioGroup
	errText   *widget.Label
	save      *widget.Button
	content   *fyne.Container
	saving    bool
}

// showDialog opens the dialog to add a job (old nil) or edit one.
func (v *jobsView) showDialog(old *jobs.Job) {
	d := &jobDialog{v: v, old: old, repoNames: map[string]string{}}
	d.make()
	if old != nil {
		d.fill(*old)
	} else {
		d.action.SetSelected(string(jobs.ActionBackup))
		d.form.SetSelected(schedAt)
		d.at.SetText("02:00")
		d.interrupt.SetSelected(interruptWords[jobs.OnInterruptedRerun])
		d.retries.SetSelected("2")
	}
	d.loadRepos()
	d.update()
	title := "Add a job"
	if old != nil {
		title = "Edit job " + old.Name
	}
	d.dlg = dialog.NewCustomWithoutButtons(title, container.NewVScroll(d.content), v.p.s.win)
	cancel := widget.NewButton("Cancel", func() { d.dlg.Hide() })
	d.dlg.SetButtons([]fyne.CanvasObject{cancel, d.save})
	d.dlg.SetOnClosed(func() {
		if v.dialog == d {
			v.dialog = nil
		}
	})
	d.dlg.Resize(fyne.NewSize(720, 680))
	v.dialog = d
	d.dlg.Show()
}

var interruptWords = map[string]string{
	jobs.OnInterruptedRerun: "Run it again at once",
	jobs.OnInterruptedWait:  "Wait for its next run",
}

func (d *jobDialog) make() {
	changed := func(string) { d.update() }
	d.name = widget.NewEntry()
	d.name.SetPlaceHolder("documents")
	d.name.OnChanged = changed
	d.action = widget.NewSelect([]string{string(jobs.ActionBackup), string(jobs.ActionCheck), string(jobs.ActionVerify)}, changed)
	d.repo = widget.NewSelect(nil, changed)
	d.repo.PlaceHolder = "Reading the repositories…"
	d.repoNote = widget.NewLabel("")
	d.repoNote.Wrapping = fyne.TextWrapWord
	d.repoNote.Importance = widget.WarningImportance

	d.sourceList = container.NewVBox()
	d.sourceNew = widget.NewEntry()
	d.sourceNew.SetPlaceHolder("/path/to/folder")
	d.sourceNew.OnSubmitted = func(string) { d.addSource(d.sourceNew.Text) }
	pick := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() {
		fd := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				d.addSource(u.Path())
			}
		}, d.v.p.s.win)
		fd.Resize(fyne.NewSize(820, 560))
		fd.Show()
	})
	add := widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() { d.addSource(d.sourceNew.Text) })
	d.sourceHint = widget.NewLabel("")
	d.sourceHint.Importance = widget.LowImportance
	d.sourceBox = container.NewVBox(d.sourceList, container.NewBorder(nil, nil, nil, container.NewHBox(pick, add), d.sourceNew), d.sourceHint)

	d.form = widget.NewRadioGroup([]string{schedEvery, schedAt, schedCron}, changed)
	d.form.Horizontal = true
	d.every = widget.NewEntry()
	d.every.SetPlaceHolder("6h")
	d.every.OnChanged = changed
	d.at = widget.NewEntry()
	d.at.SetPlaceHolder("HH:MM")
	d.at.OnChanged = changed
	dayBox := container.NewHBox()
	for _, dn := range dayNames {
		c := widget.NewCheck(dn.label, func(bool) { d.update() })
		c.Checked = true
		d.days = append(d.days, c)
		dayBox.Add(c)
	}
	d.cron = widget.NewEntry()
	d.cron.SetPlaceHolder("30 3 * * sun   or   @daily")
	d.cron.OnChanged = changed
	d.everyRow = container.NewBorder(nil, nil, widget.NewLabel("every"), widget.NewLabel("e.g. 30m, 6h, 1h30m, 2d"), d.every)
	d.atRow = container.NewVBox(container.NewBorder(nil, nil, widget.NewLabel("at"), nil,
		container.NewGridWrap(fyne.NewSize(90, d.at.MinSize().Height), d.at)), dayBox)
	d.cronRow = container.NewBorder(nil, nil, widget.NewLabel("cron"), widget.NewLabel("min hour day month weekday"), d.cron)
	d.describe = widget.NewLabel("")
	d.describe.TextStyle.Bold = true
	d.next = widget.NewLabel("")
	d.next.Wrapping = fyne.TextWrapWord
	d.schedErr = widget.NewLabel("")
	d.schedErr.Wrapping = fyne.TextWrapWord
	d.schedErr.Importance = widget.DangerImportance

	keepGrid := container.NewGridWithColumns(6)
	for _, k := range keepNames {
		e := widget.NewEntry()
		e.SetPlaceHolder("0")
		e.OnChanged = changed
		d.keep = append(d.keep, e)
		keepGrid.Add(container.NewBorder(widget.NewLabel(k), nil, nil, nil, e))
	}
	d.prune = widget.NewCheck("Prune: also free the space only forgotten snapshots used", func(bool) { d.update() })
	keepHint := widget.NewLabel("Snapshots to keep after each backup (empty keeps everything):")
	keepHint.Wrapping = fyne.TextWrapWord
	d.keepBox = container.NewVBox(keepHint, keepGrid, d.prune)

	retries := make([]string, jobs.MaxRetries+1)
	for i := range retries {
		retries[i] = strconv.Itoa(i)
	}
	d.retries = widget.NewSelect(retries, changed)
	d.interrupt = widget.NewRadioGroup([]string{interruptWords[jobs.OnInterruptedRerun], interruptWords[jobs.OnInterruptedWait]}, changed)
	d.interrupt.Horizontal = true

	d.errText = widget.NewLabel("")
	d.errText.Wrapping = fyne.TextWrapWord
	d.errText.Importance = widget.DangerImportance
	d.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), d.submit)
	d.save.Importance = widget.HighImportance

	heading := func(s string) *widget.Label {
		return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	form := widget.NewForm(
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Action", d.action),
		widget.NewFormItem("Repository", container.NewVBox(d.repo, d.repoNote)),
	)
	d.content = container.NewVBox(
		form,
		heading("Sources"), d.sourceBox,
		heading("Schedule"), d.form, d.everyRow, d.atRow, d.cronRow, d.describe, d.next, d.schedErr,
		heading("Retention"), d.keepBox,
		heading("When a run fails or is cut short"),
		container.NewBorder(nil, nil, widget.NewLabel("Retries after a failure"), nil,
			container.NewHBox(container.NewGridWrap(fyne.NewSize(80, d.retries.MinSize().Height), d.retries),
				widget.NewLabel("(after 1 min, 5 min, then every 25 min)"))),
		container.NewBorder(nil, nil, widget.NewLabel("After an interrupted run"), nil, d.interrupt),
		d.errText,
	)
}

// fill shows a job's settings.
func (d *jobDialog) fill(j jobs.Job) {
	d.name.SetText(j.Name)
	d.action.SetSelected(string(j.Action))
	d.sources = slices.Clone(j.Sources)
	d.showSources()
	src := strings.Join(strings.Fields(j.Schedule), " ")
	word, rest, _ := strings.Cut(src, " ")
	switch strings.ToLower(word) {
	case "every":
		d.form.SetSelected(schedEvery)
		d.every.SetText(rest)
	case "at":
		d.form.SetSelected(schedAt)
		clock, days, _ := strings.Cut(rest, " ")
		d.at.SetText(clock)
		if list, ok := strings.CutPrefix(days, "on "); ok {
			if set, err := schedule.ParseDays(list); err == nil {
				for i, dn := range dayNames {
					d.days[i].SetChecked(set&(1<<dn.bit) != 0)
				}
			}
		}
	case "cron":
		d.form.SetSelected(schedCron)
		d.cron.SetText(rest)
	default:
		d.form.SetSelected(schedCron)
		d.cron.SetText(src)
	}
	r := j.Retention
	for i, n := range []int{r.KeepLast, r.KeepHourly, r.KeepDaily, r.KeepWeekly, r.KeepMonthly, r.KeepYearly} {
		if n > 0 {
			d.keep[i].SetText(strconv.Itoa(n))
		}
	}
	d.prune.SetChecked(r.Prune)
	d.retries.SetSelected(strconv.Itoa(j.Retries))
	oi := j.OnInterrupted
	if oi == "" {
		oi = jobs.OnInterruptedRerun
	}
	d.interrupt.SetSelected(interruptWords[oi])
	d.repoNames[j.Repo] = j.Repo
	d.repo.SetOptions([]string{j.Repo})
	d.repo.SetSelected(j.Repo)
}

// loadRepos fills the repository picker with the repositories the home
// knows; a job can only use one with a remembered password.
func (d *jobDialog) loadRepos() {
	p := d.v.p
	go func() {
		var repos []backup.RepoInfo
		res := p.s.eng.Dispatch(context.Background(), control.Request{Op: backup.OpRepos, Args: json.RawMessage("{}")}, nil)
		err := res.Err()
		if err == nil {
			err = json.Unmarshal(res.Data, &repos)
		}
		p.s.opts.do(func() {
			if err != nil {
				d.repoNote.SetText("Could not read the repositories: " + err.Error())
				return
			}
			selected := d.repoName()
			var opts []string
			clear(d.repoNames)
			for _, r := range repos {
				label := r.Name
				if r.Password == "" {
					label += " (password not remembered)"
				}
				d.repoNames[label] = r.Name
				opts = append(opts, label)
			}
			d.repo.PlaceHolder = "Choose a repository"
			if len(repos) == 0 {
				d.repo.PlaceHolder = "No repositories yet"
				d.repoNote.SetText("Add a repository on the Backups page first, with its password remembered: jobs run unattended.")
			}
			d.repo.SetOptions(opts)
			for label, name := range d.repoNames {
				if name == selected {
					d.repo.SetSelected(label)
				}
			}
			if selected == "" && len(opts) == 1 {
				d.repo.SetSelected(opts[0])
			}
			d.update()
		})
	}()
}

func (d *jobDialog) repoName() string {
	if name, ok := d.repoNames[d.repo.Selected]; ok {
		return name
	}
	return d.repo.Selected
}

func (d *jobDialog) addSource(path string) {
	path = strings.TrimSpace(bkExpandHome(strings.TrimSpace(path)))
	if path == "" {
		return
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if !slices.Contains(d.sources, path) {
		d.sources = append(d.sources, path)
	}
	d.sourceNew.SetText("")
	d.showSources()
	d.update()
}

func (d *jobDialog) showSources() {
	var rows []fyne.CanvasObject
	for _, src := range d.sources {
		remove := widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() {
			d.sources = slices.DeleteFunc(d.sources, func(s string) bool { return s == src })
			d.showSources()
			d.update()
		})
		remove.Importance = widget.LowImportance
		l := widget.NewLabel(src)
		l.Truncation = fyne.TextTruncateEllipsis
		if _, err := os.Stat(src); err != nil {
			l.Importance = widget.DangerImportance
			l.SetText(src + " — not found")
		}
		rows = append(rows, container.NewBorder(nil, nil, widget.NewIcon(theme.FolderIcon()), remove, l))
	}
	d.sourceList.Objects = rows
	d.sourceList.Refresh()
}

// scheduleText is the schedule the fields say, as the scheduler reads it.
func (d *jobDialog) scheduleText() (string, error) {
	switch d.form.Selected {
	case schedEvery:
		return "every " + strings.TrimSpace(d.every.Text), nil
	case schedAt:
		var words []string
		for i, dn := range dayNames {
			if d.days[i].Checked {
				words = append(words, dn.word)
			}
		}
		text := "at " + strings.TrimSpace(d.at.Text)
		switch len(words) {
		case 0:
			return "", errors.New("choose at least one day")
		case len(dayNames):
		default:
			text += " on " + strings.Join(words, ",")
		}
		return text, nil
	case schedCron:
		return "cron " + strings.TrimSpace(d.cron.Text), nil
	}
	return "", errors.New("choose how often the job runs")
}

// update shows the fields that go with the action and the schedule's
// form, and previews the next runs.
func (d *jobDialog) update() {
	if d.save == nil {
		return
	}
	action := jobs.Action(d.action.Selected)
	show := func(o fyne.CanvasObject, on bool) {
		if on {
			o.Show()
		} else {
			o.Hide()
		}
	}
	show(d.sourceBox, action != jobs.ActionCheck)
	show(d.keepBox, action == jobs.ActionBackup)
	switch action {
	case jobs.ActionVerify:
		d.sourceHint.SetText("One folder, proved file by file against its latest backup in the repository.")
	default:
		d.sourceHint.SetText("Folders or files to back up; add as many as you like.")
	}
	show(d.everyRow, d.form.Selected == schedEvery)
	show(d.atRow, d.form.Selected == schedAt)
	show(d.cronRow, d.form.Selected == schedCron)
	d.preview()
	if d.repo.Selected != "" && d.repoName() != d.repo.Selected {
		d.repoNote.SetText("A job needs the password remembered: it runs unattended. Remember it when adding the repository.")
		d.repoNote.Show()
	} else if len(d.repo.Options) > 0 {
		d.repoNote.SetText("")
		d.repoNote.Hide()
	}
	if !d.saving {
		if d.schedOK && strings.TrimSpace(d.name.Text) != "" && d.repo.Selected != "" {
			d.save.Enable()
		} else {
			d.save.Disable()
		}
	}
	d.content.Refresh()
}

// preview parses the schedule as the scheduler will, and shows the next
// runs or, inline, why it cannot run.
func (d *jobDialog) preview() {
	d.schedOK = false
	text, err := d.scheduleText()
	var sc schedule.Schedule
	if err == nil {
		sc, err = schedule.Parse(text)
	}
	if err != nil {
		d.describe.SetText("")
		d.next.SetText("")
		d.describe.Hide()
		d.next.Hide()
		d.schedErr.SetText(err.Error())
		d.schedErr.Show()
		return
	}
	d.schedOK = true
	d.schedErr.Hide()
	now := time.Now()
	var runs []string
	for _, t := range sc.NextN(now, previewRuns) {
		runs = append(runs, t.Format("Mon 2 Jan 15:04"))
	}
	desc := sc.Describe()
	d.describe.SetText(strings.ToUpper(desc[:1]) + desc[1:])
	d.next.SetText("Next runs: " + strings.Join(runs, " · "))
	d.describe.Show()
	d.next.Show()
}

// args reads the fields; an error names the field that is wrong.
func (d *jobDialog) args() (jobs.AddArgs, error) {
	sched, err := d.scheduleText()
	if err != nil {
		return jobs.AddArgs{}, fmt.Errorf("schedule: %w", err)
	}
	a := jobs.AddArgs{
		Name: strings.TrimSpace(d.name.Text), Action: jobs.Action(d.action.Selected), Repo: d.repoName(),
		Schedule: sched,
	}
	if a.Action != jobs.ActionCheck {
		a.Sources = slices.Clone(d.sources)
		if text := strings.TrimSpace(d.sourceNew.Text); text != "" {
			a.Sources = append(a.Sources, text) // typed but not added yet
		}
	}
	if a.Action == jobs.ActionBackup {
		vals := make([]int, len(d.keep))
		for i, e := range d.keep {
			text := strings.TrimSpace(e.Text)
			if text == "" {
				continue
			}
			n, err := strconv.Atoi(text)
			if err != nil || n < 0 {
				return jobs.AddArgs{}, fmt.Errorf("keep %s: %q is not a number of snapshots (0 or more)", strings.ToLower(keepNames[i]), text)
			}
			vals[i] = n
		}
		a.Retention = jobs.Retention{KeepLast: vals[0], KeepHourly: vals[1], KeepDaily: vals[2], KeepWeekly: vals[3],
			KeepMonthly: vals[4], KeepYearly: vals[5], Prune: d.prune.Checked}
	}
	a.Retries, _ = strconv.Atoi(d.retries.Selected)
	for k, w := range interruptWords {
		if w == d.interrupt.Selected {
			a.OnInterrupted = k
		}
	}
	if d.old != nil {
		a.Paused = d.old.Paused
	}
	return a, nil
}

// submit saves the job through the scheduler; its checks' answer shows in
// the dialog, which stays open until the job is saved.
func (d *jobDialog) submit() {
	a, err := d.args()
	if err != nil {
		d.showErr(err)
		return
	}
	d.saving = true
	d.save.Disable()
	d.errText.SetText("Saving…")
	d.errText.Importance = widget.MediumImportance
	d.errText.Show()
	d.errText.Refresh()
	p := d.v.p
	old := d.old
	go func() {
		err := saveJob(p.s.eng.Jobs, old, a)
		p.s.opts.do(func() {
			d.saving = false
			if err != nil {
				d.showErr(err)
				d.update()
				d.v.load() // an old job put back is listed again
				return
			}
			d.v.selected = a.Name
			d.dlg.Hide()
		})
	}()
}

func (d *jobDialog) showErr(err error) {
	d.errText.Importance = widget.DangerImportance
	d.errText.SetText(err.Error())
	d.errText.Show()
	d.errText.Refresh()
	d.content.Refresh()
}

// saveJob adds a job, or replaces the job old with the new settings. The
// scheduler has no "edit": the old job is removed and the new one added,
// and should the scheduler refuse the new settings the old job is put
// back as it was. A job that keeps its name and schedule keeps its
// history (last run, result, the slot it is at).
func saveJob(sch *jobs.Scheduler, old *jobs.Job, a jobs.AddArgs) error {
	if sch == nil {
		return errors.New("this engine runs no scheduler")
	}
	if old == nil {
		_, err := sch.Add(a)
		return err
	}
	if a.Name != old.Name {
		if _, err := sch.Store().Get(a.Name); err == nil {
			return fmt.Errorf("job %q: %w", a.Name, jobs.ErrExists)
		}
	}
	cur, err := sch.Store().Get(old.Name)
	if err != nil {
		return err
	}
	if err := sch.Remove(old.Name); err != nil {
		return err
	}
	info, err := sch.Add(a)
	if err != nil {
		if rerr := sch.Store().Add(cur); rerr != nil {
			return fmt.Errorf("%w (and the old job %s could not be put back: %v)", err, old.Name, rerr)
		}
		return err
	}
	if info.Name != cur.Name {
		return nil
	}
	_, err = sch.Store().Update(info.Name, func(j *jobs.Job) error {
		j.Created = cur.Created
		j.LastRun, j.LastEnd, j.LastTaskID, j.RunningTask = cur.LastRun, cur.LastEnd, cur.LastTaskID, cur.RunningTask
		j.LastResult, j.LastError, j.Attempt = cur.LastResult, cur.LastError, cur.Attempt
		if j.Schedule == cur.Schedule {
			j.LastSlot, j.RetryAt = cur.LastSlot, cur.RetryAt
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("job %s saved, but its last run was not carried over: %w", info.Name, err)
	}
	return nil
}
