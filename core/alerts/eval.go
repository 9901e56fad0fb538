package alerts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// persistEvery bounds how often an alert whose only change is its value
// is written.
const persistEvery = time.Minute

// Evaluate runs one evaluation pass at now: every rule against the Source,
// then the reminders and held notifications that have come due. A rule
// whose query fails leaves its alerts as they are — missing data is not a
// recovery — and its error is returned (joined with the others) after the
// rest were evaluated. The loop started by Start calls it every Interval.
func (s *Service) Evaluate(ctx context.Context, now time.Time) error {
	s.evalMu.Lock()
	defer s.evalMu.Unlock()

	s.mu.Lock()
	rules, src, gen := s.rules, s.source, s.rulesGen
	s.mu.Unlock()

	type result struct {
		vals []Value
		err  error
	}
	results := make([]result, len(rules))
	if src != nil {
		for i, r := range rules {
			if err := ctx.Err(); err != nil {
				return err
			}
			results[i].vals, results[i].err = compute(ctx, src, r, now)
		}
	}

	s.mu.Lock()
	ch := newChanges()
	var errs []error
	if src != nil && gen == s.rulesGen { // rules replaced meanwhile: skip this pass's results
		for i, r := range rules {
			if err := results[i].err; err != nil {
				errs = append(errs, fmt.Errorf("rule %s: %w", r.Name, err))
				if s.ruleErrs[r.Name] != err.Error() {
					s.log.Warn("alerts: rule cannot be evaluated; its alerts stay as they are", "rule", r.Name, "err", err)
					s.ruleErrs[r.Name] = err.Error()
				}
				continue
			}
			if _, had := s.ruleErrs[r.Name]; had {
				s.log.Info("alerts: rule evaluates again", "rule", r.Name)
				delete(s.ruleErrs, r.Name)
			}
			s.applyLocked(r, results[i].vals, now, ch)
		}
	}
	s.sweepLocked(now, ch)
	if err := s.st.commit(ch, now); err != nil {
		errs = append(errs, fmt.Errorf("save alerts: %w", err))
		s.log.Error("alerts: save", "err", err)
	}
	s.mu.Unlock()
	s.finish(ch)
	return errors.Join(errs...)
}

// compute asks the source for a rule's value per series.
func compute(ctx context.Context, src Source, r compiledRule, now time.Time) ([]Value, error) {
	byKey := func(vs []Value) map[string]float64 {
		m := make(map[string]float64, len(vs))
		for _, v := range vs {
			m[labelsKey(v.Labels)] = v.V
		}
		return m
	}
	var out []Value
	switch r.kind() {
	case KindFullWithin:
		slopes, err := src.Slope(ctx, r.Metric, r.Window, now)
		if err != nil {
			return nil, fmt.Errorf("slope of %s: %w", r.Metric, err)
		}
		used, err := src.Aggregate(ctx, r.Metric, "last", r.Window, now)
		if err != nil {
			return nil, fmt.Errorf("last %s: %w", r.Metric, err)
		}
		size, err := src.Aggregate(ctx, r.Ratio, "last", r.Window, now)
		if err != nil {
			return nil, fmt.Errorf("last %s: %w", r.Ratio, err)
		}
		usedBy, sizeBy := byKey(used), byKey(size)
		for _, sl := range slopes {
			if !matchLabels(r.matches, sl.Labels) {
				continue
			}
			k := labelsKey(sl.Labels)
			u, ok1 := usedBy[k]
			c, ok2 := sizeBy[k]
			if !ok1 || !ok2 || !finite(u) || !finite(c) || c <= 0 || math.IsNaN(sl.V) {
				continue
			}
			free := math.Max(c-u, 0)
			v := math.Inf(1)
			if sl.V > 0 && !math.IsInf(sl.V, 0) {
				v = free / sl.V
			}
			out = append(out, Value{Labels: sl.Labels, V: v})
		}
	default:
		vals, err := src.Aggregate(ctx, r.Metric, r.Agg, r.Window, now)
		if err != nil {
			return nil, fmt.Errorf("%s of %s: %w", r.Agg, r.Metric, err)
		}
		var den map[string]float64
		if r.Ratio != "" {
			d, err := src.Aggregate(ctx, r.Ratio, r.Agg, r.Window, now)
			if err != nil {
				return nil, fmt.Errorf("%s of %s: %w", r.Agg, r.Ratio, err)
			}
			den = byKey(d)
		}
		for _, v := range vals {
			if !matchLabels(r.matches, v.Labels) || math.IsNaN(v.V) {
				continue
			}
			if r.Agg != "last" && !v.covers(r.Window, now) {
				continue // too little history yet for an aggregate over the window
			}
			if den != nil {
				d, ok := den[labelsKey(v.Labels)]
				if !ok || d == 0 || !finite(d) {
					continue
				}
				v.V /= d
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// applyLocked runs the state machine of one rule over its series.
func (s *Service) applyLocked(r compiledRule, vals []Value, now time.Time, ch *changes) {
	op, raise, clear := r.thresholds()
	seen := make(map[string]bool, len(vals))
	for _, v := range vals {
		if math.IsNaN(v.V) {
			continue
		}
		lk := labelsKey(v.Labels)
		ikey := metricKey(r.Name, lk)
		if seen[ikey] {
			continue
		}
		seen[ikey] = true
		delete(s.missing, ikey)
		breach := (op == OpAbove && v.V > raise) || (op == OpBelow && v.V < raise)
		cleared := (op == OpAbove && v.V < clear) || (op == OpBelow && v.V > clear)

		rec := s.active[ikey]
		if rec == nil {
			if !breach {
				continue // ok stays ok
			}
			rec = &record{Alert: Alert{
				ID: newID(ikey, now), Source: SourceMetric, Rule: r.Name, Key: lk,
				Labels: copyLabels(v.Labels), Severity: r.Severity, State: StatePending,
				Since: now, Updated: now, Count: 1,
			}}
			if until := s.silences[ikey]; until.After(now) {
				rec.SilencedUntil = until
			}
			setValue(rec, r, v.V)
			s.active[ikey] = rec
			ch.save(ikey, rec, now)
			if r.For <= 0 {
				s.fireLocked(ikey, rec, now, ch)
			}
			continue
		}
		rec.Severity = r.Severity
		rec.Updated = now
		setValue(rec, r, v.V)
		switch rec.State {
		case StatePending:
			switch {
			case !breach:
				// Recovered before it fired: back to ok, nobody told.
				delete(s.active, ikey)
				ch.remove(ikey)
			case now.Sub(rec.Since) >= r.For:
				s.fireLocked(ikey, rec, now, ch)
			case now.Sub(rec.saved) >= persistEvery:
				ch.save(ikey, rec, now)
			}
		default: // firing or acknowledged
			switch {
			case cleared:
				s.endLocked(ikey, rec, now, StateResolved, resolution(r, op, clear, v.V), true, ch)
			case now.Sub(rec.saved) >= persistEvery:
				ch.save(ikey, rec, now)
			}
		}
	}

	// Series the source no longer reports: a pending alert starts over; a
	// firing one ends once the series has been gone for a while (an
	// unmounted disk, a removed interface), not on one missed answer.
	stale := max(r.Window, 10*s.interval, 5*time.Minute)
	for ikey, rec := range s.active {
		if rec.Source != SourceMetric || rec.Rule != r.Name || seen[ikey] {
			continue
		}
		if rec.State == StatePending {
			delete(s.active, ikey)
			ch.remove(ikey)
			continue
		}
		first, ok := s.missing[ikey]
		if !ok {
			s.missing[ikey] = now
			continue
		}
		if now.Sub(first) >= stale {
			s.endLocked(ikey, rec, now, StateResolved, "the series is no longer reported", true, ch)
		}
	}
}

// setValue records a finite value and re-renders the message with it.
func setValue(rec *record, r compiledRule, v float64) {
	if !finite(v) {
		return
	}
	rec.Value = v
	rec.Message = renderMessage(r.tmpl, r.Rule, v, rec.Labels)
}

func resolution(r compiledRule, op string, clear, v float64) string {
	if r.kind() == KindFullWithin {
		if math.IsInf(v, 1) {
			return "no longer filling up"
		}
		return fmt.Sprintf("full in about %s at the current rate, more than %s", fmtSeconds(v), fmtSeconds(clear))
	}
	dir := "below"
	if op == OpBelow {
		dir = "above"
	}
	return fmt.Sprintf("back %s %s (now %s)", dir, fmtNumber(clear), fmtNumber(v))
}

// fireLocked moves an alert to firing and notifies.
func (s *Service) fireLocked(ikey string, rec *record, now time.Time, ch *changes) {
	rec.State = StateFiring
	rec.FiredAt = now
	rec.Updated = now
	s.notifyFiringLocked(ikey, rec, now, false, ch)
	ch.save(ikey, rec, now)
}

// holdReason says why a notification for rec must not go out now, or "".
func (s *Service) holdReason(rec *record, now time.Time) string {
	switch {
	case !rec.AckedAt.IsZero():
		return "acknowledged"
	case rec.Silenced(now):
		return "silenced"
	case rec.Severity != SeverityCritical && s.quiet.contains(now):
		return "quiet hours"
	}
	return ""
}

// notifyFiringLocked queues a firing notification, or notes why not. A
// first notification held back by quiet hours or a silence is owed and
// sent by a later sweep.
func (s *Service) notifyFiringLocked(ikey string, rec *record, now time.Time, repeat bool, ch *changes) {
	if reason := s.holdReason(rec, now); reason != "" {
		rec.Suppressed = reason
		if !repeat && reason != "acknowledged" {
			rec.Owed = true
		}
		return
	}
	rec.Owed = false
	rec.NotifiedAt = now
	a := rec.Alert
	a.Labels = copyLabels(a.Labels)
	title, body := notificationText(a, TransitionFiring, repeat)
	ch.notes = append(ch.notes, job{
		n:    Notification{Alert: a, Transition: TransitionFiring, Repeat: repeat, Host: s.host, Title: title, Body: body},
		ikey: ikey,
	})
}

// endLocked ends an active alert into the history, with a resolved
// notification when notify is set and the firing one went out.
func (s *Service) endLocked(ikey string, rec *record, now time.Time, state State, why string, notify bool, ch *changes) {
	wasNotified := !rec.NotifiedAt.IsZero()
	rec.State = state
	rec.ResolvedAt = now
	rec.Updated = now
	rec.Resolution = why
	rec.Owed = false
	delete(s.active, ikey)
	delete(s.missing, ikey)
	ch.remove(ikey)
	if notify && wasNotified {
		if reason := s.holdReason(rec, now); reason != "" {
			rec.Suppressed = reason
		} else {
			rec.NotifiedAt = now
			a := rec.Alert
			a.Labels = copyLabels(a.Labels)
			title, body := notificationText(a, TransitionResolved, false)
			ch.notes = append(ch.notes, job{
				n:       Notification{Alert: a, Transition: TransitionResolved, Host: s.host, Title: title, Body: body},
				ikey:    ikey,
				histKey: historyKey(&a),
			})
		}
	}
	ch.hist = append(ch.hist, rec)
}

// sweepLocked sends what has come due: firing notifications held back by
// quiet hours or a silence that has ended, and reminders; and forgets
// expired silences.
func (s *Service) sweepLocked(now time.Time, ch *changes) {
	for ikey, rec := range s.active {
		if rec.State != StateFiring {
			continue
		}
		switch {
		case rec.Owed:
			if s.holdReason(rec, now) == "" {
				s.notifyFiringLocked(ikey, rec, now, false, ch)
				ch.save(ikey, rec, now)
			}
		case s.renotify > 0 && !rec.NotifiedAt.IsZero() && now.Sub(rec.NotifiedAt) >= s.renotify:
			if s.holdReason(rec, now) == "" {
				s.notifyFiringLocked(ikey, rec, now, true, ch)
				ch.save(ikey, rec, now)
			}
		}
	}
	for k, until := range s.silences {
		if !until.After(now) {
			delete(s.silences, k)
			ch.silences[k] = time.Time{}
		}
	}
}
