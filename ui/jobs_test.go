package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/tasks/jobs"
)

func TestJobsDialogPreviewsAndSaves(t *testing.T) {
	s, _, eng := newTestShell(t, Options{})
	eng.Backup.KDF = repo.TestKDFParams()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "docs")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	initRepo(t, eng, filepath.Join(tmp, "repo"), "nas", "pw")
	p := showTasksPage(t, s)
	uiDo(func() { p.showTab(1) })
	waitUI(t, "the empty jobs view", func() bool { return p.jobs.loaded && strings.Contains(texts(p.jobs.root), "No jobs yet") })

	var d *jobDialog
	uiDo(func() {
		p.jobs.showDialog(nil)
		d = p.jobs.dialog
	})
	waitUI(t, "the repositories", func() bool { return len(d.repo.Options) == 1 && d.repo.Selected == "nas" })

	// A schedule that cannot run, or cannot be read, is rejected inline
	// and cannot be saved.
	for _, tc := range []struct{ form, text, want string }{
		{schedCron, "0 0 31 2 *", "never runs"},
		{schedCron, "61 * * * *", "minute"},
		{schedEvery, "10s", "at least"},
		{schedAt, "25:00", "no hour 25"},
	} {
		uiDo(func() {
			d.name.SetText("docs")
			d.form.SetSelected(tc.form)
			switch tc.form {
			case schedCron:
				d.cron.SetText(tc.text)
			case schedEvery:
				d.every.SetText(tc.text)
			case schedAt:
				d.at.SetText(tc.text)
			}
			if !d.schedErr.Visible() || !strings.Contains(d.schedErr.Text, tc.want) || !d.save.Disabled() || d.next.Visible() {
				t.Errorf("%s %q: error %q (shown %v), save disabled %v", tc.form, tc.text, d.schedErr.Text, d.schedErr.Visible(), d.save.Disabled())
			}
		})
	}
	// Every day at 02:30 but on Mondays and Thursdays only: five runs
	// previewed, all on those days.
	uiDo(func() {
		d.form.SetSelected(schedAt)
		d.at.SetText("02:30")
		for i, dn := range dayNames {
			d.days[i].SetChecked(dn.word == "mon" || dn.word == "thu")
		}
		if d.schedErr.Visible() || d.save.Disabled() {
			t.Fatalf("a good schedule is refused: %q", d.schedErr.Text)
		}
		runs := strings.Split(strings.TrimPrefix(d.next.Text, "Next runs: "), " · ")
		if len(runs) != previewRuns {
			t.Fatalf("preview %q", d.next.Text)
		}
		for _, r := range runs {
			if !(strings.HasPrefix(r, "Mon ") || strings.HasPrefix(r, "Thu ")) || !strings.HasSuffix(r, "02:30") {
				t.Errorf("run %q is not a Monday or Thursday at 02:30", r)
			}
		}
		if !strings.Contains(d.describe.Text, "02:30") {
			t.Errorf("described as %q", d.describe.Text)
		}
		// The scheduler's own checks answer in the dialog: a backup
		// needs a source.
		d.submit()
	})
	waitUI(t, "the scheduler's refusal", func() bool { return strings.Contains(d.errText.Text, "at least one") && !d.saving })
	uiDo(func() {
		d.addSource(src)
		d.keep[2].SetText("7")
		d.submit()
	})
	waitUI(t, "the job saved", func() bool { return p.jobs.dialog == nil && p.jobs.job("docs") != nil })
	j, err := eng.Jobs.Store().Get("docs")
	if err != nil {
		t.Fatal(err)
	}
	if j.Schedule != "at 02:30 on mon,thu" || j.Repo != "nas" || len(j.Sources) != 1 || j.Sources[0] != src ||
		j.Retention.KeepDaily != 7 || j.Retries != 2 || j.OnInterrupted != jobs.OnInterruptedRerun {
		t.Fatalf("saved %+v", j)
	}
	waitUI(t, "the job in the table", func() bool {
		return strings.Contains(drawnTexts(p.jobs.root), "every Mon, Thu at 02:30") || strings.Contains(drawnTexts(p.jobs.root), "docs")
	})

	// Edit: the dialog shows the job; a new schedule is saved, the job
	// keeps its creation time.
	uiDo(func() {
		p.jobs.showDialog(&j)
		d = p.jobs.dialog
		if d.form.Selected != schedAt || d.at.Text != "02:30" || !d.days[0].Checked || d.days[1].Checked || d.keep[2].Text != "7" {
			t.Errorf("the dialog does not show the job: form %q at %q", d.form.Selected, d.at.Text)
		}
		d.form.SetSelected(schedEvery)
		d.every.SetText("6h")
		d.submit()
	})
	waitUI(t, "the job edited", func() bool { return p.jobs.dialog == nil })
	j2, err := eng.Jobs.Store().Get("docs")
	if err != nil {
		t.Fatal(err)
	}
	if j2.Schedule != "every 6h" || !j2.Created.Equal(j.Created) || j2.Retention.KeepDaily != 7 {
		t.Errorf("edited %+v", j2)
	}

	// An edit the scheduler refuses leaves the job as it was.
	uiDo(func() {
		p.jobs.showDialog(&j2)
		d = p.jobs.dialog
		d.sources = []string{filepath.Join(tmp, "gone")}
		d.submit()
	})
	waitUI(t, "the refusal", func() bool { return strings.Contains(d.errText.Text, "gone") && !d.saving })
	if j3, err := eng.Jobs.Store().Get("docs"); err != nil || j3.Sources[0] != src {
		t.Errorf("after a refused edit: %+v, %v", j3, err)
	}
	uiDo(func() { d.dlg.Hide() })

	// The Backups page lists the backup job as a source.
	_, w := newBackupsTestPage(t, s)
	waitUI(t, "the source on the Backups page", func() bool {
		got := texts(w.Content())
		return strings.Contains(got, "docs: docs into nas · every 6h · next ")
	})
}
