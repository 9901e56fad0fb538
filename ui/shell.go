// Package ui is Holdfast's desktop app, in Fyne: the window with its header
// and sidebar, the pages, the tray menu and the theme. It reads the engine
// and listens to its bus; it never touches the disk or the network itself.
// It does not import fyne.io/fyne/v2/app, so it builds and tests without
// cgo; the cgo-only wiring in package main creates the app.
package ui

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/holdfast/holdfast/assets"
	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
)

// Options say what the desktop around the app offers.
type Options struct {
	// TrayHost is true when a system tray host is present; only then does
	// closing the window hide it to the tray instead of quitting.
	TrayHost bool

	// do runs UI updates coming from other goroutines; fyne.Do unless a
	// test serialises them itself (Fyne's test driver runs them in place).
	do func(func())
}

// Icon is the app icon as a Fyne resource.
var Icon = fyne.NewStaticResource("holdfast.png", assets.IconPNG)

// Shell is the main window and everything around it.
type Shell struct {
	app  fyne.App
	eng  *engine.Engine
	opts Options
	win  fyne.Window

	header  *header
	sidebar *sidebar
	pages   []*page
	body    *fyne.Container
	current int
	tray    *tray
	shown   bool     // the window is on screen
	dev     *devices // which device the pages show (devices.go)

	// ctx ends when the shell stops; listeners started with listen run
	// until then and are waited for by stop.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New builds the window (not yet shown), the tray menu and the theme, and
// registers the show-window operation with the engine. Call it before
// eng.Start so the shell sees the engine's first events.
func New(a fyne.App, eng *engine.Engine, opts Options) *Shell {
	if opts.do == nil {
		opts.do = fyne.Do
	}
	s := &Shell{app: a, eng: eng, opts: opts}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	a.SetIcon(Icon)
	a.Settings().SetTheme(newTheme(eng.Config().UI.Theme))

	s.win = a.NewWindow("Holdfast")
	s.win.SetIcon(Icon)
	s.win.SetMaster()
	s.win.Resize(fyne.NewSize(1100, 720))
	s.win.SetCloseIntercept(s.closeWindow)

	s.dev = newDevices(s)
	s.pages = buildPages(s)
	s.header = newHeader(eng)
	s.header.pick = s.dev.showMenu
	s.body = container.NewStack()
	s.sidebar = newSidebar(s.pages, s.showPage)
	split := container.NewHSplit(s.sidebar.list, s.body)
	split.Offset = 0.17
	s.win.SetContent(container.NewBorder(s.header.object, nil, nil, nil, split))
	s.showPage(0)
	// HOLDFAST_START_PAGE opens another page first (screenshots, demos).
	if start := os.Getenv("HOLDFAST_START_PAGE"); start != "" {
		s.ShowPage(start)
	}

	if d, ok := a.(desktop.App); ok {
		s.tray = newTray(d, s)
	}
	eng.Handle(engine.OpShowWindow, func(ctx context.Context, c *control.Call) (any, error) {
		s.opts.do(s.Show)
		return nil, nil
	})
	// Subscribe before returning, so no event published by eng.Start is
	// missed.
	sub := eng.Bus().Subscribe(16)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.follow(s.ctx, sub)
	}()
	return s
}

// listen calls fn on the UI thread for every bus event of the given
// topics until the shell stops. Subscribing happens now, so no event
// published after listen returns is missed.
func (s *Shell) listen(buffer int, fn func(bus.Event), topics ...string) {
	sub := s.eng.Bus().Subscribe(buffer, topics...)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer sub.Close()
		for {
			select {
			case <-s.ctx.Done():
				return
			case ev, ok := <-sub.C:
				if !ok {
					return
				}
				s.opts.do(func() {
					if s.ctx.Err() == nil {
						fn(ev)
					}
				})
			}
		}
	}()
}

// stop ends the shell's listeners and waits for them. It must not be
// called while holding up the UI thread in tests (their do runs inline).
func (s *Shell) stop() {
	s.cancel()
	s.wg.Wait()
}

// Window is the main window.
func (s *Shell) Window() fyne.Window { return s.win }

// Show shows the window and brings it forward.
func (s *Shell) Show() {
	s.win.Show()
	s.win.RequestFocus()
	s.shown = true
	s.updateVisible()
}

// Quit closes the app for good.
func (s *Shell) Quit() {
	// Listeners stop at once: none runs after this on the UI thread.
	s.cancel()
	defer func() {
		// Fyne 2.8.1 panics in Quit, after asking its driver to stop, when
		// it could not watch its settings file at start (no inotify
		// instances left): the app still quits, so carry on.
		if r := recover(); r != nil {
			slog.Warn("the desktop toolkit failed while quitting", "err", r)
		}
	}()
	s.app.Quit()
}

// closeWindow hides to the tray when there is one to come back from, and
// quits otherwise.
func (s *Shell) closeWindow() {
	if s.opts.TrayHost && s.eng.Config().UI.CloseToTray {
		s.win.Hide()
		s.shown = false
		s.updateVisible()
		return
	}
	s.Quit()
}

// ShowPage switches to the page with the given title; it reports whether
// there is one.
func (s *Shell) ShowPage(title string) bool {
	for i, p := range s.pages {
		if p.title == title {
			s.sidebar.list.Select(i)
			return true
		}
	}
	return false
}

// CurrentPage is the title of the page on screen.
func (s *Shell) CurrentPage() string { return s.pages[s.current].title }

func (s *Shell) showPage(i int) {
	s.current = i
	p := s.pages[i]
	if p.content == nil {
		p.content = p.build()
	}
	s.body.Objects = []fyne.CanvasObject{p.view()}
	s.body.Refresh()
	s.updateVisible()
}

// updateVisible tells the pages that care whether they are on screen now.
func (s *Shell) updateVisible() {
	for i, p := range s.pages {
		v := s.shown && i == s.current && p.content != nil && s.ctx.Err() == nil
		if p.onVisible != nil && v != p.visible {
			p.visible = v
			p.onVisible(v)
		}
	}
}

// follow keeps the header and tray in step with the engine: events from
// the bus, and a slow tick for the uptime.
func (s *Shell) follow(ctx context.Context, sub *bus.Subscription) {
	defer sub.Close()
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-sub.C:
			if !ok {
				return
			}
		case <-tick.C:
		}
		st := s.eng.Status()
		s.opts.do(func() {
			s.header.update(st)
			if s.tray != nil {
				s.tray.update(st)
			}
			for _, p := range s.pages {
				if p.content != nil && p.onStatus != nil {
					p.onStatus(st)
				}
			}
		})
	}
}
