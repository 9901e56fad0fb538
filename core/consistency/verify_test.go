package consistency

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/store"
)

// alertLog records what a service raised and resolved.
type alertLog struct {
	mu     sync.Mutex
	active map[string]string
	events []string
}

func (a *alertLog) Raise(_ context.Context, ev alerts.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.active[ev.Key] = ev.Message
	a.events = append(a.events, "raise "+ev.Key)
	return nil
}

func (a *alertLog) Resolve(_ context.Context, source, key, msg string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.active, key)
	a.events = append(a.events, "resolve "+key)
	return nil
}

// testService is a consistency service on a fresh home, with a router.
type testService struct {
	*Service
	router *control.Router
	alerts *alertLog
	home   string
}

func newTestService(t *testing.T) *testService {
	t.Helper()
	home := t.TempDir()
	st, err := store.Open(filepath.Join(home, "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bs := backup.NewService(st, home, nil)
	s, err := NewService(st.DB(), home, bs, nil)
	if err != nil {
		t.Fatal(err)
	}
	al := &alertLog{active: map[string]string{}}
	s.Alerts = al
	r := control.NewRouter(nil)
	s.Register(r)
	return &testService{Service: s, router: r, alerts: al, home: home}
}

// call runs op with args and the test password, decoding the data into out.
func (ts *testService) call(t *testing.T, op string, args, out any) control.Result {
	t.Helper()
	raw, _ := json.Marshal(args)
	res := ts.router.Dispatch(context.Background(), control.Request{Op: op, Args: raw, Secrets: map[string]string{backup.SecretPassword: "pw"}}, nil)
	if out != nil && len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func paths(es []Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

func TestVerify(t *testing.T) {
	ts := newTestService(t)
	dir := t.TempDir()
	docs := filepath.Join(dir, "Docs")
	os.MkdirAll(filepath.Join(docs, "sub"), 0o755)
	files := map[string]string{"a.txt": "alpha", "b.txt": "bravo", "c.txt": "charlie", "sub/d.txt": "delta", "rot.bin": "bits and bytes"}
	for p, data := range files {
		os.WriteFile(filepath.Join(docs, p), []byte(data), 0o644)
	}
	r := newRepo(t)
	backupOf(t, r, docs)
	args := VerifyArgs{RepoArgs: backup.RepoArgs{Repo: r.Dir(), RepoAbs: r.Dir()}, Folder: docs}

	var v VerifyResult
	res := ts.call(t, OpVerify, args, &v)
	if res.Exit != 0 || v.Problems() || v.Counts.Entries != 6 || v.Score != 100 || v.SnapshotPath != "Docs" {
		t.Fatalf("clean verify: %+v %+v", res, v)
	}

	// a.txt: same size, mtime put back: corrupt. b.txt edited: changed.
	// sub/d.txt gone: missing. e.txt: new.
	fa := filepath.Join(docs, "a.txt")
	fi, _ := os.Stat(fa)
	os.WriteFile(fa, []byte("ALPHA"), 0o644)
	os.Chtimes(fa, fi.ModTime(), fi.ModTime())
	os.WriteFile(filepath.Join(docs, "b.txt"), []byte("bravo, edited"), 0o644)
	os.Remove(filepath.Join(docs, "sub", "d.txt"))
	os.WriteFile(filepath.Join(docs, "e.txt"), []byte("echo"), 0o644)
	v = VerifyResult{}
	res = ts.call(t, OpVerify, args, &v)
	if res.Exit != control.ExitFound {
		t.Errorf("exit %d %s", res.Exit, res.Error)
	}
	for name, pair := range map[string][2][]string{
		"corrupt": {paths(v.Corrupt), {"a.txt"}}, "changed": {paths(v.Changed), {"b.txt"}},
		"missing": {paths(v.Missing), {"sub/d.txt"}}, "new": {paths(v.New), {"e.txt"}},
	} {
		if len(pair[0]) != len(pair[1]) || (len(pair[0]) > 0 && pair[0][0] != pair[1][0]) {
			t.Errorf("%s: %q, want %q", name, pair[0], pair[1])
		}
	}
	if _, ok := ts.alerts.active["verify:"+docs]; !ok {
		t.Errorf("no alert raised: %v", ts.alerts.events)
	}

	// Back to the snapshot's state: the alert resolves.
	os.WriteFile(fa, []byte("alpha"), 0o644)
	os.Chtimes(fa, fi.ModTime(), fi.ModTime())
	os.WriteFile(filepath.Join(docs, "sub", "d.txt"), []byte("delta"), 0o644)
	res = ts.call(t, OpVerify, args, &v)
	if res.Exit != 0 || len(ts.alerts.active) != 0 {
		t.Errorf("after the fix: exit %d, alerts %v", res.Exit, ts.alerts.active)
	}

	// Bit rot: the bytes change under the file system, size and mtime
	// do not. The index still vouches for the old content (as it would
	// with ctime untouched), so only --deep sees it.
	rot := filepath.Join(docs, "rot.bin")
	good, err := content.HashFile(context.Background(), rot, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(rot)
	os.WriteFile(rot, []byte("bits and bYtes"), 0o644)
	os.Chtimes(rot, before.ModTime(), before.ModTime())
	fi, _ = os.Stat(rot)
	if err := ts.Index.Put(rot, content.StatMeta(fi), good); err != nil {
		t.Fatal(err)
	}
	v = VerifyResult{}
	res = ts.call(t, OpVerify, args, &v)
	if res.Exit != 0 || len(v.Corrupt) != 0 {
		t.Errorf("shallow verify found rot it cannot see: exit %d %+v", res.Exit, v)
	}
	args.Deep = true
	v = VerifyResult{}
	res = ts.call(t, OpVerify, args, &v)
	if res.Exit != control.ExitFound || len(v.Corrupt) != 1 || v.Corrupt[0].Path != "rot.bin" || !v.Deep || v.HashedFiles != 6 {
		t.Errorf("deep verify: exit %d %+v", res.Exit, v)
	}
	if _, ok := ts.alerts.active["verify:"+docs]; !ok {
		t.Errorf("no alert for rot: %v", ts.alerts.events)
	}
}
