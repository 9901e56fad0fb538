package config

import (
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// lineIndex maps each key defined in a TOML document (as toml.Key.String)
// to the first line that defines it: a [table] or [[table]] header, or a
// "key = value" line, including dotted and quoted keys.
//
// Each table of an array of tables ([[alerts.rule]]) is told apart by a
// ruleElem part after the array's key: the third rule's metric is
// alerts.rule.<ruleElem(2)>.metric.
//
// BurntSushi/toml does not expose key positions, so this is a light scan of
// the text rather than a parser. It skips the insides of multi-line strings
// and ignores lines it does not understand.
type lineIndex map[string]int

func indexLines(text string) lineIndex {
	idx := lineIndex{}
	arrays := map[string]int{} // tables seen so far per array of tables
	// mark puts the ruleElem of the latest table after every array of
	// tables key contains.
	mark := func(key toml.Key) toml.Key {
		var out toml.Key
		for i := range key {
			out = append(out, key[i])
			if n := arrays[key[:i+1].String()]; n > 0 {
				out = append(out, ruleElem(n-1))
			}
		}
		return out
	}
	var table toml.Key
	var inString string // closing delimiter while inside a multi-line string
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		if i == 0 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if inString != "" {
			if strings.Contains(line, inString) {
				inString = ""
			}
			continue
		}
		s := strings.TrimLeft(line, " \t")
		if h, ok := strings.CutPrefix(s, "["); ok {
			closing := "]"
			if h2, ok := strings.CutPrefix(h, "["); ok {
				h, closing = h2, "]]"
			}
			key, rest, ok := parseKey(h)
			if ok && strings.HasPrefix(rest, closing) {
				idx.add(mark(key), n) // the array itself, at its first table
				if closing == "]]" {
					arrays[key.String()]++
				}
				table = mark(key)
				idx.add(table, n)
			}
			continue
		}
		key, rest, ok := parseKey(s)
		if !ok {
			continue
		}
		value, ok := strings.CutPrefix(rest, "=")
		if !ok {
			continue
		}
		// A dotted key also defines its parent tables.
		full := append(slices.Clip(table), key...)
		for i := len(table) + 1; i <= len(full); i++ {
			idx.add(full[:i], n)
		}
		value = strings.TrimLeft(value, " \t")
		for _, delim := range []string{`"""`, `'''`} {
			if v, ok := strings.CutPrefix(value, delim); ok && !strings.Contains(v, delim) {
				inString = delim
			}
		}
	}
	return idx
}

func (idx lineIndex) add(key toml.Key, line int) {
	if _, ok := idx[key.String()]; !ok {
		idx[key.String()] = line
	}
}

// line returns the line defining key or, failing that, its nearest parent
// (as for a key inside an inline table); 0 if none is found.
func (idx lineIndex) line(key toml.Key) int {
	for n := len(key); n > 0; n-- {
		if l, ok := idx[key[:n].String()]; ok {
			return l
		}
	}
	return 0
}

// parseKey parses a possibly dotted TOML key at the start of s, returning
// its parts and the rest of s with leading blanks removed.
func parseKey(s string) (key toml.Key, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		part, r, ok := parseKeyPart(s)
		if !ok {
			return nil, "", false
		}
		key = append(key, part)
		s = strings.TrimLeft(r, " \t")
		if r, ok := strings.CutPrefix(s, "."); ok {
			s = r
			continue
		}
		return key, s, true
	}
}

// parseKeyPart parses one bare, "basic" or 'literal' key part.
func parseKeyPart(s string) (part, rest string, ok bool) {
	switch {
	case strings.HasPrefix(s, `"`):
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				part, err := strconv.Unquote(s[:i+1])
				return part, s[i+1:], err == nil
			}
		}
		return "", "", false
	case strings.HasPrefix(s, "'"):
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", false
		}
		return s[1 : end+1], s[end+2:], true
	default:
		end := strings.IndexFunc(s, func(r rune) bool {
			return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		})
		if end < 0 {
			end = len(s)
		}
		return s[:end], s[end:], end > 0
	}
}
