// Package control is the running engine's local control channel: the CLI
// sends a request over HOME/engine.sock, progress and log lines stream back,
// a result with an exit code ends the call, and a cancel frame (Ctrl-C)
// stops the work through its context. The same Router answers requests
// in-process when no engine runs.
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Exit codes shared by the CLI and every operation.
const (
	ExitOK    = 0 // done
	ExitError = 1 // failed
	ExitUsage = 2 // bad command line or arguments
	ExitFound = 3 // checked, and found problems
)

// Request is one operation asked of the engine.
type Request struct {
	Op   string          `json:"op"`
	Args json.RawMessage `json:"args,omitempty"`
	// Secrets travel with the request (a repository password, say): the
	// engine never reads the CLI's environment or files on its behalf.
	Secrets map[string]string `json:"secrets,omitempty"`
	// Local is set by a caller in the engine's own process (a CLI command
	// that opened the home itself): the result comes as a Go value in
	// Result.Value, not encoded to JSON only to be decoded again. It never
	// crosses the socket.
	Local bool `json:"-"`
}

// Progress reports work in flight.
type Progress struct {
	Message string  `json:"message,omitempty"`
	Done    int64   `json:"done,omitempty"`
	Total   int64   `json:"total,omitempty"`
	Unit    string  `json:"unit,omitempty"`
	Percent float64 `json:"percent,omitempty"`
	// Counters are named figures of the work (files, bytes, errors…),
	// each replacing the one of the same name reported before.
	Counters []Counter `json:"counters,omitempty"`
	// TaskID is set on the report that says the call became a task
	// (see core/tasks); later reports leave it out.
	TaskID uint64 `json:"task_id,omitempty"`
}

// Counter is one named figure of work in flight.
type Counter struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
	Total int64  `json:"total,omitempty"` // 0: not known
	Unit  string `json:"unit,omitempty"`  // "files", "bytes"…
	// Level is "" for an ordinary figure, "notice", "warning" or "error"
	// for one that wants attention.
	Level string `json:"level,omitempty"`
}

// Result ends a call.
type Result struct {
	Exit  int             `json:"exit"`
	Data  json.RawMessage `json:"data,omitempty"`
	Error string          `json:"error,omitempty"`
	// TaskID names the task that ran the call, for operations that run
	// as tasks; 0 otherwise.
	TaskID uint64 `json:"task_id,omitempty"`
	// Value is the handler's result itself, for a Local request (Data is
	// then empty). Read it with Decode.
	Value any `json:"-"`
}

// JSON returns the result's data encoded: Data, or Value encoded.
func (r Result) JSON() (json.RawMessage, error) {
	if r.Value == nil {
		return r.Data, nil
	}
	return json.Marshal(r.Value)
}

// Decode stores the result's data in out, a pointer: Value itself when it
// is of out's type (or points to one), else the JSON decoded.
func (r Result) Decode(out any) error {
	if r.Value != nil {
		dst := reflect.ValueOf(out)
		if dst.Kind() == reflect.Pointer && !dst.IsNil() {
			v := reflect.ValueOf(r.Value)
			if v.Type() == dst.Elem().Type() {
				dst.Elem().Set(v)
				return nil
			}
			if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Type() == dst.Elem().Type() {
				dst.Elem().Set(v.Elem())
				return nil
			}
		}
	}
	raw, err := r.JSON()
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// Err turns a failed result back into an error (nil when Error is empty).
func (r Result) Err() error {
	if r.Error == "" {
		return nil
	}
	return errors.New(r.Error)
}

// frame is one line on the socket.
type frame struct {
	Type     string    `json:"type"`
	Request  *Request  `json:"request,omitempty"`
	Progress *Progress `json:"progress,omitempty"`
	Log      string    `json:"log,omitempty"`
	Result   *Result   `json:"result,omitempty"`
}

const (
	frameCall     = "call"
	frameCancel   = "cancel"
	frameProgress = "progress"
	frameLog      = "log"
	frameResult   = "result"
)

// maxFrame bounds one line, so a broken client cannot make the engine
// buffer without limit.
const maxFrame = 4 << 20

// UsageError marks a request whose arguments are wrong; it ends with
// ExitUsage.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef builds a UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}
