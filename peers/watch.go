package peers

import (
	"net"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/peers/identity"
	"github.com/holdfast/holdfast/peers/wire"
)

// Tick is one live sample of a watched peer (Options.WatchAll), published
// on the bus as it arrives.
type Tick struct {
	ID   identity.DeviceID
	Tick wire.Tick
}

// Topic implements bus.Event.
func (Tick) Topic() string { return "peers.tick" }

// LatestTick is the last live sample of a connected peer while
// Options.WatchAll is set.
func (s *Service) LatestTick(id identity.DeviceID) (wire.Tick, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.latest[id]
	return t, ok
}

// watch streams a new connection's live metrics until it ends. It is
// added to c.wg by attach.
func (s *Service) watch(c *conn) {
	defer c.wg.Done()
	res, err := c.callEach(c.ctx, control.Request{Op: OpLiveMetrics}, nil, func(t wire.Tick) {
		s.mu.Lock()
		if s.conns[c.peer] == c {
			s.latest[c.peer] = t
		}
		s.mu.Unlock()
		s.publish(Tick{ID: c.peer, Tick: t})
	}, 0)
	if err == nil {
		err = res.Err()
	}
	if err != nil && !c.closed() {
		s.log.Debug("watching a peer's live metrics ended", "peer", c.peer.Short(), "err", err)
	}
	s.mu.Lock()
	if s.conns[c.peer] == nil {
		delete(s.latest, c.peer)
	}
	s.mu.Unlock()
}

// wrapListener applies Options.WrapConn to accepted connections.
type wrapListener struct {
	net.Listener
	wrap func(net.Conn) net.Conn
}

func (l wrapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.wrap(c), nil
}
