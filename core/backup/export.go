package backup

import (
	"context"

	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/control"
)

// OpenRepo resolves, unlocks and indexes the repository args names, with
// the password sent with c or the one remembered for it, and takes a
// shared (or, with exclusive, an exclusive) lease on it. It is how other
// services (consistency) read snapshots. Call release when done.
func (s *Service) OpenRepo(ctx context.Context, c *control.Call, args RepoArgs, exclusive bool) (r *repo.Repository, release func(), err error) {
	r, _, release, err = s.openLocked(ctx, c, args, exclusive)
	return r, release, err
}
