package peers

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/peers/identity"
	"github.com/holdfast/holdfast/peers/trust"
	"github.com/holdfast/holdfast/peers/wire"
)

// node is one Holdfast instance's peer side: a real identity, trust
// store, router and bus, and a Service on 127.0.0.1.
type node struct {
	name   string
	dir    string
	id     *identity.Identity
	db     *bolt.DB
	trust  *trust.Store
	router *control.Router
	bus    *bus.Bus
	svc    *Service
	alerts *alerts.Service
	// readTimeout: how long its links may stay silent (see steadyTimeout).
	readTimeout time.Duration
	now         func() time.Time
	// stopAtCleanup: the test's cleanup stops n.svc (registered once).
	stopAtCleanup bool
	mu            sync.Mutex
	ran           []string      // operations the router ran for peers
	slow          chan struct{} // a "slow" call started
	acts          chan struct{} // a "slow.act" call started (one each)
}

// How long the test nodes' links may stay silent before they are cut.
// steadyTimeout is generous: a loaded machine (the race detector, every
// package's tests at once) must never cut a healthy link, or a test of
// something else sees it flap. Only the tests of dead links use
// deadLinkTimeout, and they wait on conditions, not on times.
const (
	steadyTimeout   = 30 * time.Second
	deadLinkTimeout = time.Second
)

func newNode(t *testing.T, name string) *node {
	t.Helper()
	return newNodeTimeout(t, name, steadyTimeout)
}

// newNodeTimeout is newNode whose links are cut after readTimeout of
// silence.
func newNodeTimeout(t *testing.T, name string, readTimeout time.Duration) *node {
	t.Helper()
	n := &node{name: name, dir: t.TempDir(), bus: bus.New(), now: time.Now, readTimeout: readTimeout}
	var err error
	if n.id, err = identity.LoadOrCreate(n.dir); err != nil {
		t.Fatal(err)
	}
	if n.db, err = bolt.Open(filepath.Join(n.dir, "holdfast.db"), 0o600, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.db.Close() })
	if n.trust, err = trust.Open(n.db); err != nil {
		t.Fatal(err)
	}
	n.router = control.NewRouter(nil)
	for _, op := range []string{"status", "jobs.run"} {
		n.router.Handle(op, func(ctx context.Context, c *control.Call) (any, error) {
			n.mu.Lock()
			n.ran = append(n.ran, op)
			n.mu.Unlock()
			c.Logf("%s on %s", op, name)
			return map[string]string{"device": name, "op": op}, nil
		})
	}
	n.slow, n.acts = make(chan struct{}, 1), make(chan struct{}, 8)
	slow := func(started chan struct{}) control.Handler {
		return func(ctx context.Context, c *control.Call) (any, error) {
			select {
			case started <- struct{}{}:
			default:
			}
			<-ctx.Done()
			return nil, ctx.Err()
		}
	}
	n.router.Handle("slow", slow(n.slow))     // reads (observe)
	n.router.Handle("slow.act", slow(n.acts)) // acts (control)
	if n.alerts, err = alerts.New(n.db, alerts.Options{}); err != nil {
		t.Fatal(err)
	}
	n.svc = n.newService()
	return n
}

func (n *node) newService() *Service {
	return New(Options{
		Identity: n.id, Trust: n.trust, Dispatcher: n.router, Bus: n.bus, DeviceName: n.name, Version: "test",
		Allowed:      map[string]trust.Permission{"status": trust.Observe, "slow": trust.Observe, "slow.act": trust.Control, "jobs.run": trust.Control},
		Listen:       "127.0.0.1:0",
		PingInterval: n.readTimeout / 4, ReadTimeout: n.readTimeout,
		Alerts: n.alerts, OfflineAlertAfter: time.Hour,
		Now: func() time.Time { return n.now() },
	})
}

func (n *node) start(t *testing.T) {
	t.Helper()
	if err := n.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One cleanup per node stops whichever service runs at the end: a
	// closure per start would keep every restarted service alive until the
	// test ends, which the leak test would count against the code.
	if !n.stopAtCleanup {
		n.stopAtCleanup = true
		t.Cleanup(func() { n.svc.Stop(context.Background()) })
	}
}

func (n *node) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// eventually waits for cond, failing after a generous deadline (this
// bounds a hang; it is not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func online(a, b *node) bool { return a.svc.current(b.id.ID) != nil }

// pair has b join a's invite.
func pair(t *testing.T, a, b *node) {
	t.Helper()
	inv, err := a.svc.Invite(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.svc.Join(context.Background(), inv.Code, ""); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
}

// settle waits until a and b hold one connection, the one the lower ID
// dialled (or the other one, when the lower ID has no address to dial).
func settle(t *testing.T, a, b *node) {
	t.Helper()
	if b.id.ID.Compare(a.id.ID) < 0 {
		a, b = b, a
	}
	p, _ := a.trust.Get(b.id.ID)
	want := a.id.ID
	if len(p.Addresses) == 0 {
		want = b.id.ID
	}
	eventually(t, b.name+" and "+a.name+" settle on one connection", func() bool {
		ca, cb := a.svc.current(b.id.ID), b.svc.current(a.id.ID)
		return sameConn(ca, cb) && ca.dialer == want
	})
}

// sameConn reports whether ca and cb are the two ends of one connection.
func sameConn(ca, cb *conn) bool {
	return ca != nil && cb != nil &&
		ca.ws.LocalAddr().String() == cb.ws.RemoteAddr().String() &&
		ca.ws.RemoteAddr().String() == cb.ws.LocalAddr().String() &&
		ca.dialer == cb.dialer
}

func TestPairCallAndPermissions(t *testing.T) {
	a, b := newNode(t, "alpha"), newNode(t, "beta")
	a.start(t)
	b.start(t)
	inv, err := a.svc.Invite(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(inv.Code, codePrefix) || len(inv.Addresses) != 1 {
		t.Fatalf("invite %+v", inv)
	}
	pi, err := b.svc.Join(context.Background(), inv.Code, "home-server")
	if err != nil {
		t.Fatal(err)
	}
	if pi.Name != "home-server" || pi.ID != a.id.ID || !pi.Can(trust.Observe) || pi.Can(trust.Control) {
		t.Errorf("joiner's record of the inviter: %+v", pi)
	}
	settle(t, a, b)
	pa, err := a.trust.Get(b.id.ID)
	if err != nil || pa.Name != "beta" || !pa.Can(trust.Observe) || pa.Can(trust.Control) || len(pa.Addresses) == 0 {
		t.Errorf("inviter's record of the joiner: %+v %v", pa, err)
	}

	var logs []string
	sink := sinkFunc(func(l string) { logs = append(logs, l) })
	res, err := b.svc.Call(context.Background(), "home-server", control.Request{Op: "status"}, sink)
	if err != nil || res.Exit != 0 {
		t.Fatalf("status: %+v %v", res, err)
	}
	var out map[string]string
	json.Unmarshal(res.Data, &out)
	if out["device"] != "alpha" || len(logs) != 1 || logs[0] != "status on alpha" {
		t.Errorf("status answered %s, logs %q", res.Data, logs)
	}
	// By device ID prefix, the other way.
	if res, err := a.svc.Call(context.Background(), b.id.ID.String()[:9], control.Request{Op: "status"}, nil); err != nil || res.Exit != 0 {
		t.Errorf("status by ID prefix: %+v %v", res, err)
	}

	// Observe cannot control; an operation outside the list is refused.
	res, _ = b.svc.Call(context.Background(), "home-server", control.Request{Op: "jobs.run"}, nil)
	if res.Exit != control.ExitError || !strings.Contains(res.Error, "permission denied") {
		t.Errorf("jobs.run with observe only: %+v", res)
	}
	res, err = b.svc.Call(context.Background(), "home-server", control.Request{Op: "peers.remove"}, nil)
	if res.Exit != control.ExitUsage || !strings.Contains(res.Error, "not open to peers") {
		t.Errorf("an op outside the list: %+v %v", res, err)
	}
	if _, err := a.trust.Grant(b.id.ID, trust.Control); err != nil {
		t.Fatal(err)
	}
	res, _ = b.svc.Call(context.Background(), "home-server", control.Request{Op: "jobs.run"}, nil)
	if res.Exit != 0 {
		t.Errorf("jobs.run with control: %+v", res)
	}
	a.mu.Lock()
	ran := strings.Join(a.ran, ",")
	a.mu.Unlock()
	if ran != "status,jobs.run" {
		t.Errorf("alpha ran %s", ran)
	}

	// Canceling a call cancels it on the peer.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-a.slow: // running on alpha: cancel it from here
		case <-time.After(20 * time.Second):
		}
		cancel()
	}()
	res, err = b.svc.Call(ctx, "home-server", control.Request{Op: "slow"}, nil)
	if err != nil || !strings.Contains(res.Error, "canceled") {
		t.Errorf("canceled call: %+v %v", res, err)
	}

	// The code worked once.
	_, err = newStartedNode(t, "gamma").svc.Join(context.Background(), inv.Code, "")
	var refused *RefusedError
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "invite already used") {
		t.Errorf("replayed code: %v", err)
	}
}

type sinkFunc func(string)

func (f sinkFunc) Progress(control.Progress) {}
func (f sinkFunc) Log(l string)              { f(l) }

func newStartedNode(t *testing.T, name string) *node {
	n := newNode(t, name)
	n.start(t)
	return n
}

func TestBadCodesAreRefused(t *testing.T) {
	a, c := newStartedNode(t, "alpha"), newStartedNode(t, "gamma")
	inv, err := a.svc.Invite(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := ParseCode(inv.Code)

	wrongSecret := good
	wrongSecret.Secret[0] ^= 1
	wrongID := good
	wrongID.ID[0] ^= 1
	for _, tt := range []struct {
		name, code, want string
	}{
		{"garbage", "hello", "not a Holdfast invite code"},
		{"truncated", inv.Code[:len(inv.Code)-10], "not a Holdfast invite code"},
		{"wrong secret", wrongSecret.Code(), "invite unknown"},
		{"inviter not the pinned device", wrongID.Code(), "not the expected"},
		{"own code", mustInvite(t, c), "own invite"},
	} {
		_, err := c.svc.Join(context.Background(), tt.code, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	if ps, _ := c.trust.List(); len(ps) != 0 {
		t.Errorf("a refused join added %v", ps)
	}
	if ps, _ := a.trust.List(); len(ps) != 0 {
		t.Errorf("a refused join was trusted: %v", ps)
	}
	// Expired: the inviter's clock moves past the expiry.
	a.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	_, err = c.svc.Join(context.Background(), inv.Code, "")
	if err == nil || !strings.Contains(err.Error(), "invite expired") {
		t.Errorf("expired: %v", err)
	}
	a.now = time.Now
	// The refusals did not use the code up.
	if _, err := c.svc.Join(context.Background(), inv.Code, ""); err != nil {
		t.Errorf("the code after refused attempts: %v", err)
	}
}

func mustInvite(t *testing.T, n *node) string {
	inv, err := n.svc.Invite(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Code
}

func TestInviteNeedsListeningEngine(t *testing.T) {
	n := newNode(t, "alpha")
	if _, err := n.svc.Invite(time.Minute); err == nil || !strings.Contains(err.Error(), "--listen") {
		t.Errorf("not started: %v", err)
	}
	n.svc = New(Options{Identity: n.id, Trust: n.trust, Dispatcher: n.router})
	n.start(t)
	if _, err := n.svc.Invite(time.Minute); err == nil || !strings.Contains(err.Error(), "does not listen") {
		t.Errorf("not listening: %v", err)
	}
}

func TestRevokeAndRemoveCutAtOnce(t *testing.T) {
	a, b := newStartedNode(t, "alpha"), newStartedNode(t, "beta")
	pair(t, a, b)
	if _, err := a.trust.Revoke(b.id.ID, trust.Observe); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the revoked peer is cut on both sides", func() bool { return !online(a, b) && !online(b, a) })
	// It keeps dialling, and is refused every time.
	time.Sleep(redialWindow)
	if online(a, b) || online(b, a) {
		t.Fatal("a revoked peer got back in")
	}
	if _, err := a.trust.Grant(b.id.ID, trust.Observe); err != nil {
		t.Fatal(err)
	}
	eventually(t, "granted again, it reconnects", func() bool { return online(a, b) && online(b, a) })
	if err := a.trust.Remove(b.id.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removed peer is cut", func() bool { return !online(a, b) && !online(b, a) })
	time.Sleep(redialWindow)
	if online(b, a) {
		t.Fatal("a removed peer got back in")
	}
	if _, err := b.svc.Call(context.Background(), "alpha", control.Request{Op: "status"}, nil); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("call to a peer that removed us: %v", err)
	}
}

// redialWindow is long enough for a cut peer to dial again several times
// (backoff starts at 250 ms): a window to see that it is refused, not a
// bound on anything.
const redialWindow = 2 * time.Second

func TestDuplicateConnectionsKeepTheLowerIDsDial(t *testing.T) {
	a, b := newNode(t, "alpha"), newNode(t, "beta")
	a.start(t)
	b.start(t)
	pair(t, a, b)
	low := a.id.ID
	if b.id.ID.Compare(low) < 0 {
		low = b.id.ID
	}
	eventually(t, "both keep the connection the lower ID dialled", func() bool {
		ca, cb := a.svc.current(b.id.ID), b.svc.current(a.id.ID)
		return sameConn(ca, cb) && ca.dialer == low
	})
	// Both sides dial at the same moment, again and again: they always
	// settle on one connection, the lower ID's.
	for i := 0; i < 5; i++ {
		var wg sync.WaitGroup
		for _, n := range []*node{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				other := a
				if n == a {
					other = b
				}
				p, _ := n.trust.Get(other.id.ID)
				if ws, hello, err := n.svc.dial(context.Background(), other.id.ID, p.Addresses[0], nil); err == nil {
					n.svc.attach(ws, other.id.ID, n.id.ID, hello)
				}
			}()
		}
		wg.Wait()
		eventually(t, "one connection each, the lower ID's", func() bool {
			ca, cb := a.svc.current(b.id.ID), b.svc.current(a.id.ID)
			a.svc.mu.Lock()
			na := len(a.svc.all)
			a.svc.mu.Unlock()
			return sameConn(ca, cb) && ca.dialer == low && na == 1
		})
	}
	// Two connections the same side dialled, attached there in the
	// opposite order to the peer's: both keep the one numbered higher.
	ln, hn := a, b
	if low != a.id.ID {
		ln, hn = b, a
	}
	p, _ := ln.trust.Get(hn.id.ID)
	ws1, hello1, err := ln.svc.dial(context.Background(), hn.id.ID, p.Addresses[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	ws2, hello2, err := ln.svc.dial(context.Background(), hn.id.ID, p.Addresses[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if hello2.Conn <= hello1.Conn {
		t.Fatalf("connections numbered %d, then %d", hello1.Conn, hello2.Conn)
	}
	ln.svc.attach(ws2, hn.id.ID, ln.id.ID, hello2)
	ln.svc.attach(ws1, hn.id.ID, ln.id.ID, hello1)
	eventually(t, "both keep the second connection", func() bool {
		cl, ch := ln.svc.current(hn.id.ID), hn.svc.current(ln.id.ID)
		return sameConn(cl, ch) && cl.hello.Conn == hello2.Conn
	})
}

// TestLowerIDTakesOverAfterAFailedDial: the lower ID holds a connection
// the peer dialled and its own dial fails; it tries again (with backoff)
// until its connection is the one both keep.
func TestLowerIDTakesOverAfterAFailedDial(t *testing.T) {
	low, high := newNode(t, "alpha"), newNode(t, "beta")
	if high.id.ID.Compare(low.id.ID) < 0 {
		low, high = high, low
	}
	var refuse atomic.Bool
	var refused atomic.Int32
	refuse.Store(true)
	high.svc.opts.WrapConn = func(c net.Conn) net.Conn {
		// Only connections the higher ID accepts: its listener's address.
		if refuse.Load() && c.LocalAddr().String() == high.svc.Addresses()[0] {
			refused.Add(1)
			c.Close()
		}
		return c
	}
	low.start(t)
	high.start(t)
	inv, err := low.svc.Invite(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := high.svc.Join(context.Background(), inv.Code, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lower ID's dial refused twice", func() bool { return refused.Load() >= 2 })
	if c := low.svc.current(high.id.ID); c == nil || c.dialer != high.id.ID {
		t.Fatalf("while its dials fail, the lower ID holds %+v, not the connection the peer dialled", c)
	}
	refuse.Store(false)
	eventually(t, "both keep the lower ID's connection", func() bool {
		ca, cb := low.svc.current(high.id.ID), high.svc.current(low.id.ID)
		return sameConn(ca, cb) && ca.dialer == low.id.ID
	})
}

// TestMalformedFramesCloseOnlyThatConnection speaks raw frames to a
// running service as a trusted peer: each bad frame closes that
// connection, and the service's other peer stays connected throughout.
func TestMalformedFramesCloseOnlyThatConnection(t *testing.T) {
	a, b, d := newStartedNode(t, "alpha"), newStartedNode(t, "beta"), newNode(t, "delta")
	pair(t, a, b)
	// delta is trusted by alpha but runs no dialer of its own.
	if _, err := a.trust.Add(trust.Peer{ID: d.id.ID, Name: "delta", Permissions: []trust.Permission{trust.Observe}}); err != nil {
		t.Fatal(err)
	}
	addr := a.svc.Addresses()[0]
	keep := a.svc.current(b.id.ID)
	enc := func(m wire.Msg) []byte {
		b, err := wire.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hello := enc(d.svc.hello())
	req := func(id uint64) []byte {
		return enc(wire.Msg{Type: wire.TRequest, ID: id, Request: &wire.Request{Op: "status"}})
	}
	tests := []struct {
		name   string
		frames [][]byte
		text   bool
	}{
		{"garbage", [][]byte{[]byte("\xff\x00garbage")}, false},
		{"text frame", [][]byte{[]byte(`{"op":"status"}`)}, true},
		{"oversized", [][]byte{make([]byte, wire.MaxMessage+1)}, false},
		{"second hello", [][]byte{hello}, false},
		{"ID going backwards", [][]byte{req(5), req(3)}, false},
		{"repeated ID", [][]byte{req(1), req(1)}, false},
		{"answer to a call never made", [][]byte{enc(wire.Msg{Type: wire.TResponse, ID: 9, Response: &wire.Response{}})}, false},
		{"cancel of a call never made", [][]byte{enc(wire.Msg{Type: wire.TCancel, ID: 4})}, false},
		{"unknown type", [][]byte{{0xa2, 0x01, 0x18, 0x63, 0x02, 0x01}}, false},
	}
	for _, tt := range tests {
		ws, _, err := d.svc.dial(context.Background(), a.id.ID, addr, nil)
		if err != nil {
			t.Fatalf("%s: dial: %v", tt.name, err)
		}
		typ := websocket.BinaryMessage
		if tt.text {
			typ = websocket.TextMessage
		}
		for _, f := range tt.frames {
			ws.WriteMessage(typ, f)
		}
		// A generous bound on a hang: the close frame comes at once.
		ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		var closeErr *websocket.CloseError
		for {
			_, _, err = ws.ReadMessage()
			if err != nil {
				break
			}
		}
		ws.Close()
		if !errors.As(err, &closeErr) || (closeErr.Code != closeProtocol && closeErr.Code != websocket.CloseMessageTooBig) {
			t.Errorf("%s: connection ended with %v, want a protocol close", tt.name, err)
		}
		if c := a.svc.current(b.id.ID); c != keep || keep.closed() {
			t.Fatalf("%s: alpha's connection to beta changed", tt.name)
		}
	}
	if res, err := b.svc.Call(context.Background(), "alpha", control.Request{Op: "status"}, nil); err != nil || res.Exit != 0 {
		t.Errorf("beta's calls after the bad frames: %+v %v", res, err)
	}
	// A stranger (no invite open) is cut before a single message.
	e := newNode(t, "epsilon")
	if _, _, err := e.svc.dial(context.Background(), a.id.ID, addr, nil); err == nil {
		t.Error("a stranger got a connection")
	}
}

// proxy forwards TCP to target until cut, when it silently drops
// everything (a dead link, not a closed one).
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go p.pipe(c, u)
			go p.pipe(u, c)
		}
	}()
	return p
}

func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		p.mu.Lock()
		cut := p.cut
		p.mu.Unlock()
		if cut {
			continue // swallowed
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	p.cut = cut
	p.mu.Unlock()
}

func TestDeadLinkNoticedAndOfflineAlert(t *testing.T) {
	// Beta does not listen: alpha can never dial it.
	a, b := newNodeTimeout(t, "alpha", deadLinkTimeout), newNodeTimeout(t, "beta", deadLinkTimeout)
	a.start(t)
	b.svc.opts.OfflineAlertAfter = 2 * deadLinkTimeout
	b.svc.opts.Listen = ""
	b.start(t)
	pair(t, a, b)
	// From now on beta reaches alpha only through a proxy.
	px := newProxy(t, a.svc.Addresses()[0])
	a.svc.Stop(context.Background())
	if _, err := b.trust.Seen(a.id.ID, time.Now(), []string{px.ln.Addr().String()}, "", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "beta sees alpha gone", func() bool { return !online(b, a) })
	a.svc = a.newService()
	a.svc.opts.Listen = px.target
	a.start(t)
	a.svc.mu.Lock()
	a.svc.addrs = []string{px.ln.Addr().String()} // alpha is reached through the proxy
	a.svc.mu.Unlock()
	eventually(t, "beta reconnects through the proxy", func() bool { return online(b, a) && online(a, b) })
	px.setCut(true)
	eventually(t, "both notice the dead link", func() bool { return !online(b, a) && !online(a, b) })
	eventually(t, "beta raises the offline alert", func() bool {
		for _, al := range b.alerts.Active() {
			if al.Source == "peers" && strings.Contains(al.Message, "alpha") {
				return true
			}
		}
		return false
	})
	px.setCut(false)
	eventually(t, "back online", func() bool { return online(b, a) })
	eventually(t, "the alert resolves", func() bool {
		for _, al := range b.alerts.Active() {
			if al.Source == "peers" {
				return false
			}
		}
		return true
	})
}

func TestReconnectsWithoutLeaks(t *testing.T) {
	a, b := newStartedNode(t, "alpha"), newStartedNode(t, "beta")
	pair(t, a, b)
	restart := func() {
		b.stop(t)
		eventually(t, "alpha sees beta offline", func() bool { return !online(a, b) })
		b.svc = b.newService()
		b.start(t)
		eventually(t, "beta back online", func() bool { return online(a, b) && online(b, a) })
	}
	// A few rounds first, so pools and caches have their steady size.
	for range 20 {
		restart()
	}
	heap := func() uint64 {
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := runtime.NumGoroutine()
	heapBefore := heap()
	rounds := 300
	if testing.Short() {
		rounds = 50
	}
	for range rounds {
		restart()
	}
	// What one connection keeps (buffers, a trust snapshot, a live sample)
	// is tens of KiB: a leak of even a few KiB per reconnect shows over
	// hundreds of them, while the bound leaves room for the GC's noise.
	const heapSlack = 2 << 20
	if grown := int64(heap()) - int64(heapBefore); grown > heapSlack {
		t.Errorf("the heap grew by %d KiB over %d reconnects (%.1f KiB each)", grown>>10, rounds, float64(grown)/1024/float64(rounds))
	} else {
		t.Logf("heap change over %d reconnects: %+d KiB", rounds, grown>>10)
	}
	if res, err := b.svc.Call(context.Background(), "alpha", control.Request{Op: "status"}, nil); err != nil || res.Exit != 0 {
		t.Errorf("call after reconnects: %+v %v", res, err)
	}
	var after int
	eventually(t, "goroutines settle", func() bool {
		after = runtime.NumGoroutine()
		return after <= before+2
	})
	t.Logf("goroutines before %d, after %d reconnects %d", before, rounds, after)
}

func TestLiveMetrics(t *testing.T) {
	a, b := newStartedNode(t, "alpha"), newStartedNode(t, "beta")
	pair(t, a, b)
	ctx, cancel := context.WithCancel(context.Background())
	ticks, err := b.svc.LiveMetrics(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Truncate(time.Millisecond)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				a.bus.Publish(monitor.Tick{At: at, Samples: []monitor.Sample{{Name: "cpu_usage_ratio", Value: 0.5}}})
			}
		}
	}()
	defer close(done)
	tk, ok := <-ticks
	if !ok {
		t.Fatal("the stream ended at once")
	}
	if tk.At != at.UnixMilli() || len(tk.Samples) != 1 || tk.Samples[0].Value != 0.5 {
		t.Errorf("tick %+v", tk)
	}
	cancel()
	for range ticks {
	}
}

// TestReplacedConnectionCarriesReadsAndStreams replaces a settled
// connection with a newer one (as when both sides dial a peer that came
// back): a read in flight is made again on the new connection, a live
// stream goes on over it, and an action in flight is not repeated.
func TestReplacedConnectionCarriesReadsAndStreams(t *testing.T) {
	a, b := newStartedNode(t, "alpha"), newStartedNode(t, "beta")
	pair(t, a, b)
	if _, err := a.trust.Grant(b.id.ID, trust.Control); err != nil {
		t.Fatal(err)
	}
	settle(t, a, b)
	low, high := a, b
	if b.id.ID.Compare(a.id.ID) < 0 {
		low, high = b, a
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ticks, err := b.svc.LiveMetrics(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	var value atomicFloat
	value.set(0.25)
	stopTicks := make(chan struct{})
	defer close(stopTicks)
	go func() {
		for {
			select {
			case <-stopTicks:
				return
			case <-time.After(20 * time.Millisecond):
				a.bus.Publish(monitor.Tick{At: time.Now(), Samples: []monitor.Sample{{Name: "cpu_usage_ratio", Value: value.get()}}})
			}
		}
	}()
	if _, ok := <-ticks; !ok {
		t.Fatal("the stream ended at once")
	}

	calls := []struct {
		op      string
		repeat  bool
		started chan struct{}
	}{{"slow", true, a.slow}, {"slow.act", false, a.acts}}
	for _, call := range calls {
		t.Run(call.op, func(t *testing.T) {
			old := b.svc.current(a.id.ID)
			callCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				res, err := b.svc.Call(callCtx, "alpha", control.Request{Op: call.op}, nil)
				if err == nil {
					err = res.Err()
				}
				done <- err
			}()
			<-call.started // running on alpha

			// The lower ID dials again: both sides take the new connection
			// and close the old one as replaced.
			p, _ := low.trust.Get(high.id.ID)
			ws, hello, err := low.svc.dial(context.Background(), high.id.ID, p.Addresses[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			low.svc.attach(ws, high.id.ID, low.id.ID, hello)
			eventually(t, "both sides on the new connection", func() bool {
				cb := b.svc.current(a.id.ID)
				return cb != nil && cb != old && a.svc.current(b.id.ID) != nil
			})

			if call.repeat {
				select {
				case <-call.started:
				case err := <-done:
					t.Fatalf("the read ended instead of being made again: %v", err)
				case <-time.After(20 * time.Second):
					t.Fatal("the read was not made again on the new connection")
				}
				stop()
				if err := <-done; err == nil || !strings.Contains(err.Error(), "canceled") {
					t.Errorf("the read ended with %v, want it canceled by its caller", err)
				}
			} else {
				err := <-done
				stop()
				if err == nil || !errors.Is(err, errReplaced) || !strings.Contains(err.Error(), "replaced by a newer connection") {
					t.Errorf("the action in flight ended with %v, want the replaced connection's error", err)
				}
				if n := len(call.started); n > 0 {
					t.Errorf("the action was made %d more times", n)
				}
			}
		})
	}

	// The live stream goes on over the new connection.
	value.set(0.75)
	deadline := time.After(20 * time.Second)
	for {
		select {
		case tk, ok := <-ticks:
			if !ok {
				t.Fatal("the live stream ended with the replaced connection")
			}
			if len(tk.Samples) == 1 && tk.Samples[0].Value == 0.75 {
				return
			}
		case <-deadline:
			t.Fatal("no tick over the new connection")
		}
	}
}

// atomicFloat is a float64 two goroutines share.
type atomicFloat struct {
	mu sync.Mutex
	v  float64
}

func (f *atomicFloat) set(v float64) { f.mu.Lock(); f.v = v; f.mu.Unlock() }
func (f *atomicFloat) get() float64  { f.mu.Lock(); defer f.mu.Unlock(); return f.v }

// TestConcurrentCallsArriveInOrder makes many calls at once over one
// connection: the peer refuses a call numbered below one it already got,
// so numbering and queueing must be one step.
func TestConcurrentCallsArriveInOrder(t *testing.T) {
	a, b := newStartedNode(t, "alpha"), newStartedNode(t, "beta")
	pair(t, a, b)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range maxServed / 2 { // more would be refused as busy
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				res, err := b.svc.Call(context.Background(), "alpha", control.Request{Op: "status"}, nil)
				if err == nil {
					err = res.Err()
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
