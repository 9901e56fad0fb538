package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type recordSink struct {
	mu       sync.Mutex
	progress []Progress
	logs     []string
}

func (s *recordSink) Progress(p Progress) {
	s.mu.Lock()
	s.progress = append(s.progress, p)
	s.mu.Unlock()
}
func (s *recordSink) Log(l string) { s.mu.Lock(); s.logs = append(s.logs, l); s.mu.Unlock() }

func startServer(t testing.TB, r *Router) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl") // short path: Unix socket paths are limited to ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "engine.sock")
	s, err := Listen(path, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close(time.Second) })
	return path
}

func call(t *testing.T, ctx context.Context, path string, req Request, sink Sink) Result {
	t.Helper()
	conn, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Do(ctx, conn, req, sink, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func testRouter() *Router {
	r := NewRouter(nil)
	r.Handle("echo", func(ctx context.Context, c *Call) (any, error) {
		var args struct{ Say string }
		if err := c.Decode(&args); err != nil {
			return nil, err
		}
		pw, _ := c.Secret("password")
		c.Progress(Progress{Message: "half", Done: 1, Total: 2})
		c.Logf("saying %s", args.Say)
		return map[string]string{"said": args.Say, "password": pw}, nil
	})
	r.Handle("found", func(ctx context.Context, c *Call) (any, error) { c.Found(); return nil, nil })
	r.Handle("fail", func(ctx context.Context, c *Call) (any, error) { return nil, errors.New("it broke") })
	r.Handle("panic", func(ctx context.Context, c *Call) (any, error) { panic("boom") })
	r.Handle("wait", func(ctx context.Context, c *Call) (any, error) {
		c.Progress(Progress{Message: "waiting"})
		<-ctx.Done()
		return map[string]string{"stopped": "yes"}, ctx.Err()
	})
	return r
}

func TestCallsOverTheSocket(t *testing.T) {
	path := startServer(t, testRouter())
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	tests := []struct {
		name     string
		req      Request
		wantExit int
		wantErr  string
		wantData string
	}{
		{"echo", Request{Op: "echo", Args: json.RawMessage(`{"Say":"hi"}`), Secrets: map[string]string{"password": "s3cret"}}, ExitOK, "", `{"password":"s3cret","said":"hi"}`},
		{"bad args", Request{Op: "echo", Args: json.RawMessage(`[1]`)}, ExitUsage, "bad arguments", ""},
		{"found", Request{Op: "found"}, ExitFound, "", ""},
		{"fail", Request{Op: "fail"}, ExitError, "it broke", ""},
		{"panic", Request{Op: "panic"}, ExitError, "internal error: boom", ""},
		{"unknown", Request{Op: "nope"}, ExitUsage, `unknown operation "nope"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &recordSink{}
			res := call(t, context.Background(), path, tt.req, sink)
			if res.Exit != tt.wantExit || !strings.Contains(res.Error, tt.wantErr) || (tt.wantErr == "" && res.Error != "") {
				t.Fatalf("result %+v, want exit %d error %q", res, tt.wantExit, tt.wantErr)
			}
			if tt.wantData != "" && string(res.Data) != tt.wantData {
				t.Errorf("data %s, want %s", res.Data, tt.wantData)
			}
			if tt.name == "echo" && (len(sink.progress) != 1 || len(sink.logs) != 1 || sink.logs[0] != "saying hi") {
				t.Errorf("streamed %+v %+v", sink.progress, sink.logs)
			}
		})
	}
}

func TestCancelReachesTheHandler(t *testing.T) {
	path := startServer(t, testRouter())
	ctx, cancel := context.WithCancel(context.Background())
	sink := &progressThenCancel{cancel: cancel}
	res := call(t, ctx, path, Request{Op: "wait"}, sink)
	if res.Exit != ExitError || !strings.Contains(res.Error, "canceled") {
		t.Fatalf("result %+v", res)
	}
	if string(res.Data) != `{"stopped":"yes"}` {
		t.Errorf("data %s", res.Data)
	}
}

type progressThenCancel struct{ cancel context.CancelFunc }

func (p *progressThenCancel) Progress(Progress) { p.cancel() }
func (p *progressThenCancel) Log(string)        {}

func TestActiveCallsAreTracked(t *testing.T) {
	r := testRouter()
	path := startServer(t, r)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	go func() {
		conn, _ := Dial(path)
		Do(ctx, conn, Request{Op: "wait"}, &closeOnProgress{c: started}, 5*time.Second)
	}()
	<-started
	if a := r.Active(); len(a) != 1 || a[0].Op != "wait" {
		t.Errorf("Active() = %+v", a)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.Active()) != 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a := r.Active(); len(a) != 0 {
		t.Errorf("after cancel Active() = %+v", a)
	}
}

type closeOnProgress struct {
	c    chan struct{}
	once sync.Once
}

func (p *closeOnProgress) Progress(Progress) { p.once.Do(func() { close(p.c) }) }
func (p *closeOnProgress) Log(string)        {}

func TestDialWithoutEngine(t *testing.T) {
	dir, _ := os.MkdirTemp("", "ctl")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "engine.sock")
	if _, err := Dial(path); !errors.Is(err, ErrNoEngine) {
		t.Fatalf("missing socket: %v", err)
	}
	// A socket file left behind by a dead engine.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Dial(path); !errors.Is(err, ErrNoEngine) {
		t.Fatalf("stale socket: %v", err)
	}
}

func TestBadFirstFrameIsRefused(t *testing.T) {
	path := startServer(t, testRouter())
	for _, input := range []string{"not json\n", `{"type":"cancel"}` + "\n", `{"x":1}` + "\n"} {
		conn, err := Dial(path)
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(input))
		line, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		if err != nil {
			t.Fatalf("%q: %v", input, err)
		}
		var f frame
		if json.Unmarshal([]byte(line), &f); f.Result == nil || f.Result.Exit != ExitUsage {
			t.Errorf("%q: got %s", input, line)
		}
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add([]byte(`{"type":"call","request":{"op":"status","args":{"a":1},"secrets":{"password":"x"}}}` + "\n"))
	f.Add([]byte(`{"type":"result","result":{"exit":3,"data":[1,2]}}` + "\n"))
	f.Add([]byte("{\"type\":\"log\",\"log\":\"\xff\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := readFrame(bufio.NewReader(strings.NewReader(string(data))))
		if err == nil && fr.Type == "" {
			t.Fatal("accepted a frame without a type")
		}
	})
}

func TestCancelGivesUpAfterGrace(t *testing.T) {
	r := NewRouter(nil)
	release := make(chan struct{})
	r.Handle("stubborn", func(ctx context.Context, c *Call) (any, error) {
		c.Progress(Progress{Message: "ignoring cancel"})
		<-release
		return nil, nil
	})
	path := startServer(t, r)
	t.Cleanup(func() { close(release) }) // before the server's Close
	conn, err := Dial(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_, err = Do(ctx, conn, Request{Op: "stubborn"}, &progressThenCancel{cancel: cancel}, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not stop stubborn") || !errors.Is(err, context.Canceled) {
		t.Fatalf("a handler ignoring cancel: %v", err)
	}
}
