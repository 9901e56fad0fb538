package jobs

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/holdfast/holdfast/core/control"
)

// DispatchLauncher runs each request straight through a dispatch function
// (the engine's control router), in its own goroutine, for an engine that
// has no task runner to hand it to. Its IDs are unique within the process.
type DispatchLauncher struct {
	Dispatch func(ctx context.Context, req control.Request, sink control.Sink) control.Result

	mu   sync.Mutex
	runs map[string]*dispatched
}

type dispatched struct {
	done chan struct{}
	out  Outcome
}

// Launch starts req and returns its ID.
func (l *DispatchLauncher) Launch(ctx context.Context, req control.Request, origin Origin) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	id := fmt.Sprintf("%s-%s", origin.Job, strconv.FormatInt(time.Now().UnixNano(), 36))
	d := &dispatched{done: make(chan struct{})}
	l.mu.Lock()
	if l.runs == nil {
		l.runs = map[string]*dispatched{}
	}
	l.runs[id] = d
	l.mu.Unlock()
	go func() {
		res := l.Dispatch(ctx, req, nil)
		out := Outcome{State: StateSucceeded, Exit: res.Exit, Error: res.Error}
		switch {
		case res.Error != "" && ctx.Err() != nil:
			out.State = StateCanceled
		case res.Error != "":
			out.State = StateFailed
		}
		d.out = out
		close(d.done)
	}()
	return id, nil
}

// Wait waits for the request to end; its outcome is then forgotten.
func (l *DispatchLauncher) Wait(ctx context.Context, id string) (Outcome, error) {
	l.mu.Lock()
	d := l.runs[id]
	l.mu.Unlock()
	if d == nil {
		return Outcome{}, fmt.Errorf("task %s: not known to this process", id)
	}
	select {
	case <-d.done:
	case <-ctx.Done():
		return Outcome{}, ctx.Err()
	}
	l.mu.Lock()
	delete(l.runs, id)
	l.mu.Unlock()
	return d.out, nil
}
