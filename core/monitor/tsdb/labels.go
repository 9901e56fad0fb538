package tsdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Label is one name="value" pair of a series identity.
type Label struct {
	Name, Value string
}

// Labels is a label set. Keys built by NewKey keep it sorted by Name with
// no duplicate names.
type Labels []Label

// Get returns the value of the label called name, or "" when there is none.
func (ls Labels) Get(name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// String is the label set in canonical form: {a="1",b="2"}, or "" when empty.
func (ls Labels) String() string {
	if len(ls) == 0 {
		return ""
	}
	var b strings.Builder
	writeLabels(&b, ls)
	return b.String()
}

func writeLabels(b *strings.Builder, ls Labels) {
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		for _, r := range l.Value {
			switch r {
			case '\\':
				b.WriteString(`\\`)
			case '"':
				b.WriteString(`\"`)
			case '\n':
				b.WriteString(`\n`)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
}

// ErrInvalidKey marks a series name or label set that cannot be stored.
var ErrInvalidKey = errors.New("tsdb: invalid series key")

// Key identifies one series: a metric name and its label set. Build it once
// with NewKey (or MustKey) and reuse it for every Append: it carries the
// canonical string, so appends do no formatting or allocation. Keys are
// comparable (usable as map keys); the zero Key is invalid.
type Key struct {
	name  string
	canon string
}

// NewKey builds a Key. The name is [A-Za-z_:][A-Za-z0-9_:.]*; label names
// are [A-Za-z_][A-Za-z0-9_]* and must be distinct; label values are any
// UTF-8 text. The labels are copied and sorted by name.
func NewKey(name string, labels ...Label) (Key, error) {
	if !validName(name, true) {
		return Key{}, fmt.Errorf("%w: metric name %q", ErrInvalidKey, name)
	}
	ls := make(Labels, len(labels))
	copy(ls, labels)
	slices.SortFunc(ls, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	for i, l := range ls {
		if !validName(l.Name, false) {
			return Key{}, fmt.Errorf("%w: label name %q", ErrInvalidKey, l.Name)
		}
		if i > 0 && ls[i-1].Name == l.Name {
			return Key{}, fmt.Errorf("%w: duplicate label %q", ErrInvalidKey, l.Name)
		}
	}
	if len(ls) == 0 {
		ls = nil
	}
	var b strings.Builder
	b.WriteString(name)
	if len(ls) > 0 {
		writeLabels(&b, ls)
	}
	return Key{name: name, canon: b.String()}, nil
}

// MustKey is NewKey that panics on an invalid key; for keys fixed in code.
func MustKey(name string, labels ...Label) Key {
	k, err := NewKey(name, labels...)
	if err != nil {
		panic(err)
	}
	return k
}

// Name is the metric name.
func (k Key) Name() string { return k.name }

// Labels returns the sorted label set.
func (k Key) Labels() Labels {
	_, ls, _ := parseSelector(k.canon)
	return ls
}

// String is the canonical form name{k="v",k2="v2"} (just name without
// labels). It is the series' identity in the database.
func (k Key) String() string { return k.canon }

// IsZero reports whether k is the (invalid) zero Key.
func (k Key) IsZero() bool { return k.canon == "" }

func validName(s string, metric bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case c >= '0' && c <= '9':
			if i == 0 {
				return false
			}
		case metric && c == ':':
		case metric && c == '.' && i > 0:
		default:
			return false
		}
	}
	return true
}

// ParseKey parses the canonical form written by Key.String. Whitespace is
// not allowed; label values use the escapes \\, \" and \n.
func ParseKey(s string) (Key, error) {
	name, ls, err := parseSelector(s)
	if err != nil {
		return Key{}, err
	}
	k, err := NewKey(name, ls...)
	if err != nil {
		return Key{}, err
	}
	return k, nil
}

// Matcher selects series for a query: Name must equal the metric name
// (empty matches every name) and every label in Labels must be present
// with exactly that value. Other labels of the series are not constrained.
type Matcher struct {
	Name   string
	Labels Labels
}

// ParseMatcher parses a selector in the canonical syntax, such as
// cpu_usage{core="0"}, {mount="/"} or disk_used; the name may be empty.
func ParseMatcher(s string) (Matcher, error) {
	if s == "" {
		return Matcher{}, nil
	}
	name, ls, err := parseSelector(s)
	if err != nil {
		return Matcher{}, err
	}
	if name != "" && !validName(name, true) {
		return Matcher{}, fmt.Errorf("%w: metric name %q", ErrInvalidKey, name)
	}
	return Matcher{Name: name, Labels: ls}, nil
}

// Matches reports whether the series name+labels is selected by m.
func (m Matcher) Matches(name string, labels Labels) bool {
	if m.Name != "" && m.Name != name {
		return false
	}
	for _, want := range m.Labels {
		found := false
		for _, l := range labels {
			if l.Name == want.Name {
				found = l.Value == want.Value
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func parseSelector(s string) (string, Labels, error) {
	bad := func(why string) (string, Labels, error) {
		return "", nil, fmt.Errorf("%w: %q: %s", ErrInvalidKey, s, why)
	}
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return s, nil, nil
	}
	name := s[:i]
	rest := s[i+1:]
	var ls Labels
	if !strings.HasSuffix(rest, "}") {
		return bad("missing closing brace")
	}
	rest = rest[:len(rest)-1]
	for rest != "" {
		eq := strings.Index(rest, `="`)
		if eq <= 0 {
			return bad("expected label=\"value\"")
		}
		lname := rest[:eq]
		if !validName(lname, false) {
			return bad("bad label name " + strconv.Quote(lname))
		}
		rest = rest[eq+2:]
		var v strings.Builder
		closed := false
		for j := 0; j < len(rest); j++ {
			c := rest[j]
			if c == '\\' {
				if j+1 >= len(rest) {
					return bad("dangling escape")
				}
				j++
				switch rest[j] {
				case '\\':
					v.WriteByte('\\')
				case '"':
					v.WriteByte('"')
				case 'n':
					v.WriteByte('\n')
				default:
					return bad("unknown escape")
				}
				continue
			}
			if c == '"' {
				rest = rest[j+1:]
				closed = true
				break
			}
			v.WriteByte(c)
		}
		if !closed {
			return bad("unterminated label value")
		}
		ls = append(ls, Label{Name: lname, Value: v.String()})
		if rest == "" {
			break
		}
		if rest[0] != ',' || len(rest) == 1 {
			return bad("expected ',' between labels")
		}
		rest = rest[1:]
	}
	return name, ls, nil
}

// MarshalJSON writes the labels as an object, {"core":"0"}, in order.
func (ls Labels) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, l := range ls {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(l.Name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(l.Value)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads an object of string values, sorted by name.
func (ls *Labels) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(Labels, 0, len(m))
	for k, v := range m {
		out = append(out, Label{Name: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	*ls = out
	return nil
}
