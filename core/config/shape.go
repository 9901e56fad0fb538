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
	checkTable(raw, reflect.TypeFor[Config](), nil, shapeCtx{}, &ps)
	return ps
}

// shapeCtx says how to name keys in messages: inside a table of an array
// of tables (a [[alerts.rule]]), by that table ("alerts.rule \"disk\"")
// and the key within it.
type shapeCtx struct {
	where string // "" outside arrays of tables
	base  int    // length of the key of the array's table
}

// name is key as messages show it.
func (c shapeCtx) name(key toml.Key) string {
	if c.where == "" {
		return key.String()
	}
	return c.where + ": " + key[c.base:].String()
}

func (c shapeCtx) unknown(key toml.Key, what string) string {
	if c.where == "" {
		return fmt.Sprintf("unknown %s %s", what, quoteKey(key))
	}
	return fmt.Sprintf("%s: unknown %s %s", c.where, what, quoteKey(key[c.base:]))
}

func checkTable(tbl map[string]any, t reflect.Type, path toml.Key, ctx shapeCtx, ps *[]problem) {
	for _, name := range slices.Sorted(maps.Keys(tbl)) {
		key := append(slices.Clip(path), name)
		f, ok := fieldByTag(t, name)
		if !ok {
			what := "key"
			if _, isTable := tbl[name].(map[string]any); isTable {
				what = "table"
			}
			*ps = append(*ps, problem{key: key, msg: ctx.unknown(key, what)})
			continue
		}
		switch {
		case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]():
			sub, ok := tbl[name].(map[string]any)
			if !ok {
				*ps = append(*ps, typeProblem(key, ctx, "a table", tbl[name]))
				continue
			}
			checkTable(sub, f.Type, key, ctx, ps)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			elems, ok := tables(tbl[name])
			if !ok {
				*ps = append(*ps, typeProblem(key, ctx, "an array of tables", tbl[name]))
				continue
			}
			for i, el := range elems {
				n, _ := el["name"].(string)
				ek := append(slices.Clip(key), ruleElem(i))
				checkTable(el, f.Type.Elem(), ek, shapeCtx{where: ruleWhere(i, n), base: len(ek)}, ps)
			}
		case f.Type.Kind() == reflect.Map:
			sub, ok := tbl[name].(map[string]any)
			if !ok {
				*ps = append(*ps, typeProblem(key, ctx, "a table", tbl[name]))
				continue
			}
			for _, k := range slices.Sorted(maps.Keys(sub)) {
				if p := checkValue(append(slices.Clip(key), k), ctx, f.Type.Elem(), sub[k]); p != nil {
					*ps = append(*ps, *p)
				}
			}
		default:
			if p := checkValue(key, ctx, f.Type, tbl[name]); p != nil {
				*ps = append(*ps, *p)
			}
		}
	}
}

// tables returns the tables of an array of tables, written either as
// [[name]] headers or inline.
func tables(v any) ([]map[string]any, bool) {
	switch v := v.(type) {
	case []map[string]any:
		return v, true
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	return nil, false
}

// maxSafeFloatInt is the largest integer the decoder puts into a float.
const maxSafeFloatInt = 1 << 53

// checkValue reports whether v can be decoded into a field of type t.
func checkValue(key toml.Key, ctx shapeCtx, t reflect.Type, v any) *problem {
	if t == reflect.TypeFor[Duration]() {
		s, ok := v.(string)
		if !ok {
			p := typeProblem(key, ctx, `a duration string such as "2s"`, v)
			return &p
		}
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			return &problem{key: key, err: err,
				msg: fmt.Sprintf(`%s: %q is not a duration such as "500ms" or "2s"`, ctx.name(key), s)}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			p := typeProblem(key, ctx, "a string", v)
			return &p
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			p := typeProblem(key, ctx, "true or false", v)
			return &p
		}
	case reflect.Int:
		n, ok := v.(int64)
		if !ok {
			p := typeProblem(key, ctx, "an integer", v)
			return &p
		}
		if int64(int(n)) != n {
			return &problem{key: key, msg: fmt.Sprintf("%s: %d is too large", ctx.name(key), n)}
		}
	case reflect.Float64:
		switch n := v.(type) {
		case float64:
		case int64:
			if n > maxSafeFloatInt || n < -maxSafeFloatInt {
				return &problem{key: key, msg: fmt.Sprintf("%s: %d is too large", ctx.name(key), n)}
			}
		default:
			p := typeProblem(key, ctx, "a number", v)
			return &p
		}
	case reflect.Pointer:
		return checkValue(key, ctx, t.Elem(), v)
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			p := typeProblem(key, ctx, "an array", v)
			return &p
		}
		for _, e := range list {
			if p := checkValue(key, ctx, t.Elem(), e); p != nil {
				p.msg = strings.Replace(p.msg, ": must be ", ": every element must be ", 1)
				return p
			}
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

func typeProblem(key toml.Key, ctx shapeCtx, want string, got any) problem {
	return problem{key: key, msg: fmt.Sprintf("%s: must be %s, not %s", ctx.name(key), want, tomlType(got))}
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
