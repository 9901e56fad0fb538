package alerts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrNotFound means no active alert has the given ID.
var ErrNotFound = errors.New("no such active alert")

// Options configure a Service.
type Options struct {
	// Source answers metric queries; nil evaluates no metric rules.
	Source Source
	// Notifiers receive every notification, in order.
	Notifiers []Notifier
	// Rules are the metric rules; New validates them.
	Rules []Rule
	// KnownMetrics, when set, is used to validate the rules' metrics.
	KnownMetrics func(string) bool
	// Interval between evaluations once started; zero means 10 s.
	Interval time.Duration
	// ReNotify repeats the notification of an alert still firing and not
	// acknowledged this long after the last one; zero never repeats.
	ReNotify time.Duration
	// QuietHours hold back non-critical notifications; nil has none.
	QuietHours *QuietHours
	// Hostname names this machine in notifications; empty uses
	// os.Hostname.
	Hostname string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Log receives the service's records; nil discards them.
	Log *slog.Logger
	// OnChange is called, outside the service's lock and on the goroutine
	// that made the change, after alerts changed: a transition, an event,
	// an acknowledgement, a silence, a notification outcome. It should not
	// block; it may call the service.
	OnChange func()
}

// DefaultInterval is the evaluation interval when Options.Interval is zero.
const DefaultInterval = 10 * time.Second

// compiledRule is a rule with its template and matchers.
type compiledRule struct {
	Rule
	tmpl    *template.Template
	matches []labelMatcher
}

// Service evaluates the rules, takes events, keeps the alerts and sends
// the notifications. It is safe for concurrent use.
type Service struct {
	st       *store
	source   Source
	interval time.Duration
	renotify time.Duration
	host     string
	now      func() time.Time
	log      *slog.Logger
	onChange func()
	disp     *dispatcher

	evalMu sync.Mutex // one evaluation at a time

	mu        sync.Mutex
	rules     []compiledRule
	rulesGen  uint64
	notifiers []Notifier
	quiet     *quietWindow
	active    map[string]*record
	silences  map[string]time.Time
	missing   map[string]time.Time // metric alerts whose series went missing, since when
	ruleErrs  map[string]string
	notifyErr map[string]string // last error logged per notifier

	runMu   sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
	stopped bool
}

// Ensure Service implements Raiser.
var _ Raiser = (*Service)(nil)

// New opens the service on db: it creates its buckets, loads the active
// alerts (a firing alert stays firing until an evaluation clears it;
// pending ones start over, since nobody can say the value stayed past the
// threshold while Holdfast was down) and validates the rules. Metric alerts
// of rules that no longer exist are closed into the history. Call Stop to
// release it.
func New(db *bolt.DB, opts Options) (*Service, error) {
	if db == nil {
		return nil, errors.New("alerts: no database")
	}
	s := &Service{
		source:    opts.Source,
		interval:  opts.Interval,
		renotify:  opts.ReNotify,
		host:      opts.Hostname,
		now:       opts.Now,
		log:       opts.Log,
		onChange:  opts.OnChange,
		notifiers: append([]Notifier(nil), opts.Notifiers...),
		missing:   map[string]time.Time{},
		ruleErrs:  map[string]string{},
		notifyErr: map[string]string{},
	}
	if s.interval <= 0 {
		s.interval = DefaultInterval
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.host == "" {
		s.host, _ = os.Hostname()
	}
	q, err := opts.QuietHours.compile()
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	s.quiet = q
	rules, err := compileRules(opts.Rules, opts.KnownMetrics)
	if err != nil {
		return nil, err
	}
	s.rules = rules
	st, err := openStore(db)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	s.st = st
	active, silences, bad, err := st.load()
	if err != nil {
		return nil, fmt.Errorf("alerts: load: %w", err)
	}
	for _, e := range bad {
		s.log.Warn("alerts: skipping unreadable record", "err", e)
	}
	s.active, s.silences = active, silences

	now := s.now()
	ch := newChanges()
	for ikey, r := range s.active {
		if r.State == StatePending {
			delete(s.active, ikey)
			ch.remove(ikey)
		}
	}
	s.closeOrphansLocked(now, ch)
	if err := s.st.commit(ch, now); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	s.disp = newDispatcher(s.deliver)
	return s, nil
}

func compileRules(rules []Rule, known func(string) bool) ([]compiledRule, error) {
	var errs []error
	names := map[string]bool{}
	var out []compiledRule
	for _, r := range rules {
		if err := ValidateRule(r, known); err != nil {
			errs = append(errs, err)
			continue
		}
		if names[r.Name] {
			errs = append(errs, &RuleError{Rule: r.Name, Field: "name", Problem: "another rule has the same name"})
			continue
		}
		names[r.Name] = true
		if r.Disabled {
			continue
		}
		t, _ := parseMessage(r.Name, r.Message)
		r.Match = copyLabels(r.Match)
		out = append(out, compiledRule{Rule: r, tmpl: t, matches: compileMatchers(r.Match)})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// closeOrphansLocked closes metric alerts whose rule is gone, quietly.
func (s *Service) closeOrphansLocked(now time.Time, ch *changes) {
	have := map[string]bool{}
	for _, r := range s.rules {
		have[r.Name] = true
	}
	for ikey, r := range s.active {
		if r.Source == SourceMetric && !have[r.Rule] {
			s.endLocked(ikey, r, now, StateResolved, "the rule was removed or disabled", false, ch)
		}
	}
}

// SetRules replaces the metric rules. Alerts of rules that are gone are
// closed into the history without notification; alerts of rules that stay
// carry on.
func (s *Service) SetRules(rules []Rule, knownMetrics func(string) bool) error {
	cr, err := compileRules(rules, knownMetrics)
	if err != nil {
		return err
	}
	s.mu.Lock()
	now := s.now()
	s.rules = cr
	s.rulesGen++
	ch := newChanges()
	s.closeOrphansLocked(now, ch)
	for k := range s.ruleErrs {
		delete(s.ruleErrs, k)
	}
	err = s.st.commit(ch, now)
	s.mu.Unlock()
	s.finish(ch)
	return err
}

// Rules returns the metric rules in effect.
func (s *Service) Rules() []Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Rule, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.Rule
	}
	return out
}

// SetNotifiers replaces the notifiers.
func (s *Service) SetNotifiers(ns []Notifier) {
	s.mu.Lock()
	s.notifiers = append([]Notifier(nil), ns...)
	s.mu.Unlock()
}

// SetQuietHours replaces the quiet hours; nil removes them.
func (s *Service) SetQuietHours(q *QuietHours) error {
	w, err := q.compile()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.quiet = w
	s.mu.Unlock()
	return nil
}

// Reconfigure applies new settings to the running service at once, as a
// whole or not at all: the rules (validated with opts.KnownMetrics), and
// opts' Notifiers, QuietHours and ReNotify. Other fields of opts are
// ignored. Alerts of rules that are gone are closed into the history
// without notification; alerts of rules that stay carry on and are judged
// by the new thresholds from the next evaluation on.
func (s *Service) Reconfigure(rules []Rule, opts Options) error {
	cr, err := compileRules(rules, opts.KnownMetrics)
	if err != nil {
		return err
	}
	q, err := opts.QuietHours.compile()
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	if opts.ReNotify < 0 {
		return fmt.Errorf("alerts: re-notify interval %v is negative", opts.ReNotify)
	}
	s.mu.Lock()
	now := s.now()
	s.rules = cr
	s.rulesGen++
	s.notifiers = append([]Notifier(nil), opts.Notifiers...)
	s.quiet = q
	s.renotify = opts.ReNotify
	ch := newChanges()
	s.closeOrphansLocked(now, ch)
	clear(s.ruleErrs)
	err = s.st.commit(ch, now)
	s.mu.Unlock()
	s.finish(ch)
	return err
}

// Name implements the engine's service interface.
func (s *Service) Name() string { return "alerts" }

// Start evaluates the rules now and then every Interval until ctx ends or
// Stop is called.
func (s *Service) Start(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.stopped {
		return errors.New("alerts: service stopped")
	}
	if s.started {
		return errors.New("alerts: service already started")
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
	return nil
}

func (s *Service) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if err := s.Evaluate(ctx, s.now()); err != nil && ctx.Err() == nil {
			s.log.Debug("alerts: evaluation", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop ends the evaluation loop and delivers the notifications already
// queued until ctx ends. It is safe to call more than once and without
// Start. After Stop, events are still recorded but nobody is notified.
func (s *Service) Stop(ctx context.Context) error {
	s.runMu.Lock()
	if s.stopped {
		s.runMu.Unlock()
		return nil
	}
	s.stopped = true
	cancel, done := s.cancel, s.done
	s.runMu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	return s.disp.close(ctx)
}

// Flush waits until every notification queued so far was delivered (or
// failed), or ctx ends.
func (s *Service) Flush(ctx context.Context) error { return s.disp.flush(ctx) }

// Active returns the pending, firing and acknowledged alerts, most severe
// first, then oldest first.
func (s *Service) Active() []Alert {
	s.mu.Lock()
	out := make([]Alert, 0, len(s.active))
	for _, r := range s.active {
		a := r.Alert
		a.Labels = copyLabels(a.Labels)
		out = append(out, a)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.State == StatePending) != (b.State == StatePending) {
			return b.State == StatePending
		}
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if !a.Since.Equal(b.Since) {
			return a.Since.Before(b.Since)
		}
		return a.ID < b.ID
	})
	return out
}

// Get returns the active alert with the given ID.
func (s *Service) Get(id string) (Alert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, r := s.findLocked(id); r != nil {
		a := r.Alert
		a.Labels = copyLabels(a.Labels)
		return a, true
	}
	return Alert{}, false
}

// History returns ended alerts, newest first; limit <= 0 returns all
// (at most HistoryMaxEntries).
func (s *Service) History(limit int) []Alert {
	h, err := s.st.history(limit)
	if err != nil {
		s.log.Error("alerts: read history", "err", err)
	}
	return h
}

// WorstSeverity is the severity of the worst alert that wants attention —
// firing, not acknowledged, not silenced — or "" when there is none. The
// tray icon shows it.
func (s *Service) WorstSeverity() Severity {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var worst Severity
	for _, r := range s.active {
		if r.State == StateFiring && !r.Silenced(now) && r.Severity.Rank() > worst.Rank() {
			worst = r.Severity
		}
	}
	return worst
}

// RuleErrors returns, per rule name, the error of the rule's last
// evaluation when it failed (an unknown metric, a store error).
func (s *Service) RuleErrors() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.ruleErrs))
	for k, v := range s.ruleErrs {
		out[k] = v
	}
	return out
}

func (s *Service) findLocked(id string) (string, *record) {
	for k, r := range s.active {
		if r.ID == id {
			return k, r
		}
	}
	return "", nil
}

// Ack acknowledges an active alert: no more notifications for it. An
// ack-only event alert ends with the acknowledgement; others stay active,
// acknowledged, until they resolve. Acknowledging a pending alert is an
// error: there is nothing to acknowledge yet.
func (s *Service) Ack(id string) error {
	s.mu.Lock()
	ikey, r := s.findLocked(id)
	if r == nil {
		s.mu.Unlock()
		return fmt.Errorf("acknowledge %s: %w", id, ErrNotFound)
	}
	if r.State == StatePending {
		s.mu.Unlock()
		return fmt.Errorf("acknowledge %s: the alert is pending, not firing yet", id)
	}
	now := s.now()
	ch := newChanges()
	if r.AckedAt.IsZero() {
		r.AckedAt = now
	}
	r.Owed = false
	if r.Source != SourceMetric && r.Resolve == ByAck {
		s.endLocked(ikey, r, now, StateAcknowledged, "acknowledged", false, ch)
	} else if r.State != StateAcknowledged {
		r.State = StateAcknowledged
		r.Updated = now
		ch.save(ikey, r, now)
	}
	err := s.st.commit(ch, now)
	s.mu.Unlock()
	s.finish(ch)
	return err
}

// Dismiss closes an active event alert without a success, for when the
// thing that failed is gone (a deleted job, a removed peer). Metric alerts
// cannot be dismissed: they end when the value recovers; acknowledge or
// silence them instead.
func (s *Service) Dismiss(id string) error {
	s.mu.Lock()
	ikey, r := s.findLocked(id)
	if r == nil {
		s.mu.Unlock()
		return fmt.Errorf("dismiss %s: %w", id, ErrNotFound)
	}
	if r.Source == SourceMetric {
		s.mu.Unlock()
		return fmt.Errorf("dismiss %s: a metric alert ends when its value recovers; acknowledge or silence it", id)
	}
	now := s.now()
	ch := newChanges()
	s.endLocked(ikey, r, now, StateResolved, "dismissed", false, ch)
	err := s.st.commit(ch, now)
	s.mu.Unlock()
	s.finish(ch)
	return err
}

// Silence holds back notifications for an active alert until the given
// time; a zero or past time lifts the silence. The silence belongs to the
// alert's rule and series (or event key): if the alert ends and raises
// again before until, it is still silent. A firing notification held back
// by a silence is sent when the silence ends, if the alert still fires.
func (s *Service) Silence(id string, until time.Time) error {
	s.mu.Lock()
	ikey, r := s.findLocked(id)
	if r == nil {
		s.mu.Unlock()
		return fmt.Errorf("silence %s: %w", id, ErrNotFound)
	}
	now := s.now()
	ch := newChanges()
	if until.After(now) {
		r.SilencedUntil = until
		s.silences[ikey] = until
		ch.silences[ikey] = until
	} else {
		r.SilencedUntil = time.Time{}
		delete(s.silences, ikey)
		ch.silences[ikey] = time.Time{}
	}
	ch.save(ikey, r, now)
	err := s.st.commit(ch, now)
	s.mu.Unlock()
	s.finish(ch)
	return err
}

// finish hands the notifications of ch to the dispatcher and announces the
// change. It is called without the lock.
func (s *Service) finish(ch *changes) {
	if err := s.disp.enqueue(ch.notes); err != nil {
		s.log.Warn("alerts: notification not sent", "err", err, "count", len(ch.notes))
	}
	if ch.changed && s.onChange != nil {
		s.onChange()
	}
}

// deliver sends one notification to every notifier and records the outcome
// on the alert.
func (s *Service) deliver(ctx context.Context, j job) {
	s.mu.Lock()
	ns := append([]Notifier(nil), s.notifiers...)
	s.mu.Unlock()
	if len(ns) == 0 {
		return
	}
	var failed []string
	for _, n := range ns {
		nctx, cancel := context.WithTimeout(ctx, NotifyTimeout)
		err := n.Notify(nctx, j.n)
		cancel()
		s.noteNotifierResult(n.Name(), err, j.n.Alert.ID)
		if err != nil {
			failed = append(failed, n.Name()+": "+err.Error())
		}
	}
	msg := strings.Join(failed, "; ")

	s.mu.Lock()
	changed := false
	if r := s.active[j.ikey]; r != nil && r.ID == j.n.Alert.ID {
		if r.LastNotifyError != msg {
			r.LastNotifyError = msg
			ch := newChanges()
			ch.save(j.ikey, r, s.now())
			if err := s.st.commit(ch, s.now()); err != nil {
				s.log.Error("alerts: save", "err", err)
			}
			changed = true
		}
	} else if j.histKey != nil && msg != "" {
		if err := s.st.updateHistory(j.histKey, func(a *Alert) { a.LastNotifyError = msg }); err != nil {
			s.log.Error("alerts: save", "err", err)
		}
		changed = true
	}
	s.mu.Unlock()
	if changed && s.onChange != nil {
		s.onChange()
	}
}

// noteNotifierResult logs a notifier's failure once per distinct error, and
// its recovery, so a machine without a notification daemon logs it once
// rather than on every alert.
func (s *Service) noteNotifierResult(name string, err error, id string) {
	s.mu.Lock()
	last := s.notifyErr[name]
	var msg string
	if err != nil {
		msg = err.Error()
	}
	s.notifyErr[name] = msg
	s.mu.Unlock()
	switch {
	case err != nil && msg != last:
		s.log.Warn("alerts: notifier failed; further identical failures are not logged", "notifier", name, "alert", id, "err", err)
	case err == nil && last != "":
		s.log.Info("alerts: notifier works again", "notifier", name)
	}
}
