package engine

import (
	"context"
	"fmt"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks"
	"github.com/holdfast/holdfast/core/tasks/jobs"
)

// JobsChanged is published when a job or the schedules' hold changed.
type JobsChanged struct{}

// Topic implements bus.Event.
func (JobsChanged) Topic() string { return "jobs.changed" }

// openJobs opens the jobs and their scheduler, registers the job
// operations, and, for serve and desktop engines, adds the scheduler as a
// service. A standalone CLI command uses the same scheduler to add, list
// and run jobs without starting its loop. Jobs run as tasks on the task
// runner (opened before).
func (e *Engine) openJobs() error {
	st, err := jobs.OpenStore(e.store.DB())
	if err != nil {
		return fmt.Errorf("open jobs: %w", err)
	}
	var launcher jobs.Launcher = &jobs.DispatchLauncher{Dispatch: e.router.Dispatch}
	if e.Tasks != nil {
		launcher = runnerLauncher{e.Tasks}
	}
	sch, err := jobs.New(st, jobs.Options{
		Launcher: launcher,
		Repo:     e.Backup.Registry.Get,
		HasOp:    e.router.Has,
		Log:      e.log.With("service", "scheduler"),
		OnChange: func() { e.bus.Publish(JobsChanged{}) },
	})
	if err != nil {
		return err
	}
	sch.Register(e.router)
	e.Jobs = sch
	if e.mode != ModeLocal {
		e.services = append(e.services, sch)
	}
	return nil
}

// runnerLauncher starts the jobs' work as tasks of the runner.
type runnerLauncher struct{ r *tasks.Runner }

func (l runnerLauncher) Launch(ctx context.Context, req control.Request, o jobs.Origin) (string, error) {
	id, err := l.r.Launch(ctx, req, tasks.Origin{Job: o.Job, Attempt: o.Attempt})
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

func (l runnerLauncher) Wait(ctx context.Context, id string) (jobs.Outcome, error) {
	tid, err := tasks.ParseID(id)
	if err != nil {
		return jobs.Outcome{}, err
	}
	t, err := l.r.Wait(ctx, tid)
	if err != nil {
		return jobs.Outcome{}, err
	}
	return jobs.Outcome{State: string(t.State), Exit: t.Exit, Error: t.Error}, nil
}

func (l runnerLauncher) Cancel(id string) error {
	tid, err := tasks.ParseID(id)
	if err != nil {
		return err
	}
	_, err = l.r.Cancel(tid)
	return err
}

func (l runnerLauncher) PauseAll()  { l.r.PauseAll() }
func (l runnerLauncher) ResumeAll() { l.r.ResumeAll() }
