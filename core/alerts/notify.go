package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Transition is what a notification announces.
type Transition string

const (
	// TransitionFiring: the alert started firing (or, with
	// Notification.Repeat, is still firing).
	TransitionFiring Transition = "firing"
	// TransitionResolved: the alert ended.
	TransitionResolved Transition = "resolved"
)

// Notification is one message about one alert.
type Notification struct {
	Alert      Alert
	Transition Transition
	// Repeat marks a reminder for an alert that is still firing
	// (Options.ReNotify).
	Repeat bool
	// Host is the machine the alert is about (Options.Hostname).
	Host string
	// Title is one line ("Warning: disk_space_warning /home"); Body is
	// the message, plain text, possibly several lines.
	Title, Body string
}

// Notifier delivers notifications: a desktop pop-up, a webhook, an e-mail.
// Notify is called from one goroutine at a time per service, with a
// context that bounds it (NotifyTimeout); an error is logged and recorded
// on the alert, and never stops evaluation.
type Notifier interface {
	Name() string
	Notify(ctx context.Context, n Notification) error
}

// NotifyTimeout bounds one Notifier.Notify call.
const NotifyTimeout = 30 * time.Second

// QuietHours is a daily span, in local time, during which notifications
// other than critical ones are held back. A held firing notification is
// sent when the quiet hours end if the alert is still firing; a resolved
// notification due during quiet hours is dropped. The alert's Suppressed
// field records it. Start after End spans midnight ("22:00"–"07:00");
// Start equal to End is never quiet.
type QuietHours struct {
	Start, End string // "HH:MM"
	// Location is the time zone of Start and End; nil is time.Local.
	Location *time.Location
}

type quietWindow struct {
	start, end int // minutes after midnight
	loc        *time.Location
}

func parseHHMM(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a time of day like 22:30", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

func (q *QuietHours) compile() (*quietWindow, error) {
	if q == nil {
		return nil, nil
	}
	start, err := parseHHMM(q.Start)
	if err != nil {
		return nil, fmt.Errorf("quiet hours start: %w", err)
	}
	end, err := parseHHMM(q.End)
	if err != nil {
		return nil, fmt.Errorf("quiet hours end: %w", err)
	}
	loc := q.Location
	if loc == nil {
		loc = time.Local
	}
	return &quietWindow{start: start, end: end, loc: loc}, nil
}

// Validate checks the times.
func (q *QuietHours) Validate() error {
	_, err := q.compile()
	return err
}

// Contains reports whether t falls in the quiet hours. Invalid quiet hours
// contain nothing.
func (q *QuietHours) Contains(t time.Time) bool {
	w, err := q.compile()
	return err == nil && w.contains(t)
}

func (w *quietWindow) contains(t time.Time) bool {
	if w == nil || w.start == w.end {
		return false
	}
	lt := t.In(w.loc)
	m := lt.Hour()*60 + lt.Minute()
	if w.start < w.end {
		return m >= w.start && m < w.end
	}
	return m >= w.start || m < w.end
}

// job is one notification to deliver, and where to record the outcome.
type job struct {
	n       Notification
	ikey    string // active alert key
	histKey []byte // history entry, for alerts that have ended
}

// dispatcher delivers notifications in order on one goroutine, so a slow
// mail server never holds up evaluation or a Raise.
type dispatcher struct {
	deliver func(context.Context, job)
	ctx     context.Context
	cancel  context.CancelFunc

	mu      sync.Mutex
	q       []job
	pending int
	idle    chan struct{} // closed while pending == 0
	closed  bool
	wake    chan struct{}
	done    chan struct{}
}

var errStopped = errors.New("alerts service stopped")

func newDispatcher(deliver func(context.Context, job)) *dispatcher {
	d := &dispatcher{deliver: deliver, wake: make(chan struct{}, 1), done: make(chan struct{}), idle: make(chan struct{})}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	close(d.idle)
	go d.run()
	return d
}

func (d *dispatcher) enqueue(js []job) error {
	if len(js) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errStopped
	}
	if d.pending == 0 {
		d.idle = make(chan struct{})
	}
	d.pending += len(js)
	d.q = append(d.q, js...)
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return nil
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		if len(d.q) == 0 {
			closed := d.closed
			d.mu.Unlock()
			if closed {
				return
			}
			<-d.wake
			continue
		}
		j := d.q[0]
		d.q[0] = job{}
		d.q = d.q[1:]
		d.mu.Unlock()

		if d.ctx.Err() == nil {
			d.deliver(d.ctx, j)
		}

		d.mu.Lock()
		d.pending--
		if d.pending == 0 {
			close(d.idle)
		}
		d.mu.Unlock()
	}
}

// flush waits until everything queued so far has been delivered.
func (d *dispatcher) flush(ctx context.Context) error {
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops taking notifications, delivers what is queued until ctx
// ends, then abandons the rest.
func (d *dispatcher) close(ctx context.Context) error {
	d.mu.Lock()
	already := d.closed
	d.closed = true
	d.mu.Unlock()
	if !already {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
	var err error
	select {
	case <-d.done:
	case <-ctx.Done():
		err = fmt.Errorf("notifications still queued: %w", ctx.Err())
		d.cancel()
		// Notifiers honour their context; do not hang on one that does not.
		select {
		case <-d.done:
		case <-time.After(time.Second):
		}
	}
	d.cancel()
	return err
}

// title and body of a notification.
func notificationText(a Alert, t Transition, repeat bool) (title, body string) {
	sev := string(a.Severity)
	if sev != "" {
		sev = strings.ToUpper(sev[:1]) + sev[1:]
	}
	switch t {
	case TransitionResolved:
		title = "Resolved: " + a.Title()
		body = a.Resolution
		if a.Message != "" && a.Message != a.Resolution {
			if body != "" {
				body += "\n"
			}
			body += a.Message
		}
		if !a.FiredAt.IsZero() && !a.ResolvedAt.IsZero() {
			body += fmt.Sprintf("\nFiring for %s.", fmtSeconds(a.ResolvedAt.Sub(a.FiredAt).Seconds()))
		}
	default:
		title = sev + ": " + a.Title()
		body = a.Message
		if repeat {
			title = "Still firing — " + title
			body += fmt.Sprintf("\nFiring for %s.", fmtSeconds(a.Updated.Sub(a.FiredAt).Seconds()))
		}
		if a.Count > 1 {
			body += fmt.Sprintf("\nReported %d times.", a.Count)
		}
	}
	return title, strings.TrimSpace(body)
}
