package alerts

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Event is a problem another part of Holdfast reports: a failed backup, a
// drifted folder, a peer gone.
type Event struct {
	// Source is the reporting part: "backup", "tasks", "consistency",
	// "peers"… Not "metric".
	Source string
	// Key identifies the problem for deduplication, such as
	// "backup:job:documents": raising it again while it is active updates
	// that alert.
	Key      string
	Severity Severity
	Message  string
	// Resolve says how the alert ends: BySuccess (the zero value) when
	// the source later calls Resolve, ByAck when someone acknowledges it.
	Resolve ResolveMode
}

// Raiser is how other packages raise and resolve alerts. *Service
// implements it.
type Raiser interface {
	// Raise reports a problem. Raising a key that is already active
	// updates its message and count without a new notification, unless
	// the severity went up or the re-notify interval has passed.
	Raise(ctx context.Context, ev Event) error
	// Resolve reports the later success for (source, key): a BySuccess
	// alert ends with message as its resolution. It is fine, and usual, to
	// call it when nothing is active.
	Resolve(ctx context.Context, source, key string, message string) error
}

// Raise implements Raiser.
func (s *Service) Raise(ctx context.Context, ev Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case ev.Source == "":
		return errors.New("raise alert: empty source")
	case ev.Source == SourceMetric:
		return fmt.Errorf("raise alert: source %q is reserved for metric rules", SourceMetric)
	case ev.Key == "":
		return fmt.Errorf("raise %s alert: empty key", ev.Source)
	case !ev.Severity.Valid():
		return fmt.Errorf("raise %s alert %s: invalid severity %q", ev.Source, ev.Key, ev.Severity)
	case ev.Resolve != BySuccess && ev.Resolve != ByAck:
		return fmt.Errorf("raise %s alert %s: invalid resolve mode %d", ev.Source, ev.Key, int(ev.Resolve))
	}
	s.mu.Lock()
	now := s.now()
	ikey := eventKey(ev.Source, ev.Key)
	ch := newChanges()
	rec := s.active[ikey]
	if rec == nil {
		rec = &record{Alert: Alert{
			ID: newID(ikey, now), Source: ev.Source, Key: ev.Key, Severity: ev.Severity,
			State: StateFiring, Message: ev.Message, Resolve: ev.Resolve,
			Since: now, FiredAt: now, Updated: now, Count: 1,
		}}
		if until := s.silences[ikey]; until.After(now) {
			rec.SilencedUntil = until
		}
		s.active[ikey] = rec
		s.notifyFiringLocked(ikey, rec, now, false, ch)
	} else {
		rec.Count++
		rec.Message = ev.Message
		rec.Updated = now
		rec.Resolve = ev.Resolve
		switch {
		case ev.Severity.Rank() > rec.Severity.Rank():
			// Worse than what was acknowledged or notified: say so.
			rec.Severity = ev.Severity
			rec.State = StateFiring
			rec.AckedAt = time.Time{}
			s.notifyFiringLocked(ikey, rec, now, false, ch)
		case rec.State == StateFiring && s.renotify > 0 && !rec.NotifiedAt.IsZero() && now.Sub(rec.NotifiedAt) >= s.renotify:
			s.notifyFiringLocked(ikey, rec, now, true, ch)
		}
	}
	ch.save(ikey, rec, now)
	err := s.st.commit(ch, now)
	s.mu.Unlock()
	s.finish(ch)
	if err != nil {
		return fmt.Errorf("raise %s alert %s: %w", ev.Source, ev.Key, err)
	}
	return nil
}

// Resolve implements Raiser. An ack-only alert is left for someone to
// acknowledge.
func (s *Service) Resolve(ctx context.Context, source, key, message string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	ikey := eventKey(source, key)
	rec := s.active[ikey]
	if rec == nil || rec.Resolve == ByAck {
		s.mu.Unlock()
		return nil
	}
	now := s.now()
	if message == "" {
		message = "resolved"
	}
	ch := newChanges()
	s.endLocked(ikey, rec, now, StateResolved, message, true, ch)
	err := s.st.commit(ch, now)
	s.mu.Unlock()
	s.finish(ch)
	if err != nil {
		return fmt.Errorf("resolve %s alert %s: %w", source, key, err)
	}
	return nil
}
