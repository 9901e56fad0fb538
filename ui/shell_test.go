package ui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
)

// uiMu serialises UI access between a test and the shell's goroutine:
// Fyne's test driver runs fyne.Do callbacks in place, on any goroutine.
var uiMu sync.Mutex

func uiDo(f func()) {
	uiMu.Lock()
	defer uiMu.Unlock()
	f()
}

// trayApp is the test app plus a system tray, recording what the shell
// does with both.
type trayApp struct {
	fyne.App
	menu  *fyne.Menu
	icon  fyne.Resource
	quits int
}

func (a *trayApp) Quit()                             { a.quits++ }
func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icon = r }
func (a *trayApp) SetSystemTrayWindow(w fyne.Window) {}

func newTestShell(t *testing.T, opts Options) (*Shell, *trayApp, *engine.Engine) {
	t.Helper()
	return newTestShellIn(t, opts, nil)
}

// newQuietTestShell is newTestShell on a home whose config.toml switches
// every default metric rule off, for tests that expect no alert at all: the
// machine running the tests may well be busy (a load average above twice
// its cores makes load_average_high pending at once).
func newQuietTestShell(t *testing.T, opts Options) (*Shell, *trayApp, *engine.Engine) {
	t.Helper()
	return newTestShellIn(t, opts, func(dir string) {
		var b strings.Builder
		for _, r := range alerts.DefaultRules(0) {
			fmt.Fprintf(&b, "[[alerts.rule]]\nname = %q\ndisabled = true\n\n", r.Name)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	})
}

// newTestShellIn opens a shell and a started engine on a fresh home,
// after prepare (when not nil) has put files into the home's directory.
func newTestShellIn(t *testing.T, opts Options, prepare func(dir string)) (*Shell, *trayApp, *engine.Engine) {
	t.Helper()
	dir, err := os.MkdirTemp("", "hfui")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if prepare != nil {
		prepare(dir)
	}
	h, err := home.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(h, engine.Options{Mode: engine.ModeDesktop})
	if err != nil {
		t.Fatal(err)
	}
	a := &trayApp{App: test.NewTempApp(t)}
	opts.do = uiDo
	var s *Shell
	uiDo(func() { s = New(a, eng, opts) })
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(); eng.Stop() })
	return s, a, eng
}

// texts collects every piece of text drawn under o.
func texts(o fyne.CanvasObject) string {
	var b strings.Builder
	for _, obj := range test.LaidOutObjects(o) {
		switch v := obj.(type) {
		case *canvas.Text:
			b.WriteString(v.Text + "\n")
		case *widget.Label:
			b.WriteString(v.Text + "\n")
		}
	}
	return b.String()
}

func TestWindowHasEveryPage(t *testing.T) {
	s, _, _ := newQuietTestShell(t, Options{TrayHost: true})
	if got := s.Window().Title(); got != "Holdfast" {
		t.Errorf("title %q", got)
	}
	uiDo(func() { s.Window().Resize(fyne.NewSize(1100, 720)) })
	want := map[string]string{
		PageDashboard:   "This machine",
		PageBackups:     "No backups yet",
		PageTasks:       "No tasks yet",
		PageConsistency: "No watched folders yet",
		PagePeers:       "No paired devices yet",
		PageAlerts:      "No alerts",
		PageSettings:    "config.toml",
	}
	for _, title := range []string{PageDashboard, PageBackups, PageTasks, PageConsistency, PagePeers, PageAlerts, PageSettings} {
		var shown bool
		var current, got string
		uiDo(func() {
			shown = s.ShowPage(title)
			current = s.CurrentPage()
			got = texts(s.Window().Content())
		})
		if !shown {
			t.Fatalf("no page %q", title)
		}
		if current != title {
			t.Fatalf("showing %q after selecting %q", current, title)
		}
		if !strings.Contains(got, want[title]) {
			t.Errorf("page %s does not show %q:\n%s", title, want[title], got)
		}
	}
	var shown bool
	uiDo(func() { shown = s.ShowPage("Nope") })
	if shown {
		t.Error("ShowPage accepted an unknown page")
	}
}

func TestHeaderSaysEngineRuns(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got string
		uiDo(func() { got = texts(s.header.object) })
		if strings.Contains(got, "All good") && strings.Contains(got, eng.Status().Device) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("header says:\n%s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCloseHidesToTrayOnlyWhenThereIsOne(t *testing.T) {
	for _, tc := range []struct {
		trayHost  bool
		wantQuits int
	}{{true, 0}, {false, 1}} {
		s, a, _ := newTestShell(t, Options{TrayHost: tc.trayHost})
		uiDo(s.closeWindow)
		if a.quits != tc.wantQuits {
			t.Errorf("tray host %v: %d quits, want %d", tc.trayHost, a.quits, tc.wantQuits)
		}
	}
}

func TestTrayMenu(t *testing.T) {
	s, a, _ := newTestShell(t, Options{TrayHost: true})
	var labels []string
	var quit *fyne.MenuItem
	uiDo(func() {
		for _, it := range a.menu.Items {
			labels = append(labels, it.Label)
			if it.IsQuit {
				quit = it
			}
		}
	})
	if a.menu == nil || a.icon == nil {
		t.Fatal("no tray menu or icon")
	}
	joined := strings.Join(labels, "|")
	if !strings.HasPrefix(joined, "Open Holdfast|") || quit == nil || quit.Label != "Quit" {
		t.Fatalf("tray menu %q", joined)
	}
	uiDo(quit.Action)
	if a.quits != 1 {
		t.Error("Quit in the tray did not quit")
	}
	_ = s
}

func TestShowWindowOperation(t *testing.T) {
	_, _, eng := newTestShell(t, Options{})
	res := eng.Dispatch(context.Background(), control.Request{Op: engine.OpShowWindow}, nil)
	if res.Exit != 0 {
		t.Fatalf("ui.show: %+v", res)
	}
}

func TestHeaderShowsTheWorstAlert(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	err := eng.Alerts.Raise(context.Background(), alerts.Event{Source: "backup", Key: "k", Severity: alerts.SeverityError, Message: "Backup of Documents failed"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got string
		uiDo(func() { got = texts(s.header.object) })
		if strings.Contains(got, "Backup of Documents failed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("header says:\n%s", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
