package alerts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// MessageData is what a rule's Message template sees.
type MessageData struct {
	Rule     string
	Metric   string
	Severity Severity
	// Value is the rule's value: the aggregate, the ratio, or for a
	// full_within rule the seconds until full.
	Value        float64
	Raise, Clear float64
	Window, For  time.Duration
	// Labels of the series, such as .Labels.mountpoint or .Labels.device;
	// a missing label renders as "".
	Labels map[string]string
}

var messageFuncs = template.FuncMap{
	"percent":  fmtPercent,
	"bytes":    fmtBytes,
	"duration": fmtSeconds,
	"number":   fmtNumber,
}

func parseMessage(name, text string) (*template.Template, error) {
	if text == "" {
		return nil, nil
	}
	return template.New(name).Funcs(messageFuncs).Option("missingkey=zero").Parse(text)
}

// renderMessage renders the rule's message for a value, falling back to a
// plain sentence when there is no template or it fails.
func renderMessage(t *template.Template, r Rule, v float64, labels map[string]string) string {
	_, raise, clear := r.thresholds()
	d := MessageData{
		Rule: r.Name, Metric: r.Metric, Severity: r.Severity, Value: v,
		Raise: raise, Clear: clear, Window: r.Window, For: r.For, Labels: labels,
	}
	if t != nil {
		var b strings.Builder
		if err := t.Execute(&b, d); err == nil {
			return b.String()
		}
	}
	subject := r.Metric
	if r.Ratio != "" && r.kind() == KindThreshold {
		subject += "/" + r.Ratio
	}
	if s := labelSummary(labels); s != "" {
		subject += " (" + s + ")"
	}
	if r.kind() == KindFullWithin {
		return fmt.Sprintf("%s: full in about %s at the current rate", subject, fmtSeconds(v))
	}
	return fmt.Sprintf("%s is %s (%s %s)", subject, fmtNumber(v), r.Op, fmtNumber(r.Raise))
}

// labelSummary is the label values, in label-name order: "/home", "eth0".
func labelSummary(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	vals := make([]string, 0, len(keys))
	for _, k := range keys {
		if labels[k] != "" {
			vals = append(vals, labels[k])
		}
	}
	return strings.Join(vals, " ")
}

// fmtPercent formats a ratio: 0.934 → "93.4%", 0.9 → "90%".
func fmtPercent(v float64) string {
	return trimZero(strconv.FormatFloat(v*100, 'f', 1, 64)) + "%"
}

// fmtBytes formats a byte count with binary units: "1.5 GiB".
func fmtBytes(v float64) string {
	const units = "KMGTPE"
	if math.Abs(v) < 1024 {
		return fmt.Sprintf("%.0f B", v)
	}
	i := -1
	for math.Abs(v) >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return trimZero(strconv.FormatFloat(v, 'f', 1, 64)) + " " + string(units[i]) + "iB"
}

// fmtSeconds formats seconds as a rounded duration: "3h20m", "45m", "2d4h".
func fmtSeconds(v float64) string {
	if math.IsInf(v, 1) {
		return "never"
	}
	if math.IsNaN(v) || v < 0 {
		v = 0
	}
	d := time.Duration(v * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		m := int((d - time.Duration(h)*time.Hour).Minutes())
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	default:
		days := int(d.Hours()) / 24
		h := int(d.Hours()) % 24
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, h)
	}
}

// fmtNumber formats a number with up to three significant decimals.
func fmtNumber(v float64) string {
	if math.Abs(v) >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return trimZero(strconv.FormatFloat(v, 'f', 2, 64))
}

func trimZero(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
