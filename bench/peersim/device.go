package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/peers"
	"github.com/holdfast/holdfast/peers/identity"
	"github.com/holdfast/holdfast/peers/trust"
)

// statusOp is the engine's status operation (core/engine.OpStatus), the
// remote command the benchmark times.
const statusOp = "status"

// device is one simulated Holdfast instance: its own identity, trust
// store (bbolt in its own directory), bus and router, and a real
// peers.Service listening on 127.0.0.1. Every TCP connection it makes or
// accepts is counted below TLS.
type device struct {
	name   string
	dir    string
	id     *identity.Identity
	db     *bolt.DB
	trust  *trust.Store
	bus    *bus.Bus
	router *control.Router
	log    *slog.Logger
	listen string // 127.0.0.1:0 at first, then the port it got
	svc    *peers.Service

	rx, tx atomic.Int64 // bytes on the wire: TLS records read and written

	mu  sync.Mutex
	raw map[net.Conn]struct{} // its live TCP connections
}

func newDevice(dir, name string, status func() json.RawMessage, log *slog.Logger) (*device, error) {
	d := &device{name: name, dir: dir, bus: bus.New(), listen: "127.0.0.1:0", log: log.With("device", name), raw: map[net.Conn]struct{}{}}
	var err error
	if d.id, err = identity.LoadOrCreate(dir); err != nil {
		return nil, fmt.Errorf("device %s: %w", name, err)
	}
	if d.db, err = bolt.Open(filepath.Join(dir, "holdfast.db"), 0o600, &bolt.Options{Timeout: time.Second, NoSync: true}); err != nil {
		return nil, fmt.Errorf("device %s: open its database: %w", name, err)
	}
	if d.trust, err = trust.Open(d.db); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("device %s: %w", name, err)
	}
	d.router = control.NewRouter(d.log)
	d.router.Handle(statusOp, func(ctx context.Context, c *control.Call) (any, error) {
		return status(), nil
	})
	return d, nil
}

// start runs a fresh peers.Service on the device's identity and trust
// store, on the port it had before (a restart).
func (d *device) start(ctx context.Context) error {
	d.svc = peers.New(peers.Options{
		Identity: d.id, Trust: d.trust, Dispatcher: d.router, Bus: d.bus, Log: d.log,
		Allowed:    map[string]trust.Permission{statusOp: trust.Observe},
		DeviceName: d.name, Version: "peersim", Listen: d.listen, WrapConn: d.wrap,
	})
	if err := d.svc.Start(ctx); err != nil {
		return fmt.Errorf("device %s: %w", d.name, err)
	}
	if a := d.svc.Addresses(); len(a) > 0 {
		d.listen = a[0]
	}
	return nil
}

// stop stops the device's service, as a restarting engine does.
func (d *device) stop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return d.svc.Stop(ctx)
}

// cut closes every TCP connection of the device under its TLS, as a
// dropped link does, and reports how many there were.
func (d *device) cut() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c := range d.raw {
		c.Close()
	}
	return len(d.raw)
}

func (d *device) close() {
	d.db.Close()
}

// publish hands the device's service one monitor tick, as its monitor
// would each second.
func (d *device) publish(t monitor.Tick) { d.bus.Publish(t) }

// wrap counts a TCP connection's bytes and keeps it for cut.
func (d *device) wrap(c net.Conn) net.Conn {
	d.mu.Lock()
	d.raw[c] = struct{}{}
	d.mu.Unlock()
	return &countedConn{Conn: c, d: d}
}

type countedConn struct {
	net.Conn
	d    *device
	once sync.Once
}

func (c *countedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.d.rx.Add(int64(n))
	return n, err
}

func (c *countedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.d.tx.Add(int64(n))
	return n, err
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.d.mu.Lock()
		delete(c.d.raw, c.Conn)
		c.d.mu.Unlock()
	})
	return c.Conn.Close()
}
