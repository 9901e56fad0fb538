package ui

// What the tasks show outside their page: the header's "Pause all"
// toggle and state, the tray's running tasks, the sidebar's count, and
// the notification when a backup finishes.

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"

	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/config"
	"github.com/holdfast/holdfast/core/tasks"
)

// trayEvery bounds how often the tray menu is rebuilt for progress alone
// (a state change rebuilds it at once).
const trayEvery = time.Second

// taskActivity is the tasks' state as the header and the tray show it.
type taskActivity struct {
	live []taskRow // not ended, oldest first
	held bool      // "Pause all" is in force
	// any is true when there are tasks or jobs: only then is "Pause all"
	// offered.
	any bool
}

func (a taskActivity) running() int {
	n := 0
	for _, r := range a.live {
		if r.state == tasks.Running || r.state == tasks.Paused || r.state == tasks.Canceling {
			n++
		}
	}
	return n
}

// updateActivity hands the tasks' state to the header, the tray and the
// sidebar. changed says something other than progress changed: the tray
// menu is then rebuilt at once, else at most every trayEvery.
func (p *tasksPage) updateActivity(changed bool) {
	s := p.s
	p.held = s.eng.Jobs != nil && s.eng.Jobs.Hold() || s.eng.Tasks.Paused()
	act := taskActivity{live: p.m.live(), held: p.held, any: len(p.m.rows) > 0 || p.jobCount > 0 || p.held}
	if s.header != nil {
		s.header.setActivity(act, p.setHold)
	}
	if s.tray != nil && (changed || time.Since(p.lastTray) >= trayEvery) {
		p.lastTray = time.Now()
		s.tray.setActivity(act, p.setHold, p.reveal)
	}
	if p.page != nil {
		badge := ""
		if n := act.running(); n > 0 {
			badge = fmt.Sprint(n)
		}
		if p.page.badge != badge {
			p.page.badge = badge
			if s.sidebar != nil {
				s.sidebar.list.Refresh()
			}
		}
	}
	p.updateActions()
}

// taskEnded hears that a task it saw live has ended.
func (p *tasksPage) taskEnded(r *taskRow) {
	if r.kind != "backup" || r.state != tasks.Succeeded {
		// A failed backup raises an event alert (core/backup), which the
		// alerts notifier sends; notifying here too would say it twice.
		return
	}
	cfg := p.s.eng.Config().Alerts
	if !cfg.Desktop.Enabled {
		return
	}
	if q, err := config.ParseQuietHours(cfg.QuietHours); err == nil && q != nil && q.Contains(time.Now()) {
		return
	}
	p.notify(fyne.NewNotification(backupNotice(r)))
}

// backupNotice is the title and body of a "backup finished" notification.
func backupNotice(r *taskRow) (title, body string) {
	title = "Backup finished"
	if r.exit == 3 || r.warnings > 0 {
		title = "Backup finished with warnings"
	}
	body = r.description
	if r.job != "" {
		body = r.job + ": " + body
	}
	if r.size > 0 {
		body += " · " + backup.HumanBytes(r.size)
	}
	return title, body + " in " + bkSeconds(r.duration(time.Now()).Seconds())
}

// trayTaskLine is a running task in the tray menu: "Running: backup docs
// 42 %".
func trayTaskLine(r taskRow) string {
	what := r.job
	if what == "" {
		what = bkMiddle(r.description, 40)
	}
	line := fmt.Sprintf("%s: %s %s", taskStateWord(&r), r.kind, what)
	if r.percent > 0 && r.state != tasks.Queued {
		line += fmt.Sprintf(" %.0f %%", r.percent)
	}
	return line
}
