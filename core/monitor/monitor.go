// Package monitor watches the machine: it samples it every interval
// (core/monitor/collect), keeps the history (core/monitor/tsdb), publishes
// every tick on the bus for live views, and answers history queries.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/bus"
	"github.com/holdfast/holdfast/core/monitor/collect"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

// Tick is published after each sample of the machine.
type Tick struct {
	At      time.Time
	Samples []Sample
}

// Topic implements bus.Event.
func (Tick) Topic() string { return "monitor.tick" }

// Sample is one value of one series at a tick.
type Sample struct {
	Name   string
	Labels tsdb.Labels
	Kind   tsdb.Kind
	Value  float64
}

// Options configure the service.
type Options struct {
	Interval time.Duration // default 1 s
	TSDB     tsdb.Options
	Log      *slog.Logger
	// Collector overrides the machine's collector (tests).
	Collector *collect.Collector

	// ProcessInterval is how often the top processes are sampled
	// (default 5 s); ProcessWatchInterval how often while a view watches
	// them (WatchProcesses; default 1 s). ProcessTop is N in "top N by CPU
	// and top N by memory" (default 10).
	ProcessInterval      time.Duration
	ProcessWatchInterval time.Duration
	ProcessTop           int
	// ProcessSource overrides where the process table is read (tests);
	// default the Collector.
	ProcessSource ProcessSource
}

// Service samples the machine and keeps its history.
type Service struct {
	opts Options
	bus  *bus.Bus
	col  *collect.Collector
	db   *tsdb.DB
	log  *slog.Logger

	procs    ProcessSource
	clock    clock
	procWake chan struct{}
	procDone chan struct{}

	mu         sync.Mutex
	keys       map[string]keyed // by name and labels
	latest     Tick
	procLatest Processes
	watchers   int
	started    bool
	cancel     context.CancelFunc
	done       chan struct{}
}

type keyed struct {
	key    tsdb.Key
	labels tsdb.Labels
}

// New opens the history in db. The service samples nothing until Start;
// without Start it still answers queries (a command-line tool on a home
// with no running engine).
func New(db *bolt.DB, b *bus.Bus, opts Options) (*Service, error) {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.ProcessInterval <= 0 {
		opts.ProcessInterval = DefaultProcessInterval
	}
	if opts.ProcessWatchInterval <= 0 {
		opts.ProcessWatchInterval = DefaultProcessWatchInterval
	}
	if opts.ProcessTop <= 0 {
		opts.ProcessTop = DefaultProcessTop
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.TSDB.Log == nil {
		opts.TSDB.Log = opts.Log
	}
	t, err := tsdb.Open(db, opts.TSDB)
	if err != nil {
		return nil, fmt.Errorf("open metrics history: %w", err)
	}
	col := opts.Collector
	if col == nil {
		col = collect.New(collect.Options{Log: opts.Log})
	}
	procs := opts.ProcessSource
	if procs == nil {
		procs = col
	}
	return &Service{
		opts: opts, bus: b, col: col, db: t, log: opts.Log, keys: map[string]keyed{},
		procs: procs, clock: realClock{}, procWake: make(chan struct{}, 1),
	}, nil
}

// Name implements the engine's Service.
func (s *Service) Name() string { return "monitor" }

// Start samples every interval until Stop.
func (s *Service) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	s.procDone = make(chan struct{})
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	go s.run(ctx)
	go s.runProcesses(ctx)
	return nil
}

// Stop ends sampling and writes the history not yet flushed.
func (s *Service) Stop(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
		for _, done := range []chan struct{}{s.done, s.procDone} {
			select {
			case <-done:
			case <-ctx.Done():
			}
		}
	}
	return s.db.Close()
}

func (s *Service) run(ctx context.Context) {
	defer close(s.done)
	s.sample(ctx, time.Now())
	// Ticks land on whole intervals, so samples of different machines
	// line up.
	next := time.Now().Truncate(s.opts.Interval).Add(s.opts.Interval)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-timer.C:
			s.sample(ctx, now)
			next = next.Add(s.opts.Interval)
			if d := time.Until(next); d > 0 {
				timer.Reset(d)
			} else {
				// Asleep or overloaded: skip the missed ticks.
				next = time.Now().Truncate(s.opts.Interval).Add(s.opts.Interval)
				timer.Reset(time.Until(next))
			}
		}
	}
}

// sample takes one tick: collect, store, publish.
func (s *Service) sample(ctx context.Context, now time.Time) {
	raw, err := s.col.Collect(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("sampling the machine failed", "err", err)
		}
		return
	}
	tick := Tick{At: now, Samples: make([]Sample, 0, len(raw))}
	s.mu.Lock()
	for _, r := range raw {
		k, err := s.keyFor(r)
		if err != nil {
			continue
		}
		kind := tsdb.Gauge
		if r.Kind == collect.Counter {
			kind = tsdb.Counter
		}
		if err := s.db.Append(k.key, kind, now, r.Value); err != nil && !errors.Is(err, tsdb.ErrOutOfOrder) {
			s.log.Debug("store sample", "series", k.key.String(), "err", err)
		}
		tick.Samples = append(tick.Samples, Sample{Name: r.Name, Labels: k.labels, Kind: kind, Value: r.Value})
	}
	s.latest = tick
	s.mu.Unlock()
	s.bus.Publish(tick)
}

// keyFor returns the (cached) store key of a sample's series.
func (s *Service) keyFor(r collect.Sample) (keyed, error) {
	var b strings.Builder
	b.WriteString(r.Name)
	for _, l := range r.Labels {
		b.WriteByte(0)
		b.WriteString(l.Name)
		b.WriteByte(0)
		b.WriteString(l.Value)
	}
	id := b.String()
	if k, ok := s.keys[id]; ok {
		return k, nil
	}
	labels := make([]tsdb.Label, len(r.Labels))
	for i, l := range r.Labels {
		labels[i] = tsdb.Label{Name: l.Name, Value: l.Value}
	}
	key, err := tsdb.NewKey(r.Name, labels...)
	if err != nil {
		s.log.Warn("metric series with a bad name", "name", r.Name, "err", err)
		return keyed{}, err
	}
	k := keyed{key: key, labels: key.Labels()}
	s.keys[id] = k
	return k, nil
}

// Latest is the most recent tick.
func (s *Service) Latest() Tick {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

// Problems lists the parts of the machine that cannot be read right now.
func (s *Service) Problems() []string { return s.col.Problems() }

// Query reads the history.
func (s *Service) Query(ctx context.Context, req tsdb.QueryRequest) ([]tsdb.Series, tsdb.QueryStats, error) {
	return s.db.Query(ctx, req)
}

// Flush writes the samples not yet on disk.
func (s *Service) Flush() error { return s.db.Flush() }
