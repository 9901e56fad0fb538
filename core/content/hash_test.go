package content

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSumKnownVectors(t *testing.T) {
	// From the BLAKE3 reference test vectors.
	tests := []struct{ in, want string }{
		{"", "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
		{"abc", "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"},
	}
	for _, tt := range tests {
		if got := Sum([]byte(tt.in)).String(); got != tt.want {
			t.Errorf("Sum(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if EmptyHash != Sum(nil) || EmptyHash.IsZero() {
		t.Errorf("EmptyHash = %s", EmptyHash)
	}
}

func TestParseHash(t *testing.T) {
	h := Sum([]byte("holdfast"))
	tests := []struct {
		in      string
		want    Hash
		wantErr bool
	}{
		{h.String(), h, false},
		{strings.ToUpper(h.String()), h, false},
		{strings.Repeat("0", 64), Hash{}, false},
		{"", Hash{}, true},
		{h.String()[:63], Hash{}, true},
		{h.String() + "0", Hash{}, true},
		{strings.Repeat("g", 64), Hash{}, true},
		{strings.Repeat("0", 62) + " 0", Hash{}, true},
	}
	for _, tt := range tests {
		got, err := ParseHash(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseHash(%q) = %s, %v", tt.in, got, err)
		}
	}
	if !(Hash{}).IsZero() || h.IsZero() {
		t.Error("IsZero is wrong")
	}
}

func TestHashText(t *testing.T) {
	type doc struct {
		H Hash            `json:"h"`
		M map[Hash]string `json:"m"`
	}
	h := Sum([]byte("x"))
	b, err := json.Marshal(doc{H: h, M: map[Hash]string{h: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"h":"` + h.String() + `","m":{"` + h.String() + `":"x"}}`
	if string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil || d.H != h || d.M[h] != "x" {
		t.Fatalf("round trip: %+v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"h":"zz"}`), &d); err == nil {
		t.Fatal("bad hex accepted")
	}
}

func TestSplitmix64(t *testing.T) {
	// Reference outputs of splitmix64 seeded with 0.
	s := splitmix64(0)
	for i, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := s.next(); got != want {
			t.Fatalf("output %d = %#x, want %#x", i, got, want)
		}
	}
}
