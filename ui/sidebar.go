package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// sidebar lists the pages; later issues give items a count badge.
type sidebar struct {
	list  *widget.List
	pages []*page
}

func newSidebar(pages []*page, onSelect func(int)) *sidebar {
	s := &sidebar{pages: pages}
	s.list = widget.NewList(
		func() int { return len(pages) },
		func() fyne.CanvasObject {
			badge := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
			badge.Importance = widget.HighImportance
			return container.NewBorder(nil, nil, widget.NewIcon(nil), badge, widget.NewLabel("Consistency"))
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Label).SetText(pages[id].title)
			row.Objects[1].(*widget.Icon).SetResource(pages[id].icon)
			row.Objects[2].(*widget.Label).SetText(pages[id].badge)
		},
	)
	s.list.OnSelected = func(id widget.ListItemID) { onSelect(id) }
	s.list.Select(0)
	return s
}
