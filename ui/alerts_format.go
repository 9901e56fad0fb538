package ui

// Words and numbers as the Alerts page writes them.

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup"
)

// alSeverities lists the severities from the worst down, as the status
// line counts them.
var alSeverities = []alerts.Severity{alerts.SeverityCritical, alerts.SeverityError, alerts.SeverityWarning, alerts.SeverityInfo}

// alCount is "1 alert", "3 alerts".
func alCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// alStatusLine is the page's one-line state: "No active alerts", or "2
// active: 1 critical, 1 warning", coloured by the worst alert that fired
// (pending ones have not fired yet, so they do not colour it).
func alStatusLine(active []alerts.Alert) (string, statusKind) {
	if len(active) == 0 {
		return "No active alerts", statusOK
	}
	counts := map[alerts.Severity]int{}
	var acked, pending int
	worst := 0
	for _, a := range active {
		counts[a.Severity]++
		switch a.State {
		case alerts.StatePending:
			pending++
			continue
		case alerts.StateAcknowledged:
			acked++
		}
		worst = max(worst, a.Severity.Rank())
	}
	var parts []string
	for _, s := range alSeverities {
		if n := counts[s]; n > 0 {
			word := string(s)
			if n > 1 && (s == alerts.SeverityError || s == alerts.SeverityWarning) {
				word += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, word))
		}
	}
	text := fmt.Sprintf("%d active: %s", len(active), strings.Join(parts, ", "))
	if acked > 0 {
		text += fmt.Sprintf(" · %d acknowledged", acked)
	}
	if pending > 0 {
		text += fmt.Sprintf(" · %d pending", pending)
	}
	switch {
	case worst >= alerts.SeverityError.Rank():
		return text, statusError
	case worst == alerts.SeverityWarning.Rank():
		return text, statusWarn
	}
	return text, statusNeutral
}

// alSeverityColor is the colour of a severity: red for critical and
// error, amber for warning, neutral for info.
func alSeverityColor(s alerts.Severity) color.Color {
	switch s {
	case alerts.SeverityCritical, alerts.SeverityError:
		return theme.Color(theme.ColorNameError)
	case alerts.SeverityWarning:
		return theme.Color(theme.ColorNameWarning)
	}
	return theme.Color(theme.ColorNameDisabled)
}

// alSeverityImportance styles a label in the severity's colour.
func alSeverityImportance(s alerts.Severity) widget.Importance {
	switch s {
	case alerts.SeverityCritical, alerts.SeverityError:
		return widget.DangerImportance
	case alerts.SeverityWarning:
		return widget.WarningImportance
	}
	return widget.MediumImportance
}

// alSeverityWord is "Critical", "Error"…
func alSeverityWord(s alerts.Severity) string {
	if s == "" {
		return "Unknown"
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}

// alClock says when t is, seen from now: "21:04" today, "yesterday
// 21:04", "tomorrow 08:00", "Mon 21:04" within a week, else the date.
func alClock(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	day := func(x time.Time) time.Time { return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.Local) }
	days := int(math.Round(day(t).Sub(day(now)).Hours() / 24))
	switch {
	case days == 0:
		return t.Format("15:04")
	case days == -1:
		return "yesterday " + t.Format("15:04")
	case days == 1:
		return "tomorrow " + t.Format("15:04")
	case days > -7 && days < 7:
		return t.Format("Mon 15:04")
	case t.Year() == now.Year():
		return t.Format("2 Jan 15:04")
	}
	return t.Format("2 Jan 2006")
}

// alSpan is a duration in words: "less than a minute", "3 min", "2 h 5
// min", "3 days".
func alSpan(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	switch {
	case d < time.Minute:
		return "less than a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

// alSince is "since 21:04, 3 min".
func alSince(t, now time.Time) string {
	return "since " + alClock(t, now) + ", " + alSpan(now.Sub(t))
}

// alWindow writes a rule's durations the way people say them: "10 min",
// "1 h".
func alWindow(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	}
	return alSpan(d)
}

// alRatio reports whether a rule's value is a fraction shown as a
// percentage.
func alRatio(r *alerts.Rule) bool {
	return r.Ratio != "" || strings.HasSuffix(r.Metric, "_ratio")
}

// alValue writes a value of a rule in the rule's unit: "93.4 %", "2.1
// GiB", "3.2/s", "full in 6 h"; a value without its rule as a plain
// number.
func alValue(r *alerts.Rule, v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if r == nil {
		return alNumber(v)
	}
	switch {
	case r.Kind == alerts.KindFullWithin:
		if math.IsInf(v, 1) {
			return "not filling"
		}
		return "full in " + alSpan(time.Duration(v*float64(time.Second)))
	case alRatio(r):
		return strconv.FormatFloat(v*100, 'f', 1, 64) + " %"
	case strings.HasSuffix(r.Metric, "_total"):
		return alNumber(v) + "/s"
	case strings.HasSuffix(r.Metric, "_bytes"):
		return backup.HumanBytes(int64(v))
	}
	return alNumber(v)
}

// alNumber writes a number with at most two decimals.
func alNumber(v float64) string {
	if math.Abs(v) >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// alThreshold writes a rule's raise or clear threshold: "85 %", "8 h".
func alThreshold(r *alerts.Rule, v float64) string {
	if alRatio(r) && r.Kind != alerts.KindFullWithin {
		return alNumber(v*100) + " %"
	}
	return alValue(r, v)
}

// alOpWord is "above" or "below".
func alOpWord(op string) string {
	if op == alerts.OpBelow {
		return "below"
	}
	return "above"
}

// alRaises is a rule's threshold in a few words, for an alert's value:
// "raised above 85 %", "raised within 8 h".
func alRaises(r *alerts.Rule) string {
	if r == nil {
		return ""
	}
	if r.Kind == alerts.KindFullWithin {
		return "raised when full within " + alWindow(r.Within)
	}
	return "raised " + alOpWord(r.Op) + " " + alThreshold(r, r.Raise)
}

// alMetric names what a rule watches: "cpu_usage_ratio",
// "filesystem_used_bytes ÷ filesystem_size_bytes".
func alMetric(r alerts.Rule) string {
	if r.Ratio != "" {
		return r.Metric + " ÷ " + r.Ratio
	}
	return r.Metric
}

// alCondition is when a rule raises its alert, and when it clears:
// "average over 10 min above 85 %", "clears below 75 % · must last 5 min".
func alCondition(r alerts.Rule) (when, clears string) {
	var notes []string
	if r.Kind == alerts.KindFullWithin {
		when = "full within " + alWindow(r.Within) + " at the rate of the last " + alWindow(r.Window)
		cw := r.ClearWithin
		if cw == 0 {
			cw = r.Within + r.Within/2
		}
		notes = append(notes, "clears beyond "+alWindow(cw))
	} else {
		agg := map[string]string{"avg": "average", "min": "minimum", "max": "maximum"}[r.Agg]
		switch {
		case agg != "" && r.Window > 0:
			when = agg + " over " + alWindow(r.Window) + " "
		case agg != "":
			when = agg + " "
		default:
			when = "latest value "
		}
		when += alOpWord(r.Op) + " " + alThreshold(&r, r.Raise)
		if r.Clear != r.Raise {
			back := alerts.OpBelow
			if r.Op == alerts.OpBelow {
				back = alerts.OpAbove
			}
			notes = append(notes, "clears "+alOpWord(back)+" "+alThreshold(&r, r.Clear))
		}
	}
	if r.For > 0 {
		notes = append(notes, "must last "+alWindow(r.For))
	}
	return when, strings.Join(notes, " · ")
}

// alSource says where an alert comes from: the rule and its series for
// metric alerts ("disk_space_warning (/home)", "cpu_usage_warning (cpu
// 1)"), the source for events ("backup").
func alSource(a alerts.Alert) string {
	if a.Source != alerts.SourceMetric {
		return a.Source
	}
	if series := alSeries(a.Labels); series != "" {
		return a.Rule + " (" + series + ")"
	}
	return a.Rule
}

// alSeries names a series by its labels: a filesystem by its mountpoint,
// an interface by its device, anything else as "cpu 1".
func alSeries(labels map[string]string) string {
	for _, k := range []string{"mountpoint", "device"} {
		if v := labels[k]; v != "" {
			return v
		}
	}
	keys := make([]string, 0, len(labels))
	for k, v := range labels {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + " " + labels[k]
	}
	return strings.Join(keys, ", ")
}

// alActiveMeta is the second line of an active alert: its severity,
// source, since when and what has been done about it.
func alActiveMeta(a alerts.Alert, r *alerts.Rule, now time.Time) string {
	parts := []string{alSeverityWord(a.Severity), alSource(a), alSince(a.Since, now)}
	switch a.State {
	case alerts.StatePending:
		if r != nil && r.For > 0 {
			parts = append(parts, "pending: fires if it lasts "+alWindow(r.For))
		} else {
			parts = append(parts, "pending")
		}
	case alerts.StateAcknowledged:
		if !a.AckedAt.IsZero() {
			parts = append(parts, "acknowledged "+alClock(a.AckedAt, now))
		} else {
			parts = append(parts, "acknowledged")
		}
	}
	if a.Count > 1 {
		parts = append(parts, fmt.Sprintf("reported %d times", a.Count))
	}
	if a.Silenced(now) {
		parts = append(parts, "silenced until "+alClock(a.SilencedUntil, now))
	}
	if a.LastNotifyError != "" {
		parts = append(parts, "notification failed: "+a.LastNotifyError)
	}
	return strings.Join(parts, " · ")
}

// alHistoryMeta is the second line of an ended alert: its severity,
// source and how it ended.
func alHistoryMeta(a alerts.Alert) string {
	parts := []string{alSeverityWord(a.Severity), alSource(a)}
	how := a.Resolution
	if how == "" {
		how = string(a.State)
	}
	parts = append(parts, "ended: "+how)
	return strings.Join(parts, " · ")
}

// alSilenceChoice is one entry of the Silence menu.
type alSilenceChoice struct {
	label string
	until time.Time
}

// alSilenceChoices are the Silence menu's entries, seen from now: an
// hour, eight hours, the next 08:00 and a week.
func alSilenceChoices(now time.Time) []alSilenceChoice {
	now = now.Local()
	morning := time.Date(now.Year(), now.Month(), now.Day(), 8, 0, 0, 0, time.Local)
	label := "Until 08:00 today"
	if !morning.After(now) {
		morning = time.Date(now.Year(), now.Month(), now.Day()+1, 8, 0, 0, 0, time.Local)
		label = "Until tomorrow 08:00"
	}
	return []alSilenceChoice{
		{"For 1 hour", now.Add(time.Hour)},
		{"For 8 hours", now.Add(8 * time.Hour)},
		{label, morning},
		{"For 1 week", now.Add(7 * 24 * time.Hour)},
	}
}
