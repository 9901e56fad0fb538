package ui

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/control"
)

// engineCall runs one operation in this device's engine and decodes its
// data into out. A repository password, when given, travels as the
// request's secret. The exit code is returned with the engine's error, if
// any. It blocks: pages run it in a goroutine and bring the answer back to
// the UI thread themselves; it touches no widget.
func (s *Shell) engineCall(ctx context.Context, op string, args any, password string, sink control.Sink, out any) (int, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return control.ExitError, err
	}
	req := control.Request{Op: op, Args: raw}
	if password != "" {
		req.Secrets = map[string]string{backup.SecretPassword: password}
	}
	res := s.eng.Dispatch(ctx, req, sink)
	if err := res.Err(); err != nil {
		return res.Exit, err
	}
	if out != nil && len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, out); err != nil {
			return control.ExitError, fmt.Errorf("%s: unexpected answer from the engine: %w", op, err)
		}
	}
	return res.Exit, nil
}
