//go:build (linux || freebsd || openbsd || netbsd) && !android

package ui

import "fyne.io/systray"

// setTrayTooltip sets the tray icon's tooltip. Fyne has no call for it;
// its tray (fyne.io/systray) keeps one, shown by StatusNotifierItem hosts.
// Before the tray runs, the text is kept for when it does.
func setTrayTooltip(text string) { systray.SetTooltip(text) }
