package ui

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/config"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/peers"
	"github.com/holdfast/holdfast/peers/trust"
	"github.com/holdfast/holdfast/ui/chart"
)

// openPeerEngine opens and starts a real engine on a home of its own,
// accepting peers on a free port of 127.0.0.1.
func openPeerEngine(t *testing.T, mode engine.Mode) *engine.Engine {
	t.Helper()
	dir, err := os.MkdirTemp("", "hfpeer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h, err := home.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.Open(h, engine.Options{Mode: mode, PeersListen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// newPeeredShell is a desktop shell whose engine accepts peers, and a
// second engine, "nas", as `holdfast serve` runs it, paired with it over
// real TLS WebSockets on 127.0.0.1: the desktop joined nas's invite.
func newPeeredShell(t *testing.T) (*Shell, *engine.Engine, *engine.Engine) {
	t.Helper()
	nas := openPeerEngine(t, engine.ModeServe)
	if err := nas.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nas.Stop() })

	desk := openPeerEngine(t, engine.ModeDesktop)
	a := &trayApp{App: test.NewTempApp(t)}
	var s *Shell
	uiDo(func() { s = New(a, desk, Options{do: uiDo}) })
	if err := desk.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(); desk.Stop() })

	inv, err := nas.Peers.Invite(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := desk.Peers.Join(context.Background(), inv.Code, "nas"); err != nil {
		t.Fatal(err)
	}
	waitUI(t, "nas online in the switcher", func() bool {
		id := nasID(t, s)
		return id != "" && s.dev.online(id)
	})
	uiDo(func() {
		s.Show()
		s.Window().Resize(fyne.NewSize(1100, 760))
	})
	return s, desk, nas
}

// nasID is the paired peer's device ID as the switcher knows it.
func nasID(t *testing.T, s *Shell) string {
	for _, p := range s.dev.list {
		if p.Name == "nas" {
			return p.ID.String()
		}
	}
	return ""
}

// overlayTexts is the text of the window's top overlay (a dialog).
func overlayTexts(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return texts(top)
}

func findButton(o fyne.CanvasObject, text string) *widget.Button {
	b, _ := dashFind(o, func(b *widget.Button) bool { return b.Text == text && b.Visible() })
	return b
}

func TestPeersPageListsThePairedPeerOnline(t *testing.T) {
	s, desk, _ := newPeeredShell(t)
	uiDo(func() { s.ShowPage(PagePeers) })
	waitUI(t, "nas listed online", func() bool {
		got := texts(s.Window().Content())
		return strings.Contains(got, "nas\n") && strings.Contains(got, "online") &&
			strings.Contains(got, "1 device · 1 online") && strings.Contains(got, desk.Peers.ID().String())
	})
	// The device pages' switch lists it too.
	uiDo(func() {
		if !strings.Contains(s.header.device.Text, desk.Config().DeviceName()) {
			t.Errorf("header device %q", s.header.device.Text)
		}
	})
}

func TestInviteDialogShowsCodeAndQR(t *testing.T) {
	s, _, _ := newPeeredShell(t)
	uiDo(func() { s.ShowPage(PagePeers) })
	uiDo(func() { test.Tap(findButton(s.Window().Content(), "Invite a device")) })
	var code string
	waitUI(t, "the invite code and its QR code", func() bool {
		top := s.Window().Canvas().Overlays().Top()
		if top == nil {
			return false
		}
		l, ok := dashFind(top, func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "hf1.") })
		// The QR code: a square image the size qrImage draws.
		_, okImg := dashFind(top, func(i *canvas.Image) bool {
			return i.Image != nil && i.Visible() && i.Image.Bounds().Dx() == 512 && i.Image.Bounds().Dy() == 512
		})
		if !ok || !okImg || !strings.Contains(texts(top), "Expires in ") {
			return false
		}
		code = l.Text
		return true
	})
	if _, err := peers.ParseCode(code); err != nil {
		t.Fatalf("the dialog's code does not parse: %v", err)
	}
}

func TestInviteDialogSaysWhenNotAcceptingPeers(t *testing.T) {
	s, desk, _ := newPeeredShell(t)
	if err := desk.Peers.SetListen(""); err != nil {
		t.Fatal(err)
	}
	uiDo(func() { s.ShowPage(PagePeers) })
	uiDo(func() { test.Tap(findButton(s.Window().Content(), "Invite a device")) })
	waitUI(t, "the advice to accept peers", func() bool {
		return strings.Contains(overlayTexts(s.Window()), "This device does not accept peers")
	})
}

func TestJoinDialogShowsABadCodesError(t *testing.T) {
	s, _, nas := newPeeredShell(t)
	uiDo(func() { s.ShowPage(PagePeers) })
	tryCode := func(code, want string) {
		t.Helper()
		uiDo(func() { test.Tap(findButton(s.Window().Content(), "Join a device")) })
		var top fyne.CanvasObject
		waitUI(t, "the join dialog", func() bool {
			top = s.Window().Canvas().Overlays().Top()
			return top != nil && strings.Contains(texts(top), "Join a device")
		})
		uiDo(func() {
			e, ok := dashFind(top, func(e *widget.Entry) bool { return e.MultiLine })
			if !ok {
				t.Fatal("no code entry")
			}
			e.SetText(code)
			test.Tap(findButton(top, "Pair"))
		})
		waitUI(t, "the error "+want, func() bool {
			got := texts(top)
			return strings.Contains(got, "Could not pair: ") && strings.Contains(got, want)
		})
		uiDo(func() { test.Tap(findButton(top, "Cancel")) })
	}
	tryCode("hf1.not-a-code", "not a Holdfast invite code")

	// A real code, used once already: nas refuses it.
	inv, err := nas.Peers.Invite(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	other := openPeerEngine(t, engine.ModeLocal)
	defer other.Stop()
	if _, err := other.Peers.Join(context.Background(), inv.Code, "nas"); err != nil {
		t.Fatal(err)
	}
	tryCode(inv.Code, "invite already used")
}

// TestDashboardSwitchesToThePeer switches the Dashboard to nas: its title
// names it, and its charts are filled from nas's own history (points
// from before the switch) and then its live stream.
func TestDashboardSwitchesToThePeer(t *testing.T) {
	s, _, nas := newPeeredShell(t)
	// Let nas record a few seconds of history first.
	waitUI(t, "nas's first samples", func() bool { return !nas.Monitor.Latest().At.IsZero() })
	time.Sleep(2 * time.Second)
	switched := time.Now()
	uiDo(func() {
		s.ShowPage(PageDashboard)
		s.dev.choose(target{id: nasID(t, s), name: "nas"})
	})
	waitUI(t, "the title naming nas", func() bool {
		return strings.Contains(texts(s.Window().Content()), "Dashboard — nas")
	})
	var charts []*chart.Chart
	uiDo(func() {
		for _, o := range test.LaidOutObjects(s.Window().Content()) {
			if c, ok := o.(*chart.Chart); ok {
				charts = append(charts, c)
			}
		}
	})
	if len(charts) != 4 {
		t.Fatalf("%d charts", len(charts))
	}
	// Memory is a gauge: history has it from nas's first tick on.
	waitUI(t, "nas's memory history in the chart", func() bool {
		for _, p := range charts[1].Series()[0].Points {
			if !math.IsNaN(p.V) && p.V > 0 && p.T.Before(switched.Add(-time.Second)) {
				return true
			}
		}
		return false
	})
	var d *dashboard
	uiDo(func() { d = s.pages[0].ref.(*dashboard) })
	waitUI(t, "nas's live values", func() bool {
		return strings.HasSuffix(d.cpu.Text, " %") && strings.HasSuffix(d.mem.Text, " %") &&
			strings.Contains(d.running.Text, "serve engine running since")
	})
	// Back to this device.
	uiDo(func() { s.dev.choose(target{}) })
	waitUI(t, "the title of this device", func() bool {
		got := texts(s.Window().Content())
		return !strings.Contains(got, "Dashboard — nas") && strings.Contains(got, "This machine")
	})
}

// TestObserveOnlyPeersAlertHasNoAck shows nas's alert on the desktop's
// Alerts page: no Acknowledge while nas lets this device only observe,
// and Acknowledge once it grants control.
func TestObserveOnlyPeersAlertHasNoAck(t *testing.T) {
	s, desk, nas := newPeeredShell(t)
	ctx := context.Background()
	if err := nas.Alerts.Raise(ctx, alerts.Event{Source: "backup", Key: "k", Severity: alerts.SeverityError, Message: "Backup of photos failed on nas"}); err != nil {
		t.Fatal(err)
	}
	uiDo(func() {
		s.ShowPage(PageAlerts)
		s.dev.choose(target{id: nasID(t, s), name: "nas"})
	})
	waitUI(t, "nas's alert", func() bool {
		got := texts(s.Window().Content())
		return strings.Contains(got, "Alerts — nas") && strings.Contains(got, "Backup of photos failed on nas")
	})
	// nas's rules came along (alerts.rules, an observe operation), so its
	// metric alerts show their values in the rules' units.
	want := nas.Alerts.Rules()
	if len(want) == 0 {
		t.Fatal("nas has no alert rules to send")
	}
	waitUI(t, "nas's alert rules", func() bool {
		for _, p := range s.pages {
			if ap, ok := p.ref.(*alertsPage); ok && len(ap.rules) == len(want) && ap.rule(want[0].Name) != nil {
				return ap.rule(want[0].Name).Metric == want[0].Metric
			}
		}
		return false
	})
	uiDo(func() {
		if b := findButton(s.Window().Content(), "Acknowledge"); b != nil {
			t.Error("an observe-only peer's alert offers Acknowledge")
		}
		if b := findButton(s.Window().Content(), "Silence"); b != nil {
			t.Error("a peer's alert offers Silence, which is kept per device")
		}
	})

	grant, err := json.Marshal(peers.PeerArgs{Peer: desk.Peers.ID().String(), Permission: string(trust.Control)})
	if err != nil {
		t.Fatal(err)
	}
	if res := nas.Dispatch(ctx, control.Request{Op: peers.OpGrant, Args: grant}, nil); res.Err() != nil {
		t.Fatal(res.Err())
	}
	var ack *widget.Button
	waitUI(t, "Acknowledge after nas granted control", func() bool {
		for _, p := range s.pages {
			if ap, ok := p.ref.(*alertsPage); ok {
				ap.load()
			}
		}
		ack = findButton(s.Window().Content(), "Acknowledge")
		return ack != nil
	})
	uiDo(func() { test.Tap(ack) })
	waitUI(t, "the alert acknowledged on nas", func() bool {
		for _, a := range nas.Alerts.Active() {
			if a.Message == "Backup of photos failed on nas" {
				return a.State == alerts.StateAcknowledged
			}
		}
		return false
	})
}

// TestDashboardFillsThePeersGap cuts the link to nas while nas keeps
// recording (nas revokes this device, then grants it again): once nas is
// back, the Live charts hold nas's samples from the time the link was
// down, read from nas's history.
func TestDashboardFillsThePeersGap(t *testing.T) {
	s, desk, nas := newPeeredShell(t)
	ctx := context.Background()
	uiDo(func() {
		s.ShowPage(PageDashboard)
		s.dev.choose(target{id: nasID(t, s), name: "nas"})
	})
	var mem *chart.Chart
	uiDo(func() {
		for _, o := range test.LaidOutObjects(s.Window().Content()) {
			if c, ok := o.(*chart.Chart); ok && mem == nil && len(c.Series()) == 2 {
				mem = c // Memory: Used and Cached
			}
		}
	})
	waitUI(t, "nas's live memory", func() bool {
		return len(mem.Series()[0].Points) > 0
	})
	perm := func(op string) {
		t.Helper()
		args, _ := json.Marshal(peers.PeerArgs{Peer: desk.Peers.ID().String(), Permission: string(trust.Observe)})
		if res := nas.Dispatch(ctx, control.Request{Op: op, Args: args}, nil); res.Err() != nil {
			t.Fatal(res.Err())
		}
	}
	perm(peers.OpRevoke)
	waitUI(t, "nas offline", func() bool { return !s.dev.online(nasID(t, s)) })
	cut := time.Now()
	time.Sleep(3 * time.Second)
	back := time.Now()
	// No sample of the cut came live.
	uiDo(func() {
		for _, p := range mem.Series()[0].Points {
			if p.T.After(cut.Add(time.Second)) && p.T.Before(back) && !math.IsNaN(p.V) {
				t.Fatalf("a live sample at %v, while the link was cut at %v", p.T, cut)
			}
		}
	})
	perm(peers.OpGrant)
	waitUI(t, "the cut filled from nas's history", func() bool {
		n := 0
		for _, p := range mem.Series()[0].Points {
			if p.T.After(cut.Add(time.Second)) && p.T.Before(back.Add(-time.Second)) && !math.IsNaN(p.V) {
				n++
			}
		}
		return n > 0
	})
}

// TestTasksPageShowsThePeersTasks runs a backup on nas and finds it on
// the desktop's Tasks page switched to nas, with the peer's name in the
// title and no actions while nas lets this device only observe.
func TestTasksPageShowsThePeersTasks(t *testing.T) {
	s, _, nas := newPeeredShell(t)
	nas.Backup.KDF = repo.TestKDFParams()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "photos")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "a.jpg"), []byte("not really a photo"), 0o644); err != nil {
		t.Fatal(err)
	}
	initRepo(t, nas, filepath.Join(tmp, "repo"), "vault", "pw")
	raw, _ := json.Marshal(backup.BackupArgs{RepoArgs: backup.RepoArgs{Repo: "vault"}, Paths: []string{src}})
	id, err := nas.Tasks.Launch(context.Background(), control.Request{Op: backup.OpBackup, Args: raw}, tasks.Origin{})
	if err != nil {
		t.Fatal(err)
	}
	waitUI(t, "the backup done on nas", func() bool {
		tk, err := nas.Tasks.Get(id)
		return err == nil && tk.State.Ended()
	})
	tk, _ := nas.Tasks.Get(id)

	uiDo(func() {
		s.ShowPage(PageTasks)
		s.dev.choose(target{id: nasID(t, s), name: "nas"})
	})
	waitUI(t, "nas's backup on the Tasks page", func() bool {
		got := texts(s.Window().Content())
		return strings.Contains(got, "Tasks — nas") && strings.Contains(got, tk.Description) &&
			strings.Contains(got, "1 task on nas · 0 running") && strings.Contains(got, "watch only")
	})
	uiDo(func() {
		for _, b := range []string{"Pause", "Resume", "Cancel"} {
			if findButton(s.Window().Content(), b) != nil {
				t.Errorf("%s offered on an observe-only peer's task", b)
			}
		}
	})
	// Back to this device: its own (empty) page again.
	uiDo(func() { s.dev.choose(target{}) })
	waitUI(t, "this device's tasks", func() bool {
		got := texts(s.Window().Content())
		return !strings.Contains(got, tk.Description) && strings.Contains(got, "No tasks yet")
	})
}

// TestListenCardAppliesAndSaves turns accepting peers off and on again
// from the Peers page: the running engine follows at once, and
// config.toml keeps the choice.
func TestListenCardAppliesAndSaves(t *testing.T) {
	s, desk, _ := newPeeredShell(t)
	var c *listenCard
	uiDo(func() {
		s.ShowPage(PagePeers)
		for _, p := range s.pages {
			if pp, ok := p.ref.(*peersPage); ok {
				c = pp.listen
			}
		}
	})
	if c == nil || len(desk.Peers.Addresses()) == 0 {
		t.Fatal("no listen card, or the engine does not listen")
	}
	saved := func() string {
		cfg, err := config.Load(desk.Home().ConfigPath())
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Peers.Listen
	}

	uiDo(func() {
		c.on.SetChecked(false)
		if c.apply.Disabled() {
			t.Fatal("Apply is disabled after turning listening off")
		}
		test.Tap(c.apply)
	})
	waitUI(t, "listening off", func() bool {
		return len(desk.Peers.Addresses()) == 0 && strings.HasPrefix(c.state.Text, "Not accepting peers")
	})
	if got := saved(); got != "" {
		t.Errorf("config listen %q after turning it off", got)
	}

	uiDo(func() {
		c.on.SetChecked(true)
		c.addr.SetText("127.0.0.1:0")
		test.Tap(c.apply)
	})
	waitUI(t, "listening on again", func() bool {
		return len(desk.Peers.Addresses()) == 1 && strings.HasPrefix(c.state.Text, "Accepting peers on 127.0.0.1:")
	})
	if got := saved(); got != "127.0.0.1:0" {
		t.Errorf("config listen %q, want 127.0.0.1:0", got)
	}
	// A port already taken: the error is shown, the old listener kept.
	taken := desk.Peers.Addresses()[0]
	other := openPeerEngine(t, engine.ModeServe)
	if err := other.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	uiDo(func() {
		c.addr.SetText(other.Peers.Addresses()[0])
		test.Tap(c.apply)
	})
	waitUI(t, "the refusal", func() bool { return strings.HasPrefix(c.state.Text, "Could not accept peers there") })
	if got := desk.Peers.Addresses(); len(got) != 1 || got[0] != taken {
		t.Errorf("addresses after a refused change: %v, want [%s]", got, taken)
	}
}
