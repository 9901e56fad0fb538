package peers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/holdfast/holdfast/peers/identity"
)

// codePrefix starts every invite code, so a pasted code is recognised and
// a future format can be told apart.
const codePrefix = "hf1."

// Invite is what an invite code carries: where the inviter listens, its
// device ID (which the joiner pins) and the secret only the code holds.
type Invite struct {
	ID        identity.DeviceID
	Addresses []string
	Secret    [32]byte
	Name      string // the inviter's device name, a default name for it
}

type inviteWire struct {
	ID        []byte   `cbor:"1,keyasint"`
	Addresses []string `cbor:"2,keyasint"`
	Secret    []byte   `cbor:"3,keyasint"`
	Name      string   `cbor:"4,keyasint,omitempty"`
}

// ErrBadCode marks text that is not an invite code.
var ErrBadCode = errors.New("not a Holdfast invite code")

// newInvite makes an invite with a fresh random secret.
func newInvite(id identity.DeviceID, addrs []string, name string) (Invite, error) {
	inv := Invite{ID: id, Addresses: addrs, Name: name}
	if _, err := rand.Read(inv.Secret[:]); err != nil {
		return Invite{}, fmt.Errorf("make invite secret: %w", err)
	}
	return inv, nil
}

// Code is the invite as text to paste on the other machine.
func (inv Invite) Code() string {
	b, err := cbor.Marshal(inviteWire{ID: inv.ID[:], Addresses: inv.Addresses, Secret: inv.Secret[:], Name: inv.Name})
	if err != nil {
		panic(err) // plain values always encode
	}
	return codePrefix + base64.RawURLEncoding.EncodeToString(b)
}

// ParseCode reads an invite code.
func ParseCode(code string) (Invite, error) {
	code = strings.TrimSpace(code)
	rest, ok := strings.CutPrefix(code, codePrefix)
	if !ok || len(rest) > 8<<10 {
		return Invite{}, fmt.Errorf("%w (it should start with %q)", ErrBadCode, codePrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return Invite{}, fmt.Errorf("%w: %v (was it copied whole?)", ErrBadCode, err)
	}
	var w inviteWire
	if err := decodeStrict(b, &w); err != nil {
		return Invite{}, fmt.Errorf("%w: %v (was it copied whole?)", ErrBadCode, err)
	}
	if len(w.ID) != len(identity.DeviceID{}) || len(w.Secret) != 32 || len(w.Addresses) == 0 || len(w.Addresses) > 32 {
		return Invite{}, fmt.Errorf("%w: incomplete", ErrBadCode)
	}
	inv := Invite{Addresses: w.Addresses, Name: w.Name}
	copy(inv.ID[:], w.ID)
	copy(inv.Secret[:], w.Secret)
	return inv, nil
}

var strictDec, _ = cbor.DecOptions{
	DupMapKey: cbor.DupMapKeyEnforcedAPF, MaxNestedLevels: 4, MaxArrayElements: 64, MaxMapPairs: 16,
	IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden,
}.DecMode()

func decodeStrict(b []byte, v any) error { return strictDec.Unmarshal(b, v) }

// inviteID is how the inviter finds an invite: a hash of the secret that
// the joiner sends in the clear (inside TLS). The inviter stores it and
// inviteKey, never the secret.
func inviteID(secret [32]byte) []byte { return tagged("holdfast invite id v1", secret[:]) }

// inviteKey keys the joiner's proof.
func inviteKey(secret [32]byte) []byte { return tagged("holdfast invite key v1", secret[:]) }

func tagged(tag string, b []byte) []byte {
	h := sha256.New()
	h.Write([]byte(tag))
	h.Write(b)
	return h.Sum(nil)
}

// pairProof is the joiner's MAC over both certificates of the TLS
// connection, keyed by the invite: it shows the joiner holds the code and
// binds the proof to this connection (a relay has other certificates).
func pairProof(key, joinerDER, inviterDER []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("holdfast pair proof v1"))
	for _, der := range [][]byte{joinerDER, inviterDER} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(der)))
		m.Write(n[:])
		m.Write(der)
	}
	return m.Sum(nil)
}
