package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
	"github.com/holdfast/holdfast/core/store"
)

// cancelGrace is how long the CLI waits, after Ctrl-C, for the engine to
// stop the work and report.
const cancelGrace = 10 * time.Second

// engineStartWait is how long the CLI waits for an engine that holds the
// home to open its control socket.
const engineStartWait = 10 * time.Second

// call runs one operation on the home: through the running engine's socket
// when there is one, otherwise in this process on the briefly opened
// database. Either way progress streams to stderr.
func (a *app) call(ctx context.Context, req control.Request) (control.Result, error) {
	h, err := home.Open(a.homeDir)
	if err != nil {
		return control.Result{}, err
	}
	sink := newStderrSink(a.stderr)
	defer sink.finish()
	deadline := time.Now().Add(engineStartWait)
	for {
		conn, err := control.Dial(h.SocketPath())
		if err == nil {
			return control.Do(ctx, conn, req, sink, cancelGrace)
		}
		if !errors.Is(err, control.ErrNoEngine) {
			return control.Result{}, err
		}
		// An engine that holds the home but has no socket yet is
		// starting: wait for it rather than for its database.
		pid := h.Holder()
		if pid == 0 {
			eng, err := engine.Open(h, engine.Options{Mode: engine.ModeLocal})
			if err == nil {
				defer eng.Stop()
				req.Local = true // the result as a value: no JSON round trip
				return eng.Dispatch(ctx, req, sink), nil
			}
			if !errors.Is(err, store.ErrLocked) {
				return control.Result{}, err
			}
		}
		if time.Now().After(deadline) {
			return control.Result{}, fmt.Errorf("the engine holding %s (PID %d) does not answer on %s", h.Dir, pid, h.SocketPath())
		}
		select {
		case <-ctx.Done():
			return control.Result{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// callInto runs req and decodes its data into out. A result with an error
// becomes an error carrying the result's exit code; ExitFound with no error
// is returned as found=true for the caller to print first.
func (a *app) callInto(ctx context.Context, req control.Request, out any) (found bool, err error) {
	res, err := a.call(ctx, req)
	if err != nil {
		return false, &exitError{code: control.ExitError, err: err}
	}
	a.lastTask = res.TaskID
	if res.Error != "" {
		return false, &exitError{code: max(res.Exit, control.ExitError), err: res.Err()}
	}
	if out != nil {
		if err := res.Decode(out); err != nil {
			return false, &exitError{code: control.ExitError, err: fmt.Errorf("decode %s result: %w", req.Op, err)}
		}
	}
	return res.Exit == control.ExitFound, nil
}

// op marshals args into a request for op, runs it and decodes its data
// into out. found reports exit 3 ("checked and found problems").
func (a *app) op(ctx context.Context, op string, args any, secrets map[string]string, out any) (found bool, err error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return false, err
	}
	return a.callInto(ctx, control.Request{Op: op, Args: raw, Secrets: secrets}, out)
}

// finish ends a command that printed its result: exit 3 when the
// operation found problems.
func finish(found bool) error {
	if found {
		return silentExit(control.ExitFound)
	}
	return nil
}

// stderrSink prints streamed progress and log lines for a person: on a
// terminal one line rewritten in place, elsewhere (logs, CI) a line every
// few seconds.
type stderrSink struct {
	w       io.Writer
	tty     bool
	last    time.Time
	pending bool // a progress line is on screen without its newline
}

func newStderrSink(w io.Writer) *stderrSink {
	s := &stderrSink{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			s.tty = true
		}
	}
	return s
}

func (s *stderrSink) Progress(p control.Progress) {
	if p.TaskID != 0 {
		// The call became a task: say which, so it can be paused,
		// canceled or looked at from elsewhere.
		s.Log(fmt.Sprintf("task %d", p.TaskID))
	}
	line := p.Message
	if line == "" && p.Total > 0 {
		line = fmt.Sprintf("%d/%d %s", p.Done, p.Total, p.Unit)
	}
	if line == "" {
		return
	}
	if s.tty {
		fmt.Fprintf(s.w, "\r\033[K%s", line)
		s.pending = true
		return
	}
	if time.Since(s.last) < 5*time.Second {
		return
	}
	s.last = time.Now()
	fmt.Fprintln(s.w, line)
}

func (s *stderrSink) Log(line string) {
	s.finish()
	fmt.Fprintln(s.w, line)
}

// finish ends a progress line left on the terminal.
func (s *stderrSink) finish() {
	if s.pending {
		fmt.Fprint(s.w, "\r\033[K")
		s.pending = false
	}
}

// withTaskID adds "task_id" to the JSON object v when the last call ran
// as a task, leaving every other field as it was.
func (a *app) withTaskID(v any) any {
	if a.lastTask == 0 {
		return v
	}
	raw, err := json.Marshal(v)
	if err != nil || len(raw) < 2 || raw[0] != '{' {
		return v
	}
	field := fmt.Sprintf(`"task_id":%d`, a.lastTask)
	if string(raw) != "{}" {
		field = "," + field
	}
	return json.RawMessage(append(raw[:len(raw)-1:len(raw)-1], field+"}"...))
}

// printJSON writes v as one indented JSON document.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
