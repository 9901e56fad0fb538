package repo

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"

	"golang.org/x/crypto/scrypt"
)

func TestScryptMatchesReference(t *testing.T) {
	// RFC 7914 section 12, the second test vector.
	got := scryptKey([]byte("password"), []byte("NaCl"), 1024, 8, 16, 64)
	want, _ := hex.DecodeString("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
	if !bytes.Equal(got, want) {
		t.Fatalf("RFC 7914 vector:\n got %x\nwant %x", got, want)
	}
	for _, p := range []KDFParams{{N: 16, R: 1, P: 1}, {N: 1 << 10, R: 8, P: 3}, {N: 1 << 12, R: 2, P: 5}} {
		ref, err := scrypt.Key([]byte("pw"), []byte("salt"), p.N, p.R, p.P, 32)
		if err != nil {
			t.Fatal(err)
		}
		if got := scryptKey([]byte("pw"), []byte("salt"), p.N, p.R, p.P, 32); !bytes.Equal(got, ref) {
			t.Errorf("%+v: %x, want %x", p, got, ref)
		}
	}
}

// Any number of workers and any table stride give scrypt's result,
// including strides that do not divide N and strides of N or more.
func TestScryptStridedTables(t *testing.T) {
	for _, p := range []KDFParams{{N: 16, R: 1, P: 1}, {N: 1 << 10, R: 8, P: 3}, {N: 1 << 12, R: 2, P: 5}} {
		ref, err := scrypt.Key([]byte("pw"), []byte("salt"), p.N, p.R, p.P, 32)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ workers, stride int }{{1, 1}, {1, 2}, {2, 2}, {3, 3}, {2, 5}, {4, 7}, {8, 64}} {
			if got := scryptKeyWith([]byte("pw"), []byte("salt"), p.N, p.R, p.P, 32, c.workers, c.stride); !bytes.Equal(got, ref) {
				t.Errorf("%+v, %d workers, stride %d: %x, want %x", p, c.workers, c.stride, got, ref)
			}
		}
	}
	ref, _ := scrypt.Key([]byte("pw"), []byte("salt"), 16, 1, 2, 32)
	if got := scryptKeyWith([]byte("pw"), []byte("salt"), 16, 1, 2, 32, 2, 100); !bytes.Equal(got, ref) {
		t.Errorf("stride beyond N: %x, want %x", got, ref)
	}
}

func BenchmarkKDFDefault(b *testing.B) {
	p := DefaultKDFParams()
	for i := 0; i < b.N; i++ {
		scryptKey([]byte("pw"), []byte("salt"), p.N, p.R, p.P, 32)
	}
}

// BenchmarkKDFStride compares the default derivation's wall time for
// ROMix tables of every block (64 MiB on 2 workers) and of every second
// block (32 MiB).
func BenchmarkKDFStride(b *testing.B) {
	p := DefaultKDFParams()
	for _, stride := range []int{1, 2} {
		b.Run(fmt.Sprintf("stride-%d", stride), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				scryptKeyWith([]byte("pw"), []byte("salt"), p.N, p.R, p.P, 32, 2, stride)
			}
		})
	}
}

func BenchmarkKDFReferenceScrypt(b *testing.B) {
	p := DefaultKDFParams()
	for i := 0; i < b.N; i++ {
		scrypt.Key([]byte("pw"), []byte("salt"), p.N, p.R, p.P, 32)
	}
}
