package peers

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/monitor"
)

// countingConn counts the bytes read and written through it.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(int64(n))
	return n, err
}

// TestWatchAll: a side with WatchAll streams a peer's live metrics as
// soon as it connects, publishes them on its bus and keeps the latest,
// and forgets it when the peer goes; WrapConn sees the bytes on the wire.
func TestWatchAll(t *testing.T) {
	var wireBytes [2]atomic.Int64
	a, b := newNode(t, "alpha"), newNode(t, "beta")
	for i, n := range []*node{a, b} {
		n.svc.opts.WatchAll = i == 0
		n.svc.opts.WrapConn = func(c net.Conn) net.Conn { return countingConn{c, &wireBytes[i]} }
	}
	a.start(t)
	b.start(t)
	sub := a.bus.Subscribe(16, Tick{}.Topic())
	defer sub.Close()
	pair(t, a, b)

	at := time.Now().Truncate(time.Millisecond)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
				b.bus.Publish(monitor.Tick{At: at, Samples: []monitor.Sample{{Name: "memory_used_ratio", Value: 0.25}}})
			}
		}
	}()
	var got Tick
	select {
	case ev := <-sub.C:
		got = ev.(Tick)
	case <-time.After(20 * time.Second):
		t.Fatal("no live tick from the watched peer")
	}
	if got.ID != b.id.ID || got.Tick.At != at.UnixMilli() || len(got.Tick.Samples) != 1 || got.Tick.Samples[0].Value != 0.25 {
		t.Errorf("published tick %+v", got)
	}
	if lt, ok := a.svc.LatestTick(b.id.ID); !ok || lt.At != at.UnixMilli() {
		t.Errorf("latest tick of beta: %+v %v", lt, ok)
	}
	// Without WatchAll, beta does not stream alpha's metrics.
	if _, ok := b.svc.LatestTick(a.id.ID); ok {
		t.Error("beta watches alpha without WatchAll")
	}
	for i := range wireBytes {
		if wireBytes[i].Load() == 0 {
			t.Errorf("WrapConn of node %d saw no bytes", i)
		}
	}

	b.stop(t)
	eventually(t, "alpha forgets beta's latest tick", func() bool {
		_, ok := a.svc.LatestTick(b.id.ID)
		return !ok
	})
}
