package peers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
)

// SetListen changes where the running service accepts peers, at once:
// addr "" stops accepting (connections already made stay, and this side
// still dials its peers); another host:port closes the old listener and
// opens the new one. On an error the old listener is kept. Peers learn
// the new addresses from the next hello. An unstarted service only
// records addr for Start.
func (s *Service) SetListen(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil || s.ctx.Err() != nil {
		s.opts.Listen = addr
		return nil
	}
	if s.ln != nil && addr != "" && sameAddr(s.ln.Addr(), addr) {
		s.opts.Listen = addr
		return nil
	}
	old, oldAddr := s.opts.Listen, ""
	if s.ln != nil {
		oldAddr = s.ln.Addr().String() // the port a ":0" got
	}
	s.closeListenerLocked()
	s.opts.Listen = addr
	if addr == "" {
		s.log.Info("no longer accepting peers")
		return nil
	}
	ln, err := s.listen(addr)
	if err != nil {
		err = fmt.Errorf("listen for peers on %s: %w", addr, err)
		s.opts.Listen = old
		if oldAddr != "" {
			if back, err2 := s.listen(oldAddr); err2 == nil {
				s.serveLocked(back)
			} else {
				s.log.Error("listen for peers again on the old address", "addr", oldAddr, "err", err2)
			}
		}
		return err
	}
	s.serveLocked(ln)
	return nil
}

// listen opens a TCP listener on addr, its connections wrapped by
// Options.WrapConn when one is set.
func (s *Service) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if s.opts.WrapConn != nil {
		ln = wrapListener{ln, s.opts.WrapConn}
	}
	return ln, nil
}

// closeListenerLocked stops accepting peers. Connections taken over by
// WebSockets are no longer the HTTP server's, so they stay up.
func (s *Service) closeListenerLocked() {
	if s.srv != nil {
		s.srv.Close()
	}
	if s.ln != nil {
		// Closed here too: the server may not have taken it up yet, and
		// the port must be free when this returns.
		s.ln.Close()
	}
	s.srv, s.ln, s.addrs = nil, nil, nil
}

// sameAddr reports whether the listener's address is what addr asks for.
func sameAddr(a net.Addr, addr string) bool {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	want, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil || want.Port != tcp.Port {
		return false
	}
	return want.IP == nil || want.IP.Equal(tcp.IP) || (want.IP.IsUnspecified() && tcp.IP.IsUnspecified())
}

// serveLocked accepts peers on ln, as Start does; s.mu is held.
func (s *Service) serveLocked(ln net.Listener) {
	s.ln = ln
	s.addrs = advertised(ln.Addr().(*net.TCPAddr))
	mux := http.NewServeMux()
	mux.HandleFunc(Path, s.accept)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: helloTimeout,
		ErrorLog:          log.New(io.Discard, "", 0), // strangers' failed handshakes are noise
	}
	s.srv = srv
	tl := tls.NewListener(ln, s.serverTLS())
	s.acceptWG.Add(1)
	go func() {
		defer s.acceptWG.Done()
		if err := srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("peer listener failed", "addr", ln.Addr(), "err", err)
		}
	}()
	s.log.Info("accepting peers", "addr", ln.Addr().String(), "id", s.id.ID.String())
}
