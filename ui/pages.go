package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/engine"
)

// page is one entry of the sidebar.
type page struct {
	title   string
	icon    fyne.Resource
	build   func() fyne.CanvasObject
	content fyne.CanvasObject
	// onStatus, when set, keeps the page's view of the engine current.
	onStatus func(engine.Status)
	// onVisible, when set, hears when the page comes on screen (its
	// content built, the window shown) and when it leaves it.
	onVisible func(bool)
	visible   bool
	// badge is a count the sidebar shows beside the title ("" none).
	badge string
	// ref is the page's own object, for other pages to reach it.
	ref any
	// heading, when set, is the title shown, naming the device the page
	// shows when it is a peer ("Dashboard — nas").
	heading func() string
	// titleLabel is the title shown, once the page has been.
	titleLabel *widget.Label
}

// view wraps the page's content under its title.
func (p *page) view() fyne.CanvasObject {
	text := p.title
	if p.heading != nil {
		text = p.heading()
	}
	title := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	p.titleLabel = title
	return container.NewBorder(container.NewPadded(title), nil, nil, nil, p.content)
}

// Page titles, in sidebar order.
const (
	PageDashboard   = "Dashboard"
	PageBackups     = "Backups"
	PageTasks       = "Tasks"
	PageConsistency = "Consistency"
	PagePeers       = "Peers"
	PageAlerts      = "Alerts"
	PageSettings    = "Settings"
)

// buildPages lists the pages. A page whose feature has not landed shows an
// empty state that says what it will hold — never sample data.
func buildPages(s *Shell) []*page {
	return []*page{
		newDashboardPage(s),
		newBackupsPage(s),
		newTasksPage(s),
		newConsistencyPage(s),
		newPeersPage(s),
		newAlertsPage(s),
		{title: PageSettings, icon: theme.SettingsIcon(), build: func() fyne.CanvasObject { return settingsPage(s) }},
	}
}

// emptyState is a calm placeholder: an icon, a title and what the page
// will hold.
func emptyState(icon fyne.Resource, title, body string) fyne.CanvasObject {
	img := widget.NewIcon(theme.NewDisabledResource(icon))
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	text := widget.NewLabel(body)
	text.Wrapping = fyne.TextWrapWord
	text.Alignment = fyne.TextAlignCenter
	iconBox := container.NewCenter(container.NewGridWrap(fyne.NewSize(64, 64), img))
	column := container.NewVBox(iconBox, heading, text)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 260), column))
}
