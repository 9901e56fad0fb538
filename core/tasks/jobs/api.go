package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/holdfast/holdfast/core/backup/registry"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks/schedule"
)

// Operations on the control socket.
const (
	OpAdd    = "jobs.add"
	OpList   = "jobs.list"
	OpRemove = "jobs.remove"
	OpRun    = "jobs.run"
	OpPause  = "jobs.pause"
	OpResume = "jobs.resume"
)

// AddArgs are the arguments of `holdfast jobs add`.
type AddArgs struct {
	Name          string    `json:"name"`
	Action        Action    `json:"action"`
	Repo          string    `json:"repo"`
	Sources       []string  `json:"sources,omitempty"`
	Schedule      string    `json:"schedule"`
	Retention     Retention `json:"retention,omitzero"`
	Retries       int       `json:"retries,omitempty"`
	OnInterrupted string    `json:"on_interrupted,omitempty"`
	Paused        bool      `json:"paused,omitempty"`
}

// NameArgs name a job; All (pause, resume) means every schedule.
type NameArgs struct {
	Name string `json:"name,omitempty"`
	All  bool   `json:"all,omitempty"`
	// Wait (run) waits for the run to end.
	Wait bool `json:"wait,omitempty"`
}

// Info is a job as `holdfast jobs list --json` shows it.
type Info struct {
	Job
	// Description says the schedule in words.
	Description string `json:"description"`
	// NextRun is when it runs next; null when paused, held or never.
	NextRun *time.Time `json:"next_run"`
	// NextRuns previews the next few runs (jobs add).
	NextRuns []time.Time `json:"next_runs,omitempty"`
}

// ListResult is the result of jobs.list.
type ListResult struct {
	// PausedAll: every schedule is held ("Pause all").
	PausedAll bool   `json:"paused_all"`
	Jobs      []Info `json:"jobs"`
}

// RunResult is the result of jobs.run.
type RunResult struct {
	Job    string `json:"job"`
	TaskID string `json:"task_id"`
	// State, Exit and Error are the task's end (empty without wait).
	State string `json:"state,omitempty"`
	Exit  int    `json:"exit"`
	Error string `json:"error,omitempty"`
}

// Register adds the job operations to r.
func (s *Scheduler) Register(r interface {
	Handle(op string, h control.Handler)
}) {
	r.Handle(OpAdd, s.handleAdd)
	r.Handle(OpList, s.handleList)
	r.Handle(OpRemove, s.handleRemove)
	r.Handle(OpRun, s.handleRun)
	r.Handle(OpPause, func(ctx context.Context, c *control.Call) (any, error) { return s.handlePause(c, true) })
	r.Handle(OpResume, func(ctx context.Context, c *control.Call) (any, error) { return s.handlePause(c, false) })
}

// Add validates and stores a new job: its fields, its schedule, and its
// repository, which must be one the home knows by name with a remembered
// password, since a job runs unattended.
func (s *Scheduler) Add(args AddArgs) (Info, error) {
	now := s.opts.Now()
	j := Job{Name: args.Name, Action: args.Action, Repo: args.Repo, Sources: args.Sources, Schedule: args.Schedule,
		Retention: args.Retention, Retries: args.Retries, OnInterrupted: args.OnInterrupted, Paused: args.Paused,
		Created: now.UTC(), LastSlot: now.UTC()}
	sc, err := j.validate()
	if err != nil {
		return Info{}, control.Usagef("jobs add %s: %v", args.Name, err)
	}
	j.Schedule = sc.String()
	if j.Action == ActionVerify && (s.opts.HasOp == nil || !s.opts.HasOp(OpVerify)) {
		return Info{}, fmt.Errorf("jobs add %s: %w", j.Name, ErrNoVerify)
	}
	if err := s.checkRepo(j.Repo); err != nil {
		return Info{}, fmt.Errorf("jobs add %s: %w", j.Name, err)
	}
	if err := s.st.Add(j); err != nil {
		return Info{}, err
	}
	s.log.Info("job added", "job", j.Name, "action", j.Action, "repo", j.Repo, "schedule", j.Schedule)
	s.changed()
	info := s.info(j, now)
	info.NextRuns = sc.NextN(now, 3)
	for i := range info.NextRuns {
		info.NextRuns[i] = info.NextRuns[i].UTC()
	}
	return info, nil
}

// checkRepo makes sure a job can open its repository unattended.
func (s *Scheduler) checkRepo(name string) error {
	howto := "create it with `holdfast init --repo DIR --name NAME --remember`"
	if registry.ValidateName(name) != nil {
		return fmt.Errorf("--repo %q: a job needs the name of a repository this home knows, not a path (jobs run unattended); %s", name, howto)
	}
	if s.opts.Repo == nil {
		return nil
	}
	repo, err := s.opts.Repo(name)
	if errors.Is(err, registry.ErrNotFound) {
		return fmt.Errorf("--repo %s: this home knows no repository by that name (see `holdfast repos`); %s", name, howto)
	}
	if err != nil {
		return err
	}
	if repo.Password == "" {
		return fmt.Errorf("repository %s has no remembered password, and a job runs unattended: %s (remembering the password of an existing repository is not possible yet)", name, howto)
	}
	return nil
}

// List returns the jobs with their next runs.
func (s *Scheduler) List() (ListResult, error) {
	now := s.opts.Now()
	all, err := s.st.List(func(err error) { s.log.Error("jobs", "err", err) })
	if err != nil {
		return ListResult{}, err
	}
	res := ListResult{PausedAll: s.Hold(), Jobs: []Info{}}
	for _, j := range all {
		res.Jobs = append(res.Jobs, s.info(j, now))
	}
	return res, nil
}

func (s *Scheduler) info(j Job, now time.Time) Info {
	info := Info{Job: j}
	info.Created, info.LastSlot = j.Created.UTC(), j.LastSlot.UTC()
	info.LastRun, info.LastEnd, info.RetryAt = utc(j.LastRun), utc(j.LastEnd), utc(j.RetryAt)
	if sc, err := schedule.Parse(j.Schedule); err == nil {
		info.Description = sc.Describe()
	} else {
		info.Description = "invalid: " + err.Error()
	}
	if !s.Hold() {
		if next := s.nextRun(j, now); !next.IsZero() {
			next = next.UTC()
			info.NextRun = &next
		}
	}
	return info
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// Remove deletes a job. A run in flight goes on to its end.
func (s *Scheduler) Remove(name string) error {
	if err := s.st.Remove(name); err != nil {
		return err
	}
	s.log.Info("job removed", "job", name)
	s.changed()
	return nil
}

// SetPaused pauses or resumes one job. A resumed job runs a slot it
// missed while paused once.
func (s *Scheduler) SetPaused(name string, paused bool) (Job, error) {
	j, err := s.st.Update(name, func(j *Job) error { j.Paused = paused; return nil })
	if err != nil {
		return j, err
	}
	s.log.Info("job pause changed", "job", name, "paused", paused)
	s.changed()
	return j, nil
}

func (s *Scheduler) handleAdd(ctx context.Context, c *control.Call) (any, error) {
	var args AddArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	return s.Add(args)
}

func (s *Scheduler) handleList(ctx context.Context, c *control.Call) (any, error) {
	return s.List()
}

func (s *Scheduler) handleRemove(ctx context.Context, c *control.Call) (any, error) {
	var args NameArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Name == "" {
		return nil, control.Usagef("jobs remove: name the job")
	}
	return nil, s.Remove(args.Name)
}

func (s *Scheduler) handlePause(c *control.Call, paused bool) (any, error) {
	var args NameArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	verb := map[bool]string{true: "pause", false: "resume"}[paused]
	switch {
	case args.All && args.Name != "":
		return nil, control.Usagef("jobs %s: give a job name or --all, not both", verb)
	case args.All:
		if err := s.SetHold(paused); err != nil {
			return nil, err
		}
		return s.List()
	case args.Name == "":
		return nil, control.Usagef("jobs %s: name the job, or --all", verb)
	}
	if _, err := s.SetPaused(args.Name, paused); err != nil {
		return nil, err
	}
	return s.List()
}

func (s *Scheduler) handleRun(ctx context.Context, c *control.Call) (any, error) {
	var args NameArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	if args.Name == "" {
		return nil, control.Usagef("jobs run: name the job")
	}
	s.mu.Lock()
	local := s.ctx == nil
	s.mu.Unlock()
	run, err := s.RunNow(ctx, args.Name)
	if err != nil {
		return nil, err
	}
	id := run.TaskID()
	c.Logf("task %s", id)
	res := RunResult{Job: args.Name, TaskID: id}
	if !args.Wait && !local {
		return res, nil
	}
	if !args.Wait {
		c.Logf("no engine runs on this home: the job runs in this process, so it is waited for")
	}
	select {
	case <-run.Done():
	case <-ctx.Done():
		if !local {
			// The caller went away; the engine's run goes on.
			return res, ctx.Err()
		}
		// A standalone run stops with its caller.
		if c, ok := s.opts.Launcher.(Canceler); ok {
			if err := c.Cancel(id); err != nil {
				s.log.Warn("cancel job run", "job", args.Name, "task", id, "err", err)
			}
		}
		<-run.Done()
	}
	out := run.Outcome()
	if out.State == "" {
		out = Outcome{State: StateInterrupted, Exit: control.ExitError, Error: "Holdfast stopped while the job ran"}
	}
	res.State, res.Exit, res.Error = out.State, out.Exit, out.Error
	switch {
	case out.State == StateSucceeded && out.Exit == control.ExitFound:
		c.Found()
	case out.State != StateSucceeded && out.State != "":
		return res, fmt.Errorf("job %s: task %s %s: %s", args.Name, id, out.State, out.Error)
	}
	return res, nil
}
