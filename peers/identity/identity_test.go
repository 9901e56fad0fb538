package identity

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateKeepsOneIdentity(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	ids := make([]DeviceID, 4)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := LoadOrCreate(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = id.ID
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent creators got different identities: %v", ids)
		}
	}
	again, err := LoadOrCreate(dir)
	if err != nil || again.ID != ids[0] {
		t.Fatalf("reload: %v %v", again, err)
	}
	if again.ID != IDFromCert(again.DER()) {
		t.Error("ID is not the hash of the certificate")
	}
	fi, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	other, err := LoadOrCreate(t.TempDir())
	if err != nil || other.ID == ids[0] {
		t.Fatalf("a second home has the same ID or failed: %v", err)
	}
}

func TestDamagedIdentityIsAnErrorNotReplaced(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage" {
		t.Error("the damaged file was replaced")
	}
}

func TestDeviceIDRoundTrip(t *testing.T) {
	var id DeviceID
	for i := range id {
		id[i] = byte(i * 7)
	}
	s := id.String()
	if len(s) != 63 || strings.Count(s, "-") != 7 {
		t.Fatalf("shown form %q", s)
	}
	for _, in := range []string{s, strings.ToLower(s), strings.ReplaceAll(s, "-", ""), strings.ReplaceAll(s, "-", " ")} {
		got, err := ParseID(in)
		if err != nil || got != id {
			t.Errorf("ParseID(%q) = %v, %v", in, got, err)
		}
	}
	txt, _ := id.MarshalText()
	var back DeviceID
	if err := back.UnmarshalText(txt); err != nil || back != id {
		t.Errorf("text round trip: %v", err)
	}
}

func TestParseIDRejectsTypos(t *testing.T) {
	id := IDFromCert([]byte("some certificate"))
	s := strings.ReplaceAll(id.String(), "-", "")
	// Change each character in turn to another letter: every single typo
	// must be caught by a check character.
	for i := range s {
		c := byte('A')
		if s[i] == 'A' {
			c = 'B'
		}
		bad := s[:i] + string(c) + s[i+1:]
		if _, err := ParseID(bad); !errors.Is(err, ErrBadID) {
			t.Fatalf("typo at %d accepted: %q", i, bad)
		}
	}
	// Swapping two neighbouring characters is caught nearly always (Luhn
	// misses only a few pairs of values).
	swaps, missed := 0, 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == s[i+1] || i%14 >= 12 {
			continue
		}
		swaps++
		bad := s[:i] + string(s[i+1]) + string(s[i]) + s[i+2:]
		if _, err := ParseID(bad); err == nil {
			missed++
		}
	}
	if missed*10 > swaps {
		t.Errorf("%d of %d transpositions accepted", missed, swaps)
	}
	for _, in := range []string{"", "ABC", s + "A", strings.Replace(s, s[:1], "1", 1), strings.Repeat("8", 56)} {
		if _, err := ParseID(in); !errors.Is(err, ErrBadID) {
			t.Errorf("ParseID(%q) err %v", in, err)
		}
	}
}

func TestHasPrefix(t *testing.T) {
	id := IDFromCert([]byte("x"))
	s := id.String()
	tests := []struct {
		prefix string
		want   bool
	}{
		{s[:3], true},
		{strings.ToLower(s[:10]), true},
		{strings.ReplaceAll(s[:10], "-", ""), true},
		{s, true},
		{"", false},
		{"-", false},
		{s[:5] + "?", false},
	}
	for _, tt := range tests {
		if got := id.HasPrefix(tt.prefix); got != tt.want {
			t.Errorf("HasPrefix(%q) = %v", tt.prefix, got)
		}
	}
	if id.Short() != s[:7] {
		t.Errorf("Short %q", id.Short())
	}
}

func TestCompare(t *testing.T) {
	a, b := DeviceID{1}, DeviceID{2}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Error("Compare")
	}
}
