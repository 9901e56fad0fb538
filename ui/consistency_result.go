package ui

// The outcome of a verify or compare: a title, counts by class, and the
// differences as a tree grouped by directory, expandable to files.

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/control"
)

// cnResult is the last verify or compare run from this page for a folder.
type cnResult struct {
	folder string
	kind   string // verify or compare
	other  string // compare: the other operand
	repo   string
	deep   bool
	at     time.Time
	exit   int
	err    error

	verify  *consistency.VerifyResult
	compare *consistency.Report

	// repair is the last repair applied from this result, for Undo.
	repair       *consistency.RepairResult
	repairUndone bool

	tree *cnTree
}

// counts are the differences by class, in cnClassOrder's names.
func (r *cnResult) counts() map[string]int {
	switch {
	case r.verify != nil:
		c := r.verify.Counts
		return map[string]int{"corrupt": c.Corrupt, "missing": c.Missing, "changed": c.Changed, "new": c.New, "metadata": c.Metadata, "errors": c.Errors}
	case r.compare != nil:
		c := r.compare.Counts
		return map[string]int{"missing": c.Missing, "extra": c.Extra, "modified": c.Modified, "metadata": c.Metadata, "errors": c.Errors}
	}
	return nil
}

// repairable says whether a repair from the snapshot could change
// anything.
func (r *cnResult) repairable() bool {
	if r.verify == nil {
		return false
	}
	c := r.verify.Counts
	return c.Corrupt+c.Missing+c.Changed+c.New+c.Metadata > 0
}

// cnDiff is one difference in the tree.
type cnDiff struct {
	class  string
	typ    string
	detail string
}

// cnNode is a path in the tree: a difference, a directory holding
// differences, or both.
type cnNode struct {
	name     string
	diff     *cnDiff
	children []string
	count    int    // differences at or below
	worst    string // the worst class at or below
}

// cnTree holds the differences by path; "" is the root.
type cnTree struct {
	nodes map[string]*cnNode
	total int
}

// newCnTree groups the differences of a result by directory.
func newCnTree(r *cnResult) *cnTree {
	t := &cnTree{nodes: map[string]*cnNode{"": {}}}
	add := func(class string, e consistency.Entry, verify bool) {
		t.add(e.Path, cnDiff{class: class, typ: e.Type, detail: cnEntryDetail(class, e, verify)})
	}
	switch {
	case r.verify != nil:
		v := r.verify
		for _, set := range []struct {
			class string
			list  []consistency.Entry
		}{{"corrupt", v.Corrupt}, {"missing", v.Missing}, {"changed", v.Changed}, {"new", v.New}, {"metadata", v.Metadata}} {
			for _, e := range set.list {
				add(set.class, e, true)
			}
		}
		for _, e := range v.Errors {
			t.add(e.Path, cnDiff{class: "errors", detail: "could not be read: " + e.Error})
		}
	case r.compare != nil:
		c := r.compare
		for _, set := range []struct {
			class string
			list  []consistency.Entry
		}{{"missing", c.Missing}, {"extra", c.Extra}, {"modified", c.Modified}, {"metadata", c.Metadata}} {
			for _, e := range set.list {
				add(set.class, e, false)
			}
		}
		for _, e := range c.Errors {
			side := filepath.Base(c.A)
			if e.Side == "b" {
				side = cnOperand(c.B)
			}
			t.add(e.Path, cnDiff{class: "errors", detail: "could not be read in " + side + ": " + e.Error})
		}
	}
	for _, n := range t.nodes {
		sort.Slice(n.children, func(i, j int) bool {
			a, b := t.nodes[n.children[i]], t.nodes[n.children[j]]
			if (len(a.children) > 0) != (len(b.children) > 0) {
				return len(a.children) > 0 // directories first
			}
			return strings.ToLower(a.name) < strings.ToLower(b.name)
		})
	}
	return t
}

func (t *cnTree) add(p string, d cnDiff) {
	p = strings.Trim(p, "/")
	if p == "" {
		return
	}
	t.total++
	n := t.node(p)
	if n.diff == nil || cnClassOf(d.class).rank < cnClassOf(n.diff.class).rank {
		n.diff = &d
	}
	for q := p; ; q = cnParent(q) {
		a := t.nodes[q]
		a.count++
		if a.worst == "" || cnClassOf(d.class).rank < cnClassOf(a.worst).rank {
			a.worst = d.class
		}
		if q == "" {
			return
		}
	}
}

// node returns the node at p, making it and its parents as needed.
func (t *cnTree) node(p string) *cnNode {
	if n, ok := t.nodes[p]; ok {
		return n
	}
	n := &cnNode{name: path.Base(p)}
	t.nodes[p] = n
	parent := t.node(cnParent(p))
	parent.children = append(parent.children, p)
	return n
}

func cnParent(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// files returns the paths of the differences of one class, in order.
func (t *cnTree) paths(class string) []string {
	var out []string
	for p, n := range t.nodes {
		if n.diff != nil && n.diff.class == class {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// diffRow is one row of the tree.
type diffRow struct {
	widget.BaseWidget
	icon   *widget.Icon
	name   *widget.Label
	class  *widget.Label
	detail *widget.Label
	box    fyne.CanvasObject
}

func newDiffRow() *diffRow {
	r := &diffRow{icon: widget.NewIcon(theme.FolderIcon()), name: widget.NewLabel("name.txt"), class: widget.NewLabel("corrupt"), detail: widget.NewLabel("")}
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.detail.Importance = widget.LowImportance
	r.box = container.NewBorder(nil, nil, container.NewHBox(r.icon, r.name, r.class), nil, r.detail)
	r.ExtendBaseWidget(r)
	return r
}

func (r *diffRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.box) }

func (r *diffRow) set(n *cnNode) {
	if n.diff != nil {
		c := cnClassOf(n.diff.class)
		r.icon.SetResource(c.icon)
		r.class.SetText(c.word)
		r.class.Importance = c.imp
		r.detail.SetText(n.diff.detail)
	} else {
		r.icon.SetResource(theme.FolderIcon())
		r.class.SetText("")
		r.detail.SetText("")
	}
	name := n.name
	if len(n.children) > 0 {
		name += "/"
		w := fmt.Sprintf("%d difference%s", n.count, plural(n.count))
		if n.diff != nil {
			w = r.class.Text + " · " + w
		}
		r.class.SetText(w)
		r.class.Importance = cnClassOf(n.worst).imp
	}
	r.name.SetText(name)
	r.class.Refresh()
}

// newDiffTree is the tree of the selected folder's differences.
func (p *consistencyPage) newDiffTree() *widget.Tree {
	cur := func() *cnTree {
		if r := p.results[p.selected]; r != nil && r.tree != nil {
			return r.tree
		}
		return nil
	}
	t := widget.NewTree(
		func(id widget.TreeNodeID) []widget.TreeNodeID {
			if ct := cur(); ct != nil {
				if n := ct.nodes[id]; n != nil {
					return n.children
				}
			}
			return nil
		},
		func(id widget.TreeNodeID) bool {
			if id == "" {
				return true
			}
			if ct := cur(); ct != nil {
				if n := ct.nodes[id]; n != nil {
					return len(n.children) > 0
				}
			}
			return false
		},
		func(bool) fyne.CanvasObject { return newDiffRow() },
		func(id widget.TreeNodeID, _ bool, o fyne.CanvasObject) {
			if ct := cur(); ct != nil {
				if n := ct.nodes[id]; n != nil {
					o.(*diffRow).set(n)
				}
			}
		})
	return t
}

// showResult shows the selected folder's last outcome, or what to do.
func (p *consistencyPage) showResult() {
	if p.resultTitle == nil {
		return
	}
	folder := p.selected
	r := p.results[folder]
	p.repairBtn.Hide()
	p.undoBtn.Hide()
	p.againBtn.Hide()
	p.counts.Objects = nil
	p.counts.Refresh()
	busy := p.run != nil && p.run.folder == folder
	switch {
	case folder == "":
		p.resultTitle.SetText("")
		p.resultSub.SetText("")
		p.setTreeNote("Select a folder to see what its last check found.")
		return
	case r == nil:
		p.resultTitle.SetText(folder)
		rec, ok := p.checks[folder]
		if ok {
			p.resultSub.SetText("Last check: " + cnLastCheck(&rec, time.Now()))
			if !busy && (rec.Kind == "verify" || filepath.IsAbs(rec.Against)) {
				p.againBtn.Show() // its outcome is one click away
			}
		} else {
			p.resultSub.SetText("Never checked")
		}
		if busy {
			p.setTreeNote("")
			return
		}
		p.setTreeNote("Verify compares this folder with its latest backup and names every corrupt, missing, changed " +
			"and new file. Compare sets it beside another folder or a snapshot. The differences show here as a tree.")
		return
	}
	if !busy {
		p.againBtn.Show()
	}
	if r.repair != nil && !r.repairUndone && !busy {
		p.undoBtn.Show()
	}
	if r.err != nil {
		what := "Verify"
		if r.kind == "compare" {
			what = "Compare"
		}
		p.resultTitle.SetText(what + " of " + folder + " did not finish")
		p.resultSub.SetText(r.at.Local().Format("15:04:05"))
		p.setTreeNote(r.err.Error())
		return
	}
	if r.tree == nil {
		r.tree = newCnTree(r)
	}
	counts := r.counts()
	var chips []fyne.CanvasObject
	for _, c := range cnClassOrder {
		if n := counts[c]; n > 0 {
			l := widget.NewLabelWithStyle(fmt.Sprintf("%s %s", cnThousands(n), cnClassOf(c).word), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			l.Importance = cnClassOf(c).imp
			chips = append(chips, widget.NewIcon(cnClassOf(c).icon), l)
		}
	}
	switch {
	case r.verify != nil:
		v := r.verify
		p.resultTitle.SetText(fmt.Sprintf("%s against snapshot %s of %s (%s)", folder, bkShort(v.Snapshot), r.repo, v.SnapshotTime.Local().Format("2 Jan 2006 15:04")))
		sub := fmt.Sprintf("Verified %s · %s entries, %s identical · %s read · %s",
			cnAgo(r.at, time.Now()), cnThousands(v.Counts.Entries), cnThousands(v.Counts.Identical),
			backup.HumanBytes(v.HashedBytes), bkSeconds(v.DurationSeconds))
		if v.Deep {
			sub += " · every file read"
		}
		p.resultSub.SetText(sub)
		chips = append(chips, p.scoreChip(v.Score))
		if r.repairable() && !busy {
			p.repairBtn.Show()
		}
		if r.tree.total == 0 {
			p.setTreeNote("Nothing differs: every file matches snapshot " + bkShort(v.Snapshot) + ".")
		}
	case r.compare != nil:
		c := r.compare
		p.resultTitle.SetText(fmt.Sprintf("%s compared with %s", folder, cnOperand(c.B)))
		p.resultSub.SetText(fmt.Sprintf("Compared %s · %s entries, %s identical · missing: only in %s; extra: only in %s · %s",
			cnAgo(r.at, time.Now()), cnThousands(c.Counts.Entries), cnThousands(c.Counts.Identical),
			filepath.Base(folder), cnOperand(c.B), bkSeconds(c.DurationSeconds)))
		chips = append(chips, p.scoreChip(c.Score))
		if r.tree.total == 0 {
			p.setTreeNote("Nothing differs: the two sides are identical.")
		}
	}
	p.counts.Objects = chips
	p.counts.Refresh()
	if r.tree.total > 0 {
		p.setTreeArea(p.tree)
		p.tree.Refresh()
		if r.tree.total <= 300 {
			p.tree.OpenAllBranches()
		}
	}
}

func (p *consistencyPage) scoreChip(score float64) fyne.CanvasObject {
	l := widget.NewLabel("· score " + cnScore(score))
	return l
}

func (p *consistencyPage) setTreeNote(text string) {
	p.treeNoteTxt.SetText(text)
	p.setTreeArea(p.treeNote)
}

func (p *consistencyPage) setTreeArea(o fyne.CanvasObject) {
	if len(p.treeArea.Objects) == 1 && p.treeArea.Objects[0] == o {
		return
	}
	p.treeArea.Objects = []fyne.CanvasObject{o}
	p.treeArea.Refresh()
}

// showProgress shows what the work in flight is doing.
func (p *consistencyPage) showProgress(pr control.Progress) {
	p.progressRow.Show()
	if pr.Total > 0 {
		p.progressInf.Stop()
		p.progressInf.Hide()
		p.progress.Show()
		p.progress.Max = float64(pr.Total)
		p.progress.SetValue(float64(pr.Done))
	} else {
		p.progress.Hide()
		p.progressInf.Show()
		p.progressInf.Start()
	}
	if pr.Message != "" {
		p.progressMsg.SetText(pr.Message)
	}
}

func (p *consistencyPage) hideProgress() {
	p.progressInf.Stop()
	p.progressRow.Hide()
}
