package ui

// The Peers page: this device's ID and whether it accepts peers, the
// paired devices with their state, what each may do here, and the
// invite and join dialogs (peers_dialogs.go). Its fields are read and
// written on the UI thread only; every engine call runs in a goroutine.

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/peers"
	"github.com/holdfast/holdfast/peers/trust"
)

type peersPage struct {
	s *Shell
	d *devices

	rows []peers.PeerInfo // online first, then by name
	busy map[string]bool  // peers with a change on its way
	// minute the relative times were written in
	minute time.Time

	idText *widget.Label
	listen *listenCard
	list   *widget.List
	area   *fyne.Container
	empty  fyne.CanvasObject
	status *widget.Label
	root   fyne.CanvasObject
	stop   context.CancelFunc // ends the refresh while on screen
}

func newPeersPage(s *Shell) *page {
	p := &peersPage{s: s, d: s.dev, busy: map[string]bool{}}
	s.dev.watchList(p.refresh)
	return &page{title: PagePeers, icon: theme.ComputerIcon(), build: p.build, onStatus: p.onStatus, onVisible: p.setVisible, ref: p}
}

// peersRefresh is how often the devices' state (round-trip times) is read
// again while the page is on screen.
const peersRefresh = 5 * time.Second

// setVisible reads the devices' state every few seconds while on screen.
func (p *peersPage) setVisible(v bool) {
	if p.stop != nil {
		p.stop()
		p.stop = nil
	}
	if !v {
		return
	}
	ctx, cancel := context.WithCancel(p.s.ctx)
	p.stop = cancel
	p.d.reload()
	go func() {
		tk := time.NewTicker(peersRefresh)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				p.s.opts.do(func() {
					if ctx.Err() == nil {
						p.d.reload()
					}
				})
			}
		}
	}()
}

func (p *peersPage) build() fyne.CanvasObject {
	if p.s.eng.Peers == nil {
		return emptyState(theme.ComputerIcon(), "Peers are not available",
			"This engine runs without its peers service.")
	}
	p.idText = widget.NewLabelWithStyle(p.s.eng.Peers.ID().String(), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	p.idText.Selectable = true
	p.idText.Truncation = fyne.TextTruncateEllipsis
	copyID := widget.NewButtonWithIcon("Copy", theme.ContentCopyIcon(), func() {
		p.s.app.Clipboard().SetContent(p.s.eng.Peers.ID().String())
	})
	copyID.Importance = widget.LowImportance
	invite := widget.NewButtonWithIcon("Invite a device", theme.ContentAddIcon(), p.showInvite)
	invite.Importance = widget.HighImportance
	join := widget.NewButtonWithIcon("Join a device", theme.LoginIcon(), p.showJoin)

	name := widget.NewLabelWithStyle(p.s.eng.Config().DeviceName(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	idRow := container.NewBorder(nil, nil, widget.NewLabel("Device ID"), copyID, p.idText)
	p.listen = newListenCard(p.s)
	this := widget.NewCard("", "", container.NewVBox(
		container.NewBorder(nil, nil, container.NewHBox(widget.NewIcon(theme.ComputerIcon()), name),
			container.NewHBox(join, invite)),
		idRow,
		p.listen.object,
	))

	p.status = mutedLabel()
	p.list = widget.NewList(
		func() int { return len(p.rows) },
		func() fyne.CanvasObject { return newPeerRow(p) },
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id < len(p.rows) {
				r := p.rows[id]
				o.(*peerRow).set(r, p.busy[r.ID.String()], p.d.cur.id == r.ID.String(), time.Now())
			}
		})
	p.list.OnSelected = func(widget.ListItemID) { p.list.UnselectAll() }
	p.empty = emptyState(theme.ComputerIcon(), "No paired devices yet",
		"Pair your other machines — laptops, and servers running 'holdfast serve' — to see their live charts, "+
			"alerts and tasks here. On one device choose Invite a device; on the other, Join a device and paste the code.")
	p.area = container.NewStack()
	heading := widget.NewLabelWithStyle("Paired devices", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.root = container.NewBorder(
		container.NewVBox(this, container.NewBorder(nil, nil, heading, nil, p.status)),
		nil, nil, nil, p.area)
	p.refresh()
	return container.NewPadded(p.root)
}

// onStatus keeps "last seen 5 min ago" true as minutes pass.
func (p *peersPage) onStatus(engine.Status) {
	if p.list != nil && !time.Now().Truncate(time.Minute).Equal(p.minute) {
		p.refresh()
	}
}

// refresh shows the devices' list as the switcher last read it.
func (p *peersPage) refresh() {
	if p.list == nil {
		return
	}
	p.minute = time.Now().Truncate(time.Minute)
	rows := slices.Clone(p.d.list)
	slices.SortFunc(rows, func(a, b peers.PeerInfo) int {
		if a.Online != b.Online {
			if a.Online {
				return -1
			}
			return 1
		}
		return compareFold(a.Name, b.Name)
	})
	p.rows = rows
	online := 0
	for _, r := range rows {
		if r.Online {
			online++
		}
	}
	switch {
	case p.d.err != nil:
		p.status.SetText("Could not read the paired devices: " + p.d.err.Error())
	case !p.d.known:
		p.status.SetText("Reading…")
	case len(rows) == 0:
		p.status.SetText("")
	default:
		p.status.SetText(fmt.Sprintf("%s · %d online", alCount(len(rows), "device", "devices"), online))
	}
	var o fyne.CanvasObject = p.list
	if p.d.known && len(rows) == 0 {
		o = p.empty
	}
	if len(p.area.Objects) != 1 || p.area.Objects[0] != o {
		p.area.Objects = []fyne.CanvasObject{o}
		p.area.Refresh()
	}
	p.list.Refresh()
}

// peerCall runs one operation on this device's trust store for peer;
// its row is busy meanwhile, and a refusal is shown in a dialog.
func (p *peersPage) peerCall(peer peers.PeerInfo, op string, args peers.PeerArgs, failure string, done func()) {
	id := peer.ID.String()
	if p.busy[id] {
		return
	}
	p.busy[id] = true
	p.list.Refresh()
	args.Peer = id
	go func() {
		err := p.d.call(context.Background(), target{}, op, args, nil)
		p.s.opts.do(func() {
			delete(p.busy, id)
			if err != nil {
				dialog.ShowError(fmt.Errorf("%s: %w", failure, err), p.s.win)
			}
			p.d.reload()
			p.list.Refresh()
			if done != nil {
				done()
			}
		})
	}()
}

// setPermission grants or revokes one of the peer's permissions here.
func (p *peersPage) setPermission(peer peers.PeerInfo, perm trust.Permission, on bool) {
	op, verb := peers.OpRevoke, "revoke"
	if on {
		op, verb = peers.OpGrant, "grant"
	}
	p.peerCall(peer, op, peers.PeerArgs{Permission: string(perm)},
		fmt.Sprintf("Could not %s %s to %s", verb, perm, peer.Name), nil)
}

// open switches the pages to the peer and shows its Dashboard.
func (p *peersPage) open(peer peers.PeerInfo) {
	p.d.choose(target{id: peer.ID.String(), name: peer.Name})
	p.s.ShowPage(PageDashboard)
}

// peerRow is one paired device: its state, who it is, what it may do
// here, and its actions.
type peerRow struct {
	widget.BaseWidget
	p    *peersPage
	peer peers.PeerInfo

	dot           *canvas.Circle
	name, state   *widget.Label
	detail, perms *widget.Label
	observe, ctrl *widget.Check
	openBtn, more *widget.Button
	setting       bool // set is changing the checks: not the user
	content       fyne.CanvasObject
}

func newPeerRow(p *peersPage) *peerRow {
	r := &peerRow{
		p:      p,
		dot:    canvas.NewCircle(theme.Color(theme.ColorNameDisabled)),
		name:   widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		state:  alCaption(fyne.TextAlignLeading),
		detail: alCaption(fyne.TextAlignLeading),
		perms:  alCaption(fyne.TextAlignLeading),
	}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.observe = widget.NewCheck("Observe", func(on bool) {
		if !r.setting {
			r.p.setPermission(r.peer, trust.Observe, on)
		}
	})
	r.ctrl = widget.NewCheck("Control", func(on bool) {
		if !r.setting {
			r.p.setPermission(r.peer, trust.Control, on)
		}
	})
	r.openBtn = widget.NewButtonWithIcon("Dashboard", theme.NavigateNextIcon(), func() { r.p.open(r.peer) })
	r.openBtn.IconPlacement = widget.ButtonIconTrailingText
	r.more = widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), r.showMenu)
	r.more.Importance = widget.LowImportance

	dot := container.NewCenter(container.NewGridWrap(fyne.NewSize(12, 12), r.dot))
	who := alTight(container.NewBorder(nil, nil, nil, nil, r.name), r.state, r.detail)
	permBox := alTight(container.NewHBox(r.observe, r.ctrl), r.perms)
	actions := container.NewHBox(alColumn(260, permBox), container.NewCenter(r.openBtn), container.NewCenter(r.more))
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.CornerRadius = theme.InputRadiusSize()
	r.content = container.NewStack(bg, container.NewPadded(
		container.NewBorder(nil, nil, container.NewHBox(layoutGap(2), dot, layoutGap(2)), actions, who)))
	r.ExtendBaseWidget(r)
	return r
}

// layoutGap is empty room of the given width.
func layoutGap(w float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, 0))
	return r
}

func (r *peerRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.content) }

func (r *peerRow) set(p peers.PeerInfo, busy, shown bool, now time.Time) {
	r.peer = p
	switch {
	case p.Online:
		r.dot.FillColor = theme.Color(theme.ColorNameSuccess)
	case p.Revoked():
		r.dot.FillColor = theme.Color(theme.ColorNameError)
	default:
		r.dot.FillColor = theme.Color(theme.ColorNameDisabled)
	}
	r.dot.Refresh()
	name := p.Name
	if shown {
		name += "  (shown in the pages)"
	}
	r.name.SetText(name)
	r.state.SetText(peerStateText(p, now))
	r.detail.SetText(peerDetail(p))
	perms := peerPerms(p)
	if g, ok := r.p.d.granted[p.ID.String()]; ok && p.Online {
		perms += "; " + peerGranted(g)
	}
	r.perms.SetText(perms)
	r.setting = true
	r.observe.SetChecked(p.Can(trust.Observe))
	r.ctrl.SetChecked(p.Can(trust.Control))
	r.setting = false
	if busy {
		r.observe.Disable()
		r.ctrl.Disable()
		r.more.Disable()
	} else {
		r.observe.Enable()
		r.ctrl.Enable()
		r.more.Enable()
	}
	if p.Revoked() {
		r.openBtn.Disable()
	} else {
		r.openBtn.Enable()
	}
}

// showMenu offers Rename and Remove under the row's "…" button.
func (r *peerRow) showMenu() {
	c := fyne.CurrentApp().Driver().CanvasForObject(r.more)
	if c == nil {
		return
	}
	peer := r.peer
	rename := fyne.NewMenuItem("Rename…", func() { r.p.showRename(peer) })
	rename.Icon = theme.DocumentCreateIcon()
	remove := fyne.NewMenuItem("Remove…", func() { r.p.confirmRemove(peer) })
	remove.Icon = theme.DeleteIcon()
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", rename, remove), c,
		fyne.NewPos(0, r.more.Size().Height), r.more)
}
