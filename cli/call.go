package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
)

// cancelGrace is how long the CLI waits, after Ctrl-C, for the engine to
// stop the work and report.
const cancelGrace = 10 * time.Second

// call runs one operation on the home: through the running engine's socket
// when there is one, otherwise in this process on the briefly opened
// database. Either way progress streams to stderr.
func (a *app) call(ctx context.Context, req control.Request) (control.Result, error) {
	h, err := home.Open(a.homeDir)
	if err != nil {
		return control.Result{}, err
	}
	sink := &stderrSink{w: a.stderr}
	conn, err := control.Dial(h.SocketPath())
	if err == nil {
		return control.Do(ctx, conn, req, sink, cancelGrace)
	}
	if !errors.Is(err, control.ErrNoEngine) {
		return control.Result{}, err
	}
	eng, err := engine.Open(h, engine.Options{Mode: engine.ModeLocal})
	if err != nil {
		return control.Result{}, err
	}
	defer eng.Stop()
	return eng.Dispatch(ctx, req, sink), nil
}

// callInto runs req and decodes its data into out. A result with an error
// becomes an error carrying the result's exit code; ExitFound with no error
// is returned as found=true for the caller to print first.
func (a *app) callInto(ctx context.Context, req control.Request, out any) (found bool, err error) {
	res, err := a.call(ctx, req)
	if err != nil {
		return false, &exitError{code: control.ExitError, err: err}
	}
	if res.Error != "" {
		return false, &exitError{code: max(res.Exit, control.ExitError), err: res.Err()}
	}
	if out != nil && len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, out); err != nil {
			return false, &exitError{code: control.ExitError, err: fmt.Errorf("decode %s result: %w", req.Op, err)}
		}
	}
	return res.Exit == control.ExitFound, nil
}

// stderrSink prints streamed progress and log lines for a person.
type stderrSink struct{ w io.Writer }

func (s *stderrSink) Progress(p control.Progress) {
	switch {
	case p.Total > 0:
		fmt.Fprintf(s.w, "%s %d/%d %s\n", p.Message, p.Done, p.Total, p.Unit)
	case p.Message != "":
		fmt.Fprintln(s.w, p.Message)
	}
}

func (s *stderrSink) Log(line string) { fmt.Fprintln(s.w, line) }

// printJSON writes v as one indented JSON document.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
