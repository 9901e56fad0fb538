// Package trayhost tells whether the desktop has a system tray to live in.
package trayhost

// Present reports whether a system tray host is running. On Linux and
// other freedesktop systems that is a D-Bus owner of
// org.kde.StatusNotifierWatcher on the session bus; macOS and Windows
// always have one.
func Present() bool { return present() }
