package config

import (
	"fmt"

	"github.com/BurntSushi/toml"
)

// Tasks is the [tasks] table: how many tasks run at once and how long
// their history is kept.
type Tasks struct {
	// MaxConcurrent is how many tasks may run at the same time (1..16);
	// more wait in the queue.
	MaxConcurrent int `toml:"max_concurrent"`
	// HistoryDays is how long every finished task is kept in full (1..3650).
	HistoryDays int `toml:"history_days"`
	// AggregateDays is how long the daily totals of older tasks are kept
	// (HistoryDays..3650).
	AggregateDays int `toml:"aggregate_days"`
}

const (
	minTaskConcurrency, maxTaskConcurrency = 1, 16
	maxTaskDays                            = 3650
)

func defaultTasks() Tasks {
	return Tasks{MaxConcurrent: 2, HistoryDays: 90, AggregateDays: 365}
}

func (t Tasks) problems() []problem {
	var ps []problem
	add := func(name, format string, args ...any) {
		key := toml.Key{"tasks", name}
		ps = append(ps, problem{key: key, msg: key.String() + ": " + fmt.Sprintf(format, args...)})
	}
	if t.MaxConcurrent < minTaskConcurrency || t.MaxConcurrent > maxTaskConcurrency {
		add("max_concurrent", "%d is not between %d and %d", t.MaxConcurrent, minTaskConcurrency, maxTaskConcurrency)
	}
	if t.HistoryDays < 1 || t.HistoryDays > maxTaskDays {
		add("history_days", "%d is not between 1 and %d", t.HistoryDays, maxTaskDays)
	}
	switch {
	case t.AggregateDays < 1 || t.AggregateDays > maxTaskDays:
		add("aggregate_days", "%d is not between 1 and %d", t.AggregateDays, maxTaskDays)
	case t.AggregateDays < t.HistoryDays:
		add("aggregate_days", "%d is shorter than history_days (%d): daily totals must outlive the full history", t.AggregateDays, t.HistoryDays)
	}
	return ps
}

// writeTasks renders the [tasks] table of the default file.
func writeTasks(line func(format string, args ...any), t Tasks) {
	line("")
	line("[tasks]")
	line("# How many tasks (backups, restores, checks…) run at the same time: %d to %d.", minTaskConcurrency, maxTaskConcurrency)
	line("# Work on one repository never writes from two tasks at once.")
	line("max_concurrent = %d", t.MaxConcurrent)
	line("# Days every finished task is kept in full, with its log: 1 to %d.", maxTaskDays)
	line("history_days = %d", t.HistoryDays)
	line("# Days the daily totals of older tasks are kept, for statistics:")
	line("# history_days to %d.", maxTaskDays)
	line("aggregate_days = %d", t.AggregateDays)
}
