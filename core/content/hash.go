package content

import (
	"encoding/hex"
	"fmt"

	"github.com/holdfast/holdfast/core/content/b3"
)

// HashSize is the length of a Hash in bytes.
const HashSize = 32

// Hash is a plain (unkeyed) BLAKE3-256 digest.
type Hash [HashSize]byte

// Sum returns the BLAKE3-256 hash of b.
func Sum(b []byte) Hash { return b3.Sum256(b) }

// String returns the hash as 64 lower-case hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero value (no hash), which is not the hash
// of any input that matters in practice.
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses 64 hex digits (either case) into a Hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("content: parse hash %q: want %d hex digits, have %d", abbrev(s), 2*HashSize, len(s))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("content: parse hash %q: %w", abbrev(s), err)
	}
	return h, nil
}

// MarshalText implements encoding.TextMarshaler (hex).
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, 2*HashSize)
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// abbrev shortens untrusted input quoted in error messages.
func abbrev(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
