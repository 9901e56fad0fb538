// Package bus carries typed events from the engine's services to their
// subscribers — the desktop UI, remote peers and CLI streams — without ever
// letting a slow subscriber hold a publisher up.
package bus

import (
	"sync"
	"sync/atomic"
)

// Event is anything published on the bus. Topic names its kind, such as
// "engine.started"; subscribers filter on it and type-switch on the value.
type Event interface {
	Topic() string
}

// Bus fans events out to subscribers.
type Bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// New returns an empty bus.
func New() *Bus {
	return &Bus{subs: make(map[*Subscription]struct{})}
}

// Subscription receives the events of the topics it asked for on C.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	topics  map[string]bool
	bus     *Bus
	dropped atomic.Uint64
	once    sync.Once
}

// Subscribe returns a subscription buffering up to buffer events of the
// given topics (all topics when none are given). When the buffer is full,
// new events for it are dropped and counted rather than blocking Publish.
func (b *Bus) Subscribe(buffer int, topics ...string) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, bus: b}
	if len(topics) > 0 {
		s.topics = make(map[string]bool, len(topics))
		for _, t := range topics {
			s.topics[t] = true
		}
	}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Publish delivers ev to every interested subscriber without blocking.
func (b *Bus) Publish(ev Event) {
	topic := ev.Topic()
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		if s.topics != nil && !s.topics[topic] {
			continue
		}
		select {
		case s.c <- ev:
		default:
			s.dropped.Add(1)
		}
	}
}

// Dropped counts the events this subscription missed because its buffer
// was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close unsubscribes and closes C. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		s.bus.mu.Unlock()
		close(s.c)
	})
}
