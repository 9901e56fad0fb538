package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
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
//
// The frames are read on the caller's goroutine; a cancel frame is sent
// from ctx's AfterFunc, which then bounds the wait with a read deadline.
func Do(ctx context.Context, conn net.Conn, req Request, sink Sink, grace time.Duration) (Result, error) {
	defer conn.Close()
	enc := json.NewEncoder(conn)
	if err := enc.Encode(frame{Type: frameCall, Request: &req}); err != nil {
		return Result{}, fmt.Errorf("send %s to engine: %w", req.Op, err)
	}
	// Registered after the call frame is written: the cancel frame is the
	// only other write, so the two never interleave.
	stop := context.AfterFunc(ctx, func() {
		_ = enc.Encode(frame{Type: frameCancel})
		_ = conn.SetReadDeadline(time.Now().Add(grace))
	})
	defer stop()
	r := getReader(conn)
	defer putReader(r)
	for {
		f, err := readFrame(r)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
				return Result{}, fmt.Errorf("engine did not stop %s within %s: %w", req.Op, grace, ctx.Err())
			}
			return Result{}, fmt.Errorf("engine closed the connection before %s finished: %w", req.Op, err)
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
				return Result{}, errors.New("engine sent an empty result")
			}
			return *f.Result, nil
		}
	}
}
