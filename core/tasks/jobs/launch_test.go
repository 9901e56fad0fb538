package jobs

import (
	"context"
	"errors"
	"testing"

	"github.com/holdfast/holdfast/core/control"
)

func TestDispatchLauncher(t *testing.T) {
	rt := control.NewRouter(nil)
	rt.Handle("ok", func(ctx context.Context, c *control.Call) (any, error) { return nil, nil })
	rt.Handle("found", func(ctx context.Context, c *control.Call) (any, error) { c.Found(); return nil, nil })
	rt.Handle("fail", func(ctx context.Context, c *control.Call) (any, error) { return nil, errors.New("disk full") })
	rt.Handle("slow", func(ctx context.Context, c *control.Call) (any, error) { <-ctx.Done(); return nil, ctx.Err() })
	l := &DispatchLauncher{Dispatch: rt.Dispatch}
	cases := []struct {
		op   string
		want Outcome
	}{
		{"ok", Outcome{State: StateSucceeded}},
		{"found", Outcome{State: StateSucceeded, Exit: control.ExitFound}},
		{"fail", Outcome{State: StateFailed, Exit: control.ExitError, Error: "disk full"}},
	}
	for _, c := range cases {
		id, err := l.Launch(context.Background(), control.Request{Op: c.op}, Origin{Job: "j", Attempt: 1})
		if err != nil {
			t.Fatal(err)
		}
		out, err := l.Wait(context.Background(), id)
		if err != nil || out != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.op, out, err, c.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	id, err := l.Launch(ctx, control.Request{Op: "slow"}, Origin{Job: "j"})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if out, err := l.Wait(context.Background(), id); err != nil || out.State != StateCanceled {
		t.Errorf("canceled: %+v %v", out, err)
	}
	if _, err := l.Wait(context.Background(), id); err == nil {
		t.Error("a finished task is waited for twice")
	}
}
