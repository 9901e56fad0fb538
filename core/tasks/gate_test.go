package tasks

import (
	"context"
	"errors"
	"testing"
)

func TestCheckpointOutsideTasks(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	if err := Checkpoint(ctx); err != nil {
		t.Fatalf("Checkpoint = %v", err)
	}
	cancel()
	if err := Checkpoint(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Checkpoint after cancel = %v", err)
	}
}

func TestGateHoldsUntilOpenOrCanceled(t *testing.T) {
	held := make(chan bool, 4)
	var g *gate
	g = newGate(false, func() { held <- g.holding() })
	ctx := withGate(context.Background(), g)
	if err := Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	g.set(true, false)
	done := make(chan error)
	go func() { done <- Checkpoint(ctx) }()
	if !<-held {
		t.Fatal("not reported held")
	}
	g.set(false, true) // the task resumed, but all tasks are paused
	select {
	case err := <-done:
		t.Fatalf("passed while all are paused: %v", err)
	default:
	}
	g.set(false, false)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if <-held {
		t.Fatal("still reported held")
	}
	g.set(true, false)
	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- Checkpoint(cctx) }()
	<-held
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled while held: %v", err)
	}
}
