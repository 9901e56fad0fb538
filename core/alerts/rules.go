package alerts

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Severity says how bad an alert is. The zero value means "no alert".
type Severity string

// Severities, from least to most severe.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityError    Severity = "error"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: 0 for none or unknown, 1 for info up to 4 for
// critical.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityError:
		return 3
	case SeverityCritical:
		return 4
	}
	return 0
}

// Valid reports whether s is one of the four severities.
func (s Severity) Valid() bool { return s.Rank() > 0 }

// ParseSeverity parses "info", "warning", "error" or "critical", ignoring
// case; "warn" and "crit" are accepted too.
func ParseSeverity(s string) (Severity, error) {
	switch v := Severity(strings.ToLower(strings.TrimSpace(s))); v {
	case "warn":
		return SeverityWarning, nil
	case "crit":
		return SeverityCritical, nil
	default:
		if v.Valid() {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown severity %q (want info, warning, error or critical)", s)
}

// Kind is what a metric rule computes.
type Kind string

const (
	// KindThreshold compares an aggregate (or a ratio of aggregates) with
	// thresholds. It is the default when Rule.Kind is empty.
	KindThreshold Kind = "threshold"
	// KindFullWithin predicts when a resource fills up: Metric is the used
	// amount, Ratio the capacity, and the value is the number of seconds
	// until used reaches capacity at the linear trend over Window (+Inf when
	// not growing). It fires when that is less than Within, and clears when
	// it is more than ClearWithin.
	KindFullWithin Kind = "full_within"
)

// Comparison operators of a threshold rule.
const (
	OpAbove = ">"
	OpBelow = "<"
)

// Aggregations a Source understands.
var aggs = map[string]bool{"avg": true, "min": true, "max": true, "last": true}

// Rule is one metric alert rule. Every series the metric has (every
// mountpoint, every network device…) is evaluated separately and gets its
// own alert.
type Rule struct {
	// Name identifies the rule; it is unique among the rules.
	Name string
	// Kind is KindThreshold (or empty) or KindFullWithin.
	Kind Kind
	// Metric is the metric to evaluate; counters come as per-second rates.
	Metric string
	// Agg is "avg", "min", "max" or "last" over Window.
	Agg string
	// Window is the span the aggregate (or trend) is taken over.
	Window time.Duration
	// Op is ">" (alert when high) or "<" (alert when low).
	Op string
	// Raise is the threshold that raises the alert; Clear the one the value
	// has to cross back past before it resolves (Clear <= Raise for ">",
	// Clear >= Raise for "<"; equal means no hysteresis).
	Raise, Clear float64
	// For is how long the value must stay past Raise (pending) before the
	// alert fires; zero fires on the first evaluation.
	For time.Duration
	// Severity of the alerts this rule raises.
	Severity Severity
	// Message is a text/template rendered with MessageData, for example
	// "CPU at {{.Value | percent}} for 10 min". Functions: percent, bytes,
	// duration (of seconds), number. Empty gives a plain default.
	Message string
	// Ratio, when set, names a second metric: the rule's value is
	// Metric / Ratio for series with equal labels. Series without a partner,
	// or whose partner is zero, are skipped. For KindFullWithin it is the
	// capacity metric and required.
	Ratio string
	// Within and ClearWithin are the KindFullWithin thresholds; ClearWithin
	// defaults to 1.5 × Within.
	Within, ClearWithin time.Duration
	// Match restricts the rule to series whose labels match: each value is
	// a glob ("*" and "?") or several separated by "|", and a leading "!"
	// negates. A missing label matches as "".
	Match map[string]string
	// Disabled rules are not evaluated; in an override list (MergeRules) a
	// disabled rule switches off the base rule of the same name.
	Disabled bool
}

// kind returns the rule's kind with the default filled in.
func (r Rule) kind() Kind {
	if r.Kind == "" {
		return KindThreshold
	}
	return r.Kind
}

// thresholds returns the comparison the state machine applies. For
// KindFullWithin the value is seconds until full, compared "<".
func (r Rule) thresholds() (op string, raise, clear float64) {
	if r.kind() == KindFullWithin {
		cw := r.ClearWithin
		if cw == 0 {
			cw = r.Within + r.Within/2
		}
		return OpBelow, r.Within.Seconds(), cw.Seconds()
	}
	return r.Op, r.Raise, r.Clear
}

// RuleError is a problem with one field of one rule. Field is named as in
// config.toml.
type RuleError struct {
	Rule    string
	Field   string
	Problem string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("alert rule %q: %s: %s", e.Rule, e.Field, e.Problem)
}

var ruleNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

// ValidateRule checks a rule. knownMetrics, when not nil, says whether a
// metric exists; Metric and Ratio must. Every problem is a *RuleError naming
// the rule and the field; several are joined with errors.Join.
func ValidateRule(r Rule, knownMetrics func(string) bool) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &RuleError{Rule: r.Name, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if r.Name == "" {
		bad("name", "must not be empty")
	} else if !ruleNameRE.MatchString(r.Name) {
		bad("name", "must be letters, digits, '_', '.', ':' or '-'")
	}
	if r.Disabled {
		return errors.Join(errs...)
	}
	checkMetric := func(field, m string) {
		switch {
		case m == "":
			bad(field, "must not be empty")
		case knownMetrics != nil && !knownMetrics(m):
			bad(field, "unknown metric %q", m)
		}
	}
	checkMetric("metric", r.Metric)
	if r.Window <= 0 {
		bad("window", "must be a positive duration, got %v", r.Window)
	}
	if r.For < 0 {
		bad("for", "must not be negative, got %v", r.For)
	}
	if !r.Severity.Valid() {
		bad("severity", "must be info, warning, error or critical, got %q", r.Severity)
	}
	switch r.kind() {
	case KindThreshold:
		if r.Ratio != "" {
			checkMetric("ratio_of", r.Ratio)
		}
		if !aggs[r.Agg] {
			bad("agg", "must be avg, min, max or last, got %q", r.Agg)
		}
		opOK := true
		switch r.Op {
		case OpAbove, OpBelow:
		default:
			opOK = false
			bad("op", "must be %q or %q, got %q", OpAbove, OpBelow, r.Op)
		}
		rOK, cOK := finite(r.Raise), finite(r.Clear)
		if !rOK {
			bad("raise", "must be a finite number")
		}
		if !cOK {
			bad("clear", "must be a finite number")
		}
		if opOK && rOK && cOK {
			if r.Op == OpAbove && r.Clear > r.Raise {
				bad("clear", "%g is above raise %g; with op \">\" the alert clears when the value falls back below clear, so clear must be <= raise", r.Clear, r.Raise)
			}
			if r.Op == OpBelow && r.Clear < r.Raise {
				bad("clear", "%g is below raise %g; with op \"<\" the alert clears when the value rises back above clear, so clear must be >= raise", r.Clear, r.Raise)
			}
		}
	case KindFullWithin:
		if r.Ratio == "" {
			bad("ratio_of", "a full_within rule needs the capacity metric")
		} else {
			checkMetric("ratio_of", r.Ratio)
		}
		if r.Within <= 0 {
			bad("within", "must be a positive duration, got %v", r.Within)
		}
		if r.ClearWithin != 0 && r.ClearWithin < r.Within {
			bad("clear_within", "%v is shorter than within %v; it must be at least as long", r.ClearWithin, r.Within)
		}
	default:
		bad("kind", "must be %q or %q, got %q", KindThreshold, KindFullWithin, r.Kind)
	}
	if _, err := parseMessage(r.Name, r.Message); err != nil {
		bad("message", "%v", err)
	}
	keys := make([]string, 0, len(r.Match))
	for k := range r.Match {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "" {
			bad("match", "label name must not be empty")
			continue
		}
		if _, err := compileMatcher(k, r.Match[k]); err != nil {
			bad("match", "label %q: %v", k, err)
		}
	}
	return errors.Join(errs...)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// labelMatcher is one compiled entry of Rule.Match.
type labelMatcher struct {
	label  string
	negate bool
	re     *regexp.Regexp
}

func compileMatcher(label, pattern string) (labelMatcher, error) {
	m := labelMatcher{label: label}
	if strings.HasPrefix(pattern, "!") {
		m.negate = true
		pattern = pattern[1:]
	}
	var alts []string
	for _, alt := range strings.Split(pattern, "|") {
		var b strings.Builder
		for _, c := range alt {
			switch c {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".")
			default:
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		alts = append(alts, b.String())
	}
	re, err := regexp.Compile("^(?:" + strings.Join(alts, "|") + ")$")
	if err != nil {
		return m, err
	}
	m.re = re
	return m, nil
}

func compileMatchers(match map[string]string) []labelMatcher {
	var ms []labelMatcher
	for k, p := range match {
		if m, err := compileMatcher(k, p); err == nil {
			ms = append(ms, m)
		}
	}
	return ms
}

func matchLabels(ms []labelMatcher, labels map[string]string) bool {
	for _, m := range ms {
		if m.re.MatchString(labels[m.label]) == m.negate {
			return false
		}
	}
	return true
}

// RuleConfig is a rule as written in config.toml, one [[alerts.rule]] table:
//
//	[[alerts.rule]]
//	name = "disk_space_warning"
//	metric = "filesystem_used_bytes"
//	ratio_of = "filesystem_size_bytes"
//	agg = "last"
//	window = "5m"
//	op = ">"
//	raise = 0.9
//	clear = 0.8
//	severity = "warning"
//	message = "{{.Labels.mountpoint}} is {{.Value | percent}} full"
//	match = { mountpoint = "!/snap/*" }
//
// Durations are Go duration strings ("10m", "1h30m"). agg defaults to
// "avg" and clear to raise. A table with only a name and disabled = true
// switches a default rule off.
type RuleConfig struct {
	Name        string            `toml:"name" json:"name"`
	Kind        string            `toml:"kind,omitempty" json:"kind,omitempty"`
	Metric      string            `toml:"metric,omitempty" json:"metric,omitempty"`
	Agg         string            `toml:"agg,omitempty" json:"agg,omitempty"`
	Window      string            `toml:"window,omitempty" json:"window,omitempty"`
	Op          string            `toml:"op,omitempty" json:"op,omitempty"`
	Raise       float64           `toml:"raise,omitempty" json:"raise,omitempty"`
	Clear       *float64          `toml:"clear,omitempty" json:"clear,omitempty"`
	For         string            `toml:"for,omitempty" json:"for,omitempty"`
	Severity    string            `toml:"severity,omitempty" json:"severity,omitempty"`
	Message     string            `toml:"message,omitempty" json:"message,omitempty"`
	RatioOf     string            `toml:"ratio_of,omitempty" json:"ratio_of,omitempty"`
	Within      string            `toml:"within,omitempty" json:"within,omitempty"`
	ClearWithin string            `toml:"clear_within,omitempty" json:"clear_within,omitempty"`
	Match       map[string]string `toml:"match,omitempty" json:"match,omitempty"`
	Disabled    bool              `toml:"disabled,omitempty" json:"disabled,omitempty"`
}

// ParseRules turns config tables into rules and validates them (without
// checking metric names; ValidateRule with knownMetrics, or New with
// Options.KnownMetrics, does that). Every problem is reported, each naming
// the rule — or its position when it has no name — and the field.
func ParseRules(cfgs []RuleConfig) ([]Rule, error) {
	var errs []error
	rules := make([]Rule, 0, len(cfgs))
	seen := map[string]bool{}
	for i, c := range cfgs {
		r, err := parseRule(c, fmt.Sprintf("#%d", i+1), nil)
		if err != nil {
			errs = append(errs, unjoin(err)...)
		}
		if c.Name != "" {
			if seen[c.Name] {
				errs = append(errs, &RuleError{Rule: c.Name, Field: "name", Problem: "another rule has the same name"})
			}
			seen[c.Name] = true
		}
		rules = append(rules, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return rules, nil
}

// ParseRuleConfig turns one config table into a rule and validates it,
// metrics included when knownMetrics is not nil (KnownMetric is what
// config.toml is checked with). It is the one check shared by loading
// config.toml and the rule editor. Every problem is a *RuleError naming the
// field as config.toml does; several are joined with errors.Join.
func ParseRuleConfig(c RuleConfig, knownMetrics func(string) bool) (Rule, error) {
	return parseRule(c, "", knownMetrics)
}

// parseRule parses and validates c; unnamed is the rule's name in errors
// when it has none.
func parseRule(c RuleConfig, unnamed string, known func(string) bool) (Rule, error) {
	name := c.Name
	if name == "" {
		name = unnamed
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &RuleError{Rule: name, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	dur := func(field, s string) time.Duration {
		if s == "" {
			return 0
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			bad(field, "not a duration (like \"10m\" or \"1h30m\"): %q", s)
		}
		return d
	}
	r := Rule{
		Name:        c.Name,
		Kind:        Kind(c.Kind),
		Metric:      c.Metric,
		Agg:         c.Agg,
		Window:      dur("window", c.Window),
		Op:          c.Op,
		Raise:       c.Raise,
		Clear:       c.Raise,
		For:         dur("for", c.For),
		Message:     c.Message,
		Ratio:       c.RatioOf,
		Within:      dur("within", c.Within),
		ClearWithin: dur("clear_within", c.ClearWithin),
		Match:       c.Match,
		Disabled:    c.Disabled,
	}
	if r.Agg == "" && r.kind() == KindThreshold {
		r.Agg = "avg"
	}
	if c.Clear != nil {
		r.Clear = *c.Clear
	}
	if c.Severity != "" || !c.Disabled {
		if sev, err := ParseSeverity(c.Severity); err == nil {
			r.Severity = sev
		} else {
			r.Severity = Severity(c.Severity)
		}
	}
	if err := ValidateRule(r, known); err != nil {
		var re *RuleError
		for _, e := range unjoin(err) {
			if errors.As(e, &re) && re.Rule == "" {
				re.Rule = name
			}
			// A duration that did not parse is reported once, as such; an
			// unset clear is raise, and a bad raise is reported as raise.
			if errors.As(e, &re) && re.Rule == name && (durationBad(errs, re.Field) ||
				re.Field == "clear" && c.Clear == nil && !finite(r.Raise)) {
				continue
			}
			errs = append(errs, e)
		}
	}
	return r, errors.Join(errs...)
}

// durationBad reports whether errs already say field is not a duration.
func durationBad(errs []error, field string) bool {
	for _, e := range errs {
		if re, ok := e.(*RuleError); ok && re.Field == field {
			return true
		}
	}
	return false
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Config returns the rule as a config table, the inverse of ParseRules.
func (r Rule) Config() RuleConfig {
	c := RuleConfig{
		Name:     r.Name,
		Metric:   r.Metric,
		Agg:      r.Agg,
		Window:   fmtDuration(r.Window),
		Op:       r.Op,
		Raise:    r.Raise,
		For:      fmtDuration(r.For),
		Severity: string(r.Severity),
		Message:  r.Message,
		RatioOf:  r.Ratio,
		Match:    r.Match,
		Disabled: r.Disabled,
	}
	if r.Kind != "" && r.Kind != KindThreshold {
		c.Kind = string(r.Kind)
		c.Agg, c.Op, c.Raise = "", "", 0
		c.Within = fmtDuration(r.Within)
		c.ClearWithin = fmtDuration(r.ClearWithin)
	} else if r.Clear != r.Raise {
		clear := r.Clear
		c.Clear = &clear
	}
	return c
}

func fmtDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// MergeRules returns base with overrides applied by name: an override
// replaces the base rule of the same name (in place), a disabled override
// removes it, and overrides with new names are appended. Disabled rules
// never appear in the result.
func MergeRules(base, overrides []Rule) []Rule {
	idx := map[string]int{}
	for i, o := range overrides {
		idx[o.Name] = i
	}
	used := map[string]bool{}
	var out []Rule
	for _, r := range base {
		if i, ok := idx[r.Name]; ok {
			used[r.Name] = true
			r = overrides[i]
		}
		if !r.Disabled {
			out = append(out, r)
		}
	}
	for _, o := range overrides {
		if !used[o.Name] && !o.Disabled {
			used[o.Name] = true
			out = append(out, o)
		}
	}
	return out
}

// Metric names the default rules use; the monitor must publish them under
// these names (counters as per-second rates).
const (
	MetricCPUUsage        = "cpu_usage_ratio"
	MetricMemoryUsed      = "memory_used_ratio"
	MetricFilesystemUsed  = "filesystem_used_bytes"
	MetricFilesystemSize  = "filesystem_size_bytes"
	MetricSwapUsed        = "swap_used_bytes"
	MetricSwapTotal       = "swap_total_bytes"
	MetricNetRxErrors     = "network_receive_errors_total"
	MetricNetTxErrors     = "network_transmit_errors_total"
	MetricNetRxDrops      = "network_receive_drops_total"
	MetricNetTxDrops      = "network_transmit_drops_total"
	MetricLoad15          = "load15"
	defaultNetErrorWindow = 10 * time.Minute
)

// DefaultRules are the rules a new Holdfast starts with, in the spirit of
// Netdata's stock alarms. cores sizes the load-average rule; less than 1
// uses runtime.NumCPU().
func DefaultRules(cores int) []Rule {
	if cores < 1 {
		cores = runtime.NumCPU()
	}
	// Read-only images are always 100% full; do not alert on them.
	fsMatch := map[string]string{"fstype": "!squashfs|iso9660|erofs", "mountpoint": "!/snap/*"}
	rules := []Rule{
		{
			Name: "cpu_usage_warning", Metric: MetricCPUUsage, Agg: "avg", Window: 10 * time.Minute,
			// The whole machine, not each core: one busy core is not a problem.
			Match: map[string]string{"cpu": ""},
			Op:    OpAbove, Raise: 0.85, Clear: 0.75, Severity: SeverityWarning,
			Message: "CPU at {{.Value | percent}} on average over the last 10 minutes",
		},
		{
			Name: "cpu_usage_critical", Metric: MetricCPUUsage, Agg: "avg", Window: 10 * time.Minute,
			// The whole machine, not each core: one busy core is not a problem.
			Match: map[string]string{"cpu": ""},
			Op:    OpAbove, Raise: 0.95, Clear: 0.85, Severity: SeverityCritical,
			Message: "CPU at {{.Value | percent}} on average over the last 10 minutes",
		},
		{
			Name: "memory_usage_warning", Metric: MetricMemoryUsed, Agg: "avg", Window: 5 * time.Minute,
			Op: OpAbove, Raise: 0.90, Clear: 0.80, Severity: SeverityWarning,
			Message: "Memory {{.Value | percent}} used over the last 5 minutes",
		},
		{
			Name: "memory_usage_critical", Metric: MetricMemoryUsed, Agg: "avg", Window: 5 * time.Minute,
			Op: OpAbove, Raise: 0.98, Clear: 0.90, Severity: SeverityCritical,
			Message: "Memory {{.Value | percent}} used over the last 5 minutes",
		},
		{
			Name: "disk_space_warning", Metric: MetricFilesystemUsed, Ratio: MetricFilesystemSize, Agg: "last", Window: 5 * time.Minute,
			Op: OpAbove, Raise: 0.90, Clear: 0.80, Severity: SeverityWarning, Match: fsMatch,
			Message: "Filesystem {{.Labels.mountpoint}} is {{.Value | percent}} full",
		},
		{
			Name: "disk_space_critical", Metric: MetricFilesystemUsed, Ratio: MetricFilesystemSize, Agg: "last", Window: 5 * time.Minute,
			Op: OpAbove, Raise: 0.98, Clear: 0.90, Severity: SeverityCritical, Match: fsMatch,
			Message: "Filesystem {{.Labels.mountpoint}} is {{.Value | percent}} full",
		},
		{
			Name: "disk_full_soon", Kind: KindFullWithin, Metric: MetricFilesystemUsed, Ratio: MetricFilesystemSize,
			Window: time.Hour, Within: 8 * time.Hour, ClearWithin: 12 * time.Hour, For: 30 * time.Minute,
			Severity: SeverityWarning, Match: fsMatch,
			Message: "Filesystem {{.Labels.mountpoint}} will be full in about {{.Value | duration}} at the rate of the last hour",
		},
		{
			Name: "swap_usage_warning", Metric: MetricSwapUsed, Ratio: MetricSwapTotal, Agg: "avg", Window: 10 * time.Minute,
			Op: OpAbove, Raise: 0.80, Clear: 0.60, Severity: SeverityWarning,
			Message: "Swap {{.Value | percent}} used over the last 10 minutes",
		},
		{
			Name: "load_average_high", Metric: MetricLoad15, Agg: "last", Window: 5 * time.Minute,
			Op: OpAbove, Raise: 2 * float64(cores), Clear: 1.5 * float64(cores), For: 5 * time.Minute, Severity: SeverityWarning,
			Message: "15-minute load average {{.Value | number}} on " + fmt.Sprint(cores) + " cores",
		},
	}
	for _, n := range []struct{ name, metric, what string }{
		{"network_receive_errors", MetricNetRxErrors, "receive errors"},
		{"network_transmit_errors", MetricNetTxErrors, "transmit errors"},
		{"network_receive_drops", MetricNetRxDrops, "inbound packets dropped"},
		{"network_transmit_drops", MetricNetTxDrops, "outbound packets dropped"},
	} {
		rules = append(rules, Rule{
			Name: n.name, Metric: n.metric, Agg: "avg", Window: defaultNetErrorWindow,
			Op: OpAbove, Raise: 1, Clear: 0.5, Severity: SeverityWarning,
			Message: "{{.Labels.device}}: {{.Value | number}} " + n.what + " per second over the last 10 minutes",
		})
	}
	return rules
}
