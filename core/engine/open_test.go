package engine

import (
	"os"
	"testing"

	"github.com/holdfast/holdfast/core/home"
	"github.com/holdfast/holdfast/core/store"
)

// TestOpenLocalWritesNothing: once a home exists, a CLI command's engine
// commits no write transaction and leaves the settings file alone, so a
// read command costs no fsync.
func TestOpenLocalWritesNothing(t *testing.T) {
	h := testHome(t)
	for range 2 { // the first open creates the buckets; the second reads them
		e, err := Open(h, Options{Mode: ModeLocal})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Stop(); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := os.Stat(h.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	e, err := Open(h, Options{Mode: ModeLocal})
	if err != nil {
		t.Fatal(err)
	}
	before := store.TxID(e.Store().DB())
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	e, err = Open(h, Options{Mode: ModeLocal})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	if got := store.TxID(e.Store().DB()); got != before {
		t.Errorf("opening the engine of an existing home committed %d write transactions, want none", got-before)
	}
	after, err := os.Stat(h.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(cfg.ModTime()) || after.Size() != cfg.Size() {
		t.Error("opening the engine rewrote the settings file")
	}
	entries, err := os.ReadDir(h.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		if len(de.Name()) > 0 && de.Name()[0] == '.' {
			t.Errorf("a temporary file %s was left in the home", de.Name())
		}
	}
}

// BenchmarkOpenLocal is the engine's share of a CLI command's fixed cost
// on a home with no engine running: open and stop.
func BenchmarkOpenLocal(b *testing.B) {
	dir := b.TempDir()
	h, err := home.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	e, err := Open(h, Options{Mode: ModeLocal})
	if err != nil {
		b.Fatal(err)
	}
	e.Stop()
	b.ReportAllocs()
	for b.Loop() {
		e, err := Open(h, Options{Mode: ModeLocal})
		if err != nil {
			b.Fatal(err)
		}
		e.Stop()
	}
}
