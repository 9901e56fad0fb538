package backup

import (
	"runtime/debug"
	"testing"
)

func TestHoldGCPercent(t *testing.T) {
	orig := debug.SetGCPercent(100)
	defer debug.SetGCPercent(orig)

	a := holdGCPercent(40)
	if got := currentGCPercent(); got != 40 {
		t.Fatalf("one holder: GOGC %d, want 40", got)
	}
	b := holdGCPercent(60) // the least aggressive holder wins
	if got := currentGCPercent(); got != 60 {
		t.Fatalf("two holders: GOGC %d, want 60", got)
	}
	b()
	b() // releasing twice is harmless
	if got := currentGCPercent(); got != 40 {
		t.Fatalf("after one release: GOGC %d, want 40", got)
	}
	a()
	if got := currentGCPercent(); got != 100 {
		t.Fatalf("after the last release: GOGC %d, want 100", got)
	}

	// Never above what the process had, and off stays off.
	debug.SetGCPercent(30)
	c := holdGCPercent(50)
	if got := currentGCPercent(); got != 30 {
		t.Errorf("GOGC %d, want the process's own 30", got)
	}
	c()
	debug.SetGCPercent(-1)
	d := holdGCPercent(50)
	if got := currentGCPercent(); got != -1 {
		t.Errorf("GOGC %d, want off (-1)", got)
	}
	d()
	if got := currentGCPercent(); got != -1 {
		t.Errorf("GOGC %d after release, want off (-1)", got)
	}
}

func TestReadingGCPercent(t *testing.T) {
	if p := readingGCPercent(0); p != 100 {
		t.Errorf("no buffers: %d, want 100", p)
	}
	// Buffers of minGCBase at most halve GOGC (the base is never less).
	if p := readingGCPercent(minGCBase); p < 50 || p >= 100 {
		t.Errorf("buffers of minGCBase: %d", p)
	}
	// …and huge buffers never take it below 10.
	if p := readingGCPercent(1 << 40); p != 10 {
		t.Errorf("huge buffers: %d, want 10", p)
	}
}
