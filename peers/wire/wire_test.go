package wire

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func validMessages() []Msg {
	return []Msg{
		{Type: THello, Hello: &Hello{Version: Version, Device: "desk", Addresses: []string{"10.0.0.1:22000"}, Caps: []string{"metrics"}, App: "1.0"}},
		{Type: TPair, Pair: &Pair{Invite: make([]byte, 32), Proof: bytes.Repeat([]byte{1}, 32)}, Hello: &Hello{Version: Version, Device: "j"}},
		{Type: TRequest, ID: 1, Request: &Request{Op: "status", Args: []byte(`{"a":1}`)}},
		{Type: TProgress, ID: 1, Progress: &Progress{Message: "half", Done: 5, Total: 10, Percent: 50, TaskID: 7}},
		{Type: TLog, ID: 1, Text: "task 7"},
		{Type: TResponse, ID: 1, Response: &Response{Exit: 3, Data: []byte(`{}`), Error: "found"}},
		{Type: TCancel, ID: 1},
		{Type: TEvent, ID: 2, Tick: &Tick{At: 1700000000000, Samples: []Sample{{Name: "cpu_usage_ratio", Labels: map[string]string{"cpu": "0"}, Value: 0.25}}}},
		{Type: TEvent, ID: 3, Tick: &Tick{At: 1700000001000, Samples: []Sample{
			{Name: "memory_used_bytes", Value: 8 << 30, Ref: 1}, {Ref: 1, Value: 0.1}, {Ref: 70000, Value: 1e300}, {Ref: 2, Value: -3}}}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range validMessages() {
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Errorf("%s: got %+v, want %+v", m.Type, got, m)
		}
	}
}

func TestInvalidMessagesAreRefused(t *testing.T) {
	raw := func(v any) []byte {
		b, err := cbor.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	big := strings.Repeat("x", MaxString+1)
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not cbor", []byte("hello there")},
		{"truncated", raw(Msg{Type: THello, Hello: &Hello{Version: 1, Device: "d"}})[:5]},
		{"trailing bytes", append(raw(Msg{Type: TCancel, ID: 1}), 0)},
		{"unknown type", raw(map[int]any{1: 99, 2: 1})},
		{"type zero", raw(map[int]any{2: 1})},
		{"request without ID", raw(Msg{Type: TRequest, Request: &Request{Op: "x"}})},
		{"request without body", raw(Msg{Type: TRequest, ID: 1})},
		{"hello with request body", raw(Msg{Type: THello, Hello: &Hello{Version: 1}, Request: &Request{Op: "x"}})},
		{"hello with ID", raw(Msg{Type: THello, ID: 4, Hello: &Hello{Version: 1}})},
		{"hello version 0", raw(Msg{Type: THello, Hello: &Hello{}})},
		{"pair without hello", raw(Msg{Type: TPair, Pair: &Pair{Invite: make([]byte, 32), Proof: make([]byte, 32)}})},
		{"short proof", raw(Msg{Type: TPair, Pair: &Pair{Invite: make([]byte, 32), Proof: make([]byte, 3)}, Hello: &Hello{Version: 1}})},
		{"long log", raw(Msg{Type: TLog, ID: 1, Text: big})},
		{"text on a cancel", raw(Msg{Type: TCancel, ID: 1, Text: "x"})},
		{"exit out of range", raw(Msg{Type: TResponse, ID: 1, Response: &Response{Exit: 1000}})},
		{"NaN percent", raw(Msg{Type: TProgress, ID: 1, Progress: &Progress{Percent: math.NaN()}})},
		{"duplicate key", []byte{0xa2, 0x01, 0x07, 0x01, 0x07}},
		{"indefinite length", []byte{0xbf, 0x01, 0x07, 0x02, 0x01, 0xff}},
		{"tag", []byte{0xc1, 0xa2, 0x01, 0x07, 0x02, 0x01}},
		{"too deep", raw(map[int]any{1: 9, 9: map[int]any{2: []any{[]any{[]any{[]any{[]any{[]any{[]any{[]any{1}}}}}}}}}})},
		{"too many items", raw(Msg{Type: TEvent, ID: 1, Tick: &Tick{Samples: make([]Sample, MaxItems+1)}})},
		{"sample without name or ref", raw(Msg{Type: TEvent, ID: 1, Tick: &Tick{Samples: []Sample{{Value: 1}}}})},
		{"ref with labels but no name", raw(Msg{Type: TEvent, ID: 1, Tick: &Tick{Samples: []Sample{{Ref: 3, Labels: map[string]string{"cpu": "0"}}}}})},
		{"over the size limit", make([]byte, MaxMessage+1)},
	}
	for _, tt := range tests {
		if _, err := Decode(tt.in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v", tt.name, err)
		}
	}
}

func TestEncodeRefusesWhatDecodeWould(t *testing.T) {
	if _, err := Encode(Msg{Type: TRequest}); !errors.Is(err, ErrMalformed) {
		t.Errorf("err %v", err)
	}
	huge := Msg{Type: TResponse, ID: 1, Response: &Response{Data: make([]byte, MaxMessage)}}
	if _, err := Encode(huge); err == nil {
		t.Error("oversized message encoded")
	}
}

// FuzzDecode: whatever the bytes, Decode returns a valid message or an
// error, never panics, and what it accepts encodes back to an equal
// message.
func FuzzDecode(f *testing.F) {
	for _, m := range validMessages() {
		b, err := Encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xa2, 0x01, 0x07, 0x01, 0x07})
	f.Add([]byte{0xbf, 0x01, 0x07, 0x02, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error not marked malformed: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("accepted an invalid message: %v", err)
		}
		again, err := Encode(m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		m2, err := Decode(again)
		if err != nil {
			t.Fatalf("decode re-encoded: %v", err)
		}
		if !reflect.DeepEqual(normal(m), normal(m2)) {
			t.Fatalf("round trip changed the message: %+v vs %+v", m, m2)
		}
	})
}

// normal makes empty and nil slices and maps compare equal.
func normal(m Msg) Msg {
	b, _ := cbor.Marshal(m)
	var out Msg
	cbor.Unmarshal(b, &out)
	return out
}
