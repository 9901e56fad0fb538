package backup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/backup/repo"
	"github.com/holdfast/holdfast/core/content"
	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/tasks"
)

// maxListed bounds the affected files a check names.
const maxListed = 1000

// Check proves the repository sound: every snapshot's trees and chunks
// are indexed and their packs exist; with readData (a percentage of packs,
// 100 for all) every byte of those packs is read and verified. Packs
// that no index lists are reported as unreferenced, which is harmless.
func Check(ctx context.Context, r *repo.Repository, readPercent float64, progress func(string, int, int)) (CheckResult, error) {
	start := time.Now()
	res := CheckResult{UnreferencedPacks: []string{}, DamagedPacks: []string{}, AffectedSnapshots: []string{}, AffectedFiles: []string{}, Errors: []string{}}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	onDisk, err := r.ListPacks(ctx)
	if err != nil {
		return res, err
	}
	exists := make(map[repo.ID]bool, len(onDisk))
	for _, p := range onDisk {
		exists[p.ID] = true
	}
	indexed := map[repo.ID]bool{}
	r.EachBlob(func(pack repo.ID, b repo.BlobInfo) bool {
		indexed[pack] = true
		res.Blobs++
		return true
	})
	res.Packs = len(indexed)
	for _, p := range onDisk {
		if !indexed[p.ID] {
			res.UnreferencedPacks = append(res.UnreferencedPacks, p.ID.String())
		}
	}
	damaged := map[repo.ID]bool{}
	for id := range indexed {
		if !exists[id] {
			damaged[id] = true
			res.Errors = append(res.Errors, fmt.Sprintf("pack %s is listed in the index but missing", id))
		}
	}

	if readPercent > 0 {
		ids := make([]repo.ID, 0, len(indexed))
		for id := range indexed {
			if exists[id] {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
		if readPercent < 100 {
			rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
			n := int(float64(len(ids))*readPercent/100 + 0.999999)
			ids = ids[:min(n, len(ids))]
		}
		for i, id := range ids {
			if err := tasks.Checkpoint(ctx); err != nil { // a paused task holds here
				return res, err
			}
			progress("reading packs", i, len(ids))
			info, err := r.VerifyPack(ctx, id)
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.PacksRead++
			res.BytesRead += info.Size
			if err != nil {
				damaged[id] = true
				res.Errors = append(res.Errors, err.Error())
			}
		}
		progress("reading packs", len(ids), len(ids))
	}

	snaps, err := r.ListSnapshots(ctx)
	if err != nil {
		return res, err
	}
	res.Snapshots = len(snaps)
	// A blob is bad when it is not indexed or lives in a damaged pack.
	bad := func(t repo.BlobType, h content.Hash) bool {
		pack, _, ok := r.Lookup(t, h)
		return !ok || damaged[pack]
	}
	goodTrees := map[content.Hash]bool{}
	for i, sn := range snaps {
		progress("checking snapshots", i, len(snaps))
		// walk reports whether everything under the tree h is sound.
		var walk func(h content.Hash, prefix string) (bool, error)
		walk = func(h content.Hash, prefix string) (bool, error) {
			if goodTrees[h] {
				return true, nil
			}
			if err := ctx.Err(); err != nil {
				return false, err
			}
			where := prefix
			if where == "" {
				where = "/"
			}
			if bad(repo.TreeBlob, h) {
				res.MissingBlobs++
				res.addFile(fmt.Sprintf("%s: %s (directory tree missing or damaged)", sn.ID.Short(), where))
				return false, nil
			}
			t, err := LoadTree(ctx, r, h)
			if err != nil {
				res.Errors = append(res.Errors, fmt.Sprintf("snapshot %s, %s: %v", sn.ID.Short(), where, err))
				res.addFile(fmt.Sprintf("%s: %s (directory tree unreadable)", sn.ID.Short(), where))
				return false, nil
			}
			sound := true
			for k := range t.Nodes {
				n := &t.Nodes[k]
				rel := n.Name
				if prefix != "" {
					rel = prefix + "/" + n.Name
				}
				switch n.Type {
				case NodeDir:
					ok, err := walk(n.Subtree, rel)
					if err != nil {
						return false, err
					}
					sound = sound && ok
				case NodeFile:
					for _, c := range n.Chunks {
						if bad(repo.DataBlob, c.Hash) {
							res.MissingBlobs++
							res.addFile(fmt.Sprintf("%s: %s", sn.ID.Short(), rel))
							sound = false
							break
						}
					}
				}
			}
			if sound {
				goodTrees[h] = true
			}
			return sound, nil
		}
		ok, err := walk(sn.Tree, "")
		if err != nil {
			return res, err
		}
		affected := !ok
		if affected {
			res.AffectedSnapshots = append(res.AffectedSnapshots, sn.ID.String())
		}
	}
	progress("checking snapshots", len(snaps), len(snaps))
	for id := range damaged {
		res.DamagedPacks = append(res.DamagedPacks, id.String())
	}
	sort.Strings(res.DamagedPacks)
	res.Sound = len(res.DamagedPacks) == 0 && res.MissingBlobs == 0 && len(res.AffectedSnapshots) == 0
	res.DurationSeconds = time.Since(start).Seconds()
	return res, nil
}

func (res *CheckResult) addFile(s string) {
	if len(res.AffectedFiles) < maxListed {
		res.AffectedFiles = append(res.AffectedFiles, s)
	}
}

func (s *Service) handleCheck(ctx context.Context, c *control.Call) (any, error) {
	var args CheckArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	pct := args.ReadDataSubset
	if args.ReadData {
		pct = 100
	}
	if pct < 0 || pct > 100 {
		return nil, control.Usagef("check: --read-data-subset must be between 0 and 100%%")
	}
	r, known, release, err := s.openLocked(ctx, c, args.RepoArgs, false)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := Check(ctx, r, pct, func(what string, done, total int) {
		c.Progress(control.Progress{Message: fmt.Sprintf("check: %s %d/%d", what, done, total), Done: int64(done), Total: int64(total)})
	})
	if err != nil {
		return nil, err
	}
	if known.Name != "" {
		if err := s.Registry.RecordCheck(known.Name, time.Now(), res.Sound, pct > 0); err != nil {
			s.log.Warn("record check result", "repo", known.Name, "err", err)
		}
	}
	key := "check:" + args.Repo
	if res.Sound {
		s.resolve(ctx, key, "Repository "+args.Repo+" checked sound")
	} else {
		s.raise(ctx, key, alerts.SeverityCritical, fmt.Sprintf("Repository %s is damaged: %d packs, %d snapshots affected", args.Repo, len(res.DamagedPacks), len(res.AffectedSnapshots)))
		c.Found()
	}
	return res, nil
}
