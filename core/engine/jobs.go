package engine

import (
	"fmt"

	"github.com/holdfast/holdfast/core/tasks/jobs"
)

// JobsChanged is published when a job or the schedules' hold changed.
type JobsChanged struct{}

// Topic implements bus.Event.
func (JobsChanged) Topic() string { return "jobs.changed" }

// openJobs opens the jobs and their scheduler, registers the job
// operations, and, for serve and desktop engines, adds the scheduler as a
// service. A standalone CLI command uses the same scheduler to add, list
// and run jobs without starting its loop.
func (e *Engine) openJobs() error {
	st, err := jobs.OpenStore(e.store.DB())
	if err != nil {
		return fmt.Errorf("open jobs: %w", err)
	}
	sch, err := jobs.New(st, jobs.Options{
		Launcher: &jobs.DispatchLauncher{Dispatch: e.router.Dispatch},
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
