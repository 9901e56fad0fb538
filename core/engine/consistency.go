package engine

import (
	"sync"

	"github.com/holdfast/holdfast/core/consistency"
	"github.com/holdfast/holdfast/core/watch"
)

// openConsistency adds compare, verify, repair and the trash, and the
// watcher of watched folders, sharing the home's file index. A running
// engine watches; compare and verify then use a watched folder's tree as
// it stands. Verify raises its alerts through the alerts service.
func (e *Engine) openConsistency() error {
	cs, err := consistency.NewService(e.store.DB(), e.home.Dir, e.Backup, e.log)
	if err != nil {
		return err
	}
	cs.Alerts = e.Alerts
	ws, err := watch.New(e.store.DB(), cs.Index, watch.Options{Log: e.log,
		OnChange: func(folder string) { e.bus.Publish(watch.Changed{Folder: folder}) }})
	if err != nil {
		return err
	}
	cs.Watched = watchedTrees(ws)
	cs.Register(e.router)
	ws.Register(e.router)
	e.Consistency, e.Watch = cs, ws
	if e.mode != ModeLocal {
		e.services = append(e.services, ws)
	}
	return nil
}

// watchedTrees serves watched folders' trees to compare and verify,
// wrapping each version once.
func watchedTrees(ws *watch.Service) func(abs string) (*consistency.Live, bool) {
	type cached struct {
		version uint64
		live    *consistency.Live
	}
	var mu sync.Mutex
	cache := map[string]cached{}
	return func(abs string) (*consistency.Live, bool) {
		if !ws.Running() {
			return nil, false
		}
		t, st, ok := ws.Tree(abs)
		if !ok || !st.Ready {
			return nil, false
		}
		mu.Lock()
		defer mu.Unlock()
		if c, ok := cache[abs]; ok && c.version == st.Version {
			return c.live, true
		}
		l := consistency.NewLive(t, st.Problems)
		cache[abs] = cached{st.Version, l}
		return l, true
	}
}
