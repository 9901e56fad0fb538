package identity

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// DeviceID names a Holdfast instance: the SHA-256 of its certificate's DER
// bytes. It is shown as 56 base32 characters in eight groups of seven,
// where the 14th, 28th, 42nd and 56th characters are check characters
// (a Luhn mod 32 over the 13 characters before each), as Syncthing does,
// so a mistyped ID is refused rather than trusted.
type DeviceID [sha256.Size]byte

// IDFromCert is the device ID of a certificate, from its DER bytes.
func IDFromCert(der []byte) DeviceID { return sha256.Sum256(der) }

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrBadID marks text that is not a valid device ID.
var ErrBadID = errors.New("not a valid device ID")

// String is the ID as people see it: 8 dash-separated groups of 7 characters.
func (id DeviceID) String() string {
	s := id.compact()
	var b strings.Builder
	for i := 0; i < len(s); i += 7 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+7])
	}
	return b.String()
}

// Short is the first group, enough to tell peers apart in a list.
func (id DeviceID) Short() string { return id.compact()[:7] }

// compact is the 56 characters without dashes.
func (id DeviceID) compact() string {
	raw := b32.EncodeToString(id[:]) // 52 characters
	var b strings.Builder
	for i := 0; i < 4; i++ {
		part := raw[i*13 : (i+1)*13]
		b.WriteString(part)
		b.WriteByte(luhn32(part))
	}
	return b.String()
}

// IsZero reports whether id is the zero ID.
func (id DeviceID) IsZero() bool { return id == DeviceID{} }

// Compare orders IDs by their bytes: -1, 0 or +1.
func (id DeviceID) Compare(o DeviceID) int {
	for i := range id {
		switch {
		case id[i] < o[i]:
			return -1
		case id[i] > o[i]:
			return 1
		}
	}
	return 0
}

// MarshalText implements encoding.TextMarshaler (JSON shows the dashed form).
func (id DeviceID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *DeviceID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// normalize upper-cases s and drops dashes and spaces.
func normalize(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	return strings.NewReplacer("-", "", " ", "").Replace(s)
}

// ParseID reads an ID in its shown form (dashes and spaces optional, any
// case), checking its four check characters.
func ParseID(s string) (DeviceID, error) {
	n := normalize(s)
	if len(n) != 56 {
		return DeviceID{}, fmt.Errorf("device ID %q: %w: want 56 characters (8 groups of 7), got %d", s, ErrBadID, len(n))
	}
	var raw strings.Builder
	for i := 0; i < 4; i++ {
		part, check := n[i*14:i*14+13], n[i*14+13]
		if strings.IndexFunc(part, func(r rune) bool { return !strings.ContainsRune(alphabet, r) }) >= 0 ||
			!strings.ContainsRune(alphabet, rune(check)) {
			return DeviceID{}, fmt.Errorf("device ID %q: %w: only A-Z and 2-7 are allowed", s, ErrBadID)
		}
		if luhn32(part) != check {
			return DeviceID{}, fmt.Errorf("device ID %q: %w: check character %d is wrong (a typo?)", s, ErrBadID, i+1)
		}
		raw.WriteString(part)
	}
	b, err := b32.DecodeString(raw.String())
	if err != nil || len(b) != len(DeviceID{}) {
		return DeviceID{}, fmt.Errorf("device ID %q: %w", s, ErrBadID)
	}
	var id DeviceID
	copy(id[:], b)
	return id, nil
}

// HasPrefix reports whether the shown form of id starts with prefix,
// ignoring case, dashes and spaces. An empty prefix matches nothing.
func (id DeviceID) HasPrefix(prefix string) bool {
	p := normalize(prefix)
	return p != "" && strings.HasPrefix(id.compact(), p)
}

// luhn32 is the Luhn mod N check character (N = 32) of s, whose
// characters are all in alphabet.
func luhn32(s string) byte {
	const n = len(alphabet)
	factor, sum := 2, 0
	for i := len(s) - 1; i >= 0; i-- {
		addend := factor * strings.IndexByte(alphabet, s[i])
		addend = addend/n + addend%n
		sum += addend
		factor = 3 - factor
	}
	return alphabet[(n-sum%n)%n]
}
