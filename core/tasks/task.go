// Package tasks runs Holdfast's long work — backups, restores, checks,
// forget and prune, and later verify, repair and sync — as tasks a person
// can see, pause, cancel and retry. The runner admits tasks within limits
// (a number at once, one writer per repository), tees their progress and
// log into a record that is committed to the database on every change of
// state, publishes each change on the bus, keeps the history (full detail
// for a while, then daily totals) and computes statistics from it.
//
// Operations become tasks by being declared with a Spec; the engine wraps
// their handlers on the control router, so the CLI, the GUI and the
// scheduler all start the same tasks.
package tasks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/holdfast/holdfast/core/control"
)

// ID names a task. IDs grow and are never reused in one home.
type ID uint64

// String formats the ID as a decimal number.
func (id ID) String() string { return strconv.FormatUint(uint64(id), 10) }

// ParseID reads a decimal task ID.
func ParseID(s string) (ID, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a task ID (a number such as 42)", s)
	}
	return ID(n), nil
}

// State is where a task is in its life.
type State string

// The states of a task. Queued, running, paused and canceling tasks are
// live; the others have ended.
const (
	Queued      State = "queued"      // waiting for a slot or for its repository
	Running     State = "running"     // working
	Paused      State = "paused"      // held at its next checkpoint until resumed
	Canceling   State = "canceling"   // asked to stop, winding down
	Canceled    State = "canceled"    // stopped on request; what it wrote is valid
	Succeeded   State = "succeeded"   // done (with Warnings if it found problems)
	Failed      State = "failed"      // ended with Error
	Interrupted State = "interrupted" // its process died or stopped while it ran
)

// States lists every state, in the order of a task's life.
var States = []State{Queued, Running, Paused, Canceling, Canceled, Succeeded, Failed, Interrupted}

// Ended reports whether a task in state s has finished.
func (s State) Ended() bool {
	switch s {
	case Canceled, Succeeded, Failed, Interrupted:
		return true
	}
	return false
}

// Valid reports whether s is one of States.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Origin says who started a task: a job of the scheduler (and which
// attempt), or "" for a person at the CLI or the GUI.
type Origin struct {
	Job     string
	Attempt int
}

// Progress is a task's work in flight.
type Progress struct {
	Message string `json:"message,omitempty"`
	// Percent is how much is done, 0 to 100; 0 also when not known.
	Percent float64 `json:"percent"`
	// ETASeconds estimates the running time left from the time spent
	// running so far (paused time excluded); 0 when not known.
	ETASeconds float64 `json:"eta_seconds,omitempty"`
	// Counters are named figures (files, bytes, …) with units and levels.
	Counters []control.Counter `json:"counters"`
}

// Task is one task's record, as stored and as `holdfast tasks --json`
// lists it.
type Task struct {
	ID          ID     `json:"id"`
	Kind        string `json:"kind"` // backup, restore, check, forget…
	Op          string `json:"op"`   // the control operation it runs
	Description string `json:"description"`
	State       State  `json:"state"`
	// Held is true while a paused task's work has actually stopped at a
	// checkpoint (a paused task finishes the step it is in first).
	Held bool `json:"held,omitempty"`
	// Resources are what the task locks: repositories, restore targets.
	Resources []string `json:"resources,omitempty"`
	Job       string   `json:"job,omitempty"`
	Attempt   int      `json:"attempt,omitempty"`
	RetryOf   ID       `json:"retry_of,omitempty"`

	Created time.Time  `json:"created"`
	Started *time.Time `json:"started"` // null while queued
	Ended   *time.Time `json:"ended"`   // null while live
	Updated time.Time  `json:"updated"`

	Progress Progress `json:"progress"`
	Warnings []string `json:"warnings,omitempty"`
	Error    string   `json:"error,omitempty"`
	// Exit is the exit code of the work: 0 done, 1 failed, 3 done with
	// problems found; 0 while live.
	Exit int `json:"exit"`
	// Size is the bytes the task processed: a backup's files, a
	// restore's written bytes, a check's bytes read.
	Size int64 `json:"size"`

	// Args are the operation's arguments, kept for retry; secrets never
	// are. Log holds the task's last log lines. Both are left out of
	// lists; `task show` has them.
	Args json.RawMessage `json:"args,omitempty"`
	Log  []string        `json:"log,omitempty"`
}

// Brief returns the task without its arguments and log, as lists and bus
// events carry it.
func (t Task) Brief() Task {
	t.Args, t.Log = nil, nil
	return t
}

// Duration is how long the task ran (queued time excluded), up to now for
// a live task.
func (t Task) Duration(now time.Time) time.Duration {
	if t.Started == nil {
		return 0
	}
	end := now
	if t.Ended != nil {
		end = *t.Ended
	}
	return end.Sub(*t.Started)
}

func (t Task) clone() Task {
	t.Resources = slices.Clone(t.Resources)
	t.Warnings = slices.Clone(t.Warnings)
	t.Log = slices.Clone(t.Log)
	t.Progress.Counters = slices.Clone(t.Progress.Counters)
	if t.Started != nil {
		s := *t.Started
		t.Started = &s
	}
	if t.Ended != nil {
		e := *t.Ended
		t.Ended = &e
	}
	return t
}

// Changed is published on the bus (topic "tasks.changed") whenever a
// task is created, changes state or makes progress (progress at most
// four times a second per task), and when it is deleted.
type Changed struct {
	Task    Task // Brief: without Args and Log
	Deleted bool
}

// Topic implements bus.Event.
func (Changed) Topic() string { return TopicChanged }

// TopicChanged is the bus topic of Changed.
const TopicChanged = "tasks.changed"
