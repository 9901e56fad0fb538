package trust

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/holdfast/holdfast/peers/identity"
)

// TestReadsSeeEveryWrite: reads come from a decoded snapshot, which must
// follow every kind of write, also one made by another Store on the same
// database, and must not share slices with what callers get.
func TestReadsSeeEveryWrite(t *testing.T) {
	s := openStore(t)
	other := &Store{db: s.db}
	a := identity.IDFromCert([]byte("a"))
	b := identity.IDFromCert([]byte("b"))
	if _, err := s.Add(Peer{ID: a, Name: "laptop", Permissions: []Permission{Observe}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(); err != nil { // fill the snapshot
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		write func() error
		check func() error
	}{
		{"add through another store", func() error {
			_, err := other.Add(Peer{ID: b, Name: "server", Permissions: []Permission{Observe}})
			return err
		}, func() error {
			if p, err := s.Get(b); err != nil || p.Name != "server" {
				return fmt.Errorf("get: %+v %v", p, err)
			}
			return nil
		}},
		{"rename", func() error { _, err := other.Rename(a, "desk"); return err }, func() error {
			p, err := s.Resolve("desk")
			if err != nil || p.ID != a {
				return fmt.Errorf("resolve: %+v %v", p, err)
			}
			return nil
		}},
		{"grant", func() error { _, err := other.Grant(a, Control); return err }, func() error {
			if p, _ := s.Get(a); !p.Can(Control) {
				return fmt.Errorf("no control: %+v", p)
			}
			return nil
		}},
		{"seen", func() error {
			_, err := other.Seen(a, time.Unix(1e9, 0), []string{"10.0.0.9:7420"}, "", "")
			return err
		}, func() error {
			if p, _ := s.Get(a); !p.LastSeen.Equal(time.Unix(1e9, 0)) || len(p.Addresses) != 1 {
				return fmt.Errorf("seen not recorded: %+v", p)
			}
			return nil
		}},
		{"remove", func() error { return other.Remove(b) }, func() error {
			if _, err := s.Get(b); !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("removed peer still there: %v", err)
			}
			if l, _ := s.List(); len(l) != 1 {
				return fmt.Errorf("list: %+v", l)
			}
			return nil
		}},
	}
	for _, st := range steps {
		if err := st.write(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if err := st.check(); err != nil {
			t.Errorf("%s: %v", st.name, err)
		}
	}
	p, _ := s.Get(a)
	p.Permissions[0] = "mangled"
	p.Addresses[0] = "mangled"
	if q, _ := s.Get(a); q.Permissions[0] == "mangled" || q.Addresses[0] == "mangled" {
		t.Errorf("a caller's change reached the store: %+v", q)
	}
}

func BenchmarkResolve100(b *testing.B) {
	s := openStore(b)
	for i := range 100 {
		id := identity.IDFromCert(fmt.Appendf(nil, "peer %d", i))
		if _, err := s.Add(Peer{ID: id, Name: fmt.Sprintf("sim-%03d", i), Addresses: []string{"127.0.0.1:7420"}, Permissions: []Permission{Observe}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Resolve("sim-050"); err != nil {
			b.Fatal(err)
		}
	}
}
