package bus

import (
	"sync"
	"testing"
)

type testEvent struct {
	topic string
	n     int
}

func (e testEvent) Topic() string { return e.topic }

func TestTopicsFilter(t *testing.T) {
	b := New()
	all := b.Subscribe(10)
	some := b.Subscribe(10, "a")
	b.Publish(testEvent{"a", 1})
	b.Publish(testEvent{"b", 2})
	if len(all.C) != 2 || len(some.C) != 1 {
		t.Fatalf("all got %d, some got %d", len(all.C), len(some.C))
	}
	if ev := (<-some.C).(testEvent); ev.n != 1 {
		t.Errorf("some got %+v", ev)
	}
}

func TestSlowSubscriberDropsInsteadOfBlocking(t *testing.T) {
	b := New()
	s := b.Subscribe(2)
	for i := 0; i < 5; i++ {
		b.Publish(testEvent{"x", i})
	}
	if got := s.Dropped(); got != 3 {
		t.Errorf("Dropped() = %d, want 3", got)
	}
}

func TestCloseIsIdempotentAndConcurrentSafe(t *testing.T) {
	b := New()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		s := b.Subscribe(1)
		wg.Add(2)
		go func() { defer wg.Done(); b.Publish(testEvent{"x", 0}) }()
		go func() { defer wg.Done(); s.Close(); s.Close() }()
	}
	wg.Wait()
	if len(b.subs) != 0 {
		t.Errorf("%d subscriptions left", len(b.subs))
	}
}
