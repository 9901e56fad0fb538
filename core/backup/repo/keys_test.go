package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitOpen(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	dir := r.Dir()

	for _, d := range []string{"keys", "data", "data/00", "data/ff", "index", "snapshots", "locks"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			t.Fatalf("missing dir %s", d)
		}
	}
	cb, err := os.ReadFile(filepath.Join(dir, "config"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(cb, &cfg); err != nil {
		t.Fatalf("config is not JSON: %v", err)
	}
	for _, f := range []string{"version", "id", "chunker", "cipher", "compression", "created"} {
		if _, ok := cfg[f]; !ok {
			t.Errorf("config lacks %q", f)
		}
	}
	if cfg["chunker"] != "fastcdc-v1 min=512K avg=1M max=8M" {
		t.Errorf("chunker %v", cfg["chunker"])
	}
	if len(cfg) != 6 {
		t.Errorf("config has unexpected fields: %v", cfg)
	}
	// No key material anywhere in plaintext files.
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, r.keys.Encrypt[:8]) || bytes.Contains(b, r.keys.ID[:8]) {
			t.Errorf("%s contains key bytes", p)
		}
		return nil
	})

	r2, err := Open(ctx, dir, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if r2.keys != r.keys || r2.Config().ID != r.Config().ID || r2.KeyID() != r.KeyID() {
		t.Fatal("reopened repository has different keys or config")
	}

	_, err = Open(ctx, dir, "wrong")
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if want := "wrong password or no key for it in " + dir; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}

	if _, err := Init(ctx, dir, "x", InitOptions{Chunker: "c", KDF: TestKDFParams()}); !errors.Is(err, ErrAlreadyInitialized) {
		t.Fatalf("second Init: %v", err)
	}
	nonEmpty := t.TempDir()
	os.WriteFile(filepath.Join(nonEmpty, "photo.jpg"), []byte("x"), 0o600)
	if _, err := Init(ctx, nonEmpty, "x", InitOptions{Chunker: "c", KDF: TestKDFParams()}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Init in non-empty dir: %v", err)
	}
	if _, err := Open(ctx, nonEmpty, "x"); !errors.Is(err, ErrNotRepository) {
		t.Fatalf("Open non-repo: %v", err)
	}
	if _, err := Init(ctx, t.TempDir(), "x", InitOptions{KDF: TestKDFParams()}); err == nil {
		t.Fatal("Init without chunker accepted")
	}
	if _, err := Init(ctx, t.TempDir(), "x", InitOptions{Chunker: "c", KDF: KDFParams{N: 1000, R: 8, P: 1}}); err == nil {
		t.Fatal("Init with bad KDF accepted")
	}
	// Existing empty directory is fine; chosen cipher is recorded.
	r3, err := Init(ctx, t.TempDir(), "x", InitOptions{Chunker: "c", KDF: TestKDFParams(), Cipher: CipherXChaCha20Poly1305})
	if err != nil {
		t.Fatal(err)
	}
	if r4, err := Open(ctx, r3.Dir(), "x"); err != nil || r4.Config().Cipher != CipherXChaCha20Poly1305 {
		t.Fatalf("open chacha repo: %v", err)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	k2, err := r.AddKey(ctx, "second")
	if err != nil {
		t.Fatal(err)
	}
	k3, err := r.AddKey(ctx, "third")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := r.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 3 {
		t.Fatalf("%d keys", len(keys))
	}
	cur := 0
	for _, k := range keys {
		if k.Current {
			cur++
			if k.ID != r.KeyID() {
				t.Fatal("wrong current key")
			}
		}
		if k.KDF != TestKDFParams() || k.Created.IsZero() {
			t.Fatalf("key info %+v", k)
		}
	}
	if cur != 1 {
		t.Fatalf("%d current keys", cur)
	}
	for pw, id := range map[string]string{testPassword: r.KeyID(), "second": k2, "third": k3} {
		o, err := Open(ctx, r.Dir(), pw)
		if err != nil {
			t.Fatalf("open with %q: %v", pw, err)
		}
		if o.KeyID() != id || o.keys != r.keys {
			t.Fatalf("open with %q used key %s", pw, o.KeyID())
		}
	}

	if err := r.RemoveKey(ctx, r.KeyID()); err == nil {
		t.Fatal("removed the key in use")
	}
	if err := r.RemoveKey(ctx, strings.Repeat("0", 64)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove missing key: %v", err)
	}
	if err := r.RemoveKey(ctx, k3); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, r.Dir(), "third"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("removed key still opens: %v", err)
	}

	// r2 uses "second"; r removes it, then r2 may not remove the last
	// remaining key (r's).
	r2, err := Open(ctx, r.Dir(), "second")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if err := r2.RemoveKey(ctx, r.KeyID()); err == nil || !strings.Contains(err.Error(), "last key") {
		t.Fatalf("removed the last key: %v", err)
	}
	if _, err := Open(ctx, r.Dir(), testPassword); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveKeyNeedsExclusiveLease(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	k2, _ := r.AddKey(ctx, "second")
	other := reopen(t, r)
	l, err := other.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RemoveKey(ctx, k2); !errors.Is(err, ErrLocked) {
		t.Fatalf("RemoveKey during a shared lease: %v", err)
	}
	l.Release()
	// Holding our own exclusive lease is fine.
	ex, err := r.Lock(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Release()
	if err := r.RemoveKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
}

func TestOpenSkipsDamagedKeyFiles(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	kd := filepath.Join(r.Dir(), "keys")
	// A hostile key file demanding an enormous scrypt cost, junk, and a
	// temp file must neither hang nor block the good key.
	hostile := `{"version":1,"kdf":"scrypt","N":1099511627776,"r":8,"p":1,"salt":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","data":""}`
	os.WriteFile(filepath.Join(kd, "00hostile"), []byte(hostile), 0o600)
	os.WriteFile(filepath.Join(kd, "01junk"), []byte("\x00\xff"), 0o600)
	os.WriteFile(filepath.Join(kd, ".tmp-123"), []byte("{"), 0o600)
	if _, err := Open(ctx, r.Dir(), testPassword); err != nil {
		t.Fatal(err)
	}
	if keys, _ := r.ListKeys(ctx); len(keys) != 1 {
		t.Fatalf("ListKeys returned %d keys", len(keys))
	}
	// Damaged key files can be removed by name.
	junk := strings.Repeat("ab", 32)
	os.WriteFile(filepath.Join(kd, junk), []byte("{}"), 0o600)
	if err := r.RemoveKey(ctx, junk); err != nil {
		t.Fatalf("removing a damaged key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(kd, junk)); !os.IsNotExist(err) {
		t.Fatal("damaged key file still there")
	}
}

func TestKDFValidate(t *testing.T) {
	cases := []struct {
		p  KDFParams
		ok bool
	}{
		{DefaultKDFParams(), true},
		{TestKDFParams(), true},
		{KDFParams{N: 1 << 20, R: 8, P: 1}, true},
		{KDFParams{N: 1 << 21, R: 8, P: 1}, false}, // 2 GiB
		{KDFParams{N: 1000, R: 8, P: 1}, false},
		{KDFParams{N: 0, R: 8, P: 1}, false},
		{KDFParams{N: -2, R: 8, P: 1}, false},
		{KDFParams{N: 1 << 10, R: 0, P: 1}, false},
		{KDFParams{N: 1 << 10, R: 8, P: 0}, false},
		{KDFParams{N: 1 << 10, R: 8, P: 17}, false},
		{KDFParams{N: 1 << 62, R: 1, P: 1}, false},
	}
	for _, c := range cases {
		if err := c.p.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v: Validate() = %v", c.p, err)
		}
	}
	d, err := TimeKDF(TestKDFParams())
	if err != nil || d <= 0 {
		t.Fatalf("TimeKDF = %v, %v", d, err)
	}
	if _, err := TimeKDF(KDFParams{N: 3, R: 1, P: 1}); err == nil {
		t.Fatal("TimeKDF accepted bad params")
	}
}

func TestKeyFileBoundToRepository(t *testing.T) {
	ctx := context.Background()
	r1, r2 := newTestRepo(t), newTestRepo(t)
	// Copy r1's key file into r2: same password, but it must not open r2
	// (associated data binds key files to the repository ID).
	b, _ := os.ReadFile(filepath.Join(r1.Dir(), "keys", r1.KeyID()))
	os.Remove(filepath.Join(r2.Dir(), "keys", r2.KeyID()))
	os.WriteFile(filepath.Join(r2.Dir(), "keys", r1.KeyID()), b, 0o600)
	if _, err := Open(ctx, r2.Dir(), testPassword); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("foreign key file opened repository: %v", err)
	}
}
