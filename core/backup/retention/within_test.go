package retention

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseWithin(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"1y2m3d4h", (365+60+3)*day + 4*time.Hour},
		{"7d", 7 * day},
		{"3d12h", 3*day + 12*time.Hour},
		{"36h", 36 * time.Hour},
		{"1y", 365 * day},
		{"2m", 60 * day},
		{"1y5m7d2h", (365+150+7)*day + 2*time.Hour},
		{"0d", 0},
		{"007d", 7 * day},
		// restic-style wins: m is months.
		{"30m", 900 * day},
		// Go durations.
		{"1h30m", 90 * time.Minute},
		{"30m0s", 30 * time.Minute},
		{"0.5h", 30 * time.Minute},
		{"90s", 90 * time.Second},
		{"1.5h", 90 * time.Minute},
		{"2h45m0s", 2*time.Hour + 45*time.Minute},
		{"0", 0},
		{"2562047h", 2562047 * time.Hour}, // the most whole hours a Duration holds
	}
	for _, tt := range tests {
		got, err := ParseWithin(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseWithin(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseWithinErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty duration"},
		{"abc", `invalid duration "abc": want restic-style like "1y2m3d4h"`},
		{"3x", `invalid duration "3x"`},
		{"d", `invalid duration "d"`},
		{"12h3d", `invalid duration "12h3d"`}, // units out of order
		{"1y1y", `invalid duration "1y1y"`},
		{"1.5d", `invalid duration "1.5d"`},
		{" 7d", `invalid duration " 7d"`},
		{"7D", `invalid duration "7D"`},
		{"-3d", `invalid duration "-3d"`},
		{"-1h", `invalid duration "-1h": must not be negative`},
		{"300y", `duration "300y" is too large`},
		{"2562048h", `duration "2562048h" is too large`},
		{"200y100000d", `duration "200y100000d" is too large`},
		{"99999999999999999999d", `duration "99999999999999999999d" is too large`},
	}
	for _, tt := range tests {
		got, err := ParseWithin(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseWithin(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatWithin(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{72 * time.Hour, "3d"},
		{24 * time.Hour, "1d"},
		{5 * time.Hour, "5h"},
		{36 * time.Hour, "1d12h"},
		{365 * 24 * time.Hour, "1y"},
		{30 * 24 * time.Hour, "30d"},
		{(365+63)*24*time.Hour + 4*time.Hour, "1y63d4h"},
		{90 * time.Minute, "1h30m0s"},
		{30 * time.Minute, "30m0s"},
		{0, "0s"},
	}
	for _, tt := range tests {
		if got := FormatWithin(tt.d); got != tt.want {
			t.Errorf("FormatWithin(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestFormatWithinRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var d time.Duration
		switch r.IntN(3) {
		case 0:
			d = time.Duration(r.Int64N(int64(maxHours))) * time.Hour
		case 1:
			d = time.Duration(r.Int64N(int64(1000 * time.Hour)))
		default:
			d = time.Duration(r.Int64())
		}
		s := FormatWithin(d)
		got, err := ParseWithin(s)
		if err != nil || got != d {
			t.Fatalf("ParseWithin(FormatWithin(%d) = %q) = %d, %v", int64(d), s, int64(got), err)
		}
	}
}
