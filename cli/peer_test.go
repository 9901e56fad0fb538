package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/engine"
	"github.com/holdfast/holdfast/peers"
)

// TestPeersEndToEnd runs two real `holdfast serve` processes on loopback:
// invite, join, list, status/tasks/metrics/jobs run through --peer,
// grant, revoke, and a replayed code.
func TestPeersEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "holdfast")
	build := exec.Command("go", "build", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	run := func(home string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		cmd := exec.Command(bin, append(args, "--home", home)...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return exitCode(err), out.String(), errb.String()
	}
	must := func(home string, v any, args ...string) {
		t.Helper()
		code, out, errOut := run(home, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if v != nil {
			if err := json.Unmarshal([]byte(out), v); err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
		}
	}
	serve := func(name string) string {
		home := shortTemp(t)
		os.WriteFile(filepath.Join(home, "config.toml"), []byte("[general]\ndevice_name = \""+name+"\"\n"), 0o600)
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "serve", "--home", home, "--listen", "127.0.0.1:0")
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			if t.Failed() {
				t.Logf("%s serve stderr:\n%s", name, stderr.String())
			}
		})
		waitFor(t, name+" running", func() bool {
			var st engine.Status
			code, out, _ := run(home, "status", "--json")
			return code == 0 && json.Unmarshal([]byte(out), &st) == nil && st.Running
		})
		return home
	}
	homeA, homeB := serve("alpha"), serve("bravo")

	var idA, idB peers.IDInfo
	must(homeA, &idA, "peer", "id", "--json")
	must(homeB, &idB, "peer", "id", "--json")
	if len(idA.Listen) != 1 || idA.ID == idB.ID {
		t.Fatalf("ids: %+v %+v", idA, idB)
	}
	var inv struct{ Code string }
	must(homeA, &inv, "peer", "invite", "--expires", "5m", "--json")
	var joined peers.PeerInfo
	must(homeB, &joined, "peer", "join", inv.Code, "--name", "home-a", "--json")
	if joined.ID != idA.ID || joined.Name != "home-a" {
		t.Errorf("joined %+v", joined)
	}
	online := func(home, name string) func() bool {
		return func() bool {
			var list []map[string]any
			code, out, _ := run(home, "peer", "list", "--json")
			if code != 0 || json.Unmarshal([]byte(out), &list) != nil {
				return false
			}
			for _, p := range list {
				if p["name"] == name && p["online"] == true {
					for _, k := range []string{"id", "last_seen", "addresses", "permissions"} {
						if _, ok := p[k]; !ok {
							t.Errorf("peer list --json lacks %q: %s", k, out)
						}
					}
					return true
				}
			}
			return false
		}
	}
	waitFor(t, "alpha sees bravo online", online(homeA, "bravo"))
	waitFor(t, "bravo sees home-a online", online(homeB, "home-a"))

	var st engine.Status
	must(homeB, &st, "status", "--peer", "home-a", "--json")
	if !st.Running || st.Home != homeA || st.Device != "alpha" {
		t.Errorf("status --peer: %+v", st)
	}
	if code, out, _ := run(homeB, "status", "--peer", idA.ID.String()[:6]); code != 0 || !strings.Contains(out, "Engine running on "+homeA) {
		t.Errorf("status by ID prefix: %d %s", code, out)
	}
	must(homeB, nil, "tasks", "--peer", "home-a", "--json")
	must(homeB, nil, "metrics", "--peer", "home-a", "--last", "5m", "--json")
	code, _, errOut := run(homeB, "jobs", "run", "--peer", "home-a", "nightly")
	if code != 1 || !strings.Contains(errOut, "permission denied") {
		t.Errorf("jobs run with observe only: %d %s", code, errOut)
	}
	must(homeA, nil, "peer", "grant", "bravo", "control")
	code, _, errOut = run(homeB, "jobs", "run", "--peer", "home-a", "nightly")
	if code == 0 || strings.Contains(errOut, "permission denied") || !strings.Contains(errOut, "nightly") {
		t.Errorf("jobs run with control (no such job there): %d %s", code, errOut)
	}
	if code, _, errOut := run(homeB, "status", "--peer", "nobody"); code != 2 || !strings.Contains(errOut, "no such peer") {
		t.Errorf("unknown peer: %d %s", code, errOut)
	}

	// The code worked once.
	homeC := shortTemp(t)
	if code, _, errOut := run(homeC, "peer", "join", inv.Code); code != 1 || !strings.Contains(errOut, "already used") {
		t.Errorf("replayed code: %d %s", code, errOut)
	}

	must(homeA, nil, "peer", "revoke", "bravo")
	waitFor(t, "bravo sees home-a offline", func() bool { return !online(homeB, "home-a")() })
	if code, _, errOut := run(homeB, "status", "--peer", "home-a"); code != 1 || !strings.Contains(errOut, "offline") {
		t.Errorf("status of a peer that revoked us: %d %s", code, errOut)
	}
	var list []peers.PeerInfo
	must(homeA, &list, "peer", "list", "--json")
	if len(list) != 1 || list[0].State != "revoked" || len(list[0].Permissions) != 0 {
		t.Errorf("after revoke: %+v", list)
	}
	must(homeA, nil, "peer", "remove", "bravo")
	must(homeA, &list, "peer", "list", "--json")
	if len(list) != 0 {
		t.Errorf("after remove: %+v", list)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
