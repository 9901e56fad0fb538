package tsdb

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestKeys(t *testing.T) {
	k := MustKey("cpu_busy_ratio", Label{"mode", "user"}, Label{"core", "0"})
	if got, want := k.String(), `cpu_busy_ratio{core="0",mode="user"}`; got != want {
		t.Fatalf("canonical %s, want %s", got, want)
	}
	if MustKey("uptime").String() != "uptime" {
		t.Fatal("no labels: no braces")
	}
	odd := MustKey("fs.free", Label{"path", `C:\dir "x"` + "\n,}"})
	back, err := ParseKey(odd.String())
	if err != nil || back.String() != odd.String() || back.Labels().Get("path") != odd.Labels().Get("path") {
		t.Fatalf("round trip of %s: %v %v", odd, back, err)
	}
	for _, bad := range []struct {
		name   string
		labels []Label
	}{{"", nil}, {"1cpu", nil}, {"cpu usage", nil}, {"cpu{", nil}, {"cpu", []Label{{"", "x"}}},
		{"cpu", []Label{{"a-b", "x"}}}, {"cpu", []Label{{"a", "1"}, {"a", "2"}}}} {
		if _, err := NewKey(bad.name, bad.labels...); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("NewKey(%q, %v) = %v", bad.name, bad.labels, err)
		}
	}
	for _, bad := range []string{`cpu{a="1"`, `cpu{a=1}`, `cpu{a="1",}`, `cpu{a="\x"}`, `cpu{a="1"b="2"}`, `cpu{a="1`} {
		if _, err := ParseKey(bad); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ParseKey(%q) = %v", bad, err)
		}
	}
	m, err := ParseMatcher(`{core="0"}`)
	if err != nil || m.Name != "" || !m.Matches("cpu_busy_ratio", k.Labels()) || m.Matches("cpu_busy_ratio", nil) {
		t.Fatalf("matcher %+v %v", m, err)
	}
	var ls Labels
	js, _ := json.Marshal(k.Labels())
	if string(js) != `{"core":"0","mode":"user"}` || json.Unmarshal(js, &ls) != nil || ls.String() != k.Labels().String() {
		t.Fatalf("labels JSON %s → %v", js, ls)
	}
}
