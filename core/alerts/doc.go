// Package alerts raises the alerts a person can trust: from metric rules
// evaluated against the monitor's time series, and from events the other
// parts of Holdfast report (a failed backup, a drifted folder, a peer gone).
//
// A metric rule compares an aggregate of a metric over a window — or a ratio
// of two metrics, or a predicted time until a filesystem is full — with a
// raise threshold and a separate clear threshold, so a value oscillating
// between the two does not flap. Each (rule, series) pair moves through
//
//	ok → pending → firing → resolved (→ ok)
//
// where pending lasts the rule's For duration; a value that recovers while
// pending goes back to ok without anyone being told. Events are keyed by
// (source, key): raising the same key again updates the active alert and
// counts it instead of notifying again, and the alert ends either with a
// later success (Resolve) or when someone acknowledges it, as the event
// asked.
//
// Notifications go out only on transitions — firing and resolved — never on
// every evaluation. Acknowledged and silenced alerts stay quiet, and during
// quiet hours everything but critical alerts is held back: a firing
// notification held back is sent when the quiet hours (or the silence) end
// if the alert is still firing, and dropped if it resolved meanwhile; either
// way the alert records why it was not sent.
//
// Active alerts, silences and a bounded history (90 days, at most 10000
// entries) live in bbolt, so a firing alert is still firing after a restart
// until an evaluation clears it. Notifiers are in package notify.
package alerts
