package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// brand is Holdfast's teal, from the app icon.
var brand = color.NRGBA{R: 0x12, G: 0x8C, B: 0x82, A: 0xff}

// holdfastTheme is Fyne's default theme with the brand colour, following
// the system's light or dark preference unless the settings force one.
type holdfastTheme struct {
	fyne.Theme
	forced  bool
	variant fyne.ThemeVariant
}

// newTheme builds the theme for the ui.theme setting: system, light or dark.
func newTheme(setting string) fyne.Theme {
	t := &holdfastTheme{Theme: theme.DefaultTheme()}
	switch setting {
	case "light":
		t.forced, t.variant = true, theme.VariantLight
	case "dark":
		t.forced, t.variant = true, theme.VariantDark
	}
	return t
}

func (t *holdfastTheme) Color(name fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.forced {
		v = t.variant
	}
	switch name {
	case theme.ColorNamePrimary:
		return brand
	case theme.ColorNameFocus:
		c := brand
		c.A = 0x80
		return c
	case theme.ColorNameSelection:
		c := brand
		c.A = 0x55
		return c
	case theme.ColorNameHyperlink:
		if v == theme.VariantDark {
			return color.NRGBA{R: 0x4f, G: 0xd1, B: 0xc5, A: 0xff}
		}
		return brand
	}
	return t.Theme.Color(name, v)
}
