package config

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadTasks(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Tasks  // when err is ""
		err  string // the whole Error() text
	}{
		{"defaults", "", Tasks{MaxConcurrent: 2, HistoryDays: 90, AggregateDays: 365}, ""},
		{"all keys", "[tasks]\nmax_concurrent = 4\nhistory_days = 30\naggregate_days = 730\n",
			Tasks{MaxConcurrent: 4, HistoryDays: 30, AggregateDays: 730}, ""},
		{"equal days", "[tasks]\nhistory_days = 10\naggregate_days = 10\n",
			Tasks{MaxConcurrent: 2, HistoryDays: 10, AggregateDays: 10}, ""},
		{"no concurrency", "[tasks]\nmax_concurrent = 0\n", Tasks{},
			"config.toml:2: tasks.max_concurrent: 0 is not between 1 and 16"},
		{"too much concurrency", "\n[tasks]\n\nmax_concurrent = 17\n", Tasks{},
			"config.toml:4: tasks.max_concurrent: 17 is not between 1 and 16"},
		{"negative history", "[tasks]\nhistory_days = -1\n", Tasks{},
			"config.toml:2: tasks.history_days: -1 is not between 1 and 3650"},
		{"aggregates too long", "[tasks]\naggregate_days = 4000\n", Tasks{},
			"config.toml:2: tasks.aggregate_days: 4000 is not between 1 and 3650"},
		{"aggregates shorter than history", "[tasks]\nhistory_days = 100\naggregate_days = 50\n", Tasks{},
			"config.toml:3: tasks.aggregate_days: 50 is shorter than history_days (100): daily totals must outlive the full history"},
		{"string for int", "[tasks]\nhistory_days = \"90d\"\n", Tasks{},
			`config.toml:2: tasks.history_days: must be an integer, not the string "90d"`},
		{"unknown key", "[tasks]\nmax_tasks = 3\n", Tasks{}, `config.toml:2: unknown key "tasks.max_tasks"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(writeConfig(t, tt.text))
			if tt.err != "" {
				var ce *Error
				if !errors.As(err, &ce) || err.Error() != tt.err {
					t.Fatalf("Load error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got.Tasks != tt.want {
				t.Errorf("tasks = %+v, want %+v", got.Tasks, tt.want)
			}
		})
	}
}

func TestDefaultFileDocumentsTasks(t *testing.T) {
	text := string(defaultFile())
	for _, key := range []string{"[tasks]", "max_concurrent = 2", "history_days = 90", "aggregate_days = 365"} {
		if !strings.Contains(text, key) {
			t.Errorf("default file lacks %q", key)
		}
	}
}
