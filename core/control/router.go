package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"sync"
	"time"
)

// Handler runs one operation. It returns the result data (marshalled to
// JSON) or an error; a *UsageError ends with ExitUsage, any other error
// with ExitError.
type Handler func(ctx context.Context, c *Call) (any, error)

// DispatchFunc runs one request to its result.
type DispatchFunc func(ctx context.Context, req Request, sink Sink) Result

// Wrapper runs around the handler of an operation: it may hold the call
// back, watch what it streams, or refuse it; next runs the handler itself.
// The task runner wraps long operations this way.
type Wrapper func(ctx context.Context, req Request, sink Sink, next DispatchFunc) Result

// Sink receives what a call streams before its result.
type Sink interface {
	Progress(Progress)
	Log(string)
}

// Call is one request being handled.
type Call struct {
	Request
	sink Sink
	exit int
}

// Decode unmarshals the request's arguments; bad arguments are a usage
// error.
func (c *Call) Decode(v any) error {
	if len(c.Args) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.Args, v); err != nil {
		return Usagef("%s: bad arguments: %v", c.Op, err)
	}
	return nil
}

// Secret returns a secret sent with the request.
func (c *Call) Secret(name string) (string, bool) {
	v, ok := c.Secrets[name]
	return v, ok
}

// Progress streams a progress report to the caller.
func (c *Call) Progress(p Progress) {
	if c.sink != nil {
		c.sink.Progress(p)
	}
}

// Logf streams a log line to the caller.
func (c *Call) Logf(format string, args ...any) {
	if c.sink != nil {
		c.sink.Log(fmt.Sprintf(format, args...))
	}
}

// Found marks a successful check that found problems: the call ends with
// ExitFound.
func (c *Call) Found() { c.exit = ExitFound }

// ActiveCall describes a call in flight.
type ActiveCall struct {
	Op      string    `json:"op"`
	Started time.Time `json:"started"`
}

// Router maps operation names to handlers and tracks calls in flight.
type Router struct {
	mu       sync.Mutex
	handlers map[string]Handler
	wrappers map[string]Wrapper
	active   map[*activeCall]time.Time
	log      *slog.Logger

	// OnChange, if set before calls arrive, is called (outside the lock)
	// whenever a call starts or ends.
	OnChange func()
}

// NewRouter returns an empty router.
func NewRouter(log *slog.Logger) *Router {
	if log == nil {
		log = slog.Default()
	}
	return &Router{handlers: make(map[string]Handler), wrappers: make(map[string]Wrapper),
		active: make(map[*activeCall]time.Time), log: log}
}

// Handle registers h for op, replacing any earlier handler.
func (r *Router) Handle(op string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[op] = h
}

// Wrap makes every call of op go through w, replacing any earlier
// wrapper of op. An operation may have a wrapper and no handler: the
// wrapper then answers every call itself.
func (r *Router) Wrap(op string, w Wrapper) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.wrappers[op] = w
}

// activeCall is one call in flight.
type activeCall struct{ op string }

// Has reports whether op has a handler.
func (r *Router) Has(op string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.handlers[op]
	return ok
}

// Active lists the calls in flight, oldest first.
func (r *Router) Active() []ActiveCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ActiveCall, 0, len(r.active))
	for c, t := range r.active {
		out = append(out, ActiveCall{Op: c.op, Started: t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.Before(out[j].Started) })
	return out
}

func (r *Router) changed() {
	if r.OnChange != nil {
		r.OnChange()
	}
}

// Dispatch runs the request, through its operation's wrapper if it has
// one, and returns its result. It never panics: a panicking handler is a
// failed call.
func (r *Router) Dispatch(ctx context.Context, req Request, sink Sink) Result {
	r.mu.Lock()
	_, ok := r.handlers[req.Op]
	w := r.wrappers[req.Op]
	r.mu.Unlock()
	if !ok && w == nil {
		return Result{Exit: ExitUsage, Error: fmt.Sprintf("unknown operation %q", req.Op)}
	}
	c := &activeCall{op: req.Op}
	r.mu.Lock()
	r.active[c] = time.Now()
	r.mu.Unlock()
	r.changed()
	defer func() {
		r.mu.Lock()
		delete(r.active, c)
		r.mu.Unlock()
		r.changed()
	}()
	if w != nil {
		return r.wrapped(ctx, req, sink, w)
	}
	return r.Direct(ctx, req, sink)
}

// wrapped runs w, turning a panic in it into a failed call.
func (r *Router) wrapped(ctx context.Context, req Request, sink Sink, w Wrapper) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("operation wrapper panicked", "op", req.Op, "panic", p, "stack", string(debug.Stack()))
			res = Result{Exit: ExitError, Error: fmt.Sprintf("%s: internal error: %v", req.Op, p)}
		}
	}()
	return w(ctx, req, sink, r.Direct)
}

// Direct runs the request's handler itself, without its wrapper and
// without counting it among the calls in flight: it is what a wrapper's
// next does. It never panics.
func (r *Router) Direct(ctx context.Context, req Request, sink Sink) (res Result) {
	r.mu.Lock()
	h, ok := r.handlers[req.Op]
	r.mu.Unlock()
	if !ok {
		return Result{Exit: ExitUsage, Error: fmt.Sprintf("unknown operation %q", req.Op)}
	}
	c := &Call{Request: req, sink: sink}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("operation panicked", "op", req.Op, "panic", p, "stack", string(debug.Stack()))
			res = Result{Exit: ExitError, Error: fmt.Sprintf("%s: internal error: %v", req.Op, p)}
		}
	}()
	data, err := h(ctx, c)
	if err != nil {
		var usage *UsageError
		exit := ExitError
		if errors.As(err, &usage) {
			exit = ExitUsage
		}
		res = Result{Exit: exit, Error: err.Error()}
	} else {
		res = Result{Exit: c.exit}
	}
	if data != nil && req.Local {
		res.Value = data
		return res
	}
	if data != nil {
		raw, merr := json.Marshal(data)
		if merr != nil {
			return Result{Exit: ExitError, Error: fmt.Sprintf("%s: encode result: %v", req.Op, merr)}
		}
		res.Data = raw
	}
	return res
}
