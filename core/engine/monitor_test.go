package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/monitor"
)

func memTotalBytes(t *testing.T) float64 {
	t.Helper()
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Skip("no /proc/meminfo")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(fields[1], 64)
			return kb * 1024
		}
	}
	t.Fatal("MemTotal not found")
	return 0
}

func queryMetrics(t *testing.T, e *Engine, names ...string) []monitor.SeriesJSON {
	t.Helper()
	raw, _ := json.Marshal(monitor.QueryArgs{Names: names, Last: "10m"})
	res := e.Dispatch(context.Background(), control.Request{Op: monitor.OpQuery, Args: raw}, nil)
	if res.Exit != 0 {
		t.Fatalf("query: %+v", res)
	}
	var out []monitor.SeriesJSON
	json.Unmarshal(res.Data, &out)
	return out
}

// TestEngineRecordsMetricsThatAgreeWithTheKernel runs the real collector
// for a few seconds and reads the history back, live and after a restart.
func TestEngineRecordsMetricsThatAgreeWithTheKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("samples the machine for a few seconds")
	}
	want := memTotalBytes(t)
	h := testHome(t)
	e, err := Open(h, Options{Mode: ModeServe})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var cpu []monitor.SeriesJSON
	for time.Now().Before(deadline) {
		cpu = queryMetrics(t, e, "cpu_usage_ratio")
		if len(cpu) > 0 && len(cpu[0].Points) >= 2 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(cpu) == 0 || len(cpu[0].Points) < 2 {
		t.Fatalf("no CPU history after 10 s: %+v", cpu)
	}
	for _, s := range cpu {
		for _, p := range s.Points {
			if p[1] < 0 || p[1] > 1 {
				t.Errorf("%s: ratio %v out of range", s.Name, p[1])
			}
		}
	}
	mem := queryMetrics(t, e, "memory_total_bytes")
	if len(mem) != 1 || mem[0].Points[len(mem[0].Points)-1][1] != want {
		t.Fatalf("memory_total_bytes %+v, /proc/meminfo says %v", mem, want)
	}
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	// The history written at stop is there for the next reader.
	local, err := Open(h, Options{Mode: ModeLocal})
	if err != nil {
		t.Fatal(err)
	}
	defer local.Stop()
	mem = queryMetrics(t, local, "memory_total_bytes")
	if len(mem) != 1 || len(mem[0].Points) < 2 {
		t.Fatalf("after restart: %+v", mem)
	}
}
