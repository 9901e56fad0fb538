package control

import (
	"context"
	"encoding/json"
	"testing"
)

func TestWrapperRunsAroundTheHandler(t *testing.T) {
	r := testRouter()
	var seen []string
	r.Wrap("echo", func(ctx context.Context, req Request, sink Sink, next DispatchFunc) Result {
		seen = append(seen, "before "+req.Op)
		sink.Progress(Progress{TaskID: 7})
		res := next(ctx, req, sink)
		seen = append(seen, "after")
		res.TaskID = 7
		return res
	})
	// A wrapper alone answers an operation that has no handler.
	r.Wrap("relay", func(ctx context.Context, req Request, sink Sink, next DispatchFunc) Result {
		return next(ctx, Request{Op: "found"}, sink)
	})
	r.Wrap("boom", func(ctx context.Context, req Request, sink Sink, next DispatchFunc) Result { panic("wrapper broke") })

	sink := &recordSink{}
	res := r.Dispatch(context.Background(), Request{Op: "echo", Args: json.RawMessage(`{"Say":"hi"}`)}, sink)
	if res.Exit != ExitOK || res.TaskID != 7 || string(res.Data) != `{"password":"","said":"hi"}` {
		t.Errorf("wrapped result %+v", res)
	}
	if len(seen) != 2 || len(sink.progress) != 2 || sink.progress[0].TaskID != 7 || len(sink.logs) != 1 {
		t.Errorf("seen %v, streamed %+v %v", seen, sink.progress, sink.logs)
	}
	if res := r.Dispatch(context.Background(), Request{Op: "relay"}, nil); res.Exit != ExitFound {
		t.Errorf("wrapper-only op: %+v", res)
	}
	if res := r.Dispatch(context.Background(), Request{Op: "boom"}, nil); res.Exit != ExitError || res.Error != "boom: internal error: wrapper broke" {
		t.Errorf("panicking wrapper: %+v", res)
	}
	// Direct skips the wrapper.
	seen = nil
	if res := r.Direct(context.Background(), Request{Op: "echo"}, nil); res.TaskID != 0 || len(seen) != 0 {
		t.Errorf("Direct went through the wrapper: %+v %v", res, seen)
	}
	if res := r.Direct(context.Background(), Request{Op: "relay"}, nil); res.Exit != ExitUsage {
		t.Errorf("Direct of a wrapper-only op: %+v", res)
	}
}
