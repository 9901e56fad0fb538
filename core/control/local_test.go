package control

import (
	"context"
	"testing"
)

type localPayload struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// TestLocalRequestsTakeTheValue: a Local request gets the handler's value
// itself, no JSON; Decode fills a pointer of its type (or of the type it
// points to), and anything else through JSON, as for a socket caller.
func TestLocalRequestsTakeTheValue(t *testing.T) {
	r := NewRouter(nil)
	want := localPayload{Name: "docs", Count: 3}
	r.Handle("value", func(ctx context.Context, c *Call) (any, error) { return want, nil })
	r.Handle("pointer", func(ctx context.Context, c *Call) (any, error) { p := want; return &p, nil })
	for _, op := range []string{"value", "pointer"} {
		res := r.Dispatch(context.Background(), Request{Op: op, Local: true}, nil)
		if res.Value == nil || len(res.Data) != 0 {
			t.Fatalf("%s: local result %+v", op, res)
		}
		var got localPayload
		if err := res.Decode(&got); err != nil || got != want {
			t.Errorf("%s: Decode gave %+v, %v", op, got, err)
		}
		// Another type: through JSON.
		var m map[string]any
		if err := res.Decode(&m); err != nil || m["name"] != "docs" {
			t.Errorf("%s: Decode into a map gave %v, %v", op, m, err)
		}
		raw, err := res.JSON()
		if err != nil || string(raw) != `{"name":"docs","count":3}` {
			t.Errorf("%s: JSON %s, %v", op, raw, err)
		}
		// Not local: JSON as ever.
		res = r.Dispatch(context.Background(), Request{Op: op}, nil)
		var got2 localPayload
		if res.Value != nil || res.Decode(&got2) != nil || got2 != want {
			t.Errorf("%s: a socket-style result %+v decoded to %+v", op, res, got2)
		}
	}
}
