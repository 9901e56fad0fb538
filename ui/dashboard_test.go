package ui

import (
	"strings"
	"testing"
	"time"
)

// TestDashboardShowsLiveSamples waits for the real monitor's ticks to reach
// the Dashboard: CPU and memory in percent, and the root filesystem's bar.
func TestDashboardShowsLiveSamples(t *testing.T) {
	s, _, _ := newTestShell(t, Options{})
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got string
		uiDo(func() {
			s.ShowPage(PageDashboard)
			got = texts(s.Window().Content())
		})
		if strings.Count(got, " %") >= 2 && strings.Contains(got, "\n/\n") && strings.Contains(got, "This machine") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Dashboard shows no live values after 10 s:\n%s", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
