package peers

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/holdfast/holdfast/peers/trust"
)

// TestSetListenStopsAndStartsAccepting turns a running service's listener
// off (invites are refused, the paired peer stays connected) and on again
// on another port, where a new device can pair; connections accepted there
// still pass through Options.WrapConn.
func TestSetListenStopsAndStartsAccepting(t *testing.T) {
	a, b, c := newNode(t, "a"), newNode(t, "b"), newNode(t, "c")
	var wrappedMu sync.Mutex
	var wrapped []string // the local address of every connection a wrapped
	a.svc.opts.WrapConn = func(conn net.Conn) net.Conn {
		wrappedMu.Lock()
		wrapped = append(wrapped, conn.LocalAddr().String())
		wrappedMu.Unlock()
		return conn
	}
	a.start(t)
	b.start(t)
	c.start(t)
	pair(t, a, b)
	first := a.svc.Addresses()
	if len(first) == 0 {
		t.Fatal("a does not listen")
	}

	if err := a.svc.SetListen(""); err != nil {
		t.Fatal(err)
	}
	if got := a.svc.Addresses(); len(got) != 0 {
		t.Errorf("addresses after listen off: %v", got)
	}
	if _, err := a.svc.Invite(time.Minute); err == nil {
		t.Error("an invite was made while not listening")
	}
	if !online(a, b) {
		t.Error("turning the listener off cut the paired peer")
	}

	if err := a.svc.SetListen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	second := a.svc.Addresses()
	if len(second) != 1 || slices.Equal(first, second) {
		t.Fatalf("addresses after listen on again: %v (before: %v)", second, first)
	}
	pair(t, a, c)
	if !online(a, c) {
		t.Error("c did not connect to the new listener")
	}
	wrappedMu.Lock()
	if !slices.Contains(wrapped, second[0]) {
		t.Errorf("no connection accepted on the new listener %s went through WrapConn (wrapped: %v)", second[0], wrapped)
	}
	wrappedMu.Unlock()

	// Listening again where it already listens changes nothing.
	if err := a.svc.SetListen(second[0]); err != nil {
		t.Errorf("same address again: %v", err)
	}
	if got := a.svc.Addresses(); !slices.Equal(got, second) {
		t.Errorf("addresses after the same address again: %v, want %v", got, second)
	}
}

// TestSetListenKeepsTheOldOnFailure asks for a port in use: the error
// says so and the service still accepts on the old one.
func TestSetListenKeepsTheOldOnFailure(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	a.start(t)
	b.start(t)
	old := a.svc.Addresses()
	if err := a.svc.SetListen(b.svc.Addresses()[0]); err == nil {
		t.Fatal("listening on b's port worked")
	}
	if got := a.svc.Addresses(); !slices.Equal(got, old) {
		t.Fatalf("addresses after a failed change: %v, want the old %v", got, old)
	}
	pair(t, a, b)
}

// TestGrantedTellsThePeerItsPermissions: a peer learns what this side
// grants it, observe after pairing and control once granted.
func TestGrantedTellsThePeerItsPermissions(t *testing.T) {
	a, b := newNode(t, "a"), newNode(t, "b")
	a.start(t)
	b.start(t)
	pair(t, a, b)
	ctx := context.Background()
	g, err := b.svc.Granted(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !g.Can(trust.Observe) || g.Can(trust.Control) {
		t.Errorf("after pairing b is granted %v", g.Permissions)
	}
	if _, err := a.trust.Grant(b.id.ID, trust.Control); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b learns of control", func() bool {
		g, err := b.svc.Granted(ctx, "a")
		return err == nil && g.Can(trust.Control) && g.Can(trust.Observe)
	})
}
