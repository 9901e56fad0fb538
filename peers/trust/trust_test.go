package trust

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/peers/identity"
)

func openStore(t testing.TB) *Store {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// idWithPrefix finds an ID whose shown form starts with prefix.
func idWithPrefix(t *testing.T, prefix string) identity.DeviceID {
	for i := 0; i < 1<<20; i++ {
		id := identity.IDFromCert([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		if strings.HasPrefix(id.String(), prefix) {
			return id
		}
	}
	t.Fatalf("no ID with prefix %s", prefix)
	return identity.DeviceID{}
}

func TestAddRenameGrantRevokeRemove(t *testing.T) {
	s := openStore(t)
	var changes []identity.DeviceID
	s.OnChange = func(id identity.DeviceID) { changes = append(changes, id) }
	a := identity.IDFromCert([]byte("a"))
	b := identity.IDFromCert([]byte("b"))
	pa, err := s.Add(Peer{ID: a, Name: "laptop", Addresses: []string{"10.0.0.1:22000"}, Permissions: []Permission{Observe}})
	if err != nil || pa.Added.IsZero() {
		t.Fatalf("add: %+v %v", pa, err)
	}
	if _, err := s.Add(Peer{ID: b, Name: "laptop"}); !errors.Is(err, ErrNameTaken) {
		t.Errorf("duplicate name: %v", err)
	}
	if _, err := s.Add(Peer{ID: b, Name: "server", Permissions: []Permission{Observe}}); err != nil {
		t.Fatal(err)
	}
	// Pairing again keeps the name and merges addresses and permissions.
	again, err := s.Add(Peer{ID: a, Name: "other", Addresses: []string{"10.0.0.2:22000"}, Permissions: []Permission{Control}})
	if err != nil || again.Name != "laptop" || len(again.Addresses) != 2 || !again.Can(Control) || !again.Can(Observe) {
		t.Errorf("re-add: %+v %v", again, err)
	}
	if _, err := s.Rename(a, "server"); !errors.Is(err, ErrNameTaken) {
		t.Errorf("rename onto a taken name: %v", err)
	}
	if _, err := s.Rename(a, "\x07bell"); err == nil {
		t.Error("control character accepted")
	}
	if p, err := s.Rename(a, "desk"); err != nil || p.Name != "desk" {
		t.Errorf("rename: %+v %v", p, err)
	}
	p, _ := s.Revoke(a, Control)
	if p.Can(Control) || !p.Can(Observe) {
		t.Errorf("revoke control: %v", p.Permissions)
	}
	p, _ = s.Revoke(a, Observe)
	if !p.Revoked() {
		t.Errorf("revoke all: %v", p.Permissions)
	}
	p, _ = s.Grant(a, Control)
	p, _ = s.Grant(a, Observe)
	if len(p.Permissions) != 2 || p.Permissions[0] != Observe {
		t.Errorf("grant twice: %v", p.Permissions)
	}
	seen := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err = s.Seen(b, seen, []string{"192.168.1.5:22000"}, "srv1", "1.0")
	if err != nil || !p.LastSeen.Equal(seen) || p.Addresses[0] != "192.168.1.5:22000" || p.DeviceName != "srv1" {
		t.Errorf("seen: %+v %v", p, err)
	}
	if err := s.Remove(b); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(b); !errors.Is(err, ErrNotFound) {
		t.Errorf("after remove: %v", err)
	}
	if err := s.Remove(b); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
	if len(changes) < 7 {
		t.Errorf("OnChange called %d times", len(changes))
	}
	list, _ := s.List()
	if len(list) != 1 || list[0].Name != "desk" {
		t.Errorf("list: %+v", list)
	}
}

func TestResolve(t *testing.T) {
	s := openStore(t)
	a1 := idWithPrefix(t, "AB")
	a2 := idWithPrefix(t, "AC")
	s.Add(Peer{ID: a1, Name: "one", Permissions: []Permission{Observe}})
	s.Add(Peer{ID: a2, Name: "two", Permissions: []Permission{Observe}})
	tests := []struct {
		q    string
		want identity.DeviceID
		err  error
	}{
		{"one", a1, nil},
		{"two", a2, nil},
		{a1.String()[:2], a1, nil},
		{strings.ToLower(a2.String()[:2]), a2, nil},
		{"A", identity.DeviceID{}, ErrAmbiguous},
		{"nobody", identity.DeviceID{}, ErrNotFound},
		{"", identity.DeviceID{}, ErrNotFound},
	}
	for _, tt := range tests {
		p, err := s.Resolve(tt.q)
		if !errors.Is(err, tt.err) || (tt.err == nil && p.ID != tt.want) {
			t.Errorf("Resolve(%q) = %s, %v", tt.q, p.Name, err)
		}
		if errors.Is(err, ErrAmbiguous) && (!strings.Contains(err.Error(), "one") || !strings.Contains(err.Error(), "two")) {
			t.Errorf("ambiguous error does not list the candidates: %v", err)
		}
	}
	if n, _ := s.UniqueName("one", identity.DeviceID{9}); n != "one-2" {
		t.Errorf("UniqueName %q", n)
	}
	if n, _ := s.UniqueName("one", a1); n != "one" {
		t.Errorf("UniqueName of its own name %q", n)
	}
}

func TestInvitesWorkOnceAndExpire(t *testing.T) {
	s := openStore(t)
	now := time.Now()
	id := []byte("invite-1")
	if s.HasInvites(now) {
		t.Error("invites before any")
	}
	s.AddInvite(id, Invite{Key: []byte("k"), Created: now, Expires: now.Add(time.Minute)})
	if !s.HasInvites(now) {
		t.Error("no invite after AddInvite")
	}
	wrong := errors.New("wrong proof")
	if err := s.ConsumeInvite(id, now, func([]byte) error { return wrong }); !errors.Is(err, wrong) {
		t.Errorf("bad proof: %v", err)
	}
	// Many at once: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.ConsumeInvite(id, now, func(k []byte) error {
				if string(k) != "k" {
					return wrong
				}
				return nil
			})
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, ErrInviteUsed) {
				t.Errorf("replay: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d joiners used one code", wins)
	}
	s.AddInvite([]byte("old"), Invite{Key: []byte("k"), Created: now, Expires: now.Add(time.Second)})
	if err := s.ConsumeInvite([]byte("old"), now.Add(2*time.Second), func([]byte) error { return nil }); !errors.Is(err, ErrInviteExpired) {
		t.Errorf("expired: %v", err)
	}
	if err := s.ConsumeInvite([]byte("nope"), now, func([]byte) error { return nil }); !errors.Is(err, ErrInviteUnknown) {
		t.Errorf("unknown invite: %v", err)
	}
	if !s.HasInvites(now.Add(2 * time.Hour)) {
		t.Error("spent invites are not remembered for a while")
	}
	// A day later they are gone.
	s.AddInvite([]byte("new"), Invite{Key: []byte("k"), Created: now.Add(48 * time.Hour), Expires: now.Add(49 * time.Hour)})
	if err := s.ConsumeInvite([]byte("old"), now.Add(48*time.Hour), func([]byte) error { return nil }); !errors.Is(err, ErrInviteUnknown) {
		t.Errorf("old invite still there: %v", err)
	}
}
