package chart_test

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"

	"github.com/holdfast/holdfast/ui/chart"
)

// A live CPU chart: a ratio shown as a percentage over the last hour, fed
// once a second from another goroutine through fyne.Do.
func Example_live() {
	cpu := chart.New()
	cpu.SetTitle("CPU")
	cpu.SetYRange(0, 1)
	cpu.SetFormat(func(v float64) string { return fmt.Sprintf("%.0f %%", v*100) })
	cpu.SetWindow(time.Hour)
	cpu.SetSeries([]chart.Series{{Name: "CPU"}})

	sample := func(t time.Time, ratio float64) {
		fyne.Do(func() { cpu.Append(0, chart.Point{T: t, V: ratio}) })
	}
	_ = sample
}

// Network traffic, two series, from a history tier: the range switch sets the
// window and replaces the data.
func Example_history() {
	net := chart.New()
	net.SetTitle("Network")
	net.SetFormat(func(v float64) string { return fmt.Sprintf("%.1f MB/s", v/1e6) })

	show := func(window time.Duration, rx, tx []chart.Point) {
		net.SetWindow(window)
		net.SetSeries([]chart.Series{{Name: "Received", Points: rx}, {Name: "Sent", Points: tx}})
	}
	_ = show
	// Each live tick adds both at once: net.AppendValues(now, rxRate, txRate)
}
