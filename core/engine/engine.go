// Package engine owns everything one home runs: its lock, settings,
// database, event bus, control socket and services, started and stopped as
// one. The desktop app, `holdfast serve` and the standalone CLI all drive
// the same Engine.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/alerts/alertcfg"
	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/config"
	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/home"
	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
	"github.com/holdfast/holdfast/core/store"
	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/core/tasks/jobs"
	"github.com/holdfast/holdfast/core/watch"
	"github.com/holdfast/holdfast/peers"
)

// Mode says how the engine runs.
type Mode string

const (
	// ModeServe is the headless engine of `holdfast serve`.
	ModeServe Mode = "serve"
	// ModeDesktop is the engine inside the desktop app.
	ModeDesktop Mode = "desktop"
	// ModeLocal is a CLI command working on the home directly, briefly,
	// because no engine runs. It holds no home lock and listens on nothing.
	ModeLocal Mode = "local"
)

// StopTimeout bounds Stop: calls in flight and services get this long to
// wind down.
const StopTimeout = 4 * time.Second

// Service is a long-running part of the engine (monitoring, scheduler,
// peers…). Services start in the order they were added and stop in reverse.
type Service interface {
	Name() string
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Options configure Open.
type Options struct {
	Mode Mode
	// Log receives the engine's records; nil discards them.
	Log *slog.Logger
	// MetricsListen serves Prometheus /metrics on host:port, overriding
	// monitor.metrics_listen.
	MetricsListen string
	// MonitorInterval overrides monitor.interval (tests).
	MonitorInterval time.Duration
	// PeersListen accepts peers on host:port, overriding peers.listen.
	PeersListen string
}

// Engine is one home, open.
type Engine struct {
	mode   Mode
	home   *home.Home
	lock   *home.Lock
	cfg    config.Config
	store  *store.Store
	bus    *bus.Bus
	log    *slog.Logger
	router *control.Router

	// Backup serves repositories, backups and restores.
	Backup *backup.Service
	// Monitor samples the machine and keeps its history.
	Monitor *monitor.Service
	// Alerts evaluates metric rules and keeps event alerts.
	Alerts *alerts.Service
	// Jobs keeps the jobs and runs them on their schedules.
	Jobs *jobs.Scheduler
	// Consistency compares, verifies and repairs folders.
	Consistency *consistency.Service
	// Watch keeps the trees of watched folders current.
	Watch *watch.Service
	// Tasks runs the long operations as tasks and keeps their history.
	Tasks *tasks.Runner
	// Peers pairs with other Holdfast instances and talks to them.
	Peers *peers.Service

	mu       sync.Mutex
	services []Service
	running  []Service
	ctl      *control.Server
	started  time.Time
	cancel   context.CancelFunc
	stopped  bool
}

// Open opens the home for the given mode. Serve and desktop engines take
// the home's lock first and fail at once with a *home.InUseError when
// another engine holds it. The config file is written with commented
// defaults when missing, then validated; the database is opened (and
// created or migrated) last.
func Open(h *home.Home, opts Options) (*Engine, error) {
	if opts.Mode == "" {
		opts.Mode = ModeLocal
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Engine{mode: opts.Mode, home: h, bus: bus.New(), log: log}
	if e.mode != ModeLocal {
		lock, err := h.Lock()
		if err != nil {
			return nil, err
		}
		e.lock = lock
	}
	fail := func(err error) (*Engine, error) {
		e.lock.Release()
		return nil, err
	}
	// WriteDefault writes and fsyncs a temporary file before it finds the
	// settings in place: look first, as every CLI command opens the engine.
	if _, err := os.Lstat(h.ConfigPath()); errors.Is(err, fs.ErrNotExist) {
		if err := config.WriteDefault(h.ConfigPath()); err != nil {
			return fail(fmt.Errorf("write default settings: %w", err))
		}
	}
	cfg, err := config.Load(h.ConfigPath())
	if err != nil {
		return fail(err)
	}
	e.cfg = cfg
	timeout := time.Second
	if e.mode == ModeLocal {
		timeout = cfg.Control.ClientTimeout.Duration
	}
	st, err := store.Open(h.DBPath(), store.Options{Timeout: timeout})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			if pid := h.Holder(); pid > 0 {
				return fail(fmt.Errorf("%w; the engine holding home %s (PID %d) does not answer on %s", err, h.Dir, pid, h.SocketPath()))
			}
		}
		return fail(err)
	}
	e.store = st
	e.router = control.NewRouter(log)
	e.router.OnChange = func() { e.bus.Publish(ActivityChanged{}) }
	e.registerBuiltins()
	e.Backup = backup.NewService(st, h.Dir, log)
	e.Backup.Register(e.router)
	if err := e.openTasks(); err != nil {
		st.Close()
		return fail(err)
	}
	mopts := monitor.Options{
		Interval: cfg.Monitor.Interval.Duration,
		Log:      log,
		TSDB: tsdb.Options{
			FlushInterval:   cfg.Monitor.FlushInterval.Duration,
			RawRetention:    cfg.Monitor.RawRetention.Duration,
			MinuteRetention: cfg.Monitor.MinuteRetention.Duration,
			HourRetention:   cfg.Monitor.HourRetention.Duration,
		},
	}
	if e.mode == ModeLocal {
		mopts.TSDB.FlushInterval = -1 // a CLI command only reads the history
	}
	if opts.MonitorInterval > 0 {
		mopts.Interval = opts.MonitorInterval
	}
	mon, err := monitor.New(st.DB(), e.bus, mopts)
	if err != nil {
		st.Close()
		return fail(err)
	}
	e.Monitor = mon
	mon.Register(e.router)
	// Rules, quiet hours, re-notify and notifiers come from [alerts];
	// the app's editors change them live through alertcfg.Save.
	aopts, err := alertcfg.Options(cfg.Alerts, e.AlertsEnv())
	if err != nil {
		st.Close()
		return fail(err)
	}
	aopts.Source, aopts.Log = mon, log
	aopts.OnChange = func() { e.bus.Publish(AlertsChanged{}) }
	al, err := alerts.New(st.DB(), aopts)
	if err != nil {
		st.Close()
		return fail(err)
	}
	e.Alerts = al
	al.Register(e.router)
	e.Backup.Alerts = al
	if err := e.openConsistency(); err != nil {
		st.Close()
		return fail(err)
	}
	if e.mode != ModeLocal {
		e.services = append(e.services, mon, al)
		addr := cfg.Monitor.MetricsListen
		if opts.MetricsListen != "" {
			addr = opts.MetricsListen
		}
		if addr != "" {
			e.services = append(e.services, &metricsServer{addr: addr, mon: mon, log: log})
		}
	}
	if err := e.openJobs(); err != nil {
		st.Close()
		return fail(err)
	}
	if err := e.openPeers(opts.PeersListen); err != nil {
		st.Close()
		return fail(err)
	}
	return e, nil
}

// AddService adds a service; it must be called before Start.
func (e *Engine) AddService(s Service) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.services = append(e.services, s)
}

// Start starts the services and, for serve and desktop engines, the
// control socket. On error everything already started is stopped again.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started.IsZero() {
		return errors.New("engine already started")
	}
	ctx, e.cancel = context.WithCancel(ctx)
	for _, s := range e.services {
		if err := s.Start(ctx); err != nil {
			e.stopServicesLocked()
			return fmt.Errorf("start %s: %w", s.Name(), err)
		}
		e.running = append(e.running, s)
	}
	if e.mode != ModeLocal {
		ctl, err := control.Listen(e.home.SocketPath(), e.router, e.log)
		if err != nil {
			e.stopServicesLocked()
			return err
		}
		e.ctl = ctl
		go ctl.Serve()
	}
	e.started = time.Now()
	e.log.Info("engine started", "mode", e.mode, "home", e.home.Dir, "pid", os.Getpid())
	e.bus.Publish(Started{At: e.started, Mode: e.mode})
	return nil
}

// Stop cancels calls in flight, stops the services, closes the database
// and releases the home, within StopTimeout plus a moment. It is safe to
// call more than once and on an engine that never started.
func (e *Engine) Stop() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return nil
	}
	e.stopped = true
	e.bus.Publish(Stopping{})
	e.stopTasks()
	if e.ctl != nil {
		e.ctl.Close(StopTimeout / 2)
	}
	e.stopServicesLocked()
	if e.cancel != nil {
		e.cancel()
	}
	err := e.store.Close()
	if lerr := e.lock.Release(); err == nil {
		err = lerr
	}
	if !e.started.IsZero() {
		e.log.Info("engine stopped", "home", e.home.Dir)
	}
	return err
}

func (e *Engine) stopServicesLocked() {
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout/2)
	defer cancel()
	for i := len(e.running) - 1; i >= 0; i-- {
		s := e.running[i]
		if err := s.Stop(ctx); err != nil {
			e.log.Error("stop service", "service", s.Name(), "err", err)
		}
	}
	e.running = nil
}

// Handle registers the handler of a control operation.
func (e *Engine) Handle(op string, h control.Handler) { e.router.Handle(op, h) }

// Dispatch runs one operation in this process, as the control socket does
// for remote callers.
func (e *Engine) Dispatch(ctx context.Context, req control.Request, sink control.Sink) control.Result {
	return e.router.Dispatch(ctx, req, sink)
}

// Mode says how the engine runs.
func (e *Engine) Mode() Mode { return e.mode }

// Home is the engine's home.
func (e *Engine) Home() *home.Home { return e.home }

// Config is the settings loaded at Open.
func (e *Engine) Config() config.Config { return e.cfg }

// AlertsEnv is what the [alerts] table is read against in this engine.
func (e *Engine) AlertsEnv() alertcfg.Env {
	return alertcfg.Env{Dir: e.home.Dir, Desktop: e.mode == ModeDesktop, Log: e.log}
}

// Store is the database.
func (e *Engine) Store() *store.Store { return e.store }

// Bus is the event bus.
func (e *Engine) Bus() *bus.Bus { return e.bus }

// Log is the engine's logger.
func (e *Engine) Log() *slog.Logger { return e.log }
