package ui

// The repositories list of the Backups page: which repositories the home
// knows, which one is selected, and a row for each.

import (
	"fmt"
	"image/color"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
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

	// health is the answer to backup.stats: size, deduplication and the
	// last check; nil until it comes.
	health    *backup.RepoStats
	healthErr string
	healthGen int
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

// refreshRepos redraws the repository rows and the state line.
func (p *backupsPage) refreshRepos() {
	p.repoList.Refresh()
	p.updateSnapArea()
	p.updateStatus()
}

// repoRow is one repository in the list: name and where it lives on the
// left; then what is in it, its health, and what can be done with it.
// The columns have fixed widths so that they line up from row to row.
type repoRow struct {
	widget.BaseWidget
	name, where   *widget.Label
	stats, when   *widget.Label // snapshots: how many, the latest
	size, checked *widget.Label // health: size on disk, the last check
	action        *widget.Button
	onAction      func()
	content       fyne.CanvasObject
}

// repoColGap separates a row's columns, with the padding either side.
const repoColGap = 4

// The longest texts that usually appear in a row's columns: each column
// is as wide as the widest of its own, so that they line up from row to
// row. Rarer, longer texts are cut short.
var (
	repoColSnapshots = [2]string{"99 snapshots · latest 123.4 GiB", "taken less than a minute ago, 28 May 20:08"}
	repoColHealth    = [2]string{"123.4 GiB on disk · 2.4× deduplicated", "checked less than a minute ago · DAMAGED"}
	repoActions      = []string{"Check…", "Unlock…", "Try again"}
)

// repoColWidth is the width of a column whose first line is in the
// text size and whose second is a caption.
func repoColWidth(longest [2]string) float32 {
	first := widget.NewLabel(longest[0])
	second := widget.NewLabel(longest[1])
	second.SizeName = theme.SizeNameCaptionText
	return max(first.MinSize().Width, second.MinSize().Width) + theme.Padding() // digits differ in width
}

func newRepoRow() *repoRow {
	r := &repoRow{
		name:    widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		where:   widget.NewLabel(""),
		stats:   widget.NewLabel(""),
		when:    widget.NewLabel(""),
		size:    widget.NewLabel(""),
		checked: widget.NewLabel(""),
	}
	for _, l := range []*widget.Label{r.where, r.when, r.checked} {
		l.SizeName = theme.SizeNameCaptionText
	}
	for _, l := range []*widget.Label{r.name, r.where, r.stats, r.when, r.size, r.checked} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	for _, l := range []*widget.Label{r.stats, r.when, r.size, r.checked} {
		l.Alignment = fyne.TextAlignTrailing
	}
	r.action = widget.NewButton("", func() {
		if r.onAction != nil {
			r.onAction()
		}
	})
	r.action.Hide()
	var actionWidth float32
	for _, text := range repoActions {
		actionWidth = max(actionWidth, widget.NewButton(text, nil).MinSize().Width)
	}
	tight := layout.NewCustomPaddedVBoxLayout(-2 * theme.Padding())
	left := container.New(tight, r.name, r.where)
	column := func(width float32, o ...fyne.CanvasObject) fyne.CanvasObject {
		w := canvas.NewRectangle(color.Transparent)
		w.SetMinSize(fyne.NewSize(width, 0))
		return container.NewStack(w, container.New(tight, o...))
	}
	gap := func() fyne.CanvasObject {
		g := canvas.NewRectangle(color.Transparent)
		g.SetMinSize(fyne.NewSize(repoColGap, 0))
		return g
	}
	right := container.NewHBox(
		column(repoColWidth(repoColSnapshots), r.stats, r.when), gap(),
		column(repoColWidth(repoColHealth), r.size, r.checked), gap(),
		column(actionWidth, container.NewCenter(r.action)))
	icon := widget.NewIcon(theme.StorageIcon())
	r.content = container.NewBorder(nil, nil, container.NewCenter(icon), right, left)
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
	check := func() { p.showCheck(name) }
	switch {
	case st.state == repoLoading:
		row.stats.SetText("Opening…")
		row.when.SetText("")
		action, row.onAction = "Check…", check
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
		action, row.onAction = "Check…", check
	case st.state == repoOpen:
		row.stats.SetText(fmt.Sprintf("%d snapshot%s · latest %s", st.count, plural(st.count), backup.HumanBytes(st.latest.Bytes)))
		row.when.SetText("taken " + bkAgo(st.latest.Time) + " ago, " + st.latest.Time.Local().Format("2 Jan 15:04"))
		action, row.onAction = "Check…", check
	default:
		row.stats.SetText("")
		row.when.SetText("")
	}
	row.stats.Refresh()
	size, checked := p.healthWords(info, st)
	row.size.Importance, row.checked.Importance = size.importance, checked.importance
	row.size.SetText(size.text)
	row.checked.SetText(checked.text)
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

// bkWords is a piece of text and how it is coloured.
type bkWords struct {
	text       string
	importance widget.Importance
}

// healthWords is what a repository's row says of its health: its size
// on disk and deduplication, then when it was last checked and how that
// went. A locked repository shows only what this home recorded of its
// last check.
func (p *backupsPage) healthWords(info backup.RepoInfo, st *repoStats) (size, checked bkWords) {
	switch {
	case p.locked(info.Name) || st.state == repoFailed:
	case st.health != nil:
		size.text = bkHealthSize(*st.health)
	case st.healthErr != "":
		size = bkWords{"size unknown: " + st.healthErr, widget.LowImportance}
	default:
		size = bkWords{"measuring…", widget.LowImportance}
	}
	if f := p.checks[info.Name]; f != nil && f.running {
		return size, bkWords{f.progressWords(), widget.MediumImportance}
	}
	at, sound := lastCheck(info, st)
	switch {
	case at == nil:
		checked = bkWords{"never checked", widget.MediumImportance} // low importance is unreadable on the selected row
	case sound:
		checked = bkWords{"checked " + bkAgo(*at) + " ago · sound", widget.MediumImportance}
	default:
		checked = bkWords{"checked " + bkAgo(*at) + " ago · DAMAGED", widget.DangerImportance}
	}
	return size, checked
}

// lastCheck is when the repository was last checked from this home (nil
// for never) and whether it was found sound: the engine's latest word,
// backup.stats, or else what backup.repos said.
func lastCheck(info backup.RepoInfo, st *repoStats) (*time.Time, bool) {
	at, sound := info.LastCheck, info.CheckSound
	if st.health != nil {
		at, sound = st.health.LastCheck, st.health.CheckSound
	}
	if at != nil && at.IsZero() {
		at = nil
	}
	return at, sound
}

// bkHealthSize is a repository's size on disk and how much deduplication
// (and compression) saves: the snapshots' sizes added up over the size.
func bkHealthSize(h backup.RepoStats) string {
	text := backup.HumanBytes(h.SizeBytes) + " on disk"
	if h.LogicalBytes > 0 && h.DedupRatio > 0 {
		text += " · " + bkRatio(h.DedupRatio) + " deduplicated"
	}
	return text
}

// bkRatio writes a ratio such as 2.4×; from 10 on without a decimal.
func bkRatio(r float64) string {
	if r >= 9.95 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.1f×", r)
}

// damaged lists the repositories whose last check found damage.
func (p *backupsPage) damaged() []string {
	var names []string
	for _, r := range p.repos {
		st := p.stat(r.Name)
		if f := p.checks[r.Name]; f != nil && f.running {
			continue
		}
		if at, sound := lastCheck(r, st); at != nil && !sound {
			names = append(names, r.Name)
		}
	}
	return names
}
