package retention

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixture is 42 snapshots of one group over two years at irregular times,
// oldest first, all in UTC. The comments give the ISO week where it
// matters for the weekly cases.
var fixture = []struct{ id, at string }{
	{"s01", "2024-11-30 22:15"}, // Sat, 2024-W48
	{"s02", "2024-12-01 03:40"}, // Sun, 2024-W48
	{"s03", "2024-12-24 18:05"},
	{"s04", "2025-01-01 00:00"}, // Wed, 2025-W01
	{"s05", "2025-01-15 09:30"},
	{"s06", "2025-02-28 23:59"}, // Fri, same week as s07
	{"s07", "2025-03-01 00:01"}, // Sat
	{"s08", "2025-04-10 12:00"},
	{"s09", "2025-05-05 05:05"},
	{"s10", "2025-06-30 13:13"}, // Mon, same week as s11
	{"s11", "2025-07-04 07:45"}, // Fri
	{"s12", "2025-08-19 16:20"},
	{"s13", "2025-09-30 10:00"}, // Tue, same week as s14
	{"s14", "2025-10-01 10:00"}, // Wed
	{"s15", "2025-11-11 11:11"},
	{"s16", "2025-12-29 08:00"}, // Mon, 2026-W01
	{"s17", "2025-12-31 20:00"}, // Wed, 2026-W01
	{"s18", "2026-01-02 09:00"}, // Fri, 2026-W01
	{"s19", "2026-02-14 14:14"},
	{"s20", "2026-03-15 06:30"},
	{"s21", "2026-04-20 19:45"},
	{"s22", "2026-05-31 23:00"},
	{"s23", "2026-06-15 12:00"},
	{"s24", "2026-07-22 03:33"},
	{"s25", "2026-08-08 08:08"},
	{"s26", "2026-09-09 09:09"},
	{"s27", "2026-10-18 21:00"}, // Sun, 2026-W42
	{"s28", "2026-11-02 07:00"}, // Mon, 2026-W45
	{"s29", "2026-11-09 07:00"}, // Mon, 2026-W46
	{"s30", "2026-11-12 22:30"}, // Thu, 2026-W46
	{"s31", "2026-11-15 23:50"}, // Sun, 2026-W46
	{"s32", "2026-11-16 00:10"}, // Mon, 2026-W47
	{"s33", "2026-11-17 13:00"},
	{"s34", "2026-11-18 02:00"},
	{"s35", "2026-11-18 17:25"},
	{"s36", "2026-11-19 10:05"},
	{"s37", "2026-11-19 10:40"}, // same hour as s36
	{"s38", "2026-11-19 23:15"},
	{"s39", "2026-11-20 08:00"},
	{"s40", "2026-11-20 14:00"},
	{"s41", "2026-11-20 14:30"}, // same hour as s40
	{"s42", "2026-11-20 16:45"}, // Fri, 2026-W47: the latest
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// fixtureSnaps returns the fixture in group g, in a scrambled input order.
func fixtureSnaps(t testing.TB, g string) []Snapshot {
	t.Helper()
	var out []Snapshot
	for i := range fixture {
		f := fixture[(i*17)%len(fixture)] // 17 is coprime to 42
		out = append(out, Snapshot{ID: f.id, Time: mustTime(t, f.at), Group: g})
	}
	return out
}

// ids returns "sNN" for each n.
func ids(ns ...int) []string {
	var out []string
	for _, n := range ns {
		out = append(out, fmt.Sprintf("s%02d", n))
	}
	slices.Sort(out)
	return out
}

// span returns ids(from..to).
func span(from, to int) []string {
	var ns []int
	for n := from; n <= to; n++ {
		ns = append(ns, n)
	}
	return ids(ns...)
}

// except returns span(1, 42) without ns.
func except(ns ...int) []string {
	return slices.DeleteFunc(span(1, 42), func(id string) bool { return slices.Contains(ids(ns...), id) })
}

func union(sets ...[]string) []string {
	var out []string
	for _, s := range sets {
		out = append(out, s...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func keptIDs(ds []Decision) []string {
	var out []string
	for _, d := range ds {
		if d.Keep {
			out = append(out, d.Snapshot.ID)
		}
	}
	slices.Sort(out)
	return out
}

func reasonsByID(ds []Decision) map[string][]string {
	m := map[string][]string{}
	for _, d := range ds {
		m[d.Snapshot.ID] = d.Reasons
	}
	return m
}

func TestApplyFixture(t *testing.T) {
	tests := []struct {
		name    string
		policy  Policy
		kept    []string
		reasons map[string][]string // a few snapshots' exact reasons
	}{
		{"last 3", Policy{Last: 3}, ids(42, 41, 40),
			map[string][]string{"s40": {"last snapshot"}, "s39": {}}},
		{"last 1", Policy{Last: 1}, ids(42), nil},
		{"last more than there are", Policy{Last: 100}, span(1, 42), nil},
		{"last unlimited", Policy{Last: -1}, span(1, 42), map[string][]string{"s01": {"last snapshot"}}},

		// The last snapshot of each hour: s41 (not s40) for 14:00, s37
		// (not s36) for 10:00.
		{"hourly 5", Policy{Hourly: 5}, ids(42, 41, 39, 38, 37),
			map[string][]string{"s41": {"hourly snapshot (2026-11-20 14:00)"}, "s40": {}, "s37": {"hourly snapshot (2026-11-19 10:00)"}}},
		{"hourly unlimited", Policy{Hourly: -1}, except(40, 36), nil},

		// Days with snapshots: 20th (s42), 19th (s38), 18th (s35), 17th,
		// 16th, 15th, then the 12th — days without snapshots don't count.
		{"daily 7", Policy{Daily: 7}, ids(42, 38, 35, 33, 32, 31, 30),
			map[string][]string{"s42": {"daily snapshot (2026-11-20)"}, "s30": {"daily snapshot (2026-11-12)"}, "s29": {}}},
		{"daily unlimited", Policy{Daily: -1}, except(41, 40, 39, 37, 36, 34), nil},

		// W47 (s42), W46 (s31, a Sunday), W45 (s28), W42 (s27).
		{"weekly 4", Policy{Weekly: 4}, ids(42, 31, 28, 27),
			map[string][]string{"s42": {"weekly snapshot (2026-W47)"}, "s31": {"weekly snapshot (2026-W46)"}, "s27": {"weekly snapshot (2026-W42)"}}},
		// Same-week pairs: s16..s18 (2026-W01, across the new year),
		// s13/s14, s10/s11, s06/s07, s01/s02, and the weeks of November 2026.
		{"weekly unlimited", Policy{Weekly: -1},
			ids(42, 31, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 15, 14, 12, 11, 9, 8, 7, 5, 4, 3, 2),
			map[string][]string{"s18": {"weekly snapshot (2026-W01)"}, "s17": {}, "s16": {},
				"s04": {"weekly snapshot (2025-W01)"}, "s02": {"weekly snapshot (2024-W48)"}, "s01": {}}},

		{"monthly 6", Policy{Monthly: 6}, ids(42, 27, 26, 25, 24, 23),
			map[string][]string{"s42": {"monthly snapshot (2026-11)"}, "s27": {"monthly snapshot (2026-10)"}, "s28": {}}},
		{"monthly unlimited", Policy{Monthly: -1},
			ids(42, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 3, 1),
			map[string][]string{"s17": {"monthly snapshot (2025-12)"}, "s16": {}, "s01": {"monthly snapshot (2024-11)"}}},

		{"yearly 3", Policy{Yearly: 3}, ids(42, 17, 3),
			map[string][]string{"s17": {"yearly snapshot (2025)"}, "s03": {"yearly snapshot (2024)"}, "s04": {}}},
		{"yearly 2", Policy{Yearly: 2}, ids(42, 17), nil},
		// Fewer buckets than asked for: nothing more is kept (restic ≥ 0.17
		// would keep the oldest, s01, too; see the package doc).
		{"yearly 10", Policy{Yearly: 10}, ids(42, 17, 3), nil},
		{"yearly unlimited", Policy{Yearly: -1}, ids(42, 17, 3), nil},

		// Relative to s42 (2026-11-20 16:45), not to now.
		{"within 3d", Policy{Within: 3 * 24 * time.Hour}, span(34, 42),
			map[string][]string{"s34": {"within 3d of latest"}, "s33": {}}},
		{"within 1y", Policy{Within: 365 * 24 * time.Hour}, span(16, 42),
			map[string][]string{"s16": {"within 1y of latest"}, "s15": {}}},
		// The cutoff is exactly s40's time: only strictly newer ones are kept.
		{"within boundary", Policy{Within: 2*time.Hour + 45*time.Minute}, ids(42, 41),
			map[string][]string{"s41": {"within 2h45m0s of latest"}, "s40": {}}},
		{"within everything", Policy{Within: 3 * 365 * 24 * time.Hour}, span(1, 42), nil},

		{"daily 7, weekly 4, within 3d", Policy{Daily: 7, Weekly: 4, Within: 72 * time.Hour},
			union(ids(42, 38, 35, 33, 32, 31, 30), ids(42, 31, 28, 27), span(34, 42)),
			map[string][]string{
				"s42": {"daily snapshot (2026-11-20)", "weekly snapshot (2026-W47)", "within 3d of latest"},
				"s41": {"within 3d of latest"},
				"s31": {"daily snapshot (2026-11-15)", "weekly snapshot (2026-W46)"},
				"s28": {"weekly snapshot (2026-W45)"},
				"s29": {},
			}},
		{"every kind", Policy{Last: 2, Hourly: 3, Daily: 3, Weekly: 2, Monthly: 2, Yearly: 2},
			ids(42, 41, 39, 38, 35, 31, 27, 17),
			map[string][]string{
				"s42": {"last snapshot", "hourly snapshot (2026-11-20 16:00)", "daily snapshot (2026-11-20)",
					"weekly snapshot (2026-W47)", "monthly snapshot (2026-11)", "yearly snapshot (2026)"},
				"s41": {"last snapshot", "hourly snapshot (2026-11-20 14:00)"},
				"s39": {"hourly snapshot (2026-11-20 08:00)"},
				"s38": {"daily snapshot (2026-11-19)"},
				"s17": {"yearly snapshot (2025)"},
			}},
		{"monthly unlimited, yearly unlimited, last 5", Policy{Last: 5, Monthly: -1, Yearly: -1},
			union(ids(42, 41, 40, 39, 38), ids(42, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 3, 1)),
			map[string][]string{"s03": {"monthly snapshot (2024-12)", "yearly snapshot (2024)"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := Apply(fixtureSnaps(t, "g"), tt.policy)
			if len(ds) != len(fixture) {
				t.Fatalf("got %d decisions, want %d", len(ds), len(fixture))
			}
			for i, d := range ds { // newest first: s42 … s01
				if want := fixture[len(fixture)-1-i].id; d.Snapshot.ID != want {
					t.Fatalf("decision %d is %s, want %s", i, d.Snapshot.ID, want)
				}
			}
			if got := keptIDs(ds); !slices.Equal(got, tt.kept) {
				t.Errorf("kept %v\nwant %v", got, tt.kept)
			}
			got := reasonsByID(ds)
			for _, id := range slices.Sorted(maps.Keys(tt.reasons)) {
				if !slices.Equal(got[id], tt.reasons[id]) {
					t.Errorf("%s: reasons %q, want %q", id, got[id], tt.reasons[id])
				}
			}
			checkInvariants(t, fixtureSnaps(t, "g"), tt.policy, ds)
		})
	}
}

func TestApplyEmptyPolicyKeepsAll(t *testing.T) {
	for _, p := range []Policy{{}, {Within: -time.Hour}} {
		ds := Apply(fixtureSnaps(t, "g"), p)
		if got := keptIDs(ds); !slices.Equal(got, span(1, 42)) {
			t.Errorf("%+v: kept %v, want all", p, got)
		}
		for _, d := range ds {
			if !slices.Equal(d.Reasons, []string{"no policy given"}) {
				t.Errorf("%+v: %s: reasons %q", p, d.Snapshot.ID, d.Reasons)
			}
		}
	}
	if ds := Apply(nil, Policy{}); len(ds) != 0 {
		t.Errorf("Apply(nil) = %v", ds)
	}
	if ds := Apply(nil, Policy{Last: 1}); len(ds) != 0 {
		t.Errorf("Apply(nil) = %v", ds)
	}
}

func TestApplyRemovedReasonsEncodeAsEmptyList(t *testing.T) {
	for _, d := range Apply(fixtureSnaps(t, "g"), Policy{Last: 1}) {
		if !d.Keep && (d.Reasons == nil || len(d.Reasons) != 0) {
			t.Fatalf("%s: removed with reasons %#v, want []string{}", d.Snapshot.ID, d.Reasons)
		}
	}
}

// An old repository keeps what is within the duration of its own latest
// snapshot, however long ago that was.
func TestApplyWithinRelativeToLatestNotNow(t *testing.T) {
	snaps := []Snapshot{
		{ID: "a", Time: mustTime(t, "2001-03-01 12:00")},
		{ID: "b", Time: mustTime(t, "2001-02-27 12:01")},
		{ID: "c", Time: mustTime(t, "2001-02-26 12:00")},
		{ID: "d", Time: mustTime(t, "2000-01-01 00:00")},
	}
	ds := Apply(snaps, Policy{Within: 48 * time.Hour})
	if got, want := keptIDs(ds), []string{"a", "b"}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want %v", got, want)
	}
}

func TestApplyGroupsAreIndependent(t *testing.T) {
	// Group "b" is older and sparser than the fixture group "a", and
	// shares some days with it.
	b := []Snapshot{
		{ID: "b1", Time: mustTime(t, "2026-11-20 10:00"), Group: "b"},
		{ID: "b2", Time: mustTime(t, "2026-11-10 10:00"), Group: "b"},
		{ID: "b3", Time: mustTime(t, "2026-11-09 10:00"), Group: "b"},
		{ID: "b4", Time: mustTime(t, "2025-06-01 10:00"), Group: "b"},
	}
	// Group "" sorts first; a group with only one snapshot.
	empty := []Snapshot{{ID: "e1", Time: mustTime(t, "2020-01-01 00:00"), Group: ""}}
	a := fixtureSnaps(t, "a")
	var all []Snapshot
	for i := range max(len(a), len(b)) { // interleave the input
		if i < len(b) {
			all = append(all, b[i])
		}
		if i < len(a) {
			all = append(all, a[i])
		}
	}
	all = append(all, empty...)

	policies := []Policy{
		{Last: 2}, {Daily: 2}, {Weekly: 3}, {Within: 10 * 24 * time.Hour},
		{Last: 1, Daily: 7, Weekly: 4, Monthly: 12, Yearly: -1, Within: 48 * time.Hour},
	}
	for _, p := range policies {
		ds := Apply(all, p)
		var groups []string
		for _, d := range ds {
			if len(groups) == 0 || groups[len(groups)-1] != d.Snapshot.Group {
				groups = append(groups, d.Snapshot.Group)
			}
		}
		if want := []string{"", "a", "b"}; !slices.Equal(groups, want) {
			t.Fatalf("%v: groups in order %q, want %q", p, groups, want)
		}
		var joined []Decision
		for _, g := range [][]Snapshot{empty, a, b} {
			joined = append(joined, Apply(g, p)...)
		}
		if fmt.Sprint(ds) != fmt.Sprint(joined) {
			t.Errorf("%v: applying to all groups at once differs from one group at a time:\n%v\n%v", p, ds, joined)
		}
		checkInvariants(t, all, p, ds)
	}

	// Spelled out for one policy: b's latest is b1 whatever a has.
	ds := Apply(all, Policy{Daily: 2, Within: 24 * time.Hour})
	got := reasonsByID(ds)
	want := map[string][]string{
		"b1":  {"daily snapshot (2026-11-20)", "within 1d of latest"},
		"b2":  {"daily snapshot (2026-11-10)"},
		"b3":  {},
		"s42": {"daily snapshot (2026-11-20)", "within 1d of latest"},
		"s38": {"daily snapshot (2026-11-19)", "within 1d of latest"},
		"e1":  {"daily snapshot (2020-01-01)", "within 1d of latest"},
	}
	for id, w := range want {
		if !slices.Equal(got[id], w) {
			t.Errorf("%s: reasons %q, want %q", id, got[id], w)
		}
	}
}

func TestApplySameTimestamp(t *testing.T) {
	at := mustTime(t, "2026-11-20 12:00")
	snaps := []Snapshot{
		{ID: "c", Time: at},
		{ID: "old", Time: at.Add(-time.Hour)},
		{ID: "a", Time: at},
		{ID: "b", Time: at},
	}
	tests := []struct {
		policy Policy
		kept   []string
	}{
		{Policy{Last: 1}, []string{"a"}},
		{Policy{Last: 2}, []string{"a", "b"}},
		{Policy{Last: 4}, []string{"a", "b", "c", "old"}},
		{Policy{Hourly: 1}, []string{"a"}},
		{Policy{Hourly: 2}, []string{"a", "old"}},
		{Policy{Daily: -1}, []string{"a"}},
		{Policy{Within: time.Nanosecond}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		ds := Apply(snaps, tt.policy)
		var order []string
		for _, d := range ds {
			order = append(order, d.Snapshot.ID)
		}
		if want := []string{"a", "b", "c", "old"}; !slices.Equal(order, want) {
			t.Errorf("%v: order %v, want %v", tt.policy, order, want)
		}
		if got := keptIDs(ds); !slices.Equal(got, tt.kept) {
			t.Errorf("%v: kept %v, want %v", tt.policy, got, tt.kept)
		}
	}

	// The very same snapshot twice: both get a decision, in input order.
	dup := []Snapshot{{ID: "x", Time: at}, {ID: "x", Time: at}}
	ds := Apply(dup, Policy{Daily: 1})
	if len(ds) != 2 || !ds[0].Keep || ds[1].Keep {
		t.Errorf("duplicates: %+v", ds)
	}
}

func TestApplyBucketsInSnapshotLocation(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	est := time.FixedZone("EST", -5*3600)
	// 10:45 and 11:15 IST are 05:15 and 05:45 UTC: one UTC hour, but two
	// local hours.
	snaps := []Snapshot{
		{ID: "ist1", Time: time.Date(2026, 11, 20, 10, 45, 0, 0, ist)},
		{ID: "ist2", Time: time.Date(2026, 11, 20, 11, 15, 0, 0, ist)},
	}
	ds := Apply(snaps, Policy{Hourly: -1})
	want := map[string][]string{
		"ist2": {"hourly snapshot (2026-11-20 11:00)"},
		"ist1": {"hourly snapshot (2026-11-20 10:00)"},
	}
	if got := reasonsByID(ds); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("reasons %q, want %q", got, want)
	}

	// 23:30 EST on Sunday the 22nd is already Monday the 23rd in UTC, a
	// new ISO week; locally it is the same day and week as the morning.
	snaps = []Snapshot{
		{ID: "late", Time: time.Date(2026, 11, 22, 23, 30, 0, 0, est)},
		{ID: "morning", Time: time.Date(2026, 11, 22, 9, 0, 0, 0, est)},
	}
	ds = Apply(snaps, Policy{Daily: 2, Weekly: 2})
	want = map[string][]string{
		"late":    {"daily snapshot (2026-11-22)", "weekly snapshot (2026-W47)"},
		"morning": {},
	}
	if got := reasonsByID(ds); !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("reasons %q, want %q", got, want)
	}
}

func TestApplyDoesNotModifyInput(t *testing.T) {
	snaps := fixtureSnaps(t, "g")
	before := slices.Clone(snaps)
	Apply(snaps, Policy{Daily: 3})
	if !slices.Equal(snaps, before) {
		t.Error("Apply reordered its input")
	}
}

// Counts below -1 are not valid, but Apply errs on the side of keeping.
func TestApplyOtherNegativeCountsAreUnlimited(t *testing.T) {
	for _, p := range []Policy{{Daily: -7}, {Last: -3}, {Weekly: -2}} {
		unl := p
		unl.Last, unl.Daily, unl.Weekly = max(p.Last, -1), max(p.Daily, -1), max(p.Weekly, -1)
		if got, want := keptIDs(Apply(fixtureSnaps(t, "g"), p)), keptIDs(Apply(fixtureSnaps(t, "g"), unl)); !slices.Equal(got, want) {
			t.Errorf("%+v kept %v, want %v", p, got, want)
		}
		if p.Validate() == nil {
			t.Errorf("%+v: Validate accepted it", p)
		}
	}
}

func TestPolicyEmptyValidate(t *testing.T) {
	tests := []struct {
		p       Policy
		empty   bool
		invalid string // substring of the Validate error, "" if valid
	}{
		{Policy{}, true, ""},
		{Policy{Last: 1}, false, ""},
		{Policy{Yearly: -1}, false, ""},
		{Policy{Within: time.Hour}, false, ""},
		{Policy{Within: -time.Hour}, true, "keep-within -1h0m0s: must not be negative"},
		{Policy{Hourly: -2}, false, "keep-hourly -2"},
		{Policy{Monthly: 3, Daily: -5}, false, "keep-daily -5"},
	}
	for _, tt := range tests {
		if got := tt.p.Empty(); got != tt.empty {
			t.Errorf("%+v.Empty() = %v", tt.p, got)
		}
		err := tt.p.Validate()
		switch {
		case tt.invalid == "" && err != nil:
			t.Errorf("%+v.Validate() = %v", tt.p, err)
		case tt.invalid != "" && (err == nil || !strings.Contains(err.Error(), tt.invalid)):
			t.Errorf("%+v.Validate() = %v, want an error with %q", tt.p, err, tt.invalid)
		}
	}
}

func TestPolicyString(t *testing.T) {
	tests := []struct {
		p    Policy
		want string
	}{
		{Policy{}, ""},
		{Policy{Daily: 7, Weekly: 4, Within: 72 * time.Hour}, "keep 7 daily, 4 weekly, within 3d"},
		{Policy{Last: 3}, "keep last 3"},
		{Policy{Last: -1}, "keep all snapshots"},
		{Policy{Last: 2, Hourly: 24, Daily: 7, Weekly: 5, Monthly: 12, Yearly: -1},
			"keep last 2, 24 hourly, 7 daily, 5 weekly, 12 monthly, all yearly"},
		{Policy{Within: (365+63)*24*time.Hour + 4*time.Hour}, "keep within 1y63d4h"},
		{Policy{Within: 90 * time.Minute}, "keep within 1h30m0s"},
		{Policy{Within: -time.Hour}, ""},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// checkInvariants checks what must hold for any input and policy.
func checkInvariants(t *testing.T, snaps []Snapshot, p Policy, ds []Decision) {
	t.Helper()
	if len(ds) != len(snaps) {
		t.Fatalf("%v: %d decisions for %d snapshots", p, len(ds), len(snaps))
	}
	// The output is the input, ordered by group, newest first, then ID.
	want := slices.Clone(snaps)
	slices.SortStableFunc(want, func(a, b Snapshot) int {
		if a.Group != b.Group {
			return strings.Compare(a.Group, b.Group)
		}
		if !a.Time.Equal(b.Time) {
			if a.Time.After(b.Time) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	for i, d := range ds {
		if d.Snapshot != want[i] {
			t.Fatalf("%v: decision %d is %+v, want %+v", p, i, d.Snapshot, want[i])
		}
	}
	byGroup := map[string][]Decision{}
	for _, d := range ds {
		byGroup[d.Snapshot.Group] = append(byGroup[d.Snapshot.Group], d)
		// (b) Kept ⇔ at least one reason; removed ones have an empty,
		// non-nil list.
		if d.Keep != (len(d.Reasons) > 0) || d.Reasons == nil {
			t.Errorf("%v: %s: keep=%v with reasons %#v", p, d.Snapshot.ID, d.Keep, d.Reasons)
		}
	}
	for g, gds := range byGroup {
		// (a) The newest snapshot of a group is always kept.
		if !gds[0].Keep {
			t.Errorf("%v: group %q: newest snapshot %s removed", p, g, gds[0].Snapshot.ID)
		}
		// (c) Last=N keeps the N newest.
		if p.Last != 0 {
			for i, d := range gds {
				if (p.Last < 0 || i < p.Last) && !slices.Contains(d.Reasons, "last snapshot") {
					t.Errorf("%v: group %q: %d-th newest %s not kept as last: %q", p, g, i+1, d.Snapshot.ID, d.Reasons)
				}
			}
		}
		// A bucket rule keeps at most N snapshots, in distinct buckets.
		for _, k := range bucketKinds {
			n, seen := k.count(p), map[string]bool{}
			for _, d := range gds {
				for _, r := range d.Reasons {
					if b, ok := strings.CutPrefix(r, k.name+" snapshot ("); ok {
						if seen[b] {
							t.Errorf("%v: group %q: two %s snapshots for %s", p, g, k.name, b)
						}
						seen[b] = true
					}
				}
			}
			if n > 0 && len(seen) > n {
				t.Errorf("%v: group %q: %d %s snapshots kept, want at most %d", p, g, len(seen), k.name, n)
			}
		}
	}
}

// randomSnaps returns up to 80 snapshots with unique IDs in up to three
// groups, in three time zones, with clusters and equal timestamps.
func randomSnaps(r *rand.Rand) []Snapshot {
	zones := []*time.Location{time.UTC, time.FixedZone("IST", 5*3600+1800), time.FixedZone("EST", -5*3600)}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	n := r.IntN(81)
	snaps := make([]Snapshot, 0, n)
	var last time.Time
	for i := range n {
		var at time.Time
		switch r.IntN(10) {
		case 0: // equal to the previous timestamp
			if !last.IsZero() {
				at = last
				break
			}
			fallthrough
		case 1, 2, 3: // a burst within a few hours
			at = base.Add(time.Duration(r.IntN(3*24)) * time.Hour).Add(time.Duration(r.IntN(300)) * time.Minute)
		default: // anywhere within three years
			at = base.Add(time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour))))
		}
		last = at
		snaps = append(snaps, Snapshot{
			ID:    fmt.Sprintf("%03d", r.IntN(1000)) + fmt.Sprint(i), // unique, not in time order
			Time:  at.In(zones[r.IntN(len(zones))]),
			Group: []string{"host-a", "host-b", ""}[r.IntN(3)],
		})
	}
	return snaps
}

func randomCount(r *rand.Rand) int {
	switch r.IntN(10) {
	case 0, 1, 2, 3, 4:
		return 0
	case 5:
		return -1
	default:
		return 1 + r.IntN(12)
	}
}

func randomPolicy(r *rand.Rand) Policy {
	p := Policy{Last: randomCount(r), Hourly: randomCount(r), Daily: randomCount(r),
		Weekly: randomCount(r), Monthly: randomCount(r), Yearly: randomCount(r)}
	switch r.IntN(4) {
	case 0:
		p.Within = time.Duration(1+r.IntN(800*24)) * time.Hour
	case 1:
		p.Within = time.Duration(1 + r.Int64N(int64(400*24*time.Hour)))
	}
	return p
}

// single splits p into one policy per rule it uses.
func single(p Policy) []Policy {
	var out []Policy
	for _, q := range []Policy{{Last: p.Last}, {Hourly: p.Hourly}, {Daily: p.Daily}, {Weekly: p.Weekly},
		{Monthly: p.Monthly}, {Yearly: p.Yearly}, {Within: p.Within}} {
		if !q.Empty() {
			out = append(out, q)
		}
	}
	return out
}

func TestApplyProperties(t *testing.T) {
	for seed := range uint64(1500) {
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		snaps := randomSnaps(r)
		p := randomPolicy(r)
		ds := Apply(snaps, p)
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			checkInvariants(t, snaps, p, ds)
			got := reasonsByID(ds)

			if p.Empty() {
				for _, d := range ds {
					if !slices.Equal(d.Reasons, []string{ReasonNoPolicy}) {
						t.Fatalf("empty policy: %s has reasons %q", d.Snapshot.ID, d.Reasons)
					}
				}
				return
			}

			// The rules are OR'ed: the reasons under p are the reasons
			// under each rule alone, concatenated in rule order.
			union := map[string][]string{}
			for _, q := range single(p) {
				for id, rs := range reasonsByID(Apply(snaps, q)) {
					union[id] = append(union[id], rs...)
				}
			}
			for id, rs := range got {
				if !slices.Equal(rs, union[id]) {
					t.Errorf("%v: %s: reasons %q, but the rules one by one give %q", p, id, rs, union[id])
				}
			}

			// Asking for more never keeps less.
			more := p
			more.Last, more.Daily, more.Weekly = grow(p.Last), grow(p.Daily), grow(p.Weekly)
			more.Within = p.Within + time.Duration(r.IntN(100))*time.Hour
			for id, rs := range reasonsByID(Apply(snaps, more)) {
				if len(got[id]) > 0 && len(rs) == 0 {
					t.Errorf("%v keeps %s but %v does not", p, id, more)
				}
			}

			// (c) once more with Last alone: exactly the N newest per group.
			n := 1 + r.IntN(5)
			last := Apply(snaps, Policy{Last: n})
			i := 0
			for j, d := range last {
				if j > 0 && d.Snapshot.Group != last[j-1].Snapshot.Group {
					i = 0
				}
				if d.Keep != (i < n) {
					t.Errorf("last %d: %d-th newest of group %q %s: keep=%v", n, i+1, d.Snapshot.Group, d.Snapshot.ID, d.Keep)
				}
				i++
			}
		})
	}
}

func grow(n int) int {
	if n < 0 {
		return n
	}
	return n + 1
}
