package tasks

import (
	"context"
	"testing"
)

// BenchmarkCheckpoint is the cost of a checkpoint in work that runs as a
// task and is not paused: what every chunk of a backup pays.
func BenchmarkCheckpoint(b *testing.B) {
	ctx := withGate(context.Background(), newGate(false, nil))
	for b.Loop() {
		if err := Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRunTask is the runner's overhead around one quick task: its
// record created, started and ended, each committed to the database.
func BenchmarkRunTask(b *testing.B) {
	h := newHarness(b, Options{})
	r := req(workArgs{Name: "bench"})
	for b.Loop() {
		res := h.router.Dispatch(context.Background(), r, nil)
		<-h.started
		if res.Exit != 0 {
			b.Fatal(res)
		}
	}
}
