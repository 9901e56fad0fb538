package engine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/home"
)

func testHome(t *testing.T) *home.Home {
	t.Helper()
	dir, err := os.MkdirTemp("", "hf") // short: the socket path must fit in sun_path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h, err := home.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type recordingService struct {
	name  string
	trace *[]string
	fail  bool
}

func (s recordingService) Name() string { return s.name }
func (s recordingService) Start(ctx context.Context) error {
	*s.trace = append(*s.trace, "start "+s.name)
	if s.fail {
		return errors.New("no")
	}
	return nil
}
func (s recordingService) Stop(ctx context.Context) error {
	*s.trace = append(*s.trace, "stop "+s.name)
	return nil
}

func TestStartStopServesStatusOnSocket(t *testing.T) {
	h := testHome(t)
	e, err := Open(h, Options{Mode: ModeServe})
	if err != nil {
		t.Fatal(err)
	}
	var trace []string
	e.AddService(recordingService{name: "a", trace: &trace})
	e.AddService(recordingService{name: "b", trace: &trace})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{h.ConfigPath(), h.DBPath(), h.SocketPath()} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	conn, err := control.Dial(h.SocketPath())
	if err != nil {
		t.Fatal(err)
	}
	res, err := control.Do(context.Background(), conn, control.Request{Op: OpStatus}, nil, time.Second)
	if err != nil || res.Exit != 0 {
		t.Fatalf("status: %+v %v", res, err)
	}
	var st Status
	json.Unmarshal(res.Data, &st)
	if !st.Running || st.PID != os.Getpid() || st.Mode != ModeServe || st.Home != h.Dir || st.SchemaVersion != 1 {
		t.Errorf("status %+v", st)
	}
	start := time.Now()
	if err := e.Stop(); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("Stop took longer than 5 s")
	}
	if got := strings.Join(trace, ","); got != "start a,start b,stop b,stop a" {
		t.Errorf("services ran %s", got)
	}
	if _, err := os.Stat(h.SocketPath()); !os.IsNotExist(err) {
		t.Error("socket left behind")
	}
	if h.Holder() != 0 {
		t.Error("home still locked after Stop")
	}
}

func TestSecondEngineIsRefusedAtOnce(t *testing.T) {
	h := testHome(t)
	e, err := Open(h, Options{Mode: ModeServe})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	start := time.Now()
	_, err = Open(h, Options{Mode: ModeDesktop})
	var inUse *home.InUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() {
		t.Fatalf("second engine: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Error("refusal was not immediate")
	}
	if !strings.Contains(err.Error(), "in use") {
		t.Errorf("error %q", err)
	}
}

func TestFailedServiceStopsTheOthers(t *testing.T) {
	h := testHome(t)
	e, err := Open(h, Options{Mode: ModeServe})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	var trace []string
	e.AddService(recordingService{name: "a", trace: &trace})
	e.AddService(recordingService{name: "b", trace: &trace, fail: true})
	if err := e.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "start b") {
		t.Fatalf("Start: %v", err)
	}
	if got := strings.Join(trace, ","); got != "start a,start b,stop a" {
		t.Errorf("services ran %s", got)
	}
}

func TestLocalModeTimesOutWhileAnotherProcessHoldsTheDatabase(t *testing.T) {
	h := testHome(t)
	os.WriteFile(h.ConfigPath(), []byte("[control]\nclient_timeout = \"200ms\"\n"), 0o600)
	e, err := Open(h, Options{Mode: ModeServe})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	start := time.Now()
	_, err = Open(h, Options{Mode: ModeLocal})
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Fatalf("local open: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("local open waited %s", d)
	}
}

func TestBadConfigAndCorruptDatabaseChangeNothing(t *testing.T) {
	t.Run("config typo", func(t *testing.T) {
		h := testHome(t)
		os.WriteFile(h.ConfigPath(), []byte("[general]\nlog_levle = \"debug\"\n"), 0o600)
		_, err := Open(h, Options{Mode: ModeServe})
		if err == nil || !strings.Contains(err.Error(), "config.toml:2") || !strings.Contains(err.Error(), "log_levle") {
			t.Fatalf("err %v", err)
		}
		if _, err := os.Stat(h.DBPath()); !os.IsNotExist(err) {
			t.Error("database created despite the bad config")
		}
		if h.Holder() != 0 {
			t.Error("lock kept after failed open")
		}
	})
	t.Run("corrupt database", func(t *testing.T) {
		h := testHome(t)
		junk := []byte(strings.Repeat("junk", 4096))
		os.WriteFile(h.DBPath(), junk, 0o600)
		_, err := Open(h, Options{Mode: ModeServe})
		if err == nil || !strings.Contains(err.Error(), "corrupt") {
			t.Fatalf("err %v", err)
		}
		if b, _ := os.ReadFile(h.DBPath()); string(b) != string(junk) {
			t.Error("corrupt database was modified")
		}
	})
}
