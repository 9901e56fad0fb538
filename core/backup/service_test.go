package backup

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/store"
)

func newService(t *testing.T) (*Service, *control.Router) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "holdfast.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := NewService(st, dir, nil)
	s.KDF = repo.TestKDFParams()
	rt := control.NewRouter(nil)
	s.Register(rt)
	return s, rt
}

func dispatch(t *testing.T, rt *control.Router, op string, args any, secrets map[string]string, out any) control.Result {
	t.Helper()
	raw, _ := json.Marshal(args)
	res := rt.Dispatch(context.Background(), control.Request{Op: op, Args: raw, Secrets: secrets}, nil)
	if out != nil && len(res.Data) > 0 {
		if err := json.Unmarshal(res.Data, out); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func TestStatsAndRecordedCheck(t *testing.T) {
	_, rt := newService(t)
	pw := map[string]string{SecretPassword: "pw"}
	repoDir := filepath.Join(t.TempDir(), "repo")
	if res := dispatch(t, rt, OpInit, InitArgs{RepoArgs: RepoArgs{Repo: repoDir}, Name: "nas", Remember: true}, pw, nil); res.Exit != 0 {
		t.Fatalf("init: %+v", res)
	}
	src := filepath.Join(t.TempDir(), "src")
	os.MkdirAll(src, 0o755)
	data := randBytes(3, 2<<20)
	os.WriteFile(filepath.Join(src, "a.bin"), data, 0o644)
	os.WriteFile(filepath.Join(src, "copy.bin"), data, 0o644)
	nas := RepoArgs{Repo: "nas"}
	for i := 0; i < 2; i++ {
		if res := dispatch(t, rt, OpBackup, BackupArgs{RepoArgs: nas, Paths: []string{src}}, nil, nil); res.Exit != 0 {
			t.Fatalf("backup: %+v", res)
		}
	}
	var st RepoStats
	dispatch(t, rt, OpStats, nas, nil, &st)
	// Two snapshots of 4 MiB each, stored once as 2 MiB of random data.
	if st.Snapshots != 2 || st.LogicalBytes != 8<<20 || st.DedupRatio < 3 || st.LastBackup == nil || st.LastCheck != nil {
		t.Fatalf("stats %+v", st)
	}
	if res := dispatch(t, rt, OpCheck, CheckArgs{RepoArgs: nas, ReadData: true}, nil, nil); res.Exit != 0 {
		t.Fatalf("check: %+v", res)
	}
	dispatch(t, rt, OpStats, nas, nil, &st)
	if st.LastCheck == nil || !st.CheckSound || !st.CheckRead {
		t.Fatalf("stats after check %+v", st)
	}
	var repos []RepoInfo
	dispatch(t, rt, OpRepos, struct{}{}, nil, &repos)
	if len(repos) != 1 || repos[0].LastCheck == nil || !repos[0].CheckSound {
		t.Fatalf("repos %+v", repos)
	}
}

func TestFailedBackupRaisesAnAlertThatSuccessResolves(t *testing.T) {
	s, rt := newService(t)
	al, err := alerts.New(s.Registry.Store().DB(), alerts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Alerts = al
	repoDir := filepath.Join(t.TempDir(), "repo")
	if res := dispatch(t, rt, OpInit, InitArgs{RepoArgs: RepoArgs{Repo: repoDir}, Name: "nas"}, map[string]string{SecretPassword: "pw"}, nil); res.Exit != 0 {
		t.Fatalf("init: %+v", res)
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "f"), []byte("x"), 0o644)
	args := BackupArgs{RepoArgs: RepoArgs{Repo: "nas"}, Paths: []string{src}}
	if res := dispatch(t, rt, OpBackup, args, map[string]string{SecretPassword: "wrong"}, nil); res.Exit != 1 {
		t.Fatalf("backup with a wrong password: %+v", res)
	}
	active := al.Active()
	if len(active) != 1 || active[0].Source != "backup" || active[0].Severity != alerts.SeverityError {
		t.Fatalf("active alerts after a failure: %+v", active)
	}
	if res := dispatch(t, rt, OpBackup, args, map[string]string{SecretPassword: "pw"}, nil); res.Exit != 0 {
		t.Fatalf("backup: %+v", res)
	}
	if active := al.Active(); len(active) != 0 {
		t.Fatalf("alert not resolved by the next success: %+v", active)
	}
	if h := al.History(0); len(h) != 1 || h[0].State != alerts.StateResolved {
		t.Fatalf("history %+v", h)
	}
}
