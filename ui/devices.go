package ui

// The device switcher: which device the Dashboard, Alerts and Tasks pages
// show — this one, or a paired peer reached through the engine's peers
// service — and the list of paired peers with their state, which the
// header's menu and the Peers page read.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/peers"
	"github.com/holdfast/holdfast/peers/trust"
)

// devCallTimeout bounds one call to a peer made for a page.
const devCallTimeout = 30 * time.Second

// target is the device the pages show: this one (id "") or a paired peer.
type target struct {
	id   string // the peer's device ID
	name string
}

func (t target) local() bool { return t.id == "" }

// devices keeps the paired peers' list and the device the pages show.
// Its fields are read and written on the UI thread only.
type devices struct {
	s     *Shell
	cur   target
	list  []peers.PeerInfo
	known bool // the list has been read once
	err   error
	// granted is what each peer lets this device do, as last asked.
	granted map[string]peers.GrantedInfo

	onSwitch []func(target) // pages following the switch
	onBack   []func(target) // pages refilling after the shown peer reconnected
	onList   []listWatcher  // views of the list

	loading, again bool
	// listenSaved is [peers] listen in config.toml, as loaded or last
	// saved from the app.
	listenSaved string
}

func newDevices(s *Shell) *devices {
	d := &devices{s: s, granted: map[string]peers.GrantedInfo{}, listenSaved: s.eng.Config().Peers.Listen}
	if s.eng.Peers == nil {
		return d
	}
	s.listen(8, func(bus.Event) { d.reload() }, peers.Changed{}.Topic())
	d.reload()
	return d
}

// follow calls switched whenever the pages' device changes and back when
// the peer shown comes back online.
func (d *devices) follow(switched, back func(target)) {
	if switched != nil {
		d.onSwitch = append(d.onSwitch, switched)
	}
	if back != nil {
		d.onBack = append(d.onBack, back)
	}
}

// listWatcher is a view of the list, until its ctx ends.
type listWatcher struct {
	ctx context.Context
	fn  func()
}

// watchList calls fn whenever the list of peers or a peer's state changes.
func (d *devices) watchList(fn func()) { d.watchListUntil(context.Background(), fn) }

// watchListUntil is watchList until ctx ends (an open dialog).
func (d *devices) watchListUntil(ctx context.Context, fn func()) {
	d.onList = append(d.onList, listWatcher{ctx, fn})
}

// reload reads the peers and asks the online ones what they grant this
// device. Calls while a read is on its way make one more read after it.
func (d *devices) reload() {
	if d.s.eng.Peers == nil {
		return
	}
	if d.loading {
		d.again = true
		return
	}
	d.loading = true
	asked := map[string]bool{}
	for id := range d.granted {
		asked[id] = true
	}
	go func() {
		list, err := d.s.eng.Peers.List()
		// The state first; what the peers grant when they have said.
		d.s.opts.do(func() {
			if d.s.ctx.Err() == nil {
				d.apply(list, err)
			}
		})
		granted := map[string]peers.GrantedInfo{}
		for _, p := range list {
			if !p.Online {
				continue
			}
			ctx, cancel := context.WithTimeout(d.s.ctx, 5*time.Second)
			if g, err := d.s.eng.Peers.Granted(ctx, p.ID.String()); err == nil {
				granted[p.ID.String()] = g
			}
			cancel()
		}
		d.s.opts.do(func() {
			if d.s.ctx.Err() != nil {
				return
			}
			d.loading = false
			for id, g := range granted {
				d.granted[id] = g
			}
			if len(granted) > 0 {
				d.notifyList()
			}
			if d.again {
				d.again = false
				d.reload()
			}
		})
	}()
}

// apply takes a new list: the pages of a peer that came back refill, and
// a peer removed while shown gives way to this device.
func (d *devices) apply(list []peers.PeerInfo, err error) {
	d.err = err
	if err != nil {
		d.notifyList()
		return
	}
	wasOnline := d.online(d.cur.id)
	hadList := d.known
	d.list, d.known = list, true
	if !hadList {
		d.startDevice()
	}
	if !d.cur.local() {
		p, ok := d.peer(d.cur.id)
		switch {
		case !ok:
			d.choose(target{})
		case p.Name != d.cur.name:
			d.cur.name = p.Name
			d.notifySwitch()
		case p.Online && !wasOnline && hadList:
			for _, fn := range d.onBack {
				fn(d.cur)
			}
		}
	}
	d.notifyList()
}

// startDevice shows the peer HOLDFAST_START_DEVICE names (a name or a
// device ID prefix) from the start: screenshots and demos.
func (d *devices) startDevice() {
	want := os.Getenv("HOLDFAST_START_DEVICE")
	if want == "" {
		return
	}
	for _, p := range d.list {
		if p.Name == want || p.ID.HasPrefix(want) {
			d.choose(target{id: p.ID.String(), name: p.Name})
			return
		}
	}
}

func (d *devices) notifyList() {
	d.onList = slices.DeleteFunc(d.onList, func(w listWatcher) bool { return w.ctx.Err() != nil })
	for _, w := range slices.Clone(d.onList) {
		if w.ctx.Err() == nil {
			w.fn()
		}
	}
	d.updateHeader()
}

func (d *devices) notifySwitch() {
	for _, fn := range d.onSwitch {
		fn(d.cur)
	}
	d.updateHeader()
	// The pages name the device ("Dashboard — nas").
	for _, p := range d.s.pages {
		if p.heading != nil && p.titleLabel != nil {
			p.titleLabel.SetText(p.heading())
		}
	}
}

// choose switches the pages to t.
func (d *devices) choose(t target) {
	if t == d.cur {
		return
	}
	d.cur = t
	d.notifySwitch()
}

// peer is the paired peer with the given ID.
func (d *devices) peer(id string) (peers.PeerInfo, bool) {
	for _, p := range d.list {
		if p.ID.String() == id {
			return p, true
		}
	}
	return peers.PeerInfo{}, false
}

// online reports whether the peer is connected ("" is this device: yes).
func (d *devices) online(id string) bool {
	if id == "" {
		return true
	}
	p, ok := d.peer(id)
	return ok && p.Online
}

// can reports whether the target allows this device perm: this device
// allows itself everything; a peer what it said when last asked.
func (d *devices) can(t target, perm trust.Permission) bool {
	if t.local() {
		return true
	}
	g, ok := d.granted[t.id]
	return ok && g.Can(perm)
}

// setGranted records what a peer said it grants (pages ask it again
// when they reload, since a grant does not reconnect).
func (d *devices) setGranted(id string, g peers.GrantedInfo) { d.granted[id] = g }

// call runs op on t and decodes its data into out, when given. It blocks:
// run it in a goroutine.
func (d *devices) call(ctx context.Context, t target, op string, args, out any) error {
	raw, err := json.Marshal(args)
	if err != nil {
		return err
	}
	req := control.Request{Op: op, Args: raw}
	var res control.Result
	if t.local() {
		res = d.s.eng.Dispatch(ctx, req, nil)
	} else {
		if d.s.eng.Peers == nil {
			return fmt.Errorf("%s: peers are not available in this engine", t.name)
		}
		ctx, cancel := context.WithTimeout(ctx, devCallTimeout)
		defer cancel()
		if res, err = d.s.eng.Peers.Call(ctx, t.id, req, nil); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return err
	}
	if out != nil && len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, out); err != nil {
			return fmt.Errorf("%s: unexpected answer from %s: %w", op, d.describe(t), err)
		}
	}
	return nil
}

func (d *devices) describe(t target) string {
	if t.local() {
		return "the engine"
	}
	return t.name
}

// heading is a page's title with the device it shows, when not this one.
func (d *devices) heading(title string) string {
	if d.cur.local() {
		return title
	}
	return title + " — " + d.cur.name
}

// updateHeader shows the device in the header's switcher.
func (d *devices) updateHeader() {
	if d.s.header != nil {
		d.s.header.setViewing(d.cur.name, d.cur.local() || d.online(d.cur.id))
	}
}

// showMenu opens the switcher's menu under the header's device button:
// this device, each paired peer with its state, and the Peers page.
func (d *devices) showMenu(under fyne.CanvasObject) {
	c := fyne.CurrentApp().Driver().CanvasForObject(under)
	if c == nil {
		return
	}
	this := fyne.NewMenuItem("This device · "+d.s.eng.Config().DeviceName(), func() { d.choose(target{}) })
	this.Icon = theme.ComputerIcon()
	this.Checked = d.cur.local()
	items := []*fyne.MenuItem{this}
	list := slices.Clone(d.list)
	slices.SortFunc(list, func(a, b peers.PeerInfo) int {
		if a.Online != b.Online {
			if a.Online {
				return -1
			}
			return 1
		}
		return compareFold(a.Name, b.Name)
	})
	for _, p := range list {
		if p.Revoked() {
			continue
		}
		t := target{id: p.ID.String(), name: p.Name}
		label := p.Name + " · " + peerStateText(p, time.Now())
		it := fyne.NewMenuItem(label, func() { d.choose(t) })
		it.Icon = theme.ComputerIcon()
		if !p.Online {
			it.Icon = theme.NewDisabledResource(theme.ComputerIcon())
		}
		it.Checked = t.id == d.cur.id
		items = append(items, it)
	}
	manage := fyne.NewMenuItem("Manage devices…", func() { d.s.ShowPage(PagePeers) })
	manage.Icon = theme.SettingsIcon()
	items = append(items, fyne.NewMenuItemSeparator(), manage)
	widget.ShowPopUpMenuAtRelativePosition(fyne.NewMenu("", items...), c,
		fyne.NewPos(0, under.Size().Height), under)
}

// showIf shows o when on and hides it otherwise.
func showIf(o fyne.CanvasObject, on bool) {
	if on {
		o.Show()
	} else {
		o.Hide()
	}
}
