package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/holdfast/holdfast/core/monitor"
	"github.com/holdfast/holdfast/core/monitor/collect"
	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

// sampler reads this machine with Holdfast's own collector once a second
// and keeps the latest tick: every simulated device streams that same
// set of series with these real, changing values (what a real engine's
// monitor publishes), at its own phase of the second.
type sampler struct {
	col    *collect.Collector
	keys   map[string]tsdb.Labels
	latest atomic.Pointer[[]monitor.Sample]
}

func newSampler(ctx context.Context) (*sampler, error) {
	s := &sampler{col: collect.New(collect.Options{}), keys: map[string]tsdb.Labels{}}
	// Two reads: ratios and rates need a previous one.
	for range 2 {
		if err := s.sample(ctx, time.Now()); err != nil {
			return nil, err
		}
		time.Sleep(200 * time.Millisecond)
	}
	return s, nil
}

func (s *sampler) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			_ = s.sample(ctx, now)
		}
	}
}

func (s *sampler) sample(ctx context.Context, now time.Time) error {
	raw, err := s.col.Collect(ctx, now)
	if err != nil {
		return fmt.Errorf("sample this machine: %w", err)
	}
	out := make([]monitor.Sample, 0, len(raw))
	for _, r := range raw {
		id := r.Name
		for _, l := range r.Labels {
			id += "\x00" + l.Name + "\x00" + l.Value
		}
		labels, ok := s.keys[id]
		if !ok {
			ls := make([]tsdb.Label, len(r.Labels))
			for i, l := range r.Labels {
				ls[i] = tsdb.Label{Name: l.Name, Value: l.Value}
			}
			k, err := tsdb.NewKey(r.Name, ls...)
			if err != nil {
				continue
			}
			labels = k.Labels()
			s.keys[id] = labels
		}
		kind := tsdb.Gauge
		if r.Kind == collect.Counter {
			kind = tsdb.Counter
		}
		out = append(out, monitor.Sample{Name: r.Name, Labels: labels, Kind: kind, Value: r.Value})
	}
	s.latest.Store(&out)
	return nil
}

// tick is the latest tick, stamped now.
func (s *sampler) tick(now time.Time) monitor.Tick {
	return monitor.Tick{At: now, Samples: *s.latest.Load()}
}
