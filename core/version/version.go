// Package version says which Holdfast this is: a release number set at
// build time and the commit it was built from.
package version

import (
	"runtime"
	"runtime/debug"
)

// Version is the release; packaging sets it with
// -ldflags "-X github.com/holdfast/holdfast/core/version.Version=1.2.3".
var Version = "0.1.0-dev"

// Info describes the running build.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go"`
	Platform  string `json:"platform"`
	GUI       bool   `json:"gui"`
	// Compressor is the zstd implementation backups compress with (the
	// CLI fills it in; core/version imports nothing of Holdfast's).
	Compressor string `json:"compressor,omitempty"`
}

// Get reads the build's version control stamp.
func Get(gui bool) Info {
	info := Info{Version: Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH, GUI: gui}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
				if len(info.Commit) > 12 {
					info.Commit = info.Commit[:12]
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	return info
}

// String is the one-line form: "holdfast 0.1.0-dev (abc123def456, go1.26.8 linux/amd64)".
func (i Info) String() string {
	s := "holdfast " + i.Version + " ("
	if i.Commit != "" {
		s += i.Commit
		if i.Modified {
			s += "+dirty"
		}
		s += ", "
	}
	s += i.GoVersion + " " + i.Platform
	if !i.GUI {
		s += ", headless"
	}
	if i.Compressor != "" {
		s += ", compression: " + i.Compressor
	}
	return s + ")"
}
