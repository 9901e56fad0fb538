package repo

import (
	"bytes"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/blake3"
	"golang.org/x/sys/cpu"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// C2SP XAES-256-GCM test vectors (https://c2sp.org/XAES-256-GCM).
func TestXAESVectors(t *testing.T) {
	cases := []struct {
		key, nonce, pt, ad, ct string
	}{
		{"0101010101010101010101010101010101010101010101010101010101010101", "ABCDEFGHIJKLMNOPQRSTUVWX", "XAES-256-GCM", "",
			"ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"},
		{"0303030303030303030303030303030303030303030303030303030303030303", "ABCDEFGHIJKLMNOPQRSTUVWX", "XAES-256-GCM", "c2sp.org/XAES-256-GCM",
			"986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"},
	}
	for _, c := range cases {
		x, err := newXAES(unhex(t, c.key))
		if err != nil {
			t.Fatal(err)
		}
		sealed := append([]byte(c.nonce), unhex(t, c.ct)...)
		pt, err := x.Open(nil, sealed, []byte(c.ad))
		if err != nil {
			t.Fatalf("vector %s: %v", c.key[:2], err)
		}
		if string(pt) != c.pt {
			t.Fatalf("vector %s: got %q", c.key[:2], pt)
		}
		sealed[len(sealed)-1] ^= 1
		if _, err := x.Open(nil, sealed, []byte(c.ad)); err == nil {
			t.Fatal("tampered vector accepted")
		}
	}
}

func TestCiphers(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	other := bytes.Repeat([]byte{8}, 32)
	for _, id := range Ciphers() {
		t.Run(id, func(t *testing.T) {
			c, err := newCipher(id, key)
			if err != nil {
				t.Fatal(err)
			}
			c2, _ := newCipher(id, other)
			if c.ID() != id {
				t.Fatalf("ID %q", c.ID())
			}
			rng := mrand.New(mrand.NewPCG(1, 1))
			for _, n := range []int{0, 1, 15, 16, 17, 1000, 1 << 16} {
				pt := randBytes(rng, n)
				s1 := c.Seal(nil, pt, []byte("ad"))
				s2 := c.Seal([]byte("prefix"), pt, []byte("ad"))
				if len(s1) != n+sealOverhead || !bytes.HasPrefix(s2, []byte("prefix")) {
					t.Fatalf("n=%d: sealed length %d", n, len(s1))
				}
				if bytes.Equal(s1, s2[6:]) {
					t.Fatal("two seals are identical: nonce not random")
				}
				got, err := c.Open(nil, s1, []byte("ad"))
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("n=%d: round trip failed: %v", n, err)
				}
				buf := append([]byte("head"), make([]byte, nonceSize)...)
				buf = c.SealInPlace(append(buf, pt...), 4, []byte("ad"))
				if len(buf) != 4+n+sealOverhead || string(buf[:4]) != "head" {
					t.Fatalf("n=%d: SealInPlace length %d", n, len(buf))
				}
				if got, err := c.Open(nil, buf[4:], []byte("ad")); err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("n=%d: SealInPlace round trip failed: %v", n, err)
				}
				if got, err := openInPlace(c, append([]byte(nil), s1...), []byte("ad")); err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("n=%d: openInPlace failed: %v", n, err)
				}
				bad := []struct {
					name   string
					sealed []byte
					ad     string
					c      aeadCipher
				}{
					{"wrong ad", s1, "da", c},
					{"wrong key", s1, "ad", c2},
					{"truncated", s1[:len(s1)-1], "ad", c},
					{"too short", s1[:sealOverhead-1], "ad", c},
					{"flipped nonce", flip(s1, 0), "ad", c},
					{"flipped tag", flip(s1, len(s1)-1), "ad", c},
					{"flipped middle", flip(s1, len(s1)/2), "ad", c},
				}
				for _, b := range bad {
					if _, err := b.c.Open(nil, b.sealed, []byte(b.ad)); !errors.Is(err, errDecrypt) {
						t.Errorf("n=%d %s: err=%v", n, b.name, err)
					}
				}
			}
		})
	}
	if _, err := newCipher("rot13", key); err == nil {
		t.Fatal("unknown cipher accepted")
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x20
	return c
}

func TestDefaultCipher(t *testing.T) {
	if runtime.GOARCH == "amd64" && cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ {
		if DefaultCipher() != CipherXAES256GCM {
			t.Fatalf("DefaultCipher = %s on amd64 with AES-NI", DefaultCipher())
		}
	}
	r := newTestRepo(t)
	if r.Config().Cipher != DefaultCipher() {
		t.Fatalf("config cipher %q", r.Config().Cipher)
	}
}

func TestStoredID(t *testing.T) {
	r1, r2 := newTestRepo(t), newTestRepo(t)
	plain := blake3.Sum256([]byte("hello"))
	k, _ := blake3.NewKeyed(r1.keys.ID[:])
	k.Write(plain[:])
	var want ID
	k.Sum(want[:0])
	for i := 0; i < 3; i++ { // pooled hashers must reset correctly
		if got := r1.StoredID(plain); got != want {
			t.Fatalf("StoredID = %s, want %s", got, want)
		}
	}
	if r1.StoredID(plain) == ID(plain) {
		t.Fatal("stored ID equals plain hash")
	}
	if r1.StoredID(plain) == r2.StoredID(plain) {
		t.Fatal("two repositories give the same stored ID")
	}
}

func TestPayload(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(3, 3))
	cases := []struct {
		name string
		data []byte
		flag byte
	}{
		{"empty", nil, flagRaw},
		{"tiny", []byte("abc"), flagRaw},
		{"random", randBytes(rng, 100<<10), flagRaw},
		{"text", textBytes(1, 100<<10), flagZstd},
		{"zeros", make([]byte, 1<<20), flagZstd},
		{"mixed", append(randBytes(rng, 50<<10), make([]byte, 50<<10)...), flagZstd},
	}
	for _, c := range cases {
		p, err := appendPayload([]byte("x"), c.data)
		if err != nil {
			t.Fatal(err)
		}
		if p[0] != 'x' || p[1] != c.flag {
			t.Fatalf("%s: flag %d, want %d", c.name, p[1], c.flag)
		}
		if c.flag == flagRaw && len(p) != len(c.data)+2 {
			t.Fatalf("%s: raw payload %d bytes", c.name, len(p))
		}
		got, err := decodePayload([]byte("y"), p[1:], len(c.data))
		if err != nil || !bytes.Equal(got[1:], c.data) || got[0] != 'y' {
			t.Fatalf("%s: round trip: %v", c.name, err)
		}
		if _, err := decodePayload(nil, p[1:], len(c.data)+1); err == nil {
			t.Fatalf("%s: wrong raw length accepted", c.name)
		}
	}
	// A frame that decodes to more than the authenticated raw length is
	// refused without producing the output (no decompression bombs).
	enc, _ := zstd.NewWriter(nil)
	bomb := append([]byte{flagZstd}, enc.EncodeAll(make([]byte, 8<<20), nil)...)
	if _, err := decodePayload(nil, bomb, 1000); err == nil {
		t.Fatal("bomb accepted")
	}
	for _, bad := range [][]byte{{}, {2, 1, 2}, {flagZstd, 1, 2, 3}} {
		if _, err := decodePayload(nil, bad, 3); err == nil {
			t.Fatalf("bad payload %v accepted", bad)
		}
	}
}
