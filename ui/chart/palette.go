package chart

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Series colours after the theme's primary, calm and distinct from each
// other, in a deeper shade for light backgrounds and a lighter one for dark.
var (
	paletteLight = []color.NRGBA{
		{0x2f, 0x6f, 0xd6, 0xff}, // blue
		{0xe0, 0x7b, 0x28, 0xff}, // orange
		{0x8e, 0x5c, 0xd9, 0xff}, // violet
		{0xd1, 0x4b, 0x7c, 0xff}, // rose
		{0xb8, 0x93, 0x0f, 0xff}, // ochre
		{0x3b, 0x9a, 0x4a, 0xff}, // green
	}
	paletteDark = []color.NRGBA{
		{0x6a, 0xa4, 0xff, 0xff},
		{0xff, 0xa5, 0x5c, 0xff},
		{0xb3, 0x8c, 0xff, 0xff},
		{0xff, 0x7e, 0xaa, 0xff},
		{0xe8, 0xc5, 0x4a, 0xff},
		{0x6d, 0xd0, 0x7c, 0xff},
	}
)

// colors are the theme colours the chart is drawn with.
type colors struct {
	dark      bool
	fg, muted color.NRGBA // values and titles; axis labels
	grid      color.NRGBA
	bg        color.NRGBA // behind the chart (for the ring round hover dots)
	overlay   color.NRGBA // tooltip background
	border    color.NRGBA // tooltip border
	primary   color.NRGBA
	crosshair color.NRGBA
}

func themeColors(th fyne.Theme) colors {
	v := fyne.CurrentApp().Settings().ThemeVariant()
	get := func(n fyne.ThemeColorName) color.NRGBA { return nrgba(th.Color(n, v)) }
	c := colors{
		fg:      get(theme.ColorNameForeground),
		muted:   get(theme.ColorNamePlaceHolder),
		grid:    get(theme.ColorNameSeparator),
		bg:      get(theme.ColorNameBackground),
		overlay: get(theme.ColorNameOverlayBackground),
		border:  get(theme.ColorNameInputBorder),
		primary: get(theme.ColorNamePrimary),
	}
	c.dark = luminance(c.bg) < 0.5
	c.crosshair = c.fg
	c.crosshair.A = 0x70
	// The theme's separator is too dark to read as a gridline on a dark
	// background and solid on a light one: a faint foreground reads on both.
	c.grid = c.fg
	c.grid.A = 0x1c
	return c
}

// seriesColor is the colour of series i: its own, or the palette's.
func (c colors) seriesColor(i int, own color.Color) color.NRGBA {
	if own != nil {
		return nrgba(own)
	}
	if i == 0 {
		p := c.primary
		p.A = 0xff
		return p
	}
	pal := paletteLight
	if c.dark {
		pal = paletteDark
	}
	// Leave out the palette colour nearest the primary's hue, so that the
	// second series never looks like the first.
	skip := -1
	if hp, ok := hue(c.primary); ok {
		best := 360.0
		for k, p := range pal {
			if h, _ := hue(p); hueDist(h, hp) < best {
				best, skip = hueDist(h, hp), k
			}
		}
		if best > 40 {
			skip = -1
		}
	}
	k := (i - 1) % (len(pal) - 1)
	if skip < 0 {
		k = (i - 1) % len(pal)
	} else if k >= skip {
		k++
	}
	return pal[k]
}

// hue is c's hue in degrees, if it has a colour at all.
func hue(c color.NRGBA) (float64, bool) {
	r, g, b := float64(c.R)/255, float64(c.G)/255, float64(c.B)/255
	mx, mn := max(r, g, b), min(r, g, b)
	d := mx - mn
	if d < 0.08 {
		return 0, false
	}
	var h float64
	switch mx {
	case r:
		h = (g - b) / d
		if h < 0 {
			h += 6
		}
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	return h * 60, true
}

func hueDist(a, b float64) float64 {
	d := a - b
	if d < 0 {
		d = -d
	}
	if d > 180 {
		d = 360 - d
	}
	return d
}

func nrgba(c color.Color) color.NRGBA {
	if c == nil {
		return color.NRGBA{}
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

func luminance(c color.NRGBA) float64 {
	return (0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B)) / 255
}
