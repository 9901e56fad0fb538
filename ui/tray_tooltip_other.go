//go:build !((linux || freebsd || openbsd || netbsd) && !android)

package ui

// setTrayTooltip does nothing where Fyne's tray offers no tooltip without
// cgo-only calls.
func setTrayTooltip(string) {}
