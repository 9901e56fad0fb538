package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// ErrNoEngine means no engine answers on the socket: the file is missing,
// or left over from an engine that died.
var ErrNoEngine = errors.New("no engine is running")

// Dial connects to the engine's socket at path.
func Dial(path string) (net.Conn, error) {
	conn, err := dial(path, 2*time.Second)
	if err != nil {
		if isNoEngine(err) {
			return nil, fmt.Errorf("%w (socket %s)", ErrNoEngine, path)
		}
		return nil, fmt.Errorf("connect to engine at %s: %w", path, err)
	}
	return conn, nil
}

// Do sends req over conn, streams progress and log lines into sink, and
// returns the result. Cancelling ctx asks the engine to cancel the call and
// still waits for its result, up to grace; after that it gives up.
func Do(ctx context.Context, conn net.Conn, req Request, sink Sink, grace time.Duration) (Result, error) {
	defer conn.Close()
	enc := json.NewEncoder(conn)
	if err := enc.Encode(frame{Type: frameCall, Request: &req}); err != nil {
		return Result{}, fmt.Errorf("send %s to engine: %w", req.Op, err)
	}
	type outcome struct {
		res Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		r := bufio.NewReaderSize(conn, 64<<10)
		for {
			f, err := readFrame(r)
			if err != nil {
				done <- outcome{err: fmt.Errorf("engine closed the connection before %s finished: %w", req.Op, err)}
				return
			}
			switch f.Type {
			case frameProgress:
				if sink != nil && f.Progress != nil {
					sink.Progress(*f.Progress)
				}
			case frameLog:
				if sink != nil {
					sink.Log(f.Log)
				}
			case frameResult:
				if f.Result == nil {
					done <- outcome{err: errors.New("engine sent an empty result")}
					return
				}
				done <- outcome{res: *f.Result}
				return
			}
		}
	}()
	select {
	case o := <-done:
		return o.res, o.err
	case <-ctx.Done():
	}
	_ = enc.Encode(frame{Type: frameCancel})
	select {
	case o := <-done:
		return o.res, o.err
	case <-time.After(grace):
		return Result{}, fmt.Errorf("engine did not stop %s within %s: %w", req.Op, grace, ctx.Err())
	}
}
