// Package assets embeds Holdfast's icons and other static files, as plain
// bytes, so that both the desktop app and the headless build can use them.
package assets

import _ "embed"

// IconPNG is the 256×256 app icon (rendered from icon.svg with
// `rsvg-convert -w 256 -h 256 icon.svg -o icon.png`).
//
//go:embed icon.png
var IconPNG []byte

// IconSVG is the app icon's source.
//
//go:embed icon.svg
var IconSVG []byte
