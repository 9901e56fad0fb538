package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Server answers requests on a Unix socket.
type Server struct {
	router *Router
	log    *slog.Logger
	ln     net.Listener
	path   string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Listen creates the socket at path with mode 0600, replacing a stale one.
// The caller must hold the home's engine lock, which is what makes an
// existing socket file stale.
func Listen(path string, router *Router, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.Default()
	}
	ln, err := listen(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{router: router, log: log, ln: ln, path: path, ctx: ctx, cancel: cancel}, nil
}

// Serve accepts connections until Close.
func (s *Server) Serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() == nil {
				s.log.Error("control socket accept failed", "err", err)
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(conn)
		}()
	}
}

// Close stops accepting, cancels calls in flight, waits up to timeout for
// them to return their results, and removes the socket.
func (s *Server) Close(timeout time.Duration) {
	s.cancel()
	s.ln.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		s.log.Warn("control calls still running at shutdown")
	}
	removeEndpoint(s.path)
}

// connSink writes streamed frames; it is shared by the handler goroutine.
type connSink struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *connSink) write(f frame) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc.Encode(f)
}

func (w *connSink) Progress(p Progress) { _ = w.write(frame{Type: frameProgress, Progress: &p}) }
func (w *connSink) Log(line string)     { _ = w.write(frame{Type: frameLog, Log: line}) }

func (s *Server) handle(conn net.Conn) {
	r := getReader(conn)
	watching := false
	watched := make(chan struct{})
	defer func() {
		conn.Close()
		if watching {
			<-watched // the watcher reads r until the close above
		}
		putReader(r)
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	first, err := readFrame(r)
	if err != nil || first.Type != frameCall || first.Request == nil {
		if err == nil {
			err = fmt.Errorf("first frame is %q, not a call", first.Type)
		}
		s.log.Warn("control socket: bad request", "err", err)
		_ = json.NewEncoder(conn).Encode(frame{Type: frameResult, Result: &Result{Exit: ExitUsage, Error: "bad control request: " + err.Error()}})
		return
	}
	_ = conn.SetReadDeadline(time.Time{})

	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	// The caller cancels by sending a cancel frame or by going away.
	watching = true
	go func() {
		defer close(watched)
		for {
			f, err := readFrame(r)
			if err != nil || f.Type == frameCancel {
				cancel()
				return
			}
		}
	}()
	sink := &connSink{enc: json.NewEncoder(conn)}
	res := s.router.Dispatch(ctx, *first.Request, sink)
	if err := sink.write(frame{Type: frameResult, Result: &res}); err != nil {
		s.log.Debug("control socket: caller left before the result", "op", first.Request.Op, "err", err)
	}
}

// readBuffer is the initial size of a connection's read buffer: a frame
// is most often a few hundred bytes. A longer line grows its own buffer,
// up to maxFrame, for that frame only.
const readBuffer = 4 << 10

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBuffer) }}

// getReader returns a pooled read buffer on conn; putReader gives it
// back once nothing reads it any more.
func getReader(conn net.Conn) *bufio.Reader {
	r := readers.Get().(*bufio.Reader)
	r.Reset(conn)
	return r
}

func putReader(r *bufio.Reader) {
	r.Reset(nil)
	readers.Put(r)
}

// readFrame reads one line and decodes it.
func readFrame(r *bufio.Reader) (frame, error) {
	var line []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			return frame{}, err
		}
		if line == nil && !isPrefix {
			// The whole line is in r's buffer: decode it from there
			// (json.Unmarshal copies what it keeps).
			line = chunk
			break
		}
		line = append(line, chunk...)
		if len(line) > maxFrame {
			return frame{}, fmt.Errorf("frame longer than %d bytes", maxFrame)
		}
		if !isPrefix {
			break
		}
	}
	var f frame
	if err := json.Unmarshal(line, &f); err != nil {
		return frame{}, fmt.Errorf("decode frame: %w", err)
	}
	if f.Type == "" {
		return frame{}, errors.New("frame without a type")
	}
	return f, nil
}
