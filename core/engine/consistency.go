package engine

import (
	"github.com/holdfast/holdfast/core/consistency"
)

// openConsistency adds compare, verify, repair and the trash, sharing the
// home's file index; verify raises its alerts through the alerts service.
func (e *Engine) openConsistency() error {
	cs, err := consistency.NewService(e.store.DB(), e.home.Dir, e.Backup, e.log)
	if err != nil {
		return err
	}
	cs.Alerts = e.Alerts
	cs.Register(e.router)
	e.Consistency = cs
	return nil
}
