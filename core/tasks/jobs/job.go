// Package jobs keeps the home's jobs — a backup, check or verify of a
// named repository on a schedule, with retention, retries and a policy for
// runs cut short — and runs them: the Scheduler wakes when a job is due,
// starts its work as a task on the task runner, and records the outcome.
//
// Rules the scheduler keeps:
//   - A run missed while the machine slept, was off, or the schedules were
//     held runs once when it can, however many slots were missed.
//   - Two runs of one job never overlap: a slot that comes due while the
//     previous run still goes is skipped (and logged), not queued.
//   - The clock going back does not run a slot again (the last slot run is
//     stored); going forward runs the missed slot once.
//   - A failed run is retried up to Retries times with a growing pause
//     (1m, 5m, 25m, then 25m each); a canceled run is not retried.
//   - A run that was going when the process died is marked interrupted on
//     the next start, and runs again at once (OnInterrupted "rerun") or
//     waits for its next slot ("wait").
package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/holdfast/holdfast/core/tasks/schedule"
)

// Action is what a job does.
type Action string

// The actions a job can have.
const (
	ActionBackup Action = "backup"
	ActionCheck  Action = "check"
	ActionVerify Action = "verify"
)

// Policies for a run cut short by the process ending.
const (
	OnInterruptedRerun = "rerun"
	OnInterruptedWait  = "wait"
)

// MaxRetries bounds Job.Retries.
const MaxRetries = 10

// Results recorded in Job.LastResult.
const (
	ResultSucceeded   = "succeeded"
	ResultFound       = "succeeded with problems found"
	ResultFailed      = "failed"
	ResultCanceled    = "canceled"
	ResultInterrupted = "interrupted"
)

// Retention is what a backup job keeps after each successful backup: the
// same rules as `holdfast forget`. Empty keeps everything.
type Retention struct {
	KeepLast    int `json:"keep_last,omitempty"`
	KeepHourly  int `json:"keep_hourly,omitempty"`
	KeepDaily   int `json:"keep_daily,omitempty"`
	KeepWeekly  int `json:"keep_weekly,omitempty"`
	KeepMonthly int `json:"keep_monthly,omitempty"`
	KeepYearly  int `json:"keep_yearly,omitempty"`
	// Prune also removes the data only forgotten snapshots used.
	Prune bool `json:"prune,omitempty"`
}

// Empty reports whether the retention keeps everything.
func (r Retention) Empty() bool {
	return r.KeepLast == 0 && r.KeepHourly == 0 && r.KeepDaily == 0 && r.KeepWeekly == 0 && r.KeepMonthly == 0 && r.KeepYearly == 0
}

// Job is one job with its state, as stored.
type Job struct {
	Name     string   `json:"name"`
	Action   Action   `json:"action"`
	Repo     string   `json:"repo"`
	Sources  []string `json:"sources,omitempty"`
	Schedule string   `json:"schedule"`
	// Retention applies after each successful backup.
	Retention     Retention `json:"retention,omitzero"`
	Retries       int       `json:"retries"`
	OnInterrupted string    `json:"on_interrupted"`
	Paused        bool      `json:"paused"`
	Created       time.Time `json:"created"`

	// LastSlot is the scheduled time last run, skipped or made up for:
	// the next run is the schedule's first slot after it.
	LastSlot time.Time `json:"last_slot"`
	// LastRun and LastEnd bound the last run (LastEnd zero while it goes).
	LastRun time.Time `json:"last_run,omitzero"`
	LastEnd time.Time `json:"last_end,omitzero"`
	// LastTaskID is the task of the last run; RunningTask is set while a
	// run goes (and, found set at start, marks an interrupted run).
	LastTaskID  string `json:"last_task_id,omitempty"`
	RunningTask string `json:"running_task,omitempty"`
	LastResult  string `json:"last_result,omitempty"`
	LastError   string `json:"last_error,omitempty"`
	// Attempt is the attempt number of the last run (1 for a slot's
	// first); RetryAt, when set, is when the next attempt runs.
	Attempt int       `json:"attempt,omitempty"`
	RetryAt time.Time `json:"retry_at,omitzero"`
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateName checks a job name: 1–64 letters, digits, '.', '_' or '-',
// starting with a letter or digit.
func ValidateName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("job name %q: use 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// validate checks the job's own fields (not the repository, which needs
// the registry) and returns its parsed schedule.
func (j *Job) validate() (schedule.Schedule, error) {
	if err := ValidateName(j.Name); err != nil {
		return schedule.Schedule{}, err
	}
	switch j.Action {
	case ActionBackup:
		if len(j.Sources) == 0 {
			return schedule.Schedule{}, errors.New("a backup job needs at least one --source PATH")
		}
		for _, src := range j.Sources {
			if !filepath.IsAbs(src) {
				return schedule.Schedule{}, fmt.Errorf("source %q is not an absolute path", src)
			}
			fi, err := os.Stat(src)
			if err != nil {
				return schedule.Schedule{}, fmt.Errorf("source %s: %w", src, err)
			}
			if !fi.IsDir() && !fi.Mode().IsRegular() {
				return schedule.Schedule{}, fmt.Errorf("source %s is neither a folder nor a file", src)
			}
		}
	case ActionCheck, ActionVerify:
		if j.Action == ActionCheck && len(j.Sources) > 0 {
			return schedule.Schedule{}, errors.New("a check job takes no --source (it checks the whole repository)")
		}
		if j.Action == ActionVerify {
			if len(j.Sources) != 1 || !filepath.IsAbs(j.Sources[0]) {
				return schedule.Schedule{}, errors.New("a verify job needs one --source FOLDER, proved against its latest backup")
			}
			if fi, err := os.Stat(j.Sources[0]); err != nil || !fi.IsDir() {
				return schedule.Schedule{}, fmt.Errorf("verify source %s is not a folder", j.Sources[0])
			}
		}
		if !j.Retention.Empty() || j.Retention.Prune {
			return schedule.Schedule{}, fmt.Errorf("a %s job takes no --keep-* rules (retention runs after backups)", j.Action)
		}
	case "":
		return schedule.Schedule{}, errors.New("no --action given (backup, check or verify)")
	default:
		return schedule.Schedule{}, fmt.Errorf("unknown action %q (use backup, check or verify)", j.Action)
	}
	if j.Repo == "" {
		return schedule.Schedule{}, errors.New("no --repo NAME given")
	}
	r := j.Retention
	for _, n := range []int{r.KeepLast, r.KeepHourly, r.KeepDaily, r.KeepWeekly, r.KeepMonthly, r.KeepYearly} {
		if n < 0 {
			return schedule.Schedule{}, errors.New("--keep-* rules take a number of at least 0")
		}
	}
	if r.Prune && r.Empty() {
		return schedule.Schedule{}, errors.New("--prune needs at least one --keep-* rule")
	}
	if j.Retries < 0 || j.Retries > MaxRetries {
		return schedule.Schedule{}, fmt.Errorf("--retries %d: use 0 to %d", j.Retries, MaxRetries)
	}
	switch j.OnInterrupted {
	case "":
		j.OnInterrupted = OnInterruptedRerun
	case OnInterruptedRerun, OnInterruptedWait:
	default:
		return schedule.Schedule{}, fmt.Errorf("--on-interrupted %q: use rerun or wait", j.OnInterrupted)
	}
	return schedule.Parse(j.Schedule)
}

// Backoff is the pause before retry number n (1 for the first retry):
// 1m, 5m, 25m, then 25m.
func Backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 25*time.Minute; i++ {
		d *= 5
	}
	return min(d, 25*time.Minute)
}
