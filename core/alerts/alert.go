package alerts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// SourceMetric is Alert.Source for alerts raised by metric rules; event
// sources must not use it.
const SourceMetric = "metric"

// State is where an alert is in its life.
type State string

// States. An alert that is fine ("ok") has no Alert at all.
const (
	// StatePending: a metric is past its threshold but not yet for the
	// rule's For duration. Nobody is told.
	StatePending State = "pending"
	// StateFiring: the alert is raised and was (or will be) notified.
	StateFiring State = "firing"
	// StateAcknowledged: someone has seen it; it stays active, without
	// reminders, until it resolves (or, for ack-only events, it is closed
	// by the acknowledgement and recorded with this state).
	StateAcknowledged State = "acknowledged"
	// StateResolved: it ended; it is in the history.
	StateResolved State = "resolved"
)

// Alert is one alert: a metric rule firing for one series, or one event
// key. Its ID is stable for its whole life, across restarts.
type Alert struct {
	// ID is short and unique per alert (a new ID each time the same rule
	// and series, or event key, raises again).
	ID string `json:"id"`
	// Source is SourceMetric or the event's source ("backup", "peers"…).
	Source string `json:"source"`
	// Rule is the metric rule's name; empty for events.
	Rule string `json:"rule,omitempty"`
	// Key is the event's dedup key, or for metric alerts the series' labels
	// in canonical form (`device="eth0"`).
	Key      string            `json:"key"`
	Labels   map[string]string `json:"labels,omitempty"`
	Severity Severity          `json:"severity"`
	State    State             `json:"state"`
	// Message describes the problem, updated as the value or the event's
	// message changes.
	Message string `json:"message"`
	// Resolution says how it ended: a success message, "back below 0.75
	// (now 0.71)", "acknowledged", "no longer reported"…
	Resolution string `json:"resolution,omitempty"`
	// Value is the rule's latest value (0 for events).
	Value float64 `json:"value"`
	// Resolve is how an event alert ends; metric alerts end by evaluation.
	Resolve ResolveMode `json:"resolve"`
	// Since is when the problem was first seen (pending start or first
	// event), FiredAt when it started firing, Updated the last evaluation
	// or event that touched it.
	Since      time.Time `json:"since"`
	FiredAt    time.Time `json:"fired_at,omitzero"`
	Updated    time.Time `json:"updated"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	AckedAt    time.Time `json:"acked_at,omitzero"`
	// SilencedUntil holds notifications back until then.
	SilencedUntil time.Time `json:"silenced_until,omitzero"`
	// Count is how many times the event was raised while active (1 for
	// metric alerts).
	Count int `json:"count"`
	// NotifiedAt is when the last notification for it was sent.
	NotifiedAt time.Time `json:"notified_at,omitzero"`
	// LastNotifyError is what the notifiers said when the last notification
	// failed ("webhook: 502 Bad Gateway"); empty after a success.
	LastNotifyError string `json:"last_notify_error,omitempty"`
	// Suppressed records why a notification due for it was last held back:
	// "quiet hours", "silenced", "acknowledged". A firing notification held
	// back by quiet hours or a silence is sent once they end, if the alert
	// still fires; the note stays.
	Suppressed string `json:"suppressed,omitempty"`
}

// Silenced reports whether notifications for a are held back at now.
func (a Alert) Silenced(now time.Time) bool { return now.Before(a.SilencedUntil) }

// Title is a one-line summary: "disk_space_warning /home", "backup
// backup:job:documents".
func (a Alert) Title() string {
	if a.Source == SourceMetric {
		if s := labelSummary(a.Labels); s != "" {
			return a.Rule + " " + s
		}
		return a.Rule
	}
	return a.Source + " " + a.Key
}

// ResolveMode is how an event alert ends.
type ResolveMode int

const (
	// BySuccess alerts end when the source reports success (Resolve); an
	// acknowledgement only quiets them. It is the zero value.
	BySuccess ResolveMode = iota
	// ByAck alerts end only when someone acknowledges them.
	ByAck
)

func (m ResolveMode) String() string {
	switch m {
	case BySuccess:
		return "success"
	case ByAck:
		return "ack"
	}
	return "ResolveMode(" + strconv.Itoa(int(m)) + ")"
}

// MarshalText writes "success" or "ack".
func (m ResolveMode) MarshalText() ([]byte, error) {
	if m != BySuccess && m != ByAck {
		return nil, fmt.Errorf("invalid resolve mode %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads "success" or "ack".
func (m *ResolveMode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "success", "":
		*m = BySuccess
	case "ack":
		*m = ByAck
	default:
		return fmt.Errorf("unknown resolve mode %q (want success or ack)", b)
	}
	return nil
}

// labelsKey is the canonical form of a label set: `a="x",b="y"`.
func labelsKey(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(labels[k]))
	}
	return b.String()
}

// Internal keys of active alerts: one per (rule, series) or (source, key).
func metricKey(rule, labels string) string { return "metric\x00" + rule + "\x00" + labels }
func eventKey(source, key string) string   { return "event\x00" + source + "\x00" + key }

// idSalt and idSeq make IDs unique even when the clock does not move
// between two alerts of the same key.
var (
	idSalt = func() string {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}()
	idSeq atomic.Uint64
)

// newID returns a short ID for a new alert; it is stored with the alert,
// so it stays the same across restarts.
func newID(ikey string, since time.Time) string {
	h := sha256.Sum256([]byte(ikey + "\x00" + strconv.FormatInt(since.UnixNano(), 10) + "\x00" + idSalt + strconv.FormatUint(idSeq.Add(1), 10)))
	return hex.EncodeToString(h[:5])
}

func copyLabels(l map[string]string) map[string]string {
	if l == nil {
		return nil
	}
	c := make(map[string]string, len(l))
	for k, v := range l {
		c[k] = v
	}
	return c
}
