package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/peers/identity"
	"github.com/holdfast/holdfast/peers/wire"
)

// Queue sizes of a connection's writer (see the package doc).
const (
	controlQueue = 256
	bulkQueue    = 8
	// maxServed bounds the calls a peer may have running here at once.
	maxServed = 32
	// writeTimeout bounds one frame's write: a peer that stops reading
	// is cut.
	writeTimeout = 10 * time.Second
	// pingRTTEvery: while other frames keep the link alive, one ping in
	// this many still goes out, for the round-trip time.
	pingRTTEvery = 5
	// keepReadBuffer bounds the read buffer a connection keeps between
	// messages; a larger message's buffer is let go.
	keepReadBuffer = 64 << 10
)

// Close codes sent in the WebSocket close frame, with a reason.
const (
	closeRefused  = 4001 // pairing refused or device not trusted
	closeRevoked  = 4003 // removed or revoked
	closeProtocol = 4002 // the peer broke the protocol
	closeReplaced = 4004 // a duplicate connection lost
)

// errReplaced is why a connection ended when another connection to the
// same peer took its place, as either side decided. A call that only
// reads can be made again on the connection that won.
var errReplaced = errors.New("replaced by a newer connection to the same peer")

// replaceWait bounds how long a read call or a live stream cut by
// errReplaced waits for the connection that replaced it.
const replaceWait = 5 * time.Second

// conn is one authenticated connection to a peer.
type conn struct {
	s      *Service
	ws     *websocket.Conn
	peer   identity.DeviceID
	dialer identity.DeviceID // which side dialled it
	hello  wire.Hello
	since  time.Time

	ctrl chan []byte // control messages: written first
	bulk chan []byte // bulk data (future): written when no control waits
	done chan struct{}
	ctx  context.Context // canceled when the connection ends
	stop context.CancelFunc
	once sync.Once
	err  error // why it ended, set before done closes
	wg   sync.WaitGroup
	rtt  atomic.Int64 // latest ping round trip, ns
	// heard: a message came in since the writer's last ping tick.
	heard atomic.Bool

	sendReq sync.Mutex // held from numbering a call to queueing it

	mu     sync.Mutex
	nextID uint64              // last ID this side used for a call
	lastIn uint64              // last call ID the peer used
	calls  map[uint64]*pending // our calls awaiting their response
	served map[uint64]func()   // the peer's calls running here: cancel
}

// pending is one of our calls in flight.
type pending struct {
	sink control.Sink
	res  chan wire.Response
	// tick takes a stream's items, on the reader's goroutine with the
	// connection's lock held: it must not block. Nil for an ordinary call.
	tick   func(wire.Tick)
	series seriesDecoder // the stream's series refs
}

func newConn(s *Service, ws *websocket.Conn, peer, dialer identity.DeviceID, hello wire.Hello) *conn {
	c := &conn{
		s: s, ws: ws, peer: peer, dialer: dialer, hello: hello, since: time.Now(),
		ctrl: make(chan []byte, controlQueue), bulk: make(chan []byte, bulkQueue), done: make(chan struct{}),
		calls: map[uint64]*pending{}, served: map[uint64]func(){},
	}
	c.ctx, c.stop = context.WithCancel(context.Background())
	return c
}

// start runs the reader and the writer.
func (c *conn) start() {
	c.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
}

// doneOrNil is c.done, or nil (never ready) for no connection.
func (c *conn) doneOrNil() <-chan struct{} {
	if c == nil {
		return nil
	}
	return c.done
}

// closed reports whether the connection has ended.
func (c *conn) closed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// close ends the connection, telling the peer why with a close frame
// when code is not 0. Safe to call more than once and from any goroutine.
func (c *conn) close(code int, err error) {
	c.once.Do(func() {
		c.err = err
		if code != 0 {
			msg := websocket.FormatCloseMessage(code, truncate(err.Error(), 120))
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		}
		c.stop()
		close(c.done)
		c.ws.Close()
		c.mu.Lock()
		for _, cancel := range c.served {
			cancel()
		}
		c.mu.Unlock()
	})
}

// wait blocks until the reader and writer (and the calls they started)
// have ended.
func (c *conn) wait() { c.wg.Wait() }

// readLoop reads and handles frames until the connection ends. Any
// frame that breaks the protocol closes this connection only.
func (c *conn) readLoop() {
	defer c.wg.Done()
	defer c.s.lost(c)
	timeout := c.s.readTimeout
	c.ws.SetReadLimit(wire.MaxMessage)
	extend := func() { _ = c.ws.SetReadDeadline(time.Now().Add(timeout)) }
	extend()
	c.ws.SetPingHandler(func(data string) error {
		extend()
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeTimeout))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			return err
		}
		return nil
	})
	c.ws.SetPongHandler(func(data string) error {
		extend()
		if sent, err := strconv.ParseInt(data, 10, 64); err == nil {
			if d := time.Since(time.Unix(0, sent)); d >= 0 && d < time.Minute {
				c.rtt.Store(int64(d))
			}
		}
		return nil
	})
	// One buffer for every message: wire.Decode copies what it keeps.
	var buf bytes.Buffer
	for {
		typ, b, err := c.readMessage(&buf, extend)
		if err != nil {
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce) && ce.Code == closeReplaced:
				err = fmt.Errorf("peer closed the connection: %w", errReplaced)
			case errors.As(err, &ce) && ce.Text != "":
				err = fmt.Errorf("peer closed the connection: %s", ce.Text)
			}
			if errors.Is(err, websocket.ErrReadLimit) {
				// The close frame saying why is sent; closing with the
				// oversized message unread would reset the connection
				// and lose it.
				c.drain()
			}
			c.close(0, err)
			return
		}
		extend()
		c.heard.Store(true)
		if typ != websocket.BinaryMessage {
			c.close(closeProtocol, errors.New("text frame: only binary messages are allowed"))
			return
		}
		m, err := wire.Decode(b)
		if err == nil {
			err = c.handle(m)
		}
		if err != nil {
			c.s.log.Warn("peer broke the protocol; closing its connection", "peer", c.peer.Short(), "err", err)
			c.close(closeProtocol, err)
			return
		}
	}
}

// drain reads and drops what the peer still sends, for a moment, so
// that closing does not reset the connection before the peer has read
// this side's close frame.
func (c *conn) drain() {
	nc := c.ws.UnderlyingConn()
	_ = nc.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.CopyN(io.Discard, nc, 2*wire.MaxMessage)
}

// readMessage reads the next message into buf, whose bytes stay valid
// until the next call. Each read that brings bytes calls extend: a link
// still delivering a large message is alive, however slow.
func (c *conn) readMessage(buf *bytes.Buffer, extend func()) (int, []byte, error) {
	if buf.Cap() > keepReadBuffer {
		*buf = bytes.Buffer{}
	}
	buf.Reset()
	typ, r, err := c.ws.NextReader()
	if err != nil {
		return typ, nil, err
	}
	if _, err := buf.ReadFrom(progressReader{r, extend}); err != nil {
		return typ, nil, err
	}
	return typ, buf.Bytes(), nil
}

// progressReader calls progress after each read that brings bytes.
type progressReader struct {
	r        io.Reader
	progress func()
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.progress()
	}
	return n, err
}

// writeLoop writes queued frames, control before bulk, and pings.
func (c *conn) writeLoop() {
	defer c.wg.Done()
	ping := time.NewTicker(c.s.pingInterval)
	defer ping.Stop()
	// Any frame keeps a read deadline alive as well as a ping does. So
	// while this side sends frames (a live metric stream), it skips its
	// pings; while it hears the peer's frames, it needs no pong and sends
	// an unsolicited pong instead (a one-way heartbeat, RFC 6455 5.5.3).
	// Every pingRTTEvery-th ping goes out regardless, for the round-trip
	// time.
	wrote, skipped := false, 0
	write := func(b []byte) bool {
		_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
			c.close(0, fmt.Errorf("write: %w", err))
			return false
		}
		wrote = true
		return true
	}
	for {
		// Control messages never wait behind bulk data.
		select {
		case b := <-c.ctrl:
			if !write(b) {
				return
			}
			continue
		default:
		}
		select {
		case <-c.done:
			return
		case b := <-c.ctrl:
			if !write(b) {
				return
			}
		case b := <-c.bulk:
			if !write(b) {
				return
			}
		case <-ping.C:
			heard := c.heard.Swap(false)
			if skipped < pingRTTEvery-1 && (wrote || heard) {
				skipped++
				if wrote {
					wrote = false
					continue
				}
				if err := c.ws.WriteControl(websocket.PongMessage, nil, time.Now().Add(writeTimeout)); err != nil {
					c.close(0, fmt.Errorf("heartbeat: %w", err))
					return
				}
				continue
			}
			wrote, skipped = false, 0
			now := strconv.FormatInt(time.Now().UnixNano(), 10)
			if err := c.ws.WriteControl(websocket.PingMessage, []byte(now), time.Now().Add(writeTimeout)); err != nil {
				c.close(0, fmt.Errorf("ping: %w", err))
				return
			}
		}
	}
}

// send queues a control message, waiting while the queue is full.
func (c *conn) send(ctx context.Context, m wire.Msg) error {
	b, err := wire.Encode(m)
	if err != nil {
		return err
	}
	select {
	case c.ctrl <- b:
		return nil
	case <-c.done:
		return c.lostErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// offer queues a control message only if there is room at once: for what
// may be dropped (progress, live samples) rather than hold anything up.
func (c *conn) offer(m wire.Msg) bool {
	b, err := wire.Encode(m)
	if err != nil {
		return false
	}
	select {
	case c.ctrl <- b:
		return true
	default:
		return false
	}
}

func (c *conn) lostErr() error {
	if c.err != nil {
		return fmt.Errorf("connection to peer %s lost: %w", c.peer.Short(), c.err)
	}
	return fmt.Errorf("connection to peer %s lost", c.peer.Short())
}

// handle acts on one message from the peer after the hellos.
func (c *conn) handle(m wire.Msg) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Type {
	case wire.TRequest:
		// The peer numbers its calls upwards: a repeated or lower ID is
		// out of order.
		if m.ID <= c.lastIn {
			return fmt.Errorf("call %d out of order (after %d)", m.ID, c.lastIn)
		}
		c.lastIn = m.ID
		if len(c.served) >= maxServed {
			c.offer(wire.Msg{Type: wire.TResponse, ID: m.ID, Response: &wire.Response{Exit: control.ExitError, Error: "peer busy: too many calls at once"}})
			return nil
		}
		ctx, cancel := context.WithCancel(c.ctx)
		c.served[m.ID] = cancel
		c.wg.Add(1)
		go c.serve(ctx, m.ID, *m.Request)
	case wire.TCancel:
		if m.ID > c.lastIn {
			return fmt.Errorf("cancel of call %d that was never made", m.ID)
		}
		if cancel := c.served[m.ID]; cancel != nil {
			cancel()
		}
	case wire.TProgress, wire.TLog, wire.TResponse:
		if m.ID > c.nextID {
			return fmt.Errorf("%s for call %d that was never made", m.Type, m.ID)
		}
		p := c.calls[m.ID]
		if p == nil {
			return nil // a call given up on: its late answer is dropped
		}
		if m.Type == wire.TResponse {
			delete(c.calls, m.ID)
			p.res <- *m.Response
			return nil
		}
		if p.sink == nil {
			return nil
		}
		// The sink may be slow (a terminal): call it without the lock.
		c.mu.Unlock()
		defer c.mu.Lock()
		if m.Type == wire.TLog {
			p.sink.Log(m.Text)
			return nil
		}
		pr := m.Progress
		p.sink.Progress(control.Progress{Message: pr.Message, Done: pr.Done, Total: pr.Total, Unit: pr.Unit, Percent: pr.Percent, TaskID: pr.TaskID})
	case wire.TEvent:
		if m.ID > c.nextID {
			return fmt.Errorf("event for call %d that was never made", m.ID)
		}
		if p := c.calls[m.ID]; p != nil && p.tick != nil {
			if err := p.series.resolve(m.Tick); err != nil {
				return fmt.Errorf("event for call %d: %w", m.ID, err)
			}
			p.tick(*m.Tick)
		}
	default:
		return fmt.Errorf("unexpected %s after the hellos", m.Type)
	}
	return nil
}

// serve runs one call of the peer, if its permissions allow it.
func (c *conn) serve(ctx context.Context, id uint64, r wire.Request) {
	defer c.wg.Done()
	defer func() {
		c.mu.Lock()
		if cancel := c.served[id]; cancel != nil {
			cancel()
			delete(c.served, id)
		}
		c.mu.Unlock()
	}()
	res := c.s.serveRequest(ctx, c, id, control.Request{Op: r.Op, Args: json.RawMessage(r.Args)}, &wireSink{c: c, id: id})
	resp := &wire.Response{Exit: res.Exit, Data: res.Data, Error: truncate(res.Error, 60<<10), TaskID: res.TaskID}
	if err := c.send(c.ctx, wire.Msg{Type: wire.TResponse, ID: id, Response: resp}); err != nil && !c.closed() {
		// Too big to send: say so instead.
		c.send(c.ctx, wire.Msg{Type: wire.TResponse, ID: id, Response: &wire.Response{Exit: control.ExitError, Error: "result: " + err.Error()}})
	}
}

// wireSink streams a served call's progress and log lines to the peer.
type wireSink struct {
	c  *conn
	id uint64
}

func (s *wireSink) Progress(p control.Progress) {
	s.c.offer(wire.Msg{Type: wire.TProgress, ID: s.id, Progress: &wire.Progress{
		Message: truncate(p.Message, wire.MaxString), Done: p.Done, Total: p.Total, Unit: truncate(p.Unit, 64),
		Percent: p.Percent, TaskID: p.TaskID,
	}})
}

func (s *wireSink) Log(line string) {
	s.c.send(s.c.ctx, wire.Msg{Type: wire.TLog, ID: s.id, Text: truncate(line, wire.MaxString)})
}

// call runs req on the peer, streaming its progress into sink. Canceling
// ctx asks the peer to cancel the call and waits up to grace for its
// result.
func (c *conn) call(ctx context.Context, req control.Request, sink control.Sink, grace time.Duration) (control.Result, error) {
	return c.callStream(ctx, req, sink, nil, grace)
}

// callStream is call for a call that streams items into ticks until it
// ends.
func (c *conn) callStream(ctx context.Context, req control.Request, sink control.Sink, ticks chan wire.Tick, grace time.Duration) (control.Result, error) {
	return c.callEach(ctx, req, sink, func(t wire.Tick) {
		select {
		case ticks <- t:
		default: // a slow reader misses samples; the history fills gaps
		}
	}, grace)
}

// callEach is call for a call that streams items: tick takes each one as
// it arrives (see pending.tick) until the call ends.
func (c *conn) callEach(ctx context.Context, req control.Request, sink control.Sink, tick func(wire.Tick), grace time.Duration) (control.Result, error) {
	p := &pending{sink: sink, res: make(chan wire.Response, 1), tick: tick}
	// Numbering and queueing are one step, so the peer gets the calls in
	// the order of their IDs (it refuses a lower ID after a higher one).
	c.sendReq.Lock()
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.calls[id] = p
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.calls, id)
		c.mu.Unlock()
	}
	err := c.send(ctx, wire.Msg{Type: wire.TRequest, ID: id, Request: &wire.Request{Op: req.Op, Args: req.Args}})
	c.sendReq.Unlock()
	if err != nil {
		forget()
		return control.Result{}, err
	}
	result := func(r wire.Response) control.Result {
		return control.Result{Exit: r.Exit, Data: json.RawMessage(r.Data), Error: r.Error, TaskID: r.TaskID}
	}
	select {
	case r := <-p.res:
		return result(r), nil
	case <-c.done:
		forget()
		return control.Result{}, c.lostErr()
	case <-ctx.Done():
	}
	c.offer(wire.Msg{Type: wire.TCancel, ID: id})
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case r := <-p.res:
		return result(r), nil
	case <-c.done:
		forget()
		return control.Result{}, c.lostErr()
	case <-t.C:
		forget()
		return control.Result{}, fmt.Errorf("peer did not stop %s within %s: %w", req.Op, grace, ctx.Err())
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
