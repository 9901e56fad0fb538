package backup

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/backup/retention"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
)

// repackBelow is the share of live bytes under which a pack is rewritten:
// packs at least this full are kept as they are, since rewriting them
// costs more than the space it frees.
const repackBelow = 0.8

// usedBlob is a blob some snapshot needs.
type usedBlob struct {
	t     repo.BlobType
	plain content.Hash
}

// usedBlobs collects every blob the snapshots reference, by stored ID.
func usedBlobs(ctx context.Context, r *repo.Repository, snaps []*repo.Snapshot) (map[repo.ID]usedBlob, error) {
	used := map[repo.ID]usedBlob{}
	var walk func(h content.Hash) error
	walk = func(h content.Hash) error {
		id := r.StoredID(h)
		if _, seen := used[id]; seen {
			return nil
		}
		used[id] = usedBlob{repo.TreeBlob, h}
		t, err := LoadTree(ctx, r, h)
		if err != nil {
			return err
		}
		for i := range t.Nodes {
			n := &t.Nodes[i]
			switch n.Type {
			case NodeDir:
				if err := walk(n.Subtree); err != nil {
					return err
				}
			case NodeFile:
				for _, c := range n.Chunks {
					used[r.StoredID(c.Hash)] = usedBlob{repo.DataBlob, c.Hash}
				}
			}
		}
		return ctx.Err()
	}
	for _, sn := range snaps {
		if err := walk(sn.Tree); err != nil {
			return nil, fmt.Errorf("snapshot %s: %w (prune stopped; nothing was removed)", sn.ID.Short(), err)
		}
	}
	return used, nil
}

// Prune removes data no snapshot references: packs with no live blob are
// deleted, packs mostly dead are rewritten, and packs no index lists
// (left by interrupted backups) are deleted. Order keeps the repository
// valid at every step: new packs, then a complete new index, then the old
// index files, then the old packs. The caller holds an exclusive lease.
//
// Snapshots listed in ignore count as already removed (a dry run of
// forget --prune).
func Prune(ctx context.Context, r *repo.Repository, dryRun bool, ignore map[string]bool, progress func(string)) (PruneStats, error) {
	var st PruneStats
	if progress == nil {
		progress = func(string) {}
	}
	progress("prune: finding the data snapshots use")
	snaps, err := r.ListSnapshots(ctx)
	if err != nil {
		return st, err
	}
	snaps = slices.DeleteFunc(snaps, func(sn *repo.Snapshot) bool { return ignore[sn.ID.String()] })
	used, err := usedBlobs(ctx, r, snaps)
	if err != nil {
		return st, err
	}
	onDisk, err := r.ListPacks(ctx)
	if err != nil {
		return st, err
	}
	sizes := map[repo.ID]int64{}
	for _, p := range onDisk {
		sizes[p.ID] = p.Size
	}
	packs := map[repo.ID]*repo.PackInfo{}
	r.EachBlob(func(pack repo.ID, b repo.BlobInfo) bool {
		p := packs[pack]
		if p == nil {
			p = &repo.PackInfo{ID: pack, Size: sizes[pack]}
			packs[pack] = p
		}
		p.Blobs = append(p.Blobs, b)
		return true
	})
	for _, pf := range onDisk {
		if packs[pf.ID] == nil {
			st.UnreferencedPacks++
			st.BytesFreed += pf.Size
		}
	}
	var keep []repo.PackInfo
	var remove, rewrite []repo.ID
	var toCopy []usedBlob
	for id, p := range packs {
		var live, total int64
		for _, b := range p.Blobs {
			total += int64(b.Length)
			if u, ok := used[b.ID]; ok && u.t == b.Type {
				live += int64(b.Length)
			}
		}
		switch {
		case live == 0:
			remove = append(remove, id)
			st.PacksRemoved++
			st.BlobsRemoved += len(p.Blobs)
			st.BytesFreed += p.Size
		case float64(live) < repackBelow*float64(total):
			rewrite = append(rewrite, id)
			st.PacksRepacked++
			for _, b := range p.Blobs {
				if u, ok := used[b.ID]; ok && u.t == b.Type {
					toCopy = append(toCopy, u)
				} else {
					st.BlobsRemoved++
				}
			}
			st.BytesFreed += p.Size - live
		default:
			keep = append(keep, *p)
		}
	}
	if dryRun {
		return st, nil
	}
	// 1. Copy the live blobs of packs being rewritten into new packs.
	if len(toCopy) > 0 {
		progress(fmt.Sprintf("prune: rewriting %d packs", len(rewrite)))
		sort.Slice(toCopy, func(i, j int) bool { return toCopy[i].plain.String() < toCopy[j].plain.String() })
		pk := r.NewRepacker()
		for _, u := range toCopy {
			data, err := r.LoadBlob(ctx, u.t, u.plain)
			if err != nil {
				pk.Abort()
				return st, fmt.Errorf("prune: copy blob: %w (nothing was removed)", err)
			}
			if _, err := pk.Add(u.t, u.plain, data); err != nil {
				pk.Abort()
				return st, err
			}
			if pk.Full() {
				info, err := pk.Finish(ctx)
				if err != nil {
					return st, err
				}
				keep = append(keep, info)
				st.PacksWritten++
				pk = r.NewRepacker()
			}
		}
		info, err := pk.Finish(ctx)
		if err != nil {
			return st, err
		}
		if !info.ID.IsZero() {
			keep = append(keep, info)
			st.PacksWritten++
		}
	}
	if len(remove) == 0 && len(rewrite) == 0 && st.UnreferencedPacks == 0 {
		return st, nil
	}
	// 2. A complete new index, then 3. the old index files.
	progress("prune: writing the new index")
	oldIndex, err := r.IndexFiles(ctx)
	if err != nil {
		return st, err
	}
	newIndex, err := r.SaveIndex(ctx, keep)
	if err != nil {
		return st, err
	}
	fresh := map[repo.ID]bool{}
	for _, id := range newIndex {
		fresh[id] = true
	}
	for _, id := range oldIndex {
		if !fresh[id] {
			if err := r.RemoveIndex(ctx, id); err != nil {
				return st, err
			}
		}
	}
	// 4. The packs nothing needs any more.
	progress("prune: removing unused packs")
	kept := map[repo.ID]bool{}
	for _, p := range keep {
		kept[p.ID] = true
	}
	for _, pf := range onDisk {
		if !kept[pf.ID] {
			if err := r.RemovePack(ctx, pf.ID); err != nil {
				return st, err
			}
		}
	}
	return st, r.LoadIndex(ctx)
}

func (s *Service) handleForget(ctx context.Context, c *control.Call) (any, error) {
	var args ForgetArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	policy := retention.Policy{Last: args.KeepLast, Hourly: args.KeepHourly, Daily: args.KeepDaily,
		Weekly: args.KeepWeekly, Monthly: args.KeepMonthly, Yearly: args.KeepYearly}
	if args.KeepWithin != "" {
		d, err := retention.ParseWithin(args.KeepWithin)
		if err != nil {
			return nil, control.Usagef("forget: --keep-within: %v", err)
		}
		policy.Within = d
	}
	if policy.Empty() && !args.Prune {
		return nil, control.Usagef("forget: give a policy (--keep-last, --keep-daily, …); refusing to remove every snapshot")
	}
	r, _, release, err := s.openLocked(ctx, c, args.RepoArgs, !args.DryRun)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := Forget(ctx, r, policy, args.Prune, args.DryRun, func(msg string) { c.Progress(control.Progress{Message: msg}) })
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Forget applies the retention policy (an empty one removes nothing) and,
// with prune, removes the data no remaining snapshot needs.
func Forget(ctx context.Context, r *repo.Repository, policy retention.Policy, prune, dryRun bool, progress func(string)) (ForgetResult, error) {
	res := ForgetResult{Policy: policy.String(), DryRun: dryRun, Decisions: []ForgetDecision{}}
	snaps, err := r.ListSnapshots(ctx)
	if err != nil {
		return res, err
	}
	if !policy.Empty() {
		byID := map[string]*repo.Snapshot{}
		in := make([]retention.Snapshot, 0, len(snaps))
		for _, sn := range snaps {
			byID[sn.ID.String()] = sn
			in = append(in, retention.Snapshot{ID: sn.ID.String(), Time: sn.Time, Group: sn.Hostname + "\x00" + strings.Join(sn.Paths, "\x00")})
		}
		for _, d := range retention.Apply(in, policy) {
			sn := byID[d.Snapshot.ID]
			res.Decisions = append(res.Decisions, ForgetDecision{ID: d.Snapshot.ID, Time: sn.Time, Paths: sn.Paths, Keep: d.Keep, Reasons: d.Reasons})
			if d.Keep {
				continue
			}
			res.Removed++
			if !dryRun {
				if err := r.DeleteSnapshot(ctx, sn.ID); err != nil {
					return res, err
				}
			}
		}
	}
	if prune {
		gone := map[string]bool{}
		for _, d := range res.Decisions {
			if !d.Keep {
				gone[d.ID] = true
			}
		}
		st, err := Prune(ctx, r, dryRun, gone, progress)
		if err != nil {
			return res, err
		}
		res.Prune = &st
	}
	return res, nil
}
