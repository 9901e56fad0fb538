package tasks

import (
	"context"

	"github.com/holdfast/holdfast/core/control"
)

// Operation names on the control socket.
const (
	OpList   = "tasks.list"
	OpShow   = "tasks.show"
	OpPause  = "tasks.pause"
	OpResume = "tasks.resume"
	OpCancel = "tasks.cancel"
	OpRetry  = "tasks.retry"
	OpDelete = "tasks.delete"
	OpStats  = "tasks.stats"
)

// IDArgs names one task.
type IDArgs struct {
	ID ID `json:"id"`
}

// ListArgs filter `holdfast tasks`.
type ListArgs = Filter

// StatsArgs are the arguments of `holdfast stats`.
type StatsArgs struct {
	Days int `json:"days"`
}

// DeleteResult says a task was deleted.
type DeleteResult struct {
	ID      ID   `json:"id"`
	Deleted bool `json:"deleted"`
}

// Router is where the runner registers its operations and wraps the
// operations that run as tasks (the engine's control router).
type Router interface {
	Handle(op string, h control.Handler)
	Wrap(op string, w control.Wrapper)
}

// Register adds the task operations to rt and makes every operation
// defined so far run as a task.
func (r *Runner) Register(rt Router) {
	for _, op := range r.Ops() {
		rt.Wrap(op, r.Wrapper())
	}
	rt.Handle(OpList, r.handleList)
	rt.Handle(OpShow, r.byID(func(id ID) (any, error) { return r.Get(id) }))
	rt.Handle(OpPause, r.byID(func(id ID) (any, error) { return r.Pause(id) }))
	rt.Handle(OpResume, r.byID(func(id ID) (any, error) { return r.Resume(id) }))
	rt.Handle(OpCancel, r.byID(func(id ID) (any, error) { return r.Cancel(id) }))
	rt.Handle(OpDelete, r.byID(func(id ID) (any, error) {
		if err := r.Delete(id); err != nil {
			return nil, err
		}
		return DeleteResult{ID: id, Deleted: true}, nil
	}))
	rt.Handle(OpStats, r.handleStats)
	rt.Wrap(OpRetry, r.wrapRetry)
}

func (r *Runner) handleList(ctx context.Context, c *control.Call) (any, error) {
	var args ListArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.State != "" && !args.State.Valid() {
		return nil, control.Usagef("tasks: unknown state %q (one of %v)", args.State, States)
	}
	return r.List(args)
}

func (r *Runner) byID(fn func(ID) (any, error)) control.Handler {
	return func(ctx context.Context, c *control.Call) (any, error) {
		var args IDArgs
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		if args.ID == 0 {
			return nil, control.Usagef("%s: name a task ID", c.Op)
		}
		return fn(args.ID)
	}
}

func (r *Runner) handleStats(ctx context.Context, c *control.Call) (any, error) {
	args := StatsArgs{Days: 30}
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Days < 1 || args.Days > MaxStatsDays {
		return nil, control.Usagef("stats: --days %d is not between 1 and %d", args.Days, MaxStatsDays)
	}
	return r.Stats(args.Days)
}

// wrapRetry answers tasks.retry: the new task's result is the call's.
func (r *Runner) wrapRetry(ctx context.Context, req control.Request, sink control.Sink, _ control.DispatchFunc) control.Result {
	c := &control.Call{Request: req}
	var args IDArgs
	if err := c.Decode(&args); err != nil {
		return control.Result{Exit: control.ExitUsage, Error: err.Error()}
	}
	if args.ID == 0 {
		return control.Result{Exit: control.ExitUsage, Error: "tasks.retry: name a task ID"}
	}
	return r.Retry(ctx, args.ID, req.Secrets, sink)
}
