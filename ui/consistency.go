package ui

import (
	"image/color"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/core/watch"
)

// consistencyPage is the Consistency page: the watched folders with their
// state, last check and score; verify and compare with a tree of the
// differences; repair with its plan and undo; and the trash. Its fields
// are read and written on the UI thread only.
//
// Its parts live in files of their own: consistency_folders.go (the list
// of folders), consistency_result.go (a check's outcome and its tree),
// consistency_dialogs.go (verify, compare, repair), consistency_ops.go
// (every call to the engine), consistency_format.go (words) and trash.go
// (the Trash tab).
type consistencyPage struct {
	s *Shell

	folders     []watch.FolderInfo
	checks      map[string]consistency.CheckRecord
	loaded      bool
	loadErr     error
	ready       chan cnFolders // the answer in flight
	loadAgain   bool           // and another was asked for meanwhile
	selected    string
	results     map[string]*cnResult // the last outcome shown, by folder
	repos       []backup.RepoInfo
	reposAsked  time.Time
	passwords   map[string]string // typed this session; never stored
	lastRefresh time.Time

	// The work in flight: one at a time.
	run *cnRun
	// waiters run once the watcher has seen a folder change.
	waiters map[string][]func()

	trash *trashView

	// widgets
	root        *fyne.Container
	main        fyne.CanvasObject
	statusDot   *canvas.Circle
	statusText  *widget.Label
	list        *widget.List
	listSize    *canvas.Rectangle
	resultTitle *widget.Label
	resultSub   *widget.Label
	counts      *fyne.Container
	repairBtn   *widget.Button
	undoBtn     *widget.Button
	againBtn    *widget.Button
	progress    *widget.ProgressBar
	progressInf *widget.ProgressBarInfinite
	progressMsg *widget.Label
	cancelBtn   *widget.Button
	progressRow *fyne.Container
	tree        *widget.Tree
	treeArea    *fyne.Container
	treeNote    fyne.CanvasObject
	treeNoteTxt *widget.Label
	tabs        *container.AppTabs
}

func newConsistencyPage(s *Shell) *page {
	p := newConsistencyView(s)
	return &page{title: PageConsistency, icon: theme.ConfirmIcon(), build: p.build, onStatus: p.onStatus}
}

// newConsistencyView makes the page's widgets, starts listening to the
// engine and asks it for the folders at once.
func newConsistencyView(s *Shell) *consistencyPage {
	p := &consistencyPage{
		s:         s,
		checks:    map[string]consistency.CheckRecord{},
		results:   map[string]*cnResult{},
		passwords: map[string]string{},
		waiters:   map[string][]func(){},
	}
	p.makeWidgets()
	p.trash = newTrashView(p)
	s.listen(8, func(ev bus.Event) {
		if c, ok := ev.(watch.Changed); ok {
			p.watcherChanged(c.Folder)
		}
	}, watch.TopicChanged)
	s.listen(16, func(ev bus.Event) {
		// A verify or repair ended (from here, the CLI or a job): the
		// folders' last checks, and the trash, may have changed.
		if c, ok := ev.(tasks.Changed); ok && c.Task.Ended != nil && (c.Task.Kind == "verify" || c.Task.Kind == "repair") {
			p.loadFolders()
			if c.Task.Kind == "repair" {
				p.trash.load()
			}
		}
	}, tasks.TopicChanged)
	p.loadFolders()
	p.loadRepos()
	return p
}

func (p *consistencyPage) do(f func()) { p.s.opts.do(f) }

func (p *consistencyPage) makeWidgets() {
	p.statusDot = canvas.NewCircle(theme.Color(theme.ColorNameDisabled))
	p.statusText = widget.NewLabel("Reading the watched folders…")
	p.statusText.Truncation = fyne.TextTruncateEllipsis

	p.list = widget.NewList(
		func() int { return len(p.folders) },
		func() fyne.CanvasObject { return newFolderRow(p) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(p.folders) {
				o.(*folderRow).update(p.folders[id])
			}
		})
	p.list.OnSelected = func(id widget.ListItemID) {
		if id < len(p.folders) {
			p.selectFolder(p.folders[id].Path)
		}
	}
	p.listSize = canvas.NewRectangle(color.Transparent)

	p.resultTitle = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.resultTitle.Truncation = fyne.TextTruncateEllipsis
	p.resultSub = widget.NewLabel("")
	p.resultSub.Truncation = fyne.TextTruncateEllipsis
	p.counts = container.NewHBox()
	p.repairBtn = widget.NewButtonWithIcon("Repair…", theme.MediaReplayIcon(), func() { p.showRepair() })
	p.repairBtn.Importance = widget.HighImportance
	p.undoBtn = widget.NewButtonWithIcon("Undo repair", theme.ContentUndoIcon(), func() { p.confirmUndo() })
	p.againBtn = widget.NewButtonWithIcon("Check again", theme.ViewRefreshIcon(), func() { p.checkAgain() })

	p.progress = widget.NewProgressBar()
	p.progressInf = widget.NewProgressBarInfinite()
	p.progressInf.Stop()
	p.progressMsg = widget.NewLabel("")
	p.progressMsg.Truncation = fyne.TextTruncateEllipsis
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() { p.cancelRun() })
	bars := container.NewStack(p.progress, p.progressInf)
	p.progressRow = container.NewVBox(container.NewBorder(nil, nil, nil, p.cancelBtn, bars), p.progressMsg)
	p.progressRow.Hide()

	p.tree = p.newDiffTree()
	p.treeNoteTxt = widget.NewLabel("")
	p.treeNoteTxt.Wrapping = fyne.TextWrapWord
	p.treeNoteTxt.Alignment = fyne.TextAlignCenter
	p.treeNote = container.NewCenter(bkWidth(520, p.treeNoteTxt))
	p.treeArea = container.NewStack(p.treeNote)
}

// build lays the page out: the state line on top, then the Folders and
// Trash tabs; Folders holds the list above the selected folder's result.
func (p *consistencyPage) build() fyne.CanvasObject {
	add := widget.NewButtonWithIcon("Watch a folder…", theme.ContentAddIcon(), p.pickFolderToWatch)
	dot := container.NewGridWrap(fyne.NewSize(12, 12), p.statusDot)
	statusRow := container.NewBorder(nil, nil, container.NewCenter(dot), add, p.statusText)

	folders := container.NewStack(p.listSize, p.list)
	actions := container.NewHBox(p.againBtn, p.undoBtn, p.repairBtn)
	head := container.NewBorder(nil, nil, nil, actions, container.NewVBox(p.resultTitle))
	resultTop := container.NewVBox(head, p.resultSub, p.counts, p.progressRow)
	result := container.NewBorder(resultTop, nil, nil, nil, p.treeArea)
	foldersTab := container.NewBorder(container.NewVBox(folders, widget.NewSeparator()), nil, nil, nil, result)

	p.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Folders", theme.FolderIcon(), foldersTab),
		container.NewTabItemWithIcon("Trash", theme.DeleteIcon(), p.trash.build()),
	)
	p.tabs.OnSelected = func(t *container.TabItem) {
		if t.Text == "Trash" {
			p.trash.load()
		}
	}
	p.main = container.NewBorder(statusRow, nil, nil, nil, p.tabs)
	p.root = container.NewStack()
	p.takeFolders() // no "reading…" flash when the answer is already here
	p.refreshAll()
	return container.NewPadded(p.root)
}

// onStatus follows the engine's heartbeat: relative times stay true, and
// repositories added elsewhere appear in the dialogs.
func (p *consistencyPage) onStatus(engine.Status) {
	if p.root == nil {
		return
	}
	if time.Since(p.reposAsked) > reposRefresh {
		p.loadRepos()
	}
	if time.Since(p.lastRefresh) > 20*time.Second {
		p.lastRefresh = time.Now()
		p.list.Refresh()
		p.updateStatus()
		p.showResult()
	}
}

// refreshAll brings every part of the page in line with its state.
func (p *consistencyPage) refreshAll() {
	if p.root == nil {
		return
	}
	p.lastRefresh = time.Now()
	switch {
	case !p.loaded:
		p.setRoot(widget.NewLabel("Reading the watched folders…"))
	case p.loadErr != nil && len(p.folders) == 0:
		retry := widget.NewButtonWithIcon("Try again", theme.ViewRefreshIcon(), p.loadFolders)
		p.setRoot(bkEmpty(theme.ErrorIcon(), "Could not read the watched folders",
			"The engine answered: "+p.loadErr.Error(), retry))
	case len(p.folders) == 0 && (p.tabs == nil || p.tabs.SelectedIndex() == 0):
		add := widget.NewButtonWithIcon("Watch a folder…", theme.ContentAddIcon(), p.pickFolderToWatch)
		add.Importance = widget.HighImportance
		trash := widget.NewButtonWithIcon("Open the trash", theme.DeleteIcon(), func() {
			p.tabs.SelectIndex(1)
			p.setRoot(p.main)
		})
		p.setRoot(bkEmpty(theme.ConfirmIcon(), "No watched folders yet",
			"Holdfast keeps the index of a watched folder current as files change, so it can tell at once whether the "+
				"folder still matches its backup or another copy: which files are corrupt, missing, changed or new. "+
				"When something drifted, Repair shows a plan and puts the backup's version back; every file it replaces "+
				"goes to the trash first, so a repair can always be undone.", add, trash))
	default:
		p.setRoot(p.main)
	}
	rows := min(max(len(p.folders), 1), 4)
	rowH := newFolderRow(p).MinSize().Height
	p.listSize.SetMinSize(fyne.NewSize(0, float32(rows)*rowH+float32(rows-1)*theme.Padding()))
	p.list.Refresh()
	p.updateStatus()
	p.showResult()
}

func (p *consistencyPage) setRoot(o fyne.CanvasObject) {
	if len(p.root.Objects) == 1 && p.root.Objects[0] == o {
		return
	}
	p.root.Objects = []fyne.CanvasObject{o}
	p.root.Refresh()
}

// setStatus shows the page's one-line state.
func (p *consistencyPage) setStatus(kind statusKind, text string) {
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

// updateStatus answers "are my folders intact?" in one line.
func (p *consistencyPage) updateStatus() {
	if p.statusText == nil {
		return
	}
	if p.run != nil {
		p.setStatus(statusBusy, p.run.title+"…")
		return
	}
	switch {
	case !p.loaded:
		p.setStatus(statusNeutral, "Reading the watched folders…")
		return
	case p.loadErr != nil:
		p.setStatus(statusError, "Could not read the watched folders: "+p.loadErr.Error())
		return
	}
	kind, text := cnStatusLine(p.folders, p.checks, p.selected, time.Now())
	p.setStatus(kind, text)
}

// selectFolder shows a folder's last outcome below the list.
func (p *consistencyPage) selectFolder(path string) {
	if p.selected == path {
		return
	}
	p.selected = path
	p.showResult()
	p.showLastCompare()
	p.updateStatus()
}

// showLastCompare runs the selected folder's last check again when it was
// a compare with another folder and this page has no result of it yet:
// the status line promises the differences on selection, and such a
// compare (run by the CLI, a job, or before the app started) is cheap and
// no task. A verify may need a password and reads a snapshot: it waits
// for Check again.
func (p *consistencyPage) showLastCompare() {
	rec, ok := p.checks[p.selected]
	if !ok || p.results[p.selected] != nil || p.run != nil || rec.Kind == "verify" || !filepath.IsAbs(rec.Against) {
		return
	}
	p.compare(p.selected, rec.Against, "")
}

// folderInfo returns the watched folder at path.
func (p *consistencyPage) folderInfo(path string) (watch.FolderInfo, bool) {
	for _, f := range p.folders {
		if f.Path == path {
			return f, true
		}
	}
	return watch.FolderInfo{}, false
}

// locked says whether the repository needs a password typed first.
func (p *consistencyPage) locked(name string) bool {
	if _, ok := p.passwords[name]; ok {
		return false
	}
	for _, r := range p.repos {
		if r.Name == name {
			return r.Password == ""
		}
	}
	return false
}
