package control

import (
	"context"
	"testing"
	"time"
)

// BenchmarkCallRoundTrip is one call over a real Unix socket, as each CLI
// command makes it: connect, send the request, read one log line and the
// result. Allocations count both sides (the server runs in-process).
func BenchmarkCallRoundTrip(b *testing.B) {
	r := NewRouter(nil)
	r.Handle("status", func(ctx context.Context, c *Call) (any, error) {
		c.Logf("status of %s", "bench")
		return map[string]any{"device": "bench", "uptime_s": 1234, "peers": 100, "ok": true}, nil
	})
	path := startServer(b, r)
	ctx := context.Background()
	var sink recordSink
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		conn, err := Dial(path)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Do(ctx, conn, Request{Op: "status"}, &sink, time.Second)
		if err != nil || res.Exit != ExitOK {
			b.Fatalf("status: %+v %v", res, err)
		}
		sink.logs = sink.logs[:0]
	}
}
