package tasks

import (
	"context"
	"sync"
)

// gate holds a task's work at its checkpoints while the task, or every
// task, is paused.
type gate struct {
	mu      sync.Mutex
	paused  bool          // this task was paused
	all     bool          // every task was paused (Runner.PauseAll)
	wake    chan struct{} // closed and replaced whenever paused or all changes
	waiting int           // goroutines held at a checkpoint
	onHeld  func()        // called when waiting becomes or stops being 0
}

func newGate(all bool, onHeld func()) *gate {
	return &gate{all: all, wake: make(chan struct{}), onHeld: onHeld}
}

// set changes the task's own pause and the pause of all; it returns
// whether the task is now held.
func (g *gate) set(paused, all bool) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if paused != g.paused || all != g.all {
		g.paused, g.all = paused, all
		close(g.wake)
		g.wake = make(chan struct{})
	}
	return g.paused || g.all
}

func (g *gate) state() (paused, all bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused, g.all
}

// holding reports whether work is held at a checkpoint now.
func (g *gate) holding() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting > 0
}

// wait blocks while the gate is closed, until it opens or ctx ends.
func (g *gate) wait(ctx context.Context) error {
	counted := false
	defer func() {
		if counted {
			g.mu.Lock()
			g.waiting--
			last := g.waiting == 0
			g.mu.Unlock()
			if last && g.onHeld != nil {
				g.onHeld()
			}
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		g.mu.Lock()
		held := g.paused || g.all
		wake := g.wake
		first := false
		if held && !counted {
			counted = true
			g.waiting++
			first = g.waiting == 1
		}
		g.mu.Unlock()
		if !held {
			return nil
		}
		if first && g.onHeld != nil {
			g.onHeld()
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

type gateKey struct{}

// Checkpoint is where long work may be paused: it blocks while the task
// running in ctx is paused, and returns ctx's error once ctx is canceled
// (nil otherwise). Work that is not a task passes straight through. Call
// it between units of work — a file, a chunk, a pack — where stopping
// leaves everything valid.
func Checkpoint(ctx context.Context) error {
	g, _ := ctx.Value(gateKey{}).(*gate)
	if g == nil {
		return ctx.Err()
	}
	return g.wait(ctx)
}

func withGate(ctx context.Context, g *gate) context.Context {
	return context.WithValue(ctx, gateKey{}, g)
}
