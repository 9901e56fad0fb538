package ui

// Accepting peers: a switch and an address, applied to the running
// engine at once and saved to [peers] listen in config.toml. The Peers
// page and Settings each show one.

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/config"
)

// defaultPeerListen is offered when listening is turned on with no
// address yet: every interface, Holdfast's usual port.
const defaultPeerListen = ":7420"

// listenCard turns accepting peers on and off.
type listenCard struct {
	s      *Shell
	on     *widget.Check
	addr   *widget.Entry
	apply  *widget.Button
	state  *widget.Label
	object fyne.CanvasObject

	setting bool // refresh is changing the widgets: not the user
	busy    bool
}

func newListenCard(s *Shell) *listenCard {
	c := &listenCard{s: s}
	c.addr = widget.NewEntry()
	c.addr.SetPlaceHolder(defaultPeerListen)
	c.addr.OnChanged = func(string) { c.dirty() }
	c.on = widget.NewCheck("Accept other devices", func(bool) {
		if !c.setting {
			c.dirty()
		}
	})
	c.apply = widget.NewButton("Apply", c.save)
	c.apply.Importance = widget.HighImportance
	c.state = mutedLabel()
	c.state.Wrapping = fyne.TextWrapWord
	c.state.Truncation = fyne.TextTruncateOff
	addr := container.NewGridWrap(fyne.NewSize(220, c.addr.MinSize().Height), c.addr)
	c.object = container.NewVBox(
		container.NewHBox(c.on, widget.NewLabel("on"), addr, c.apply),
		c.state)
	c.setting = true
	c.on.SetChecked(c.listening() || s.dev.listenSaved != "")
	c.addr.SetText(s.dev.listenSaved)
	c.setting = false
	c.refresh()
	s.dev.watchList(c.refresh)
	return c
}

// listening reports whether the engine accepts peers now.
func (c *listenCard) listening() bool {
	return c.s.eng.Peers != nil && len(c.s.eng.Peers.Addresses()) > 0
}

// want is the address the widgets ask for ("" none).
func (c *listenCard) want() string {
	if !c.on.Checked {
		return ""
	}
	if a := strings.TrimSpace(c.addr.Text); a != "" {
		return a
	}
	return defaultPeerListen
}

func (c *listenCard) dirty() {
	if c.setting {
		return
	}
	c.refresh()
}

// refresh says whether this device accepts peers, and where.
func (c *listenCard) refresh() {
	if c.s.eng.Peers == nil {
		c.state.SetText("Peers are not available in this engine.")
		c.apply.Disable()
		return
	}
	if c.on.Checked {
		c.addr.Enable()
	} else {
		c.addr.Disable()
	}
	addrs := c.s.eng.Peers.Addresses()
	changed := c.want() != c.s.dev.listenSaved || (c.want() != "") != (len(addrs) > 0)
	if changed && !c.busy {
		c.apply.Enable()
	} else {
		c.apply.Disable()
	}
	switch {
	case c.busy:
		c.state.SetText("Applying…")
	case len(addrs) > 0:
		c.state.SetText("Accepting peers on " + strings.Join(addrs, ", ") + ". Only paired devices, or one holding an open invite, get past the handshake.")
	default:
		c.state.SetText("Not accepting peers: other devices cannot pair with this one or connect to it, though it still connects to the devices it has paired with.")
	}
}

// save applies the address to the running engine and, once it listens
// there, saves it to config.toml.
func (c *listenCard) save() {
	addr := c.want()
	c.busy = true
	c.refresh()
	path := c.s.eng.Home().ConfigPath()
	go func() {
		err := c.s.eng.Peers.SetListen(addr)
		var saveErr error
		if err == nil {
			_, saveErr = config.SavePeersListen(path, addr)
		}
		c.s.opts.do(func() {
			c.busy = false
			if err == nil && saveErr == nil {
				c.s.dev.listenSaved = addr
			}
			// Every view of the state (both cards, the Peers page) reads it anew.
			c.s.dev.notifyList()
			switch {
			case err != nil:
				c.state.SetText("Could not accept peers there: " + err.Error())
			case saveErr != nil:
				c.state.SetText(c.state.Text + " Not saved, so it lasts until Holdfast restarts: " + saveErr.Error())
			}
		})
	}()
}
