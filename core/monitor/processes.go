package monitor

import (
	"context"
	"fmt"
	"time"

	"github.com/holdfast/holdfast/core/monitor/collect"
)

// Processes is published after each sample of the process table: the
// processes using the most CPU and the most memory.
type Processes struct {
	At time.Time
	// Over is the time since the previous sample, over which CPU ratios
	// and I/O rates are averaged.
	Over time.Duration
	// Top is the union of the top N by CPU and the top N by resident
	// memory, sorted by CPU then memory.
	Top []collect.Process
}

// Topic implements bus.Event.
func (Processes) Topic() string { return "monitor.processes" }

// ProcessSource reads the process table; *collect.Collector is the real
// one.
type ProcessSource interface {
	Processes(ctx context.Context, n int) ([]collect.Process, error)
}

// Process sampling defaults.
const (
	DefaultProcessInterval      = 5 * time.Second
	DefaultProcessWatchInterval = time.Second
	DefaultProcessTop           = 10
)

// clock is the time the process sampler waits on; tests replace it.
type clock interface {
	Now() time.Time
	// Timer returns a channel that receives once after d, and a function
	// that stops it.
	Timer(d time.Duration) (<-chan time.Time, func())
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Timer(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// WatchProcesses asks for a fresh process table every
// Options.ProcessWatchInterval (1 s) instead of every
// Options.ProcessInterval (5 s), for as long as a view shows it. Call the
// returned function, once, when the view goes away; the faster pace lasts
// while any watcher remains.
func (s *Service) WatchProcesses() (release func()) {
	s.mu.Lock()
	s.watchers++
	first := s.watchers == 1
	s.mu.Unlock()
	if first {
		select {
		case s.procWake <- struct{}{}:
		default:
		}
	}
	var done bool
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if done {
			return
		}
		done = true
		s.watchers--
	}
}

// ProcessWatchers is how many views watch the processes now.
func (s *Service) ProcessWatchers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watchers
}

// LatestProcesses is the most recent process sample; its At is zero before
// the first.
func (s *Service) LatestProcesses() Processes {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.procLatest
}

// processEvery is the pace right now.
func (s *Service) processEvery() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchers > 0 {
		return s.opts.ProcessWatchInterval
	}
	return s.opts.ProcessInterval
}

// runProcesses samples the process table until ctx ends: every
// ProcessInterval, or every ProcessWatchInterval while someone watches.
// The first reading only primes the CPU and I/O counters; the first
// sample is published one watch interval later.
func (s *Service) runProcesses(ctx context.Context) {
	defer close(s.procDone)
	last := s.clock.Now()
	if _, err := s.procs.Processes(ctx, s.opts.ProcessTop); err != nil && ctx.Err() == nil {
		s.log.Warn("reading the process table failed", "err", err)
	}
	primed := false
	for {
		every := s.processEvery()
		if !primed {
			every = min(every, s.opts.ProcessWatchInterval)
		}
		wait := every - s.clock.Now().Sub(last)
		if wait <= 0 {
			now := s.clock.Now()
			s.sampleProcesses(ctx, now, now.Sub(last))
			last, primed = now, true
			continue
		}
		c, stop := s.clock.Timer(wait)
		select {
		case <-ctx.Done():
			stop()
			return
		case <-c:
		case <-s.procWake:
			// A first watcher: the pace changed, work the wait out again.
			stop()
		}
	}
}

// sampleProcesses reads the table once and publishes it.
func (s *Service) sampleProcesses(ctx context.Context, now time.Time, over time.Duration) {
	top, err := s.procs.Processes(ctx, s.opts.ProcessTop)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("reading the process table failed", "err", err)
		}
		return
	}
	ev := Processes{At: now, Over: over, Top: top}
	s.mu.Lock()
	s.procLatest = ev
	s.mu.Unlock()
	s.bus.Publish(ev)
}

// CurrentProcesses returns the latest process sample. A running service
// that has none yet is waited for (about a second after Start); a service
// that was never started (a command on a home with no engine) measures
// the table itself over one watch interval.
func (s *Service) CurrentProcesses(ctx context.Context) (Processes, error) {
	s.mu.Lock()
	latest, started := s.procLatest, s.started
	s.mu.Unlock()
	if !latest.At.IsZero() {
		return latest, nil
	}
	if started {
		sub := s.bus.Subscribe(1, Processes{}.Topic())
		defer sub.Close()
		if latest := s.LatestProcesses(); !latest.At.IsZero() {
			return latest, nil
		}
		release := s.WatchProcesses()
		defer release()
		select {
		case ev := <-sub.C:
			if p, ok := ev.(Processes); ok {
				return p, nil
			}
			return s.LatestProcesses(), nil
		case <-s.procDone:
			return Processes{}, fmt.Errorf("read the process table: the monitor stopped")
		case <-ctx.Done():
			return Processes{}, ctx.Err()
		}
	}
	start := s.clock.Now()
	if _, err := s.procs.Processes(ctx, s.opts.ProcessTop); err != nil {
		return Processes{}, fmt.Errorf("read the process table: %w", err)
	}
	c, stop := s.clock.Timer(s.opts.ProcessWatchInterval)
	defer stop()
	select {
	case <-c:
	case <-ctx.Done():
		return Processes{}, ctx.Err()
	}
	now := s.clock.Now()
	top, err := s.procs.Processes(ctx, s.opts.ProcessTop)
	if err != nil {
		return Processes{}, fmt.Errorf("read the process table: %w", err)
	}
	return Processes{At: now, Over: now.Sub(start), Top: top}, nil
}
