package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/holdfast/holdfast/core/monitor"
)

// TestTopWithoutEngine measures the real process table in-process, as on a
// home with no engine running, in both output shapes.
func TestTopWithoutEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the process table for a second")
	}
	dir := shortTemp(t)
	code, out, errOut := runCLI(t, "top", "--home", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got monitor.ProcessesJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not the documented JSON: %v\n%s", err, out)
	}
	if got.At.IsZero() || got.OverSeconds < 0.5 || len(got.Processes) == 0 {
		t.Fatalf("sample %+v", got)
	}
	for _, p := range got.Processes {
		if p.PID <= 0 || p.Name == "" || p.CPURatio < 0 {
			t.Errorf("process %+v", p)
		}
	}

	code, out, errOut = runCLI(t, "top", "--home", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 3 || !strings.Contains(lines[0], "PID") || !strings.Contains(lines[0], "NAME") {
		t.Fatalf("table:\n%s", out)
	}
	if code, _, _ := runCLI(t, "top", "extra", "--home", dir); code != 2 {
		t.Errorf("top with an argument: exit %d, want 2", code)
	}
}
