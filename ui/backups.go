package ui

import (
	"fmt"
	"image/color"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
)

// repoState is how far the page got in opening a repository.
type repoState int

const (
	repoUnknown repoState = iota
	repoLocked            // its password is neither remembered nor typed
	repoLoading
	repoOpen
	repoFailed
)

// repoStats is what the page knows about one repository.
type repoStats struct {
	state  repoState
	err    string
	gen    int // answers to older requests are dropped
	count  int
	latest backup.SnapshotInfo // zero when count is 0
}

// bkRun is the outcome of a backup started from the page.
type bkRun struct {
	folder, repo string
	at           time.Time
	sum          backup.BackupSummary
	exit         int
	err          error
	cancelled    bool
}

// statusKind colours the page's one-line state.
type statusKind int

const (
	statusNeutral statusKind = iota
	statusOK
	statusWarn
	statusError
	statusBusy
)

// reposRefresh is how often the page asks again which repositories the
// home knows, to notice ones added from the command line.
const reposRefresh = time.Minute

// backupsPage is the Backups page: repositories, "back up a folder now",
// the snapshots of the chosen repository, a browser and the restore
// wizard. Its fields are read and written on the UI thread only.
type backupsPage struct {
	s *Shell

	repos         []backup.RepoInfo
	reposLoaded   bool
	reposErr      error
	reposAsked    time.Time
	reposReady    chan reposAnswer // the answer in flight
	stats         map[string]*repoStats
	passwords     map[string]string // typed this session; never stored
	selected      string            // the repository whose snapshots are shown
	pendingSelect string            // select this repository once listed

	snaps    []backup.SnapshotInfo // of selected, newest first
	wantSnap string                // browse this snapshot once listed

	browse     backup.SnapshotInfo // the snapshot in the browser
	browseGen  int
	browsePath string // selected in the tree
	entries    map[string]backup.Entry
	children   map[string][]string
	loading    map[string]bool
	notes      map[string]string // placeholder rows: loading, empty, errors

	backupCancel func()
	backupGen    int
	lastRun      *bkRun
	statusBusyAt string // the busy line while something runs

	// widgets
	root         *fyne.Container
	main         *fyne.Container
	top          *fyne.Container
	statusDot    *canvas.Circle
	statusText   *widget.Label
	repoList     *widget.List
	repoListSize *canvas.Rectangle
	folderEntry  *widget.Entry
	repoSelect   *widget.Select
	backupBtn    *widget.Button
	cancelBtn    *widget.Button
	progress     *widget.ProgressBar
	progressText *widget.Label
	warnBtn      *widget.Button
	snapTitle    *widget.Label
	snapArea     *fyne.Container
	progressRow  *fyne.Container
	snapSplit    fyne.CanvasObject
	table        *widget.Table
	browseTitle  *widget.Label
	restoreBtn   *widget.Button
	tree         *widget.Tree
}

func newBackupsPage(s *Shell) *page {
	p := newBackupsView(s)
	return &page{title: PageBackups, icon: theme.StorageIcon(), build: p.build, onStatus: p.onStatus}
}

// newBackupsView makes the page's widgets and asks the engine for the
// repositories at once, so the answer is usually there when the page is
// first shown.
func newBackupsView(s *Shell) *backupsPage {
	p := &backupsPage{
		s:         s,
		stats:     map[string]*repoStats{},
		passwords: map[string]string{},
	}
	p.resetBrowser()
	p.makeWidgets()
	p.loadRepos()
	return p
}

func (p *backupsPage) do(f func()) { p.s.opts.do(f) }

func (p *backupsPage) makeWidgets() {
	p.statusDot = canvas.NewCircle(theme.Color(theme.ColorNameDisabled))
	p.statusText = widget.NewLabel("Reading the repositories this home knows…")
	p.statusText.Truncation = fyne.TextTruncateEllipsis

	p.repoList = widget.NewList(
		func() int { return len(p.repos) },
		func() fyne.CanvasObject { return newRepoRow() },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(p.repos) {
				p.updateRepoRow(o.(*repoRow), p.repos[id])
			}
		})
	p.repoList.OnSelected = func(id widget.ListItemID) {
		if id < len(p.repos) {
			p.selectRepo(p.repos[id].Name)
		}
	}
	p.repoListSize = canvas.NewRectangle(color.Transparent)

	p.folderEntry = widget.NewEntry()
	p.folderEntry.SetPlaceHolder("Folder to back up, e.g. ~/Documents")
	p.folderEntry.OnSubmitted = func(string) { p.backupNow() }
	p.repoSelect = widget.NewSelect(nil, func(name string) { p.selectRepo(name) })
	p.repoSelect.PlaceHolder = "Repository"
	p.backupBtn = widget.NewButtonWithIcon("Back up now", theme.UploadIcon(), p.backupNow)
	p.backupBtn.Importance = widget.HighImportance
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), p.cancelBackup)
	p.cancelBtn.Hide()
	p.progress = widget.NewProgressBar()
	p.progress.Max = 1
	p.progress.Hide()
	p.progressText = widget.NewLabel("")
	p.progressText.Wrapping = fyne.TextWrapWord
	p.progressText.Hide()
	p.warnBtn = widget.NewButtonWithIcon("Details…", theme.WarningIcon(), func() {
		if p.lastRun != nil {
			p.showRunWarnings(*p.lastRun)
		}
	})
	p.warnBtn.Hide()

	p.snapTitle = widget.NewLabelWithStyle("Snapshots", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.table = p.newSnapshotTable()
	p.browseTitle = widget.NewLabel("")
	p.browseTitle.Truncation = fyne.TextTruncateEllipsis
	p.restoreBtn = widget.NewButtonWithIcon("Restore…", theme.DownloadIcon(), func() { p.showRestore() })
	p.restoreBtn.Disable()
	p.tree = p.newSnapshotTree()
}

// build lays the page out: the state line and repositories on top, then
// "back up a folder now", then the snapshots above the browser.
func (p *backupsPage) build() fyne.CanvasObject {
	addRepo := widget.NewButtonWithIcon("Add repository", theme.ContentAddIcon(), p.showAddRepository)
	dot := container.NewGridWrap(fyne.NewSize(12, 12), p.statusDot)
	statusRow := container.NewBorder(nil, nil, container.NewCenter(dot), addRepo, p.statusText)

	repos := container.NewStack(p.repoListSize, p.repoList)

	pick := widget.NewButtonWithIcon("", theme.FolderOpenIcon(), func() { p.pickFolder(p.folderEntry, nil) })
	target := container.NewHBox(widget.NewLabel("into"), container.NewGridWrap(fyne.NewSize(180, p.repoSelect.MinSize().Height), p.repoSelect), p.backupBtn)
	backupRow := container.NewBorder(nil, nil, nil, target, container.NewBorder(nil, nil, nil, pick, p.folderEntry))
	progressRow := container.NewVBox(
		container.NewBorder(nil, nil, nil, p.cancelBtn, p.progress),
		container.NewBorder(nil, nil, nil, container.NewVBox(p.warnBtn), p.progressText))
	p.progressRow = progressRow
	backupHeading := widget.NewLabelWithStyle("Back up a folder now", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	backupBox := container.NewVBox(backupHeading, backupRow, progressRow)

	top := container.NewVBox(statusRow, repos, widget.NewSeparator(), backupBox, widget.NewSeparator())
	p.top = top

	refresh := widget.NewButtonWithIcon("", theme.ViewRefreshIcon(), func() {
		if p.selected != "" {
			p.loadSnapshots(p.selected, nil)
		}
	})
	refresh.Importance = widget.LowImportance
	snapHeader := container.NewBorder(nil, nil, nil, refresh, p.snapTitle)
	snapshots := container.NewBorder(snapHeader, nil, nil, nil, p.table)
	browseHeader := container.NewBorder(nil, nil, nil, p.restoreBtn, p.browseTitle)
	browser := container.NewBorder(browseHeader, nil, nil, nil, p.tree)
	split := container.NewVSplit(snapshots, browser)
	split.Offset = 0.45
	p.snapSplit = split
	p.snapArea = container.NewStack(split)

	p.main = container.NewBorder(top, nil, nil, nil, p.snapArea)
	p.root = container.NewStack()
	p.takeRepos() // no "reading…" flash when the answer is already here
	p.refreshAll()
	return container.NewPadded(p.root)
}

// onStatus follows the engine's heartbeat: relative times stay true, and
// repositories added elsewhere (the CLI) appear.
func (p *backupsPage) onStatus(engine.Status) {
	if p.root == nil {
		return
	}
	if time.Since(p.reposAsked) > reposRefresh {
		p.loadRepos()
	}
	p.repoList.Refresh()
	p.updateStatus()
	p.updateSnapTitle()
}

// gotRepos takes the engine's list of repositories.
func (p *backupsPage) gotRepos(repos []backup.RepoInfo, err error) {
	p.reposLoaded, p.reposErr = true, err
	if err != nil {
		p.refreshAll()
		return
	}
	sort.Slice(repos, func(i, j int) bool { return repos[i].Name < repos[j].Name })
	old := map[string]backup.RepoInfo{}
	for _, r := range p.repos {
		old[r.Name] = r
	}
	p.repos = repos
	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name
		if prev, ok := old[r.Name]; !ok || prev.Path != r.Path || prev.ID != r.ID || prev.Password != r.Password {
			delete(p.stats, r.Name)
			p.loadSnapshots(r.Name, nil)
		}
	}
	for name := range p.stats {
		if !contains(names, name) {
			delete(p.stats, name)
		}
	}
	for name := range p.passwords {
		if _, was := old[name]; was && !contains(names, name) {
			delete(p.passwords, name) // forgotten by the home
		}
	}
	p.repoSelect.SetOptions(names)
	switch {
	case p.pendingSelect != "" && contains(names, p.pendingSelect):
		p.selectRepo(p.pendingSelect)
		p.pendingSelect = ""
	case p.selected == "" || !contains(names, p.selected):
		p.selected = ""
		if len(names) > 0 {
			p.selectRepo(names[0])
		}
	}
	p.refreshAll()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (p *backupsPage) stat(name string) *repoStats {
	st, ok := p.stats[name]
	if !ok {
		st = &repoStats{}
		p.stats[name] = st
	}
	return st
}

func (p *backupsPage) repoInfo(name string) (backup.RepoInfo, bool) {
	for _, r := range p.repos {
		if r.Name == name {
			return r, true
		}
	}
	return backup.RepoInfo{}, false
}

// locked says whether opening the repository needs a password first.
func (p *backupsPage) locked(name string) bool {
	if _, ok := p.passwords[name]; ok {
		return false
	}
	r, ok := p.repoInfo(name)
	return ok && r.Password == ""
}

// gotSnapshots takes a repository's snapshots.
func (p *backupsPage) gotSnapshots(name string, snaps []backup.SnapshotInfo, err error) {
	st := p.stat(name)
	if err != nil {
		st.state, st.err = repoFailed, err.Error()
		st.count, st.latest = 0, backup.SnapshotInfo{}
	} else {
		sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Time.After(snaps[j].Time) })
		st.state, st.err, st.count = repoOpen, "", len(snaps)
		st.latest = backup.SnapshotInfo{}
		if len(snaps) > 0 {
			st.latest = snaps[0]
		}
	}
	if name == p.selected {
		p.snaps = nil
		if err == nil {
			p.snaps = snaps
		}
		p.table.UnselectAll()
		p.table.Refresh()
		p.pickSnapshot()
	}
	p.refreshAll()
}

// pickSnapshot keeps the browsed snapshot when it is still listed, or
// else browses the one asked for, or the newest.
func (p *backupsPage) pickSnapshot() {
	want := p.wantSnap
	if want == "" {
		want = p.browse.ID
	}
	p.wantSnap = ""
	row := -1
	for i, sn := range p.snaps {
		if sn.ID == want {
			row = i
			break
		}
	}
	if row < 0 && len(p.snaps) > 0 {
		row = 0
	}
	if row < 0 {
		p.browseSnapshot(backup.SnapshotInfo{})
		return
	}
	p.browseSnapshot(p.snaps[row])
}

// selectRepo shows a repository's snapshots, opening it if needed.
func (p *backupsPage) selectRepo(name string) {
	if name == "" {
		return
	}
	if p.repoSelect.Selected != name {
		p.repoSelect.SetSelected(name) // calls back here
		return
	}
	for i, r := range p.repos {
		if r.Name == name {
			p.repoList.Select(i) // calls back here; a no-op when selected
		}
	}
	if p.selected == name {
		return
	}
	p.selected = name
	p.snaps = nil
	p.table.UnselectAll()
	p.table.Refresh()
	p.browseSnapshot(backup.SnapshotInfo{})
	st := p.stat(name)
	switch st.state {
	case repoOpen, repoLoading:
		if st.state == repoOpen {
			p.loadSnapshots(name, nil) // the list is cheap to bring up to date
		}
	default:
		p.loadSnapshots(name, nil)
	}
	p.refreshAll()
}

// refreshAll brings every part of the page in line with its state.
func (p *backupsPage) refreshAll() {
	if p.root == nil {
		return
	}
	switch {
	case !p.reposLoaded:
		p.setRoot(widget.NewLabel("Reading the repositories this home knows…"))
	case p.reposErr != nil:
		retry := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), p.loadRepos)
		p.setRoot(bkEmpty(theme.ErrorIcon(), "Could not read the repositories",
			"The engine answered: "+p.reposErr.Error(), retry))
	case len(p.repos) == 0:
		add := widget.NewButtonWithIcon("Add repository", theme.ContentAddIcon(), p.showAddRepository)
		add.Importance = widget.HighImportance
		p.setRoot(bkEmpty(theme.StorageIcon(), "No backups yet",
			"A repository is a folder — on another disk, a NAS or a USB drive — where Holdfast keeps encrypted, "+
				"deduplicated snapshots of the folders you back up. Add one to start: choose an empty folder and a password. "+
				"Without the password nobody, including you, can read the backups, so keep it somewhere safe.", add))
	default:
		p.setRoot(p.main)
	}
	rows := len(p.repos)
	if rows > 3 {
		rows = 3
	}
	if rows < 1 {
		rows = 1
	}
	p.repoListSize.SetMinSize(fyne.NewSize(0, float32(rows)*newRepoRow().MinSize().Height+float32(rows-1)*theme.Padding()))
	p.repoList.Refresh()
	p.updateSnapArea()
	p.updateSnapTitle()
	p.updateStatus()
}

func (p *backupsPage) setRoot(o fyne.CanvasObject) {
	if len(p.root.Objects) == 1 && p.root.Objects[0] == o {
		return
	}
	p.root.Objects = []fyne.CanvasObject{o}
	p.root.Refresh()
}

// updateSnapArea shows the snapshots and browser, or says honestly why
// there are none to show.
func (p *backupsPage) updateSnapArea() {
	if p.snapArea == nil || p.selected == "" {
		return
	}
	name := p.selected
	st := p.stat(name)
	var o fyne.CanvasObject
	switch {
	case p.locked(name):
		unlock := widget.NewButtonWithIcon("Enter password…", theme.AccountIcon(), func() { p.askPassword(name, nil) })
		unlock.Importance = widget.HighImportance
		o = bkEmpty(theme.VisibilityOffIcon(), name+" is locked",
			"Its password is not remembered on this computer. Enter it to see the snapshots; "+
				"Holdfast keeps it in memory only until you quit.", unlock)
	case st.state == repoFailed:
		retry := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), func() { p.loadSnapshots(name, nil) })
		password := widget.NewButtonWithIcon("Enter password…", theme.AccountIcon(), func() { p.askPassword(name, nil) })
		o = bkEmpty(theme.ErrorIcon(), "Could not open "+name, st.err, retry, password)
	case st.state == repoOpen && len(p.snaps) == 0:
		now := widget.NewButtonWithIcon("Back up a folder now", theme.UploadIcon(), func() {
			if strings.TrimSpace(p.folderEntry.Text) != "" {
				p.backupNow()
				return
			}
			p.pickFolder(p.folderEntry, p.backupNow)
		})
		now.Importance = widget.HighImportance
		o = bkEmpty(theme.StorageIcon(), "No snapshots in "+name+" yet",
			"Back up a folder into this repository to create its first snapshot. Later backups of the same "+
				"folder only store what changed. Snapshots will be listed here, and you can browse and restore any of them.", now)
	case st.state == repoLoading && len(p.snaps) == 0:
		o = container.NewCenter(widget.NewLabel("Opening " + name + " and reading its snapshots…"))
	default:
		o = p.snapSplit
	}
	if len(p.snapArea.Objects) == 1 && p.snapArea.Objects[0] == o {
		return
	}
	p.snapArea.Objects = []fyne.CanvasObject{o}
	p.snapArea.Refresh()
}

func (p *backupsPage) updateSnapTitle() {
	if p.selected == "" {
		p.snapTitle.SetText("Snapshots")
		return
	}
	n := len(p.snaps)
	p.snapTitle.SetText(fmt.Sprintf("Snapshots in %s · %d snapshot%s", p.selected, n, plural(n)))
}

// setStatus shows the page's one-line state.
func (p *backupsPage) setStatus(kind statusKind, text string) {
	if kind == statusBusy {
		p.statusBusyAt = text
	}
	c := theme.Color(theme.ColorNameDisabled)
	switch kind {
	case statusOK:
		c = theme.Color(theme.ColorNameSuccess)
	case statusWarn:
		c = theme.Color(theme.ColorNameWarning)
	case statusError:
		c = theme.Color(theme.ColorNameError)
	case statusBusy:
		c = theme.Color(theme.ColorNamePrimary)
	}
	p.statusDot.FillColor = c
	p.statusDot.Refresh()
	p.statusText.SetText(text)
}

// updateStatus answers "are my backups OK?" in one line.
func (p *backupsPage) updateStatus() {
	if p.backupCancel != nil && p.statusBusyAt != "" {
		p.setStatus(statusBusy, p.statusBusyAt)
		return
	}
	if r := p.lastRun; r != nil && !r.cancelled {
		switch {
		case r.err != nil:
			p.setStatus(statusError, fmt.Sprintf("The backup of %s into %s failed %s ago: %v", r.folder, r.repo, bkAgo(r.at), r.err))
			return
		case r.exit == control.ExitFound:
			n := len(r.sum.Errors)
			p.setStatus(statusWarn, fmt.Sprintf("The last backup of %s was saved without %d unreadable file%s", r.folder, n, plural(n)))
			return
		}
	}
	switch {
	case !p.reposLoaded:
		p.setStatus(statusNeutral, "Reading the repositories this home knows…")
		return
	case p.reposErr != nil:
		p.setStatus(statusError, "Could not read the repositories: "+p.reposErr.Error())
		return
	case len(p.repos) == 0:
		p.setStatus(statusNeutral, "No repositories yet")
		return
	}
	var newest backup.SnapshotInfo
	var newestRepo string
	var failed, locked, open []string
	for _, r := range p.repos {
		st := p.stat(r.Name)
		switch {
		case st.state == repoFailed:
			failed = append(failed, r.Name)
		case p.locked(r.Name):
			locked = append(locked, r.Name)
		case st.state == repoOpen:
			open = append(open, r.Name)
			if st.count > 0 && st.latest.Time.After(newest.Time) {
				newest, newestRepo = st.latest, r.Name
			}
		}
	}
	switch {
	case len(failed) > 0:
		p.setStatus(statusError, "Could not open "+strings.Join(failed, ", "))
	case newestRepo != "":
		text := fmt.Sprintf("Last snapshot %s ago · %s into %s", bkAgo(newest.Time), bkPaths(newest.Paths), newestRepo)
		if len(locked) > 0 {
			text += " · locked: " + strings.Join(locked, ", ")
		}
		p.setStatus(statusOK, text)
	case len(open) > 0:
		p.setStatus(statusWarn, "No snapshots yet — back up a folder below to protect it")
	case len(locked) > 0:
		p.setStatus(statusNeutral, "Enter a repository's password to see its snapshots")
	default:
		p.setStatus(statusNeutral, "Opening the repositories…")
	}
}

// backupNow is the "Back up now" button.
func (p *backupsPage) backupNow() {
	p.startBackup(p.folderEntry.Text, p.repoSelect.Selected)
}

func (p *backupsPage) backupStarted(folder, repoName string) {
	p.backupBtn.Disable()
	p.folderEntry.Disable()
	p.cancelBtn.Show()
	p.warnBtn.Hide()
	p.progress.SetValue(0)
	p.progress.Show()
	p.progressText.Importance = widget.MediumImportance
	p.progressText.SetText("Starting: opening " + repoName + " and looking at " + folder + "…")
	p.progressText.Show()
	p.setStatus(statusBusy, fmt.Sprintf("Backing up %s into %s…", folder, repoName))
	p.relayoutProgress()
}

// relayoutProgress lays the top of the page out again after the
// progress bar, its text or its buttons came or went: containers do not
// notice on their own that a child was shown or hidden.
func (p *backupsPage) relayoutProgress() {
	for _, c := range []*fyne.Container{p.progressRow, p.top, p.main} {
		if c != nil {
			c.Refresh()
		}
	}
}

func (p *backupsPage) backupProgress(pr control.Progress) {
	if pr.Total > 0 {
		p.progress.SetValue(float64(pr.Done) / float64(pr.Total))
	}
	if msg := strings.TrimPrefix(pr.Message, "backup: "); msg != "" {
		p.progressText.SetText(msg)
	}
}

func (p *backupsPage) backupFinished(r bkRun) {
	p.backupBtn.Enable()
	p.folderEntry.Enable()
	p.cancelBtn.Hide()
	p.progress.Hide()
	p.statusBusyAt = ""
	p.lastRun = &r
	switch {
	case r.cancelled:
		p.progressText.Importance = widget.MediumImportance
		p.progressText.SetText("Backup cancelled — nothing was saved.")
	case r.err != nil:
		p.progressText.Importance = widget.DangerImportance
		p.progressText.SetText("The backup failed: " + r.err.Error())
	default:
		s := r.sum
		text := fmt.Sprintf("Snapshot %s saved in %s: %d new, %d changed, %d unmodified file%s · %s added (%s stored)",
			bkShort(s.SnapshotID), bkSeconds(s.DurationSeconds), s.FilesNew, s.FilesChanged, s.FilesUnmodified,
			plural(int(s.FilesNew+s.FilesChanged+s.FilesUnmodified)), backup.HumanBytes(s.DataAdded), backup.HumanBytes(s.DataAddedStored))
		p.progressText.Importance = widget.SuccessImportance
		if len(s.Errors) > 0 || len(s.Changed) > 0 {
			p.progressText.Importance = widget.WarningImportance
			if n := len(s.Errors); n > 0 {
				text += fmt.Sprintf("\nWarning: %d file%s could not be read and %s left out: %s", n, plural(n), bkWas(n), bkFirst(s.Errors, 2))
			}
			if n := len(s.Changed); n > 0 {
				text += fmt.Sprintf("\nWarning: %d file%s changed while being read: %s", n, plural(n), bkFirst(s.Changed, 2))
			}
			p.warnBtn.Show()
		}
		p.progressText.SetText(text)
		p.wantSnap = s.SnapshotID
		if p.selected != r.repo {
			p.selectRepo(r.repo)
		} else {
			p.loadSnapshots(r.repo, nil)
		}
	}
	p.progressText.Refresh()
	p.relayoutProgress()
	p.updateStatus()
}

// newSnapshotTable is the virtualized table of snapshots, newest first.
func (p *backupsPage) newSnapshotTable() *widget.Table {
	cols := []struct {
		title string
		width float32
		right bool
	}{
		{"Time", 190, false}, {"ID", 90, false}, {"Files", 70, true}, {"Size", 85, true},
		{"Duration", 85, true}, {"Tags", 100, false}, {"Paths", 260, false},
	}
	t := widget.NewTable(
		func() (int, int) { return len(p.snaps), len(cols) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) {
			l := o.(*widget.Label)
			l.Alignment = fyne.TextAlignLeading
			if cols[id.Col].right {
				l.Alignment = fyne.TextAlignTrailing
			}
			if id.Row >= len(p.snaps) {
				l.SetText("")
				return
			}
			// The snapshot in the browser is the one in bold.
			l.TextStyle.Bold = p.snaps[id.Row].ID == p.browse.ID
			l.SetText(bkSnapshotCell(p.snaps[id.Row], id.Col))
		})
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Col < 0 || id.Col >= len(cols) {
			l.SetText("")
			return
		}
		l.Alignment = fyne.TextAlignLeading
		if cols[id.Col].right {
			l.Alignment = fyne.TextAlignTrailing
		}
		l.SetText(cols[id.Col].title)
	}
	for i, c := range cols {
		t.SetColumnWidth(i, c.width)
	}
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(p.snaps) && p.snaps[id.Row].ID != p.browse.ID {
			p.browseSnapshot(p.snaps[id.Row])
		}
		t.UnselectAll() // the whole row shows the choice, not one cell
	}
	return t
}

// bkSnapshotCell is the text of one cell of the snapshot table.
func bkSnapshotCell(sn backup.SnapshotInfo, col int) string {
	switch col {
	case 0:
		return sn.Time.Local().Format("Mon 2 Jan 2006 15:04")
	case 1:
		return sn.ShortID
	case 2:
		return fmt.Sprint(sn.Files)
	case 3:
		return backup.HumanBytes(sn.Bytes)
	case 4:
		return bkSeconds(sn.DurationSeconds)
	case 5:
		return strings.Join(sn.Tags, ", ")
	case 6:
		return strings.Join(sn.Paths, ", ")
	}
	return ""
}

// resetBrowser forgets the tree of the snapshot shown before.
func (p *backupsPage) resetBrowser() {
	p.browseGen++
	p.browsePath = ""
	p.entries = map[string]backup.Entry{}
	p.children = map[string][]string{}
	p.loading = map[string]bool{}
	p.notes = map[string]string{}
}

// browseSnapshot shows a snapshot's tree in the browser; the zero
// snapshot empties it.
func (p *backupsPage) browseSnapshot(sn backup.SnapshotInfo) {
	if p.tree != nil {
		p.tree.UnselectAll()
	}
	p.browse = sn
	p.resetBrowser()
	if sn.ID == "" {
		p.browseTitle.SetText("Select a snapshot to browse its files")
		p.restoreBtn.Disable()
	} else {
		p.browseTitle.SetText(fmt.Sprintf("Snapshot %s · %s · %s", sn.ShortID, sn.Time.Local().Format("Mon 2 Jan 2006 15:04"), bkPaths(sn.Paths)))
		p.restoreBtn.Enable()
	}
	p.tree.CloseAllBranches()
	p.tree.ScrollToTop()
	p.tree.Refresh()
	p.table.Refresh()
}

// placeholder IDs stand for a row saying "loading", "empty" or an error
// under a directory; NUL never occurs in a path.
func bkNoteID(dir string) string { return dir + "\x00" }

// gotDir takes one directory's listing.
func (p *backupsPage) gotDir(dir string, entries []backup.Entry, err error) {
	if err != nil {
		p.children[dir] = []string{bkNoteID(dir)}
		p.notes[bkNoteID(dir)] = "Could not list: " + err.Error()
		p.tree.Refresh()
		return
	}
	bkSortEntries(entries)
	ids := make([]string, 0, len(entries))
	for _, e := range entries {
		p.entries[e.Path] = e
		ids = append(ids, e.Path)
	}
	if len(ids) == 0 {
		ids = []string{bkNoteID(dir)}
		p.notes[bkNoteID(dir)] = "Empty folder"
	}
	p.children[dir] = ids
	p.tree.Refresh()
	// A snapshot of one folder opens on that folder's contents.
	if dir == "" && len(entries) == 1 && entries[0].Type == "dir" {
		p.tree.OpenBranch(entries[0].Path)
	}
}

// newSnapshotTree is the browser, listing each directory when opened.
func (p *backupsPage) newSnapshotTree() *widget.Tree {
	t := widget.NewTree(
		func(uid widget.TreeNodeID) []widget.TreeNodeID {
			if p.browse.ID == "" {
				return nil
			}
			if kids, ok := p.children[uid]; ok {
				return kids
			}
			if !p.loading[uid] {
				p.loadDir(uid)
			}
			p.notes[bkNoteID(uid)] = "Loading…"
			return []string{bkNoteID(uid)}
		},
		func(uid widget.TreeNodeID) bool {
			if uid == "" {
				return true
			}
			e, ok := p.entries[uid]
			return ok && e.Type == "dir"
		},
		func(bool) fyne.CanvasObject { return newEntryRow() },
		func(uid widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			row := o.(*entryRow)
			if note, ok := p.notes[uid]; ok && strings.HasSuffix(uid, "\x00") {
				row.set(nil, note, "", "")
				return
			}
			e, ok := p.entries[uid]
			if !ok {
				row.set(nil, "", "", "")
				return
			}
			name := filepath.Base(e.Path)
			icon := theme.FileIcon()
			size := backup.HumanBytes(e.Size)
			switch e.Type {
			case "dir":
				icon, size = theme.FolderIcon(), ""
			case "symlink":
				icon, size = theme.FileIcon(), ""
				name += " → " + e.Target
			}
			row.set(icon, name, size, e.ModTime.Local().Format("2 Jan 2006 15:04"))
		})
	t.OnSelected = func(uid widget.TreeNodeID) {
		if _, ok := p.entries[uid]; ok {
			p.browsePath = uid
		}
	}
	t.OnUnselected = func(uid widget.TreeNodeID) {
		if p.browsePath == uid {
			p.browsePath = ""
		}
	}
	return t
}

// repoRow is one repository in the list: name and where it lives on the
// left, what is in it on the right.
type repoRow struct {
	widget.BaseWidget
	name, where, stats, when *widget.Label
	action                   *widget.Button
	onAction                 func()
	content                  fyne.CanvasObject
}

func newRepoRow() *repoRow {
	r := &repoRow{
		name:  widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		where: widget.NewLabel(""),
		stats: widget.NewLabel(""),
		when:  widget.NewLabel(""),
	}
	r.where.SizeName = theme.SizeNameCaptionText
	r.when.SizeName = theme.SizeNameCaptionText
	for _, l := range []*widget.Label{r.name, r.where, r.stats, r.when} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	r.stats.Alignment = fyne.TextAlignTrailing
	r.when.Alignment = fyne.TextAlignTrailing
	r.action = widget.NewButton("", func() {
		if r.onAction != nil {
			r.onAction()
		}
	})
	r.action.Hide()
	tight := layout.NewCustomPaddedVBoxLayout(-2 * theme.Padding())
	left := container.New(tight, r.name, r.where)
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(340, 0))
	right := container.NewStack(width, container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), r.stats, r.when))
	icon := widget.NewIcon(theme.StorageIcon())
	r.content = container.NewBorder(nil, nil, container.NewCenter(icon), container.NewHBox(right, container.NewCenter(r.action)), left)
	r.ExtendBaseWidget(r)
	return r
}

func (r *repoRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (p *backupsPage) updateRepoRow(row *repoRow, info backup.RepoInfo) {
	row.name.SetText(info.Name)
	where := info.Path + " · "
	switch info.Password {
	case "keyring":
		where += "password remembered in the keyring"
	case "file":
		where += "password remembered in a file"
	case "":
		where += "password not remembered"
		if _, ok := p.passwords[info.Name]; ok {
			where += " (unlocked until you quit)"
		}
	default:
		where += "password remembered (" + info.Password + ")"
	}
	row.where.SetText(where)
	st := p.stat(info.Name)
	name := info.Name
	row.stats.Importance = widget.MediumImportance
	row.onAction = nil
	action := ""
	switch {
	case st.state == repoLoading:
		row.stats.SetText("Opening…")
		row.when.SetText("")
	case p.locked(name):
		row.stats.SetText("Locked")
		row.when.SetText("enter the password to see its snapshots")
		action, row.onAction = "Unlock…", func() { p.askPassword(name, nil) }
	case st.state == repoFailed:
		row.stats.Importance = widget.DangerImportance
		row.stats.SetText("Could not open")
		row.when.SetText(st.err)
		action, row.onAction = "Try again", func() { p.loadSnapshots(name, nil) }
	case st.state == repoOpen && st.count == 0:
		row.stats.SetText("No snapshots yet")
		row.when.SetText("")
	case st.state == repoOpen:
		row.stats.SetText(fmt.Sprintf("%d snapshot%s · latest %s", st.count, plural(st.count), backup.HumanBytes(st.latest.Bytes)))
		row.when.SetText("last snapshot " + bkAgo(st.latest.Time) + " ago, " + st.latest.Time.Local().Format("Mon 2 Jan 15:04"))
	default:
		row.stats.SetText("")
		row.when.SetText("")
	}
	row.stats.Refresh()
	if shown := !row.action.Hidden; (action != "") != shown || row.action.Text != action {
		row.action.SetText(action)
		if action == "" {
			row.action.Hide()
		} else {
			row.action.Show()
		}
		row.content.Refresh() // lay the row out again around the button
	}
}

// refreshRepos redraws the repository rows and the state line.
func (p *backupsPage) refreshRepos() {
	p.repoList.Refresh()
	p.updateSnapArea()
	p.updateStatus()
}

// entryRow is one file or directory in the browser.
type entryRow struct {
	widget.BaseWidget
	icon              *widget.Icon
	name, size, mtime *widget.Label
	content           fyne.CanvasObject
}

func newEntryRow() *entryRow {
	r := &entryRow{icon: widget.NewIcon(nil), name: widget.NewLabel(""), size: widget.NewLabel(""), mtime: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.size.Alignment = fyne.TextAlignTrailing
	r.mtime.Alignment = fyne.TextAlignTrailing
	meta := container.NewHBox(
		container.NewGridWrap(fyne.NewSize(90, r.size.MinSize().Height), r.size),
		container.NewGridWrap(fyne.NewSize(150, r.mtime.MinSize().Height), r.mtime))
	r.content = container.NewBorder(nil, nil, r.icon, meta, r.name)
	r.ExtendBaseWidget(r)
	return r
}

func (r *entryRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (r *entryRow) set(icon fyne.Resource, name, size, mtime string) {
	r.icon.SetResource(icon)
	r.name.SetText(name)
	r.size.SetText(size)
	r.mtime.SetText(mtime)
}

// bkEmpty is an honest empty state with what to do next.
func bkEmpty(icon fyne.Resource, title, body string, actions ...fyne.CanvasObject) fyne.CanvasObject {
	img := widget.NewIcon(theme.NewDisabledResource(icon))
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	text := widget.NewLabel(body)
	text.Wrapping = fyne.TextWrapWord
	text.Alignment = fyne.TextAlignCenter
	iconBox := container.NewCenter(container.NewGridWrap(fyne.NewSize(64, 64), img))
	column := container.NewVBox(iconBox, heading, text)
	if len(actions) > 0 {
		column.Add(container.NewCenter(container.NewHBox(actions...)))
	}
	// The text wraps at 540; the column is as tall as it needs.
	width := canvas.NewRectangle(color.Transparent)
	width.SetMinSize(fyne.NewSize(540, 0))
	return container.NewCenter(container.NewStack(width, column))
}

// bkAgo is how long ago t was, in words.
func bkAgo(t time.Time) string {
	d := time.Since(t)
	if d < 0 {
		d = 0
	}
	return humanDuration(d)
}

// bkSeconds formats a duration given in seconds.
func bkSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", s)
	case d < time.Minute:
		return fmt.Sprintf("%.0f s", s)
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
	}
}

func bkShort(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// bkPaths names the folders of a snapshot briefly.
func bkPaths(paths []string) string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return strings.Join(names, ", ")
}

// bkFirst lists the first n items and how many more there are.
func bkFirst(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], "; "), len(items)-n)
}

func bkWas(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}
