// Package wire is the peer protocol's messages and their binary encoding:
// each WebSocket binary message is one CBOR-encoded Msg, at most
// MaxMessage bytes, with integer keys. Decode checks everything a hostile
// peer could get wrong — size, nesting, lengths, the message type and the
// fields its type requires — so the connection can simply close on error.
package wire

import (
	"errors"
	"fmt"
	"math"

	"github.com/fxamacker/cbor/v2"
)

// Version is the protocol version this build speaks; a hello with another
// version is refused.
const Version = 1

// Size limits. A message larger than MaxMessage is refused before it is
// decoded (the WebSocket read limit); the others bound its fields.
const (
	MaxMessage   = 1 << 20
	MaxString    = 4 << 10
	MaxAddresses = 32
	MaxItems     = 16 << 10 // array elements and map pairs
	maxNesting   = 8
)

// Type says what a message is.
type Type uint8

// Message types.
const (
	// THello opens a connection from each side: who I am, where I listen,
	// what I can do.
	THello Type = iota + 1
	// TPair is the joiner's first message when pairing: the invite and
	// its proof, with the joiner's hello.
	TPair
	// TRequest asks the other side to run an operation (ID: the call).
	TRequest
	// TProgress and TLog stream a call's progress back (ID: the call).
	TProgress
	TLog
	// TResponse ends a call (ID: the call).
	TResponse
	// TCancel asks the other side to stop a call (ID: the call).
	TCancel
	// TEvent carries one item of a stream the other side pushes while a
	// streaming call (such as OpLiveMetrics) runs (ID: the call); the
	// call's response ends the stream.
	TEvent
	tEnd
)

var typeNames = [...]string{"", "hello", "pair", "request", "progress", "log", "response", "cancel", "event"}

func (t Type) String() string {
	if t > 0 && t < tEnd {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Msg is one message. Exactly the body its type needs is set.
type Msg struct {
	Type     Type      `cbor:"1,keyasint"`
	ID       uint64    `cbor:"2,keyasint,omitempty"`
	Hello    *Hello    `cbor:"3,keyasint,omitempty"`
	Pair     *Pair     `cbor:"4,keyasint,omitempty"`
	Request  *Request  `cbor:"5,keyasint,omitempty"`
	Progress *Progress `cbor:"6,keyasint,omitempty"`
	Text     string    `cbor:"7,keyasint,omitempty"` // TLog's line
	Response *Response `cbor:"8,keyasint,omitempty"`
	Tick     *Tick     `cbor:"9,keyasint,omitempty"`
}

// Hello introduces a side.
type Hello struct {
	Version   uint16   `cbor:"1,keyasint"`
	Device    string   `cbor:"2,keyasint"` // the device's own name
	Addresses []string `cbor:"3,keyasint,omitempty"`
	Caps      []string `cbor:"4,keyasint,omitempty"`
	App       string   `cbor:"5,keyasint,omitempty"` // Holdfast's version
	// Conn numbers the connection: the dialling side numbers its
	// connections upwards (across restarts too) and the answering side
	// says the number back, so between two connections one side dialled
	// both sides keep the same one, the higher.
	Conn uint64 `cbor:"6,keyasint,omitempty"`
}

// Pair proves the joiner holds an invite's secret.
type Pair struct {
	Invite []byte `cbor:"1,keyasint"` // the invite's ID
	Proof  []byte `cbor:"2,keyasint"` // HMAC over both certificates
}

// Request is an operation for the other side's engine.
type Request struct {
	Op   string `cbor:"1,keyasint"`
	Args []byte `cbor:"2,keyasint,omitempty"` // JSON, as control.Request.Args
}

// Progress is control.Progress on the wire (Counters omitted: they stay
// with the task on its own engine).
type Progress struct {
	Message string  `cbor:"1,keyasint,omitempty"`
	Done    int64   `cbor:"2,keyasint,omitempty"`
	Total   int64   `cbor:"3,keyasint,omitempty"`
	Unit    string  `cbor:"4,keyasint,omitempty"`
	Percent float64 `cbor:"5,keyasint,omitempty"`
	TaskID  uint64  `cbor:"6,keyasint,omitempty"`
}

// Response is control.Result on the wire.
type Response struct {
	Exit   int    `cbor:"1,keyasint"`
	Data   []byte `cbor:"2,keyasint,omitempty"` // JSON
	Error  string `cbor:"3,keyasint,omitempty"`
	TaskID uint64 `cbor:"4,keyasint,omitempty"`
}

// Tick is one sample of the machine on a live metrics stream.
type Tick struct {
	At      int64    `cbor:"1,keyasint"` // Unix milliseconds
	Samples []Sample `cbor:"2,keyasint"`
}

// Sample is one value of a series.
//
// Within one stream a series may be named once and referred to after
// that: a sample with a Name and a Ref defines the ref as that series
// (name, labels, counter); a later sample with only the Ref and the Value
// is of that series. A sender uses refs only with a peer whose hello
// lists the "metrics.refs" capability; the receiving connection resolves
// them, so what a stream delivers always carries names.
type Sample struct {
	Name    string            `cbor:"1,keyasint,omitempty"`
	Labels  map[string]string `cbor:"2,keyasint,omitempty"`
	Counter bool              `cbor:"3,keyasint,omitempty"`
	Value   float64           `cbor:"4,keyasint"`
	Ref     uint32            `cbor:"5,keyasint,omitempty"`
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	// Floats take the shortest form that keeps their exact value (a
	// whole number of bytes in 5 rather than 9 bytes, say).
	if encMode, err = (cbor.EncOptions{ShortestFloat: cbor.ShortestFloat16}).EncMode(); err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:  maxNesting,
		MaxArrayElements: MaxItems,
		MaxMapPairs:      MaxItems,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// ErrMalformed marks a message that does not follow the protocol.
var ErrMalformed = errors.New("malformed message")

// Encode checks m and encodes it.
func Encode(m Msg) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := encMode.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Type, err)
	}
	if len(b) > MaxMessage {
		return nil, fmt.Errorf("encode %s: %d bytes is over the %d byte limit", m.Type, len(b), MaxMessage)
	}
	return b, nil
}

// Decode decodes and checks one message.
func Decode(b []byte) (Msg, error) {
	var m Msg
	if len(b) > MaxMessage {
		return m, fmt.Errorf("%w: %d bytes is over the %d byte limit", ErrMalformed, len(b), MaxMessage)
	}
	if err := decMode.Unmarshal(b, &m); err != nil {
		return Msg{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := m.Validate(); err != nil {
		return Msg{}, err
	}
	return m, nil
}

// Validate checks that m has its type's body and nothing else, an ID
// where its type needs one, and fields within the limits.
func (m Msg) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrMalformed, m.Type, fmt.Sprintf(format, args...))
	}
	if m.Type == 0 || m.Type >= tEnd {
		return fmt.Errorf("%w: unknown message type %d", ErrMalformed, uint8(m.Type))
	}
	type bodies struct{ hello, pair, request, progress, response, tick bool }
	want := map[Type]bodies{
		THello: {hello: true}, TPair: {hello: true, pair: true}, TRequest: {request: true},
		TProgress: {progress: true}, TResponse: {response: true}, TEvent: {tick: true},
	}[m.Type]
	has := bodies{m.Hello != nil, m.Pair != nil, m.Request != nil, m.Progress != nil, m.Response != nil, m.Tick != nil}
	if has != want {
		return bad("wrong body for the message type")
	}
	switch m.Type {
	case THello, TPair:
		if m.ID != 0 {
			return bad("unexpected ID")
		}
	default:
		if m.ID == 0 {
			return bad("missing ID")
		}
	}
	if m.Type != TLog && m.Text != "" || len(m.Text) > MaxString {
		return bad("unexpected text, or text of %d bytes", len(m.Text))
	}
	if h := m.Hello; h != nil {
		if h.Version == 0 || len(h.Device) > MaxString || len(h.App) > MaxString ||
			len(h.Addresses) > MaxAddresses || len(h.Caps) > MaxAddresses {
			return bad("hello fields out of range")
		}
		for _, s := range append(h.Addresses, h.Caps...) {
			if s == "" || len(s) > 256 {
				return bad("bad address or capability %q", s)
			}
		}
	}
	if p := m.Pair; p != nil && (len(p.Invite) != 32 || len(p.Proof) != 32) {
		return bad("invite and proof must be 32 bytes")
	}
	if r := m.Request; r != nil && (r.Op == "" || len(r.Op) > 128) {
		return bad("operation name of %d bytes", len(r.Op))
	}
	if p := m.Progress; p != nil && (len(p.Message) > MaxString || len(p.Unit) > 64 || !finite(p.Percent)) {
		return bad("progress fields out of range")
	}
	if r := m.Response; r != nil && (r.Exit < 0 || r.Exit > 255 || len(r.Error) > 64<<10) {
		return bad("exit %d or error out of range", r.Exit)
	}
	if t := m.Tick; t != nil {
		for _, s := range t.Samples {
			if len(s.Name) > 256 || len(s.Labels) > 16 || !finite(s.Value) ||
				s.Name == "" && (s.Ref == 0 || len(s.Labels) > 0 || s.Counter) {
				return bad("sample %q (ref %d) out of range", s.Name, s.Ref)
			}
		}
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
