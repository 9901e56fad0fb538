package consistency

import (
	"context"
	"sync"

	"github.com/holdfast/holdfast/core/control"
)

// operands resolves both sides of a compare. Two folders are brought up to
// date at once, one goroutine each, as rsync's sender and receiver stat
// their sides at once: listing and stat'ing is mostly waiting on system
// calls, and each side's scan is itself parallel. A snapshot operand opens
// the one repository, so anything with a snapshot goes one side at a time.
func (s *Service) operands(ctx context.Context, c *control.Call, args CompareArgs, ro *repoOnce, rep *Report) (a Tree, la string, b Tree, lb string, err error) {
	_, snapA := ParseSnapshotRef(args.A)
	_, snapB := ParseSnapshotRef(args.B)
	if snapA || snapB {
		if a, la, err = s.operand(ctx, c, args.A, ro, rep); err != nil {
			return nil, "", nil, "", err
		}
		if b, lb, err = s.operand(ctx, c, args.B, ro, rep); err != nil {
			return nil, "", nil, "", err
		}
		return a, la, b, lb, nil
	}
	var repB Report
	var errB error
	var wg sync.WaitGroup
	wg.Go(func() { b, lb, errB = s.operand(ctx, c, args.B, ro, &repB) })
	a, la, err = s.operand(ctx, c, args.A, ro, rep)
	wg.Wait()
	if err == nil {
		err = errB
	}
	if err != nil {
		return nil, "", nil, "", err
	}
	rep.HashedFiles += repB.HashedFiles
	rep.HashedBytes += repB.HashedBytes
	return a, la, b, lb, nil
}
