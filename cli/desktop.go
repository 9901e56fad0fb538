package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
)

// runDesktop opens the desktop app. When another engine already holds the
// home, a desktop one is asked to show its window instead; a headless one
// is reported.
func (a *app) runDesktop(ctx context.Context) error {
	err := a.runEngine(ctx, engine.ModeDesktop, a.desktop)
	var inUse *home.InUseError
	if !errors.As(err, &inUse) {
		return err
	}
	h, herr := home.Open(a.homeDir)
	if herr != nil {
		return err
	}
	conn, derr := control.Dial(h.SocketPath())
	if derr != nil {
		return err
	}
	res, derr := control.Do(ctx, conn, control.Request{Op: engine.OpShowWindow}, nil, 5*time.Second)
	if derr == nil && res.Exit == control.ExitOK {
		fmt.Fprintf(a.stderr, "Holdfast is already open on %s (PID %d); brought its window to the front.\n", h.Dir, inUse.PID)
		return nil
	}
	return &exitError{code: control.ExitError, err: fmt.Errorf("%w; it runs headless ('holdfast serve'): stop it first, or open another home with --home", inUse)}
}
