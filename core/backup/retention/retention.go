// Package retention is the snapshot retention policy of `holdfast forget`.
//
// It follows the semantics of restic's forget command
// (https://restic.readthedocs.io/en/stable/060_forget.html):
//
//   - Snapshots are split into groups by a caller-defined key
//     (Snapshot.Group, e.g. host and paths) and the policy is applied to
//     each group on its own: one group's snapshots never keep or remove
//     another's.
//   - Last keeps the N newest snapshots of the group.
//   - Hourly, Daily, Weekly, Monthly and Yearly each divide time into
//     buckets (an hour, a calendar day, an ISO 8601 week, a calendar
//     month, a calendar year) and keep the newest ("last") snapshot in
//     each of the N most recent buckets that hold a snapshot. Buckets
//     without a snapshot do not count, so Daily: 7 on a machine backed up
//     twice a week keeps seven snapshots spread over about three weeks.
//   - Within keeps every snapshot taken less than the duration before the
//     group's latest snapshot (not before now), so a repository that has
//     not been backed up for a while does not lose everything at once.
//   - The rules are OR'ed: a snapshot is kept if any rule keeps it, and
//     Decision.Reasons lists every rule that did.
//
// A count of -1 means unlimited: every bucket of that kind is kept.
//
// Buckets are computed from each snapshot's Time in its own location
// (time.Time.Location), i.e. in the wall-clock time the snapshot recorded,
// not in UTC or the local zone of the process running forget. A
// snapshot taken at 23:30 -05:00 belongs to that day, not to the next day
// in UTC. A snapshot's order (newest first) is by the instant it denotes.
//
// Differences from restic, on purpose: restic (since 0.17) additionally
// keeps the oldest snapshot of a group when there are fewer buckets than
// asked for; this package does not. Within uses fixed-length units
// (y = 365 days, m = 30 days, see ParseWithin), where restic uses calendar
// arithmetic. A bucket already used is never used again in a group, which
// only matters when a group mixes time zones so that bucket keys are not
// monotonic in time; restic compares only with the previous snapshot's
// bucket.
package retention

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Policy says which snapshots of a group to keep. The zero Policy is empty
// and keeps everything (see Apply).
type Policy struct {
	// Last, Hourly, Daily, Weekly, Monthly and Yearly are counts:
	// 0 means the rule is not used, -1 means unlimited (keep every
	// bucket). Apply treats any other negative count as unlimited too,
	// erring on the side of keeping; Validate rejects it.
	Last, Hourly, Daily, Weekly, Monthly, Yearly int
	// Within keeps every snapshot newer than the group's latest snapshot
	// minus Within. 0 (or negative) means the rule is not used.
	Within time.Duration
}

// Empty reports whether no rule is used, i.e. all counts are 0 and Within
// is not positive.
func (p Policy) Empty() bool {
	return p.Last == 0 && p.Hourly == 0 && p.Daily == 0 && p.Weekly == 0 &&
		p.Monthly == 0 && p.Yearly == 0 && p.Within <= 0
}

// Validate reports a count below -1 or a negative Within.
func (p Policy) Validate() error {
	counts := []struct {
		name string
		n    int
	}{{"keep-last", p.Last}, {"keep-hourly", p.Hourly}, {"keep-daily", p.Daily},
		{"keep-weekly", p.Weekly}, {"keep-monthly", p.Monthly}, {"keep-yearly", p.Yearly}}
	for _, c := range counts {
		if c.n < -1 {
			return fmt.Errorf("%s %d: want a count of at least 0, or -1 for unlimited", c.name, c.n)
		}
	}
	if p.Within < 0 {
		return fmt.Errorf("keep-within %v: must not be negative", p.Within)
	}
	return nil
}

// String describes the policy, e.g. "keep last 3, 7 daily, 4 weekly,
// all monthly, within 3d". It is "" for an empty policy.
func (p Policy) String() string {
	var parts []string
	switch {
	case p.Last > 0:
		parts = append(parts, "last "+strconv.Itoa(p.Last))
	case p.Last < 0:
		parts = append(parts, "all snapshots")
	}
	for _, k := range bucketKinds {
		switch n := k.count(p); {
		case n > 0:
			parts = append(parts, strconv.Itoa(n)+" "+k.name)
		case n < 0:
			parts = append(parts, "all "+k.name)
		}
	}
	if p.Within > 0 {
		parts = append(parts, "within "+FormatWithin(p.Within))
	}
	if len(parts) == 0 {
		return ""
	}
	return "keep " + strings.Join(parts, ", ")
}

// Snapshot is what the policy needs to know of a snapshot.
type Snapshot struct {
	ID   string
	Time time.Time
	// Group is a caller-defined grouping key (e.g. host and paths); the
	// policy is applied to each group independently.
	Group string
}

// Decision is the fate of one snapshot.
type Decision struct {
	Snapshot Snapshot
	Keep     bool
	// Reasons lists every rule that keeps the snapshot, in the order last,
	// hourly, daily, weekly, monthly, yearly, within, e.g. "last snapshot",
	// "hourly snapshot (2026-11-20 14:00)", "daily snapshot (2026-11-20)",
	// "weekly snapshot (2026-W47)", "monthly snapshot (2026-11)",
	// "yearly snapshot (2026)", "within 3d of latest", or "no policy
	// given". It is empty (non-nil, so it encodes as a JSON []) for a
	// removed snapshot.
	Reasons []string
}

// ReasonNoPolicy is the reason every snapshot is kept under an empty policy.
const ReasonNoPolicy = "no policy given"

// Apply decides for every snapshot whether p keeps it. It returns one
// Decision per input snapshot: grouped by Snapshot.Group with the groups
// in ascending order of their key, and newest first within each group.
// Snapshots with the same Time are ordered by ascending ID (then by input
// order), and that order decides which of them counts as the newer, e.g.
// which one a daily rule keeps. snaps is not modified.
//
// An empty policy never removes anything: every snapshot is kept with the
// reason "no policy given".
func Apply(snaps []Snapshot, p Policy) []Decision {
	sorted := slices.Clone(snaps)
	slices.SortStableFunc(sorted, func(a, b Snapshot) int {
		if c := strings.Compare(a.Group, b.Group); c != 0 {
			return c
		}
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]Decision, 0, len(sorted))
	for start := 0; start < len(sorted); {
		end := start + 1
		for end < len(sorted) && sorted[end].Group == sorted[start].Group {
			end++
		}
		out = applyGroup(out, sorted[start:end], p)
		start = end
	}
	return out
}

// applyGroup appends the decisions for one group, sorted newest first.
func applyGroup(out []Decision, group []Snapshot, p Policy) []Decision {
	reasons := make([][]string, len(group))
	if p.Empty() {
		for i := range reasons {
			reasons[i] = []string{ReasonNoPolicy}
		}
	} else {
		if p.Last != 0 {
			for i := range group {
				if p.Last > 0 && i >= p.Last {
					break
				}
				reasons[i] = append(reasons[i], "last snapshot")
			}
		}
		for _, k := range bucketKinds {
			n := k.count(p)
			if n == 0 {
				continue
			}
			used := map[string]bool{}
			for i, s := range group {
				if n > 0 && len(used) >= n {
					break
				}
				b := k.bucket(s.Time)
				if used[b] {
					continue
				}
				used[b] = true
				reasons[i] = append(reasons[i], k.name+" snapshot ("+b+")")
			}
		}
		if p.Within > 0 && len(group) > 0 {
			cutoff := group[0].Time.Add(-p.Within)
			reason := "within " + FormatWithin(p.Within) + " of latest"
			for i, s := range group {
				if !s.Time.After(cutoff) {
					break
				}
				reasons[i] = append(reasons[i], reason)
			}
		}
	}
	for i, s := range group {
		r := reasons[i]
		if r == nil {
			r = []string{}
		}
		out = append(out, Decision{Snapshot: s, Keep: len(r) > 0, Reasons: r})
	}
	return out
}

// bucketKind is one of the calendar rules: its name, its count in a
// Policy, and the bucket a time falls in (also shown in the reason).
type bucketKind struct {
	name   string
	count  func(Policy) int
	bucket func(time.Time) string
}

var bucketKinds = []bucketKind{
	{"hourly", func(p Policy) int { return p.Hourly }, func(t time.Time) string {
		y, m, d := t.Date()
		return fmt.Sprintf("%04d-%02d-%02d %02d:00", y, m, d, t.Hour())
	}},
	{"daily", func(p Policy) int { return p.Daily }, func(t time.Time) string {
		y, m, d := t.Date()
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	}},
	{"weekly", func(p Policy) int { return p.Weekly }, func(t time.Time) string {
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	}},
	{"monthly", func(p Policy) int { return p.Monthly }, func(t time.Time) string {
		y, m, _ := t.Date()
		return fmt.Sprintf("%04d-%02d", y, m)
	}},
	{"yearly", func(p Policy) int { return p.Yearly }, func(t time.Time) string {
		return fmt.Sprintf("%04d", t.Year())
	}},
}
