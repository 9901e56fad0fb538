//go:build cgo && !nogui

// This file wires the desktop app into the binary; it builds only with
// cgo, so `CGO_ENABLED=0 go build` links no GUI code at all, and neither
// does `go build -tags nogui` (a server build that keeps cgo's libzstd).

package main

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/version"
	"github.com/holdfast/holdfast/ui"
	"github.com/holdfast/holdfast/ui/trayhost"
)

// appID is the desktop app's identifier (also in FyneApp.toml).
const appID = "dev.holdfast.Holdfast"

func init() { desktop = runDesktop }

// runDesktop runs the Fyne app with the engine inside it, until the app
// quits (Quit in the tray, or closing the window without a tray) or ctx
// ends (SIGINT, SIGTERM).
func runDesktop(ctx context.Context, eng *engine.Engine) error {
	app.SetMetadata(fyne.AppMetadata{
		ID:         appID,
		Name:       "Holdfast",
		Version:    version.Version,
		Icon:       ui.Icon,
		Migrations: map[string]bool{"fyneDo": true},
	})
	a := app.NewWithID(appID)
	shell := ui.New(a, eng, ui.Options{TrayHost: trayhost.Present()})
	if err := eng.Start(ctx); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { fyne.Do(shell.Quit) })
	defer stop()
	shell.Show()
	a.Run()
	return nil
}
