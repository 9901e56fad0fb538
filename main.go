// Command holdfast keeps a person's machines healthy and their files safe.
// With no arguments it opens the desktop app (in builds with cgo); every
// other use is a subcommand: see `holdfast --help`.
package main

import (
	"os"

	"github.com/holdfast/holdfast/cli"
)

// desktop is set by desktop.go in builds with cgo; the headless build
// leaves it nil and links no GUI code.
var desktop cli.DesktopFunc

func main() {
	os.Exit(cli.Main(os.Args[1:], desktop))
}
