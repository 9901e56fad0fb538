package main

import (
	"os"
	"testing"
)

func TestPercentileNearestRank(t *testing.T) {
	var x []float64
	for i := 1; i <= 1000; i++ {
		x = append(x, float64(i))
	}
	for _, tt := range []struct{ p, want float64 }{{50, 500}, {90, 900}, {99, 990}, {100, 1000}, {0, 1}} {
		if got := percentile(x, tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	l := latency([]float64{3, 1, 2})
	if l.N != 3 || l.P50 != 2 || l.Max != 3 || l.Mean != 2 {
		t.Errorf("latency %+v", l)
	}
}

func TestReadProcOfItself(t *testing.T) {
	s, err := readProc("/proc", os.Getpid())
	if err != nil {
		t.Skipf("no procfs: %v", err)
	}
	if s.rssKB <= 0 || s.hwmKB < s.rssKB || s.threads < 1 {
		t.Errorf("read %+v", s)
	}
	busy, total, err := machineTicks("/proc")
	if err != nil || busy <= 0 || total < busy {
		t.Errorf("machine ticks %d of %d: %v", busy, total, err)
	}
}
