package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/core/home"
)

func shortTemp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hf") // the socket path must fit in sun_path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, nil, &out, &errb)
	return code, out.String(), errb.String()
}

func TestStatus(t *testing.T) {
	dir := shortTemp(t)
	code, out, errOut := runCLI(t, "status", "--home", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var st engine.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	if st.Running || st.Home != dir {
		t.Errorf("without engine: %+v", st)
	}

	h, _ := home.Open(dir)
	eng, err := engine.Open(h, engine.Options{Mode: engine.ModeServe})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	code, out, errOut = runCLI(t, "status", "--home", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	st = engine.Status{}
	json.Unmarshal([]byte(out), &st)
	if !st.Running || st.Mode != engine.ModeServe || st.PID != os.Getpid() {
		t.Errorf("with engine: %+v", st)
	}
	code, out, _ = runCLI(t, "status", "--home", dir)
	if code != 0 || !strings.Contains(out, "Engine running on "+dir) {
		t.Errorf("text status: %d %q", code, out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	dir := shortTemp(t)
	for _, args := range [][]string{
		{"status", "--bogus"},
		{"status", "extra"},
		{"frobnicate"},
		{"version", "--json=maybe"},
	} {
		code, _, errOut := runCLI(t, append(args, "--home", dir)...)
		if code != 2 || !strings.Contains(errOut, "holdfast:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

func TestBadHomeFilesGiveClearErrorsAndStayUntouched(t *testing.T) {
	tests := []struct {
		name, file, content, want string
	}{
		{"config typo", "config.toml", "[ui]\ntheme = \"dark\"\nclose_to_try = true\n", `config.toml:3: unknown key "ui.close_to_try"`},
		{"config bad value", "config.toml", "[general]\nlog_level = \"loud\"\n", "config.toml:2: general.log_level"},
		{"corrupt database", "holdfast.db", strings.Repeat("\x00garbage", 2048), "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := shortTemp(t)
			path := filepath.Join(dir, tt.file)
			os.WriteFile(path, []byte(tt.content), 0o600)
			for _, args := range [][]string{{"status"}, {"serve"}} {
				code, _, errOut := runCLI(t, append(args, "--home", dir)...)
				if code != 1 || !strings.Contains(errOut, tt.want) {
					t.Errorf("%v: exit %d, stderr %q, want %q", args, code, errOut, tt.want)
				}
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Error("the file was changed")
			}
		})
	}
}

// TestServeProcess runs the real binary: two homes side by side, a second
// engine on a home refused at once, SIGTERM stopping cleanly.
func TestServeProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "holdfast")
	build := exec.Command("go", "build", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	homeA, homeB := shortTemp(t), shortTemp(t)
	serve := func(dir string) (*exec.Cmd, *bytes.Buffer) {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "serve", "--home", dir)
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd, &stderr
	}
	status := func(dir string) engine.Status {
		out, err := exec.Command(bin, "status", "--home", dir, "--json").Output()
		if err != nil {
			t.Fatalf("status: %v", err)
		}
		var st engine.Status
		if err := json.Unmarshal(out, &st); err != nil {
			t.Fatalf("status output: %v\n%s", err, out)
		}
		return st
	}
	waitRunning := func(dir string) engine.Status {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if st := status(dir); st.Running {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("engine on %s did not come up", dir)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	a, aErr := serve(homeA)
	b, _ := serve(homeB)
	stA, stB := waitRunning(homeA), waitRunning(homeB)
	if stA.PID != a.Process.Pid || stB.PID != b.Process.Pid {
		t.Errorf("PIDs %d/%d, want %d/%d", stA.PID, stB.PID, a.Process.Pid, b.Process.Pid)
	}

	start := time.Now()
	out, err := exec.Command(bin, "serve", "--home", homeA).CombinedOutput()
	if code := exitCode(err); code != 1 {
		t.Errorf("second serve exit %d", code)
	}
	if !strings.Contains(string(out), "in use") || !strings.Contains(string(out), "PID "+itoa(a.Process.Pid)) {
		t.Errorf("second serve said %q", out)
	}
	if time.Since(start) > 3*time.Second {
		t.Error("second serve was not refused at once")
	}

	for _, sig := range []struct {
		cmd *exec.Cmd
		s   syscall.Signal
	}{{a, syscall.SIGTERM}, {b, syscall.SIGINT}} {
		start = time.Now()
		sig.cmd.Process.Signal(sig.s)
		if err := sig.cmd.Wait(); err != nil {
			t.Errorf("after %v: %v", sig.s, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("stopping on %v took %s", sig.s, d)
		}
	}
	if !strings.Contains(aErr.String(), "engine stopped") {
		t.Errorf("serve stderr: %s", aErr)
	}
	logFile, _ := os.ReadFile(filepath.Join(homeA, "logs", "holdfast.log"))
	if !strings.Contains(string(logFile), "engine stopped") {
		t.Errorf("log file: %s", logFile)
	}
	if st := status(homeA); st.Running {
		t.Error("status still says running after stop")
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
