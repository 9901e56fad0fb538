package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// checkShape compares a decoded TOML document with Config's fields (by their
// toml tags, exactly) and reports unknown keys and values of the wrong type.
func checkShape(raw map[string]any) []problem {
	var ps []problem
	checkTable(raw, reflect.TypeFor[Config](), nil, &ps)
	return ps
}

func checkTable(tbl map[string]any, t reflect.Type, path toml.Key, ps *[]problem) {
	for _, name := range slices.Sorted(maps.Keys(tbl)) {
		key := append(slices.Clip(path), name)
		f, ok := fieldByTag(t, name)
		if !ok {
			what := "key"
			if _, isTable := tbl[name].(map[string]any); isTable {
				what = "table"
			}
			*ps = append(*ps, problem{key: key, msg: fmt.Sprintf("unknown %s %s", what, quoteKey(key))})
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
			sub, ok := tbl[name].(map[string]any)
			if !ok {
				*ps = append(*ps, typeProblem(key, "a table", tbl[name]))
				continue
			}
			checkTable(sub, f.Type, key, ps)
			continue
		}
		if p := checkValue(key, f.Type, tbl[name]); p != nil {
			*ps = append(*ps, *p)
		}
	}
}

// checkValue reports whether v can be decoded into a field of type t.
func checkValue(key toml.Key, t reflect.Type, v any) *problem {
	if t == reflect.TypeFor[Duration]() {
		s, ok := v.(string)
		if !ok {
			p := typeProblem(key, `a duration string such as "2s"`, v)
			return &p
		}
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			return &problem{key: key, err: err,
				msg: fmt.Sprintf(`%s: %q is not a duration such as "500ms" or "2s"`, key, s)}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			p := typeProblem(key, "a string", v)
			return &p
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			p := typeProblem(key, "true or false", v)
			return &p
		}
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			p := typeProblem(key, "an integer", v)
			return &p
		}
		if int64(int(n)) != n {
			return &problem{key: key, msg: fmt.Sprintf("%s: %d is too large", key, n)}
		}
	default:
		panic(fmt.Sprintf("config: field %s has unsupported type %s", key, t))
	}
	return nil
}

// quoteKey quotes key for a message: "ui.colour", but logs."max size" as is.
func quoteKey(key toml.Key) string {
	s := key.String()
	if strings.Contains(s, `"`) {
		return s
	}
	return `"` + s + `"`
}

func typeProblem(key toml.Key, want string, got any) problem {
	return problem{key: key, msg: fmt.Sprintf("%s: must be %s, not %s", key, want, tomlType(got))}
}

// fieldByTag returns the field of struct type t whose toml tag is name.
func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// tomlType describes the TOML type of a value decoded into an any.
func tomlType(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 40 {
			return "a string"
		}
		return fmt.Sprintf("the string %q", v)
	case int64:
		return fmt.Sprintf("the integer %d", v)
	case float64:
		return fmt.Sprintf("the float %v", v)
	case bool:
		return fmt.Sprintf("%t", v)
	case time.Time:
		return "a date-time"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
