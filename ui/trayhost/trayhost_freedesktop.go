//go:build (linux || freebsd || openbsd || netbsd) && !android

package trayhost

import "github.com/godbus/dbus/v5"

const watcher = "org.kde.StatusNotifierWatcher"

func present() bool {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return false
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return false
	}
	if err := conn.Hello(); err != nil {
		return false
	}
	var owned bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, watcher).Store(&owned); err != nil {
		return false
	}
	return owned
}
