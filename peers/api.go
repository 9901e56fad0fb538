package peers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gorilla/websocket"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/peers/identity"
	"github.com/holdfast/holdfast/peers/trust"
	"github.com/holdfast/holdfast/peers/wire"
)

// Control operations of the local engine.
const (
	OpID     = "peers.id"
	OpList   = "peers.list"
	OpRename = "peers.rename"
	OpGrant  = "peers.grant"
	OpRevoke = "peers.revoke"
	OpRemove = "peers.remove"
	OpInvite = "peers.invite"
	OpJoin   = "peers.join"
	// OpCall forwards a request to a peer (CallArgs).
	OpCall = "peers.call"
)

// OpLiveMetrics is the streaming call a peer makes to receive this
// device's monitor ticks (observe permission); it runs until canceled.
const OpLiveMetrics = "peers.metrics.live"

// Invite lifetimes accepted by OpInvite.
const (
	DefaultInviteExpiry = 10 * time.Minute
	MaxInviteExpiry     = 7 * 24 * time.Hour
)

// IDInfo is `holdfast peer id --json`.
type IDInfo struct {
	ID     identity.DeviceID `json:"id"`
	Device string            `json:"device"`
	// Listen lists where the running engine accepts peers; empty when it
	// does not (or no engine runs).
	Listen []string `json:"listen"`
}

// PeerInfo is one peer as `holdfast peer list --json` shows it.
type PeerInfo struct {
	trust.Peer
	Online bool `json:"online"`
	// State is online, offline or revoked.
	State          string     `json:"state"`
	RTTMillis      float64    `json:"rtt_ms,omitempty"`
	ConnectedSince *time.Time `json:"connected_since,omitempty"`
}

// PeerArgs name a peer (a name or a device ID prefix) and, for rename,
// grant and revoke, the new name or the permission.
type PeerArgs struct {
	Peer       string `json:"peer"`
	Name       string `json:"name,omitempty"`
	Permission string `json:"permission,omitempty"` // revoke: "" takes every permission
}

// InviteArgs ask for an invite.
type InviteArgs struct {
	Expires string `json:"expires,omitempty"` // a duration; default 10m
}

// InviteInfo is `holdfast peer invite --json`.
type InviteInfo struct {
	Code      string    `json:"code"`
	Expires   time.Time `json:"expires"`
	Addresses []string  `json:"addresses"`
}

// JoinArgs pair with an invite code; Name is what this device calls the
// inviter (default: the inviter's device name).
type JoinArgs struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// CallArgs forward Request to Peer.
type CallArgs struct {
	Peer    string          `json:"peer"`
	Request control.Request `json:"request"`
}

// Register adds the peer operations to r.
func (s *Service) Register(r interface {
	Handle(op string, h control.Handler)
	Wrap(op string, w control.Wrapper)
}) {
	r.Handle(OpID, func(ctx context.Context, c *control.Call) (any, error) {
		return IDInfo{ID: s.id.ID, Device: s.opts.DeviceName, Listen: nonNil(s.Addresses())}, nil
	})
	r.Handle(OpList, func(ctx context.Context, c *control.Call) (any, error) { return s.List() })
	r.Handle(OpRename, s.peerOp(func(p trust.Peer, a PeerArgs) (trust.Peer, error) {
		if err := trust.CheckName(a.Name); err != nil {
			return p, control.Usagef("rename: %v", err)
		}
		return s.trust.Rename(p.ID, a.Name)
	}))
	r.Handle(OpGrant, s.peerOp(func(p trust.Peer, a PeerArgs) (trust.Peer, error) {
		perm, err := trust.ParsePermission(a.Permission)
		if err != nil {
			return p, control.Usagef("grant: %v", err)
		}
		return s.trust.Grant(p.ID, perm)
	}))
	r.Handle(OpRevoke, s.peerOp(func(p trust.Peer, a PeerArgs) (trust.Peer, error) {
		perms := trust.Permissions
		if a.Permission != "" && a.Permission != "all" {
			perm, err := trust.ParsePermission(a.Permission)
			if err != nil {
				return p, control.Usagef("revoke: %v", err)
			}
			perms = []trust.Permission{perm}
		}
		var err error
		for _, perm := range perms {
			if p, err = s.trust.Revoke(p.ID, perm); err != nil {
				return p, err
			}
		}
		return p, nil
	}))
	r.Handle(OpRemove, s.peerOp(func(p trust.Peer, a PeerArgs) (trust.Peer, error) {
		return p, s.trust.Remove(p.ID)
	}))
	r.Handle(OpInvite, func(ctx context.Context, c *control.Call) (any, error) {
		var args InviteArgs
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		d := DefaultInviteExpiry
		if args.Expires != "" {
			var err error
			if d, err = time.ParseDuration(args.Expires); err != nil || d < time.Second || d > MaxInviteExpiry {
				return nil, control.Usagef("invite: --expires %q: give a duration from 1s to %s, like 10m", args.Expires, MaxInviteExpiry)
			}
		}
		return s.Invite(d)
	})
	r.Handle(OpJoin, func(ctx context.Context, c *control.Call) (any, error) {
		var args JoinArgs
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		return s.Join(ctx, args.Code, args.Name)
	})
	r.Wrap(OpCall, func(ctx context.Context, req control.Request, sink control.Sink, _ control.DispatchFunc) control.Result {
		var args CallArgs
		if err := json.Unmarshal(req.Args, &args); err != nil || args.Peer == "" || args.Request.Op == "" {
			return control.Result{Exit: control.ExitUsage, Error: "peers.call: name a peer and a request"}
		}
		res, err := s.Call(ctx, args.Peer, args.Request, sink)
		if err != nil {
			exit := control.ExitError
			if errors.Is(err, trust.ErrNotFound) || errors.Is(err, trust.ErrAmbiguous) {
				exit = control.ExitUsage
			}
			return control.Result{Exit: exit, Error: err.Error()}
		}
		return res
	})
}

// peerOp is a handler of PeerArgs acting on the named peer.
func (s *Service) peerOp(fn func(trust.Peer, PeerArgs) (trust.Peer, error)) control.Handler {
	return func(ctx context.Context, c *control.Call) (any, error) {
		var args PeerArgs
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		p, err := s.trust.Resolve(args.Peer)
		if err != nil {
			if errors.Is(err, trust.ErrNotFound) || errors.Is(err, trust.ErrAmbiguous) {
				return nil, control.Usagef("%v", err)
			}
			return nil, err
		}
		p, err = fn(p, args)
		if err != nil {
			if errors.Is(err, trust.ErrNameTaken) {
				return nil, control.Usagef("%v", err)
			}
			return nil, err
		}
		return s.info(p), nil
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// List is every peer with its connection state.
func (s *Service) List() ([]PeerInfo, error) {
	peers, err := s.trust.List()
	if err != nil {
		return nil, err
	}
	out := make([]PeerInfo, len(peers))
	for i, p := range peers {
		out[i] = s.info(p)
	}
	return out, nil
}

func (s *Service) info(p trust.Peer) PeerInfo {
	pi := PeerInfo{Peer: p, State: "offline"}
	if pi.Permissions == nil {
		pi.Permissions = []trust.Permission{}
	}
	if pi.Addresses == nil {
		pi.Addresses = []string{}
	}
	if c := s.current(p.ID); c != nil {
		pi.Online, pi.State = true, "online"
		pi.LastSeen = time.Now().UTC()
		since := c.since.UTC()
		pi.ConnectedSince = &since
		pi.RTTMillis = float64(c.rtt.Load()) / 1e6
	} else if p.Revoked() {
		pi.State = "revoked"
	}
	return pi
}

// Invite makes a one-time invite code valid for d. It needs the running
// engine to accept peers, since the joiner connects to it.
func (s *Service) Invite(d time.Duration) (InviteInfo, error) {
	s.mu.Lock()
	running := s.ctx != nil
	s.mu.Unlock()
	addrs := s.Addresses()
	switch {
	case !running:
		return InviteInfo{}, errors.New("invites need this home's engine running and accepting peers: start it with 'holdfast serve --listen ADDR' (e.g. --listen :7420), or set listen in [peers] of config.toml and open the desktop app")
	case len(addrs) == 0:
		return InviteInfo{}, errors.New("invites need the engine to accept peers, and it does not listen: restart 'holdfast serve' with --listen ADDR (e.g. --listen :7420), or set listen in [peers] of config.toml")
	}
	inv, err := newInvite(s.id.ID, addrs, s.opts.DeviceName)
	if err != nil {
		return InviteInfo{}, err
	}
	now := s.now()
	exp := now.Add(d)
	if err := s.trust.AddInvite(inviteID(inv.Secret), trust.Invite{Key: inviteKey(inv.Secret), Created: now, Expires: exp}); err != nil {
		return InviteInfo{}, fmt.Errorf("store invite: %w", err)
	}
	return InviteInfo{Code: inv.Code(), Expires: exp.UTC(), Addresses: addrs}, nil
}

// RefusedError is a peer's refusal, in its own words.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused by the peer: " + e.Reason }

// Join pairs with the device that made code: it connects to the
// inviter's addresses, checks the inviter's certificate against the
// code's device ID, proves it holds the code, and adds the inviter with
// observe permission. With the engine running the connection stays.
func (s *Service) Join(ctx context.Context, code, name string) (PeerInfo, error) {
	inv, err := ParseCode(code)
	if err != nil {
		return PeerInfo{}, control.Usagef("join: %v", err)
	}
	if inv.ID == s.id.ID {
		return PeerInfo{}, control.Usagef("join: that is this device's own invite; use it on the other device")
	}
	if name != "" {
		if err := trust.CheckName(name); err != nil {
			return PeerInfo{}, control.Usagef("join: --name: %v", err)
		}
		if n, err := s.trust.UniqueName(name, inv.ID); err != nil {
			return PeerInfo{}, err
		} else if n != name {
			return PeerInfo{}, control.Usagef("join: --name %q is taken by another peer", name)
		}
	}
	var (
		ws    *websocket.Conn
		hello wire.Hello
		errs  []error
	)
	for _, addr := range inv.Addresses {
		ws, hello, err = s.dial(ctx, inv.ID, addr, &inv)
		if err == nil {
			break
		}
		errs = append(errs, err)
		var refused *RefusedError
		if errors.As(err, &refused) {
			break // the inviter itself said no: other addresses reach the same device
		}
	}
	if ws == nil {
		return PeerInfo{}, fmt.Errorf("join %s: %w", inv.ID.Short(), errors.Join(errs...))
	}
	if name == "" {
		name = hello.Device
		if trust.CheckName(name) != nil {
			name = inv.Name
		}
		if trust.CheckName(name) != nil {
			name = "peer-" + inv.ID.Short()
		}
		if name, err = s.trust.UniqueName(name, inv.ID); err != nil {
			ws.Close()
			return PeerInfo{}, err
		}
	}
	p, err := s.trust.Add(trust.Peer{ID: inv.ID, Name: name, Addresses: mergeAddrs(hello.Addresses, inv.Addresses), Permissions: []trust.Permission{trust.Observe}})
	if err != nil {
		ws.Close()
		return PeerInfo{}, fmt.Errorf("join: add %s: %w", inv.ID.Short(), err)
	}
	if s.attach(ws, inv.ID, s.id.ID, hello) == nil {
		// No engine runs here (or it is stopping): pairing done, the
		// connection is not kept.
		if _, err := s.trust.Seen(inv.ID, s.now(), hello.Addresses, hello.Device, hello.App); err != nil {
			s.log.Warn("record peer seen", "peer", inv.ID.Short(), "err", err)
		}
		p, _ = s.trust.Get(inv.ID)
	}
	return s.info(p), nil
}

func mergeAddrs(a, b []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, x := range append(append([]string{}, a...), b...) {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// Call runs req on the named peer (a name or device ID prefix), with its
// progress streamed into sink. Secrets are not sent: a peer uses its own.
func (s *Service) Call(ctx context.Context, peer string, req control.Request, sink control.Sink) (control.Result, error) {
	c, err := s.connTo(peer)
	if err != nil {
		return control.Result{}, err
	}
	req.Secrets = nil
	res, err := c.call(ctx, req, sink, callGrace)
	// A call that only reads is made again on the connection that replaced
	// its own (both sides dial a peer that comes back, and one connection
	// wins), a few times at most.
	for range maxReplacedRetries {
		if err == nil || !errors.Is(err, errReplaced) || !s.readOnly(req.Op) {
			break
		}
		if c = s.replacement(ctx, c); c == nil {
			break
		}
		res, err = c.call(ctx, req, sink, callGrace)
	}
	return res, err
}

// maxReplacedRetries bounds how often a read is made again after its
// connection was replaced.
const maxReplacedRetries = 3

// readOnly reports whether op only reads (OpGranted, or an operation that
// needs the observe permission), so calling it twice is harmless.
func (s *Service) readOnly(op string) bool {
	need, ok := s.needs(op)
	return op == OpGranted || ok && need == trust.Observe
}

// needs is the permission a peer must have to call op; ok is false when
// op is not open to peers. OpGranted, which any trusted peer may call, is
// answered before permissions are looked at.
func (s *Service) needs(op string) (need trust.Permission, ok bool) {
	if op == OpLiveMetrics {
		return trust.Observe, true
	}
	need, ok = s.opts.Allowed[op]
	return need, ok
}

// connTo resolves a peer and returns its live connection.
func (s *Service) connTo(peer string) (*conn, error) {
	p, err := s.trust.Resolve(peer)
	if err != nil {
		return nil, err
	}
	c := s.current(p.ID)
	if c == nil {
		s.mu.Lock()
		running := s.ctx != nil
		s.mu.Unlock()
		switch {
		case !running:
			return nil, fmt.Errorf("peer %s: no engine runs on this home to connect to it (start 'holdfast serve' or the desktop app)", p.Name)
		case p.Revoked():
			return nil, fmt.Errorf("peer %s is revoked: grant it a permission first", p.Name)
		case p.LastSeen.IsZero():
			return nil, fmt.Errorf("peer %s is offline (never connected yet)", p.Name)
		default:
			return nil, fmt.Errorf("peer %s is offline (last seen %s)", p.Name, p.LastSeen.Local().Format(time.DateTime))
		}
	}
	return c, nil
}

// LiveMetrics streams the peer's monitor ticks until ctx ends or the peer
// goes offline, when the channel closes. A connection replaced by a newer
// one to the same peer does not end it: the stream goes on over the new
// one. A slow reader misses ticks rather than holding the connection up.
func (s *Service) LiveMetrics(ctx context.Context, peer string) (<-chan wire.Tick, error) {
	c, err := s.connTo(peer)
	if err != nil {
		return nil, err
	}
	ticks := make(chan wire.Tick, 16)
	go func() {
		defer close(ticks)
		for c != nil {
			res, err := c.callStream(ctx, control.Request{Op: OpLiveMetrics}, nil, ticks, time.Second)
			if err == nil {
				err = res.Err()
			}
			if err == nil || ctx.Err() != nil {
				return
			}
			if !errors.Is(err, errReplaced) {
				s.log.Debug("live metrics ended", "peer", c.peer.Short(), "err", err)
				return
			}
			c = s.replacement(ctx, c)
		}
	}()
	return ticks, nil
}

// serveRequest runs a peer's call if its permissions allow it.
func (s *Service) serveRequest(ctx context.Context, c *conn, id uint64, req control.Request, sink control.Sink) control.Result {
	p, err := s.trust.Get(c.peer)
	if err != nil || p.Revoked() {
		return control.Result{Exit: control.ExitError, Error: "this device no longer trusts you"}
	}
	if req.Op == OpGranted {
		return serveGranted(p)
	}
	need, ok := s.needs(req.Op)
	if !ok {
		return control.Result{Exit: control.ExitUsage, Error: fmt.Sprintf("operation %q is not open to peers", req.Op)}
	}
	// Control includes observing.
	if !p.Can(need) && !(need == trust.Observe && p.Can(trust.Control)) {
		return control.Result{Exit: control.ExitError, Error: fmt.Sprintf("permission denied: %s needs %s permission, which %s has not granted this device", req.Op, need, s.opts.DeviceName)}
	}
	if req.Op == OpLiveMetrics {
		return s.serveLive(ctx, c, id)
	}
	return s.opts.Dispatcher.Dispatch(ctx, req, sink)
}

// serveLive pushes monitor ticks to the peer until the call is canceled.
func (s *Service) serveLive(ctx context.Context, c *conn, id uint64) control.Result {
	if s.opts.Bus == nil {
		return control.Result{Exit: control.ExitError, Error: "no live metrics here"}
	}
	sub := s.opts.Bus.Subscribe(4, monitor.Tick{}.Topic())
	defer sub.Close()
	var enc *seriesEncoder
	if slices.Contains(c.hello.Caps, capMetricRefs) {
		enc = newSeriesEncoder()
	}
	for {
		select {
		case <-ctx.Done():
			return control.Result{}
		case ev, ok := <-sub.C:
			if !ok {
				return control.Result{}
			}
			t, ok := ev.(monitor.Tick)
			if !ok {
				continue
			}
			if enc == nil {
				c.offer(wire.Msg{Type: wire.TEvent, ID: id, Tick: tickToWire(t)})
			} else if !c.offer(wire.Msg{Type: wire.TEvent, ID: id, Tick: enc.encode(t)}) {
				enc.undo() // the peer never saw the refs this tick defined
			}
		}
	}
}
