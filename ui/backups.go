package ui

import (
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/engine"
)

// reposRefresh is how often the page asks again which repositories the
// home knows, to notice ones added from the command line.
const reposRefresh = time.Minute

// backupsPage is the Backups page: repositories and their health, "back
// up a folder now", the snapshots of the chosen repository, a browser,
// the restore wizard and the check dialog. Its fields are read and
// written on the UI thread only.
//
// Its parts live in files of their own: backups_repos.go (the list of
// repositories), backups_status.go (the one-line state), backups_run.go
// (back up a folder now), backups_snapshots.go (the snapshot table),
// backups_browser.go (the file tree), backups_restore.go and
// backups_check.go (the wizards), backups_dialogs.go (the smaller
// dialogs) and backups_ops.go (every call to the engine).
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

	checks map[string]*checkForm // by repository: shown, running, or with news not yet seen

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
		checks:    map[string]*checkForm{},
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

	sources := newSourcesSection(p.s)
	top := container.NewVBox(statusRow, repos, widget.NewSeparator(), sources.box, widget.NewSeparator(), backupBox, widget.NewSeparator())
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
