package peers

import (
	"context"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/peers/identity"
	"github.com/holdfast/holdfast/peers/trust"
	"github.com/holdfast/holdfast/peers/wire"
)

// Path is the WebSocket endpoint's URL path.
const Path = "/holdfast/peer/v1"

// Defaults of Options.
const (
	DefaultPingInterval = 2 * time.Second
	DefaultReadTimeout  = 6 * time.Second
	helloTimeout        = 10 * time.Second
	callGrace           = 10 * time.Second
	recentlySeen        = time.Hour
	backoffBase         = 250 * time.Millisecond
	backoffCapRecent    = 5 * time.Second
	backoffCapOld       = time.Minute
)

// Dispatcher runs control operations: the engine's router.
type Dispatcher interface {
	Dispatch(ctx context.Context, req control.Request, sink control.Sink) control.Result
}

// Options configure a Service.
type Options struct {
	Identity *identity.Identity
	Trust    *trust.Store
	// Dispatcher runs the operations peers ask for.
	Dispatcher Dispatcher
	// Allowed maps each operation a peer may call to the permission it
	// needs; anything else is refused.
	Allowed map[string]trust.Permission
	// Bus carries monitor ticks to live metric streams, and Changed out.
	Bus *bus.Bus
	// Alerts, when set, hears of peers offline longer than
	// OfflineAlertAfter (0: never).
	Alerts            alerts.Raiser
	OfflineAlertAfter time.Duration
	Log               *slog.Logger
	// DeviceName is this device's name as peers see it; Version its
	// Holdfast version.
	DeviceName string
	Version    string
	// Listen is host:port to accept peers on; "" accepts none (this side
	// still dials).
	Listen string
	// PingInterval and ReadTimeout: how often each side pings, and how
	// long a silent link lives (defaults 2 s and 6 s).
	PingInterval, ReadTimeout time.Duration
	// Now is the clock for invites (tests); default time.Now.
	Now func() time.Time
	// WatchAll streams every connected peer's live metrics to this side
	// (when the peer lets it observe): each tick is published on the bus
	// as a Tick and kept as the peer's latest (LatestTick). This is the
	// desktop watching its fleet.
	WatchAll bool
	// WrapConn, when set, wraps every TCP connection, accepted or
	// dialled, below TLS: to count the bytes on the wire (bench/peersim)
	// or to inject faults.
	WrapConn func(net.Conn) net.Conn
}

// Changed is published when a peer connects, disconnects, or its trust
// record changes.
type Changed struct {
	ID     identity.DeviceID
	Online bool
}

// Topic implements bus.Event.
func (Changed) Topic() string { return "peers.changed" }

// Service accepts and dials peers, keeps one connection to each, serves
// their calls, and forwards this side's calls to them.
type Service struct {
	id           *identity.Identity
	trust        *trust.Store
	opts         Options
	log          *slog.Logger
	pingInterval time.Duration
	readTimeout  time.Duration
	now          func() time.Time

	mu      sync.Mutex
	ctx     context.Context // nil until Start
	cancel  context.CancelFunc
	started time.Time
	ln      net.Listener
	srv     *http.Server
	addrs   []string // where this side listens, as advertised
	conns   map[identity.DeviceID]*conn
	all     map[*conn]struct{} // every live connection, also duplicates
	dialers map[identity.DeviceID]chan struct{}
	raised  map[identity.DeviceID]bool
	latest  map[identity.DeviceID]wire.Tick // WatchAll: each peer's last tick
	// attached is closed (and made anew) whenever a connection becomes a
	// peer's current one: replacement waits on it.
	attached chan struct{}
	connSeq  atomic.Uint64 // the number of the last connection dialled
	dialWG   sync.WaitGroup
	acceptWG sync.WaitGroup
}

// New returns a service; Start begins accepting and dialling. An unstarted
// service still manages the trust store and can pair (join) over a
// connection it closes afterwards, as the CLI does with no engine running.
func New(opts Options) *Service {
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = DefaultPingInterval
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		id: opts.Identity, trust: opts.Trust, opts: opts, log: opts.Log,
		pingInterval: opts.PingInterval, readTimeout: opts.ReadTimeout, now: opts.Now,
		conns: map[identity.DeviceID]*conn{}, all: map[*conn]struct{}{},
		dialers: map[identity.DeviceID]chan struct{}{}, raised: map[identity.DeviceID]bool{},
		latest: map[identity.DeviceID]wire.Tick{}, attached: make(chan struct{}),
	}
	opts.Trust.OnChange = s.trustChanged
	return s
}

// ID is this device's ID.
func (s *Service) ID() identity.DeviceID { return s.id.ID }

// Name implements the engine's Service.
func (s *Service) Name() string { return "peers" }

// Start listens (when Options.Listen is set) and starts dialling the
// known peers.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx != nil {
		return errors.New("peers already started")
	}
	if s.opts.Listen != "" {
		ln, err := s.listen(s.opts.Listen)
		if err != nil {
			return fmt.Errorf("listen for peers on %s: %w", s.opts.Listen, err)
		}
		s.serveLocked(ln)
	}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.started = s.now()
	peers, err := s.trust.List()
	if err != nil {
		s.log.Error("read trusted peers", "err", err)
	}
	for _, p := range peers {
		s.ensureDialerLocked(p.ID)
	}
	if s.opts.Alerts != nil && s.opts.OfflineAlertAfter > 0 {
		s.dialWG.Add(1)
		go s.watchOffline(s.ctx)
	}
	return nil
}

// Stop closes the listener and every connection, and waits for their
// goroutines.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	if s.ctx == nil {
		s.mu.Unlock()
		return nil
	}
	s.cancel()
	srv := s.srv
	all := make([]*conn, 0, len(s.all))
	for c := range s.all {
		all = append(all, c)
	}
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
	for _, c := range all {
		c.close(websocket.CloseGoingAway, errors.New("Holdfast is stopping"))
	}
	done := make(chan struct{})
	go func() {
		s.acceptWG.Wait()
		s.dialWG.Wait()
		for _, c := range all {
			c.wait()
		}
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop peers: %w", ctx.Err())
	}
}

// Addresses are where this side accepts peers ("" when it does not).
func (s *Service) Addresses() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.addrs)
}

// advertised lists the addresses peers can reach a listener on: every
// interface's address when it listens on all of them.
func advertised(a *net.TCPAddr) []string {
	if !a.IP.IsUnspecified() {
		return []string{a.String()}
	}
	var out, loop []string
	ifaddrs, _ := net.InterfaceAddrs()
	for _, ia := range ifaddrs {
		ipn, ok := ia.(*net.IPNet)
		if !ok || ipn.IP.IsLinkLocalUnicast() || ipn.IP.IsMulticast() {
			continue
		}
		if a.IP.To4() != nil && ipn.IP.To4() == nil {
			continue // listening on IPv4 only
		}
		addr := net.JoinHostPort(ipn.IP.String(), fmt.Sprint(a.Port))
		if ipn.IP.IsLoopback() {
			loop = append(loop, addr)
		} else {
			out = append(out, addr)
		}
	}
	return append(out, loop...)
}

// serverTLS accepts any client certificate: who it is gets decided after
// the handshake, from the trust store or a pairing proof.
func (s *Service) serverTLS() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{s.id.Cert},
		ClientAuth:   tls.RequireAnyClientCert,
		NextProtos:   []string{"http/1.1"},
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("no client certificate")
			}
			if _, err := x509.ParseCertificate(raw[0]); err != nil {
				return fmt.Errorf("client certificate: %w", err)
			}
			return nil
		},
	}
}

// clientTLS pins the server's certificate to the device ID want.
func (s *Service) clientTLS(want identity.DeviceID) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{s.id.Cert},
		InsecureSkipVerify: true, // self-signed: verified by the pinned ID below
		NextProtos:         []string{"http/1.1"},
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return errors.New("peer sent no certificate")
			}
			if got := identity.IDFromCert(raw[0]); got != want {
				return fmt.Errorf("peer is device %s, not the expected %s", got.Short(), want.Short())
			}
			return nil
		},
	}
}

var upgrader = websocket.Upgrader{
	HandshakeTimeout: helloTimeout,
	ReadBufferSize:   16 << 10,
	WriteBufferSize:  16 << 10,
	// Peers are programs, not web pages: a browser's request is refused.
	CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
}

// accept decides on a connection after its TLS handshake: a trusted
// device, or anyone while an invite is open (it must then prove it holds
// the invite first); everyone else is cut without an answer.
func (s *Service) accept(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		hangUp(w)
		return
	}
	s.mu.Lock()
	stopping := s.ctx == nil || s.ctx.Err() != nil
	if !stopping {
		s.acceptWG.Add(1)
	}
	s.mu.Unlock()
	if stopping {
		hangUp(w)
		return
	}
	defer s.acceptWG.Done()
	der := r.TLS.PeerCertificates[0].Raw
	peerID := identity.IDFromCert(der)
	p, err := s.trust.Get(peerID)
	trusted := err == nil && !p.Revoked()
	if !trusted && !s.trust.HasInvites(s.now()) {
		s.log.Debug("refused an unknown device", "peer", peerID.Short(), "from", r.RemoteAddr)
		hangUp(w)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade answered with an HTTP error
	}
	ws.SetReadLimit(wire.MaxMessage)
	ws.SetReadDeadline(time.Now().Add(helloTimeout))
	m, err := readMsg(ws)
	if err != nil {
		s.log.Debug("peer's first message", "peer", peerID.Short(), "err", err)
		ws.Close()
		return
	}
	switch {
	case m.Type == wire.TPair:
		if err := s.checkPair(m, der); err != nil {
			s.log.Warn("pairing refused", "peer", peerID.Short(), "from", r.RemoteAddr, "err", err)
			refuse(ws, err)
			return
		}
		name := m.Hello.Device
		if trust.CheckName(name) != nil {
			name = "peer-" + peerID.Short()
		}
		name, err = s.trust.UniqueName(name, peerID)
		if err == nil {
			_, err = s.trust.Add(trust.Peer{ID: peerID, Name: name, Addresses: m.Hello.Addresses, Permissions: []trust.Permission{trust.Observe}})
		}
		if err != nil {
			refuse(ws, fmt.Errorf("pairing: %w", err))
			return
		}
		s.log.Info("paired with a new peer", "peer", peerID.Short(), "name", name)
	case m.Type == wire.THello && trusted:
	default:
		s.log.Debug("refused a connection", "peer", peerID.Short(), "first", m.Type, "trusted", trusted)
		refuse(ws, errors.New("not trusted here"))
		return
	}
	if err := checkHello(m.Hello); err != nil {
		refuse(ws, err)
		return
	}
	answer := s.hello()
	answer.Hello.Conn = m.Hello.Conn
	if err := writeMsg(ws, answer); err != nil {
		ws.Close()
		return
	}
	s.attach(ws, peerID, peerID, *m.Hello)
}

// checkPair verifies a joiner's proof and uses its invite up.
func (s *Service) checkPair(m wire.Msg, joinerDER []byte) error {
	return s.trust.ConsumeInvite(m.Pair.Invite, s.now(), func(key []byte) error {
		want := pairProof(key, joinerDER, s.id.DER())
		if !hmac.Equal(want, m.Pair.Proof) {
			return errors.New("wrong invite proof")
		}
		return nil
	})
}

func checkHello(h *wire.Hello) error {
	if h.Version != wire.Version {
		return fmt.Errorf("protocol version %d is not %d: update Holdfast on both devices", h.Version, wire.Version)
	}
	return nil
}

// hangUp closes a connection without a word.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
			return
		}
	}
	w.WriteHeader(http.StatusForbidden)
}

// refuse closes ws telling the other side why.
func refuse(ws *websocket.Conn, err error) {
	msg := websocket.FormatCloseMessage(closeRefused, truncate(err.Error(), 120))
	_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	ws.Close()
}

func readMsg(ws *websocket.Conn) (wire.Msg, error) {
	typ, b, err := ws.ReadMessage()
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code == closeRefused {
			return wire.Msg{}, &RefusedError{Reason: ce.Text}
		}
		return wire.Msg{}, err
	}
	if typ != websocket.BinaryMessage {
		return wire.Msg{}, errors.New("text frame")
	}
	return wire.Decode(b)
}

func writeMsg(ws *websocket.Conn, m wire.Msg) error {
	b, err := wire.Encode(m)
	if err != nil {
		return err
	}
	ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return ws.WriteMessage(websocket.BinaryMessage, b)
}

// hello is this side's hello.
func (s *Service) hello() wire.Msg {
	return wire.Msg{Type: wire.THello, Hello: &wire.Hello{
		Version: wire.Version, Device: truncate(s.opts.DeviceName, 256), Addresses: s.Addresses(),
		Caps: []string{capCalls, capLiveMetrics, capMetricRefs}, App: s.opts.Version,
	}}
}

// Capabilities a hello may list.
const (
	capCalls       = "calls"
	capLiveMetrics = "metrics.live"
)

// dial connects to peer want at addr; with pair set, it pairs with the
// invite instead of saying hello.
func (s *Service) dial(ctx context.Context, want identity.DeviceID, addr string, pair *Invite) (*websocket.Conn, wire.Hello, error) {
	d := websocket.Dialer{
		TLSClientConfig:  s.clientTLS(want),
		HandshakeTimeout: helloTimeout,
		ReadBufferSize:   16 << 10,
		WriteBufferSize:  16 << 10,
	}
	if wrap := s.opts.WrapConn; wrap != nil {
		d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return wrap(c), nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, helloTimeout)
	defer cancel()
	ws, _, err := d.DialContext(ctx, "wss://"+addr+Path, nil)
	if err != nil {
		return nil, wire.Hello{}, fmt.Errorf("connect to %s: %w", addr, err)
	}
	first := s.hello()
	seq := s.nextConnSeq()
	first.Hello.Conn = seq
	if pair != nil {
		serverDER := ws.UnderlyingConn().(*tls.Conn).ConnectionState().PeerCertificates[0].Raw
		first.Type = wire.TPair
		first.Pair = &wire.Pair{Invite: inviteID(pair.Secret), Proof: pairProof(inviteKey(pair.Secret), s.id.DER(), serverDER)}
	}
	if err := writeMsg(ws, first); err != nil {
		ws.Close()
		return nil, wire.Hello{}, fmt.Errorf("%s: %w", addr, err)
	}
	ws.SetReadLimit(wire.MaxMessage)
	ws.SetReadDeadline(time.Now().Add(helloTimeout))
	m, err := readMsg(ws)
	if err == nil && m.Type != wire.THello {
		err = fmt.Errorf("got %s instead of a hello", m.Type)
	}
	if err == nil {
		err = checkHello(m.Hello)
	}
	if err != nil {
		ws.Close()
		return nil, wire.Hello{}, fmt.Errorf("%s refused: %w", addr, err)
	}
	hello := *m.Hello
	hello.Conn = seq // this side's number for it, whatever the peer said
	return ws, hello, nil
}

// nextConnSeq numbers a connection this side dials: upwards, and from the
// clock, so a restarted process goes on above its earlier numbers.
func (s *Service) nextConnSeq() uint64 {
	for {
		last := s.connSeq.Load()
		next := max(last+1, uint64(time.Now().UnixNano()))
		if s.connSeq.CompareAndSwap(last, next) {
			return next
		}
	}
}

// attach turns a connection that has exchanged hellos into the peer's
// connection, unless one it prefers is already there.
func (s *Service) attach(ws *websocket.Conn, peer, dialer identity.DeviceID, hello wire.Hello) *conn {
	c := newConn(s, ws, peer, dialer, hello)
	if p, err := s.trust.Get(peer); err != nil || p.Revoked() {
		c.close(closeRevoked, errors.New("not trusted here"))
		return nil
	}
	s.mu.Lock()
	if s.ctx == nil || s.ctx.Err() != nil {
		s.mu.Unlock()
		reason := "Holdfast is stopping"
		if s.ctx == nil {
			reason = "no engine runs on this side to keep the connection"
		}
		c.close(websocket.CloseNormalClosure, errors.New(reason))
		return nil
	}
	old := s.conns[peer]
	if old != nil && !old.closed() && s.prefer(old, c) {
		s.mu.Unlock()
		c.close(closeReplaced, errors.New("duplicate connection"))
		return nil
	}
	s.conns[peer] = c
	s.all[c] = struct{}{}
	close(s.attached)
	s.attached = make(chan struct{})
	kick := s.shouldTakeOver(c)
	s.mu.Unlock()
	if old != nil {
		old.close(closeReplaced, errReplaced)
	}
	watch := s.opts.WatchAll && slices.Contains(hello.Caps, capLiveMetrics)
	if watch {
		c.wg.Add(1) // before start, so wait() cannot miss it
	}
	c.start()
	if watch {
		go s.watch(c)
	}
	if _, err := s.trust.Seen(peer, s.now(), hello.Addresses, hello.Device, hello.App); err != nil {
		s.log.Warn("record peer seen", "peer", peer.Short(), "err", err)
	}
	s.resolveOffline(peer)
	s.log.Info("peer connected", "peer", peer.Short(), "device", hello.Device, "dialled_by_us", dialer == s.id.ID)
	s.publish(Changed{ID: peer, Online: true})
	if kick {
		// This side has the lower ID, so the connection it dials wins:
		// dial at once rather than keep the peer's.
		s.kick(peer)
	}
	return c
}

// prefer reports whether the existing connection old wins over c: the
// one dialled by the lower device ID wins; between two dialled by the
// same side, the one it numbered higher (the newer), so that both sides
// keep the same one whatever order they attached them in.
func (s *Service) prefer(old, c *conn) bool {
	if old.dialer != c.dialer {
		low := s.id.ID
		if c.peer.Compare(low) < 0 {
			low = c.peer
		}
		return old.dialer == low
	}
	return old.hello.Conn > c.hello.Conn
}

// lost is called when a connection's reader ends.
func (s *Service) lost(c *conn) {
	s.mu.Lock()
	delete(s.all, c)
	current := s.conns[c.peer] == c
	if current {
		delete(s.conns, c.peer)
		// Its live sample goes with it (watch may have ended first,
		// while this connection was still the current one).
		delete(s.latest, c.peer)
	}
	ctx := s.ctx
	s.mu.Unlock()
	if !current {
		return
	}
	if errors.Is(c.err, errReplaced) {
		// The peer took a newer connection in place of this one, one this
		// side is about to attach: the peer is offline only if it does
		// not come.
		if ctx == nil {
			ctx = context.Background()
		}
		go func() {
			if s.replacement(ctx, c) == nil {
				s.offline(c)
			}
		}()
		return
	}
	s.offline(c)
}

// offline records that the peer of the connection that ended is gone and
// dials it again.
func (s *Service) offline(c *conn) {
	if _, err := s.trust.Seen(c.peer, s.now(), nil, "", ""); err != nil && !errors.Is(err, trust.ErrNotFound) {
		s.log.Warn("record peer seen", "peer", c.peer.Short(), "err", err)
	}
	s.log.Info("peer disconnected", "peer", c.peer.Short(), "reason", c.err)
	s.publish(Changed{ID: c.peer})
	s.kick(c.peer)
}

func (s *Service) publish(ev bus.Event) {
	if s.opts.Bus != nil {
		s.opts.Bus.Publish(ev)
	}
}

// replacement waits a moment for the connection that takes the place of
// old, which ended because another connection to the same peer won
// (errReplaced). Nil if none comes.
func (s *Service) replacement(ctx context.Context, old *conn) *conn {
	t := time.NewTimer(replaceWait)
	defer t.Stop()
	for {
		s.mu.Lock()
		c, wake := s.conns[old.peer], s.attached
		s.mu.Unlock()
		if c != nil && c != old && !c.closed() {
			return c
		}
		select {
		case <-wake:
		case <-t.C:
			return nil
		case <-ctx.Done():
			return nil
		}
	}
}

// current is the peer's connection, or nil.
func (s *Service) current(id identity.DeviceID) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.conns[id]; c != nil && !c.closed() {
		return c
	}
	return nil
}

// trustChanged cuts a removed or revoked peer at once, and (re)starts
// dialling one that is new or changed.
func (s *Service) trustChanged(id identity.DeviceID) {
	p, err := s.trust.Get(id)
	if err != nil || p.Revoked() {
		s.mu.Lock()
		var cut []*conn
		for c := range s.all {
			if c.peer == id {
				cut = append(cut, c)
			}
		}
		s.mu.Unlock()
		reason := "this device was removed by the peer"
		if err == nil {
			reason = "this device's permissions were revoked by the peer"
		}
		for _, c := range cut {
			c.close(closeRevoked, errors.New(reason))
		}
		s.resolveOffline(id)
	} else {
		s.mu.Lock()
		if s.ctx != nil {
			s.ensureDialerLocked(id)
		}
		s.mu.Unlock()
		s.kick(id)
	}
	s.publish(Changed{ID: id, Online: s.current(id) != nil})
}

// kick wakes the peer's dialer.
func (s *Service) kick(id identity.DeviceID) {
	s.mu.Lock()
	ch := s.dialers[id]
	s.mu.Unlock()
	if ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *Service) ensureDialerLocked(id identity.DeviceID) {
	if s.dialers[id] != nil || s.ctx == nil || s.ctx.Err() != nil {
		return
	}
	ch := make(chan struct{}, 1)
	s.dialers[id] = ch
	s.dialWG.Add(1)
	go s.dialLoop(s.ctx, id, ch)
}

// dialLoop keeps a peer connected: while it is not, it dials its known
// addresses with backoff and jitter (capped at 5 s while the peer was
// seen in the last hour, a minute after that); a kick dials at once.
func (s *Service) dialLoop(ctx context.Context, id identity.DeviceID, kick chan struct{}) {
	defer s.dialWG.Done()
	defer func() {
		s.mu.Lock()
		delete(s.dialers, id)
		s.mu.Unlock()
	}()
	attempt := 0
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	// wait sleeps for d (0: no limit) or until kicked or done closes; it
	// reports whether to go on.
	wait := func(d time.Duration, done <-chan struct{}) bool {
		var tc <-chan time.Time
		if d > 0 {
			timer.Reset(d)
			defer timer.Stop()
			tc = timer.C
		}
		select {
		case <-ctx.Done():
			return false
		case <-kick:
		case <-tc:
		case <-done:
		}
		return true
	}
	for ctx.Err() == nil {
		p, err := s.trust.Get(id)
		if err != nil || p.Revoked() {
			return
		}
		c := s.current(id)
		if c != nil && !s.shouldTakeOver(c) {
			attempt = 0
			if !wait(0, c.done) {
				return
			}
			if c.closed() && errors.Is(c.err, errReplaced) {
				// Another connection took its place: wait for it
				// rather than dial a third.
				s.replacement(ctx, c)
			}
			continue
		}
		if len(p.Addresses) == 0 {
			if !wait(0, c.doneOrNil()) {
				return
			}
			continue
		}
		var errs []error
		for _, addr := range p.Addresses {
			ws, hello, err := s.dial(ctx, id, addr, nil)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			s.attach(ws, id, s.id.ID, hello)
			errs = nil
			break
		}
		if errs == nil {
			attempt = 0
			continue
		}
		s.log.Debug("dial peer", "peer", id.Short(), "err", errors.Join(errs...))
		// Connected the other way, the next try to take over can wait as
		// long as for a peer not seen for a while, unless that ends.
		c = s.current(id)
		recent := c == nil && s.now().Sub(p.LastSeen) < recentlySeen
		if !wait(backoff(attempt, recent), c.doneOrNil()) {
			return
		}
		attempt++
	}
}

// shouldTakeOver reports whether this side should dial the peer although
// it is connected: the connection is one the peer dialled, and this side
// has the lower ID, whose connection both sides keep.
func (s *Service) shouldTakeOver(c *conn) bool {
	return c.dialer != s.id.ID && s.id.ID.Compare(c.peer) < 0
}

// backoff is the wait before the next dial: doubling from 250 ms, capped
// (5 s for a peer seen recently, a minute otherwise), with jitter in the
// upper half.
func backoff(attempt int, recent bool) time.Duration {
	limit := backoffCapOld
	if recent {
		limit = backoffCapRecent
	}
	d := backoffBase << min(attempt, 16)
	d = min(d, limit)
	return d/2 + rand.N(d/2+1)
}

// watchOffline raises an event alert for each peer offline longer than
// OfflineAlertAfter (counting from when this engine started at the
// earliest), resolved when it comes back.
func (s *Service) watchOffline(ctx context.Context) {
	defer s.dialWG.Done()
	every := min(max(s.opts.OfflineAlertAfter/4, 100*time.Millisecond), 30*time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		peers, err := s.trust.List()
		if err != nil {
			continue
		}
		now := s.now()
		for _, p := range peers {
			if p.Revoked() || s.current(p.ID) != nil {
				continue
			}
			since := p.LastSeen
			if since.Before(s.started) {
				since = s.started
			}
			if now.Sub(since) < s.opts.OfflineAlertAfter {
				continue
			}
			s.mu.Lock()
			done := s.raised[p.ID]
			s.raised[p.ID] = true
			s.mu.Unlock()
			if done {
				continue
			}
			msg := fmt.Sprintf("Peer %s has been offline for more than %s", p.Name, s.opts.OfflineAlertAfter)
			if !p.LastSeen.IsZero() {
				msg += fmt.Sprintf(" (last seen %s)", p.LastSeen.Local().Format(time.DateTime))
			}
			err := s.opts.Alerts.Raise(ctx, alerts.Event{Source: "peers", Key: offlineKey(p.ID), Severity: alerts.SeverityWarning, Message: msg, Resolve: alerts.BySuccess})
			if err != nil {
				s.log.Warn("raise peer offline alert", "peer", p.Name, "err", err)
			}
		}
	}
}

func offlineKey(id identity.DeviceID) string { return "peer:offline:" + id.String() }

// resolveOffline ends the peer's offline alert, if one was raised.
func (s *Service) resolveOffline(id identity.DeviceID) {
	s.mu.Lock()
	raised := s.raised[id]
	delete(s.raised, id)
	s.mu.Unlock()
	if raised && s.opts.Alerts != nil {
		if err := s.opts.Alerts.Resolve(context.Background(), "peers", offlineKey(id), "back online"); err != nil {
			s.log.Warn("resolve peer offline alert", "peer", id.Short(), "err", err)
		}
	}
}
