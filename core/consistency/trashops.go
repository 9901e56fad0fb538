package consistency

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/holdfast/holdfast/core/control"
)

// TrashEntry is one repair in the trash.
type TrashEntry struct {
	ID       string     `json:"id"`
	Time     time.Time  `json:"time"`
	Folder   string     `json:"folder"`
	Snapshot string     `json:"snapshot"`
	Items    int        `json:"items"`
	Files    int        `json:"files_in_trash"`
	Bytes    int64      `json:"bytes"`
	Undone   *time.Time `json:"undone,omitempty"`
}

// TrashRestoreArgs put trashed files back.
type TrashRestoreArgs struct {
	ID    string   `json:"id"`
	Paths []string `json:"paths,omitempty"` // relative; none: everything
}

// TrashEmptyArgs remove repairs from the trash.
type TrashEmptyArgs struct {
	// OlderThan, if set, keeps repairs younger than this (a Go duration
	// or a number of days such as "30d").
	OlderThan string `json:"older_than,omitempty"`
}

// TrashEmptyResult lists what was removed.
type TrashEmptyResult struct {
	Removed []string `json:"removed"`
	Bytes   int64    `json:"bytes"`
}

func (s *Service) handleTrashList(ctx context.Context, c *control.Call) (any, error) {
	ms, err := s.listManifests()
	if err != nil {
		return nil, err
	}
	out := make([]TrashEntry, 0, len(ms))
	for _, m := range ms {
		e := TrashEntry{ID: m.ID, Time: m.Time, Folder: m.Folder, Snapshot: m.Snapshot, Items: len(m.Items), Undone: m.Undone}
		for _, it := range m.Items {
			if it.Action == "replaced" || it.Action == "moved" {
				if _, err := os.Lstat(filepath.Join(s.trashRoot(m.ID), filepath.FromSlash(it.rel()))); err == nil {
					e.Files++
				}
			}
		}
		e.Bytes = dirSize(s.trashRoot(m.ID))
		out = append(out, e)
	}
	return out, nil
}

// handleTrashRestore puts trashed files back where they were, when their
// place is free; a file in the way is a conflict, left alone.
func (s *Service) handleTrashRestore(ctx context.Context, c *control.Call) (any, error) {
	var args TrashRestoreArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	m, err := s.loadManifest(args.ID)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, p := range args.Paths {
		want[filepath.ToSlash(filepath.Clean(p))] = true
	}
	res := &UndoResult{ID: m.ID, Restored: []string{}, Conflicts: []string{}}
	for _, it := range m.Items {
		rel := it.rel()
		if len(args.Paths) > 0 {
			if _, asked := want[rel]; !asked {
				continue
			}
			want[rel] = false // found
		}
		if it.Action != "replaced" && it.Action != "moved" {
			continue
		}
		src := filepath.Join(s.trashRoot(m.ID), filepath.FromSlash(rel))
		if _, err := os.Lstat(src); err != nil {
			continue // restored or undone already
		}
		dst := filepath.Join(m.Folder, filepath.FromSlash(rel))
		if _, err := os.Lstat(dst); err == nil {
			res.Conflicts = append(res.Conflicts, it.Path+": something is in its place; left in the trash")
			continue
		}
		if err := moveTo(src, dst); err != nil {
			res.Conflicts = append(res.Conflicts, it.Path+": "+err.Error())
			continue
		}
		res.Restored = append(res.Restored, it.Path)
	}
	for p, notFound := range want {
		if notFound {
			res.Conflicts = append(res.Conflicts, p+": not in repair "+m.ID)
		}
	}
	if len(res.Conflicts) > 0 {
		c.Found()
	}
	return res, nil
}

// ParseAge parses a Go duration or a number of days ("30d").
func ParseAge(s string) (time.Duration, error) {
	var days int
	if n, err := fmt.Sscanf(s, "%dd", &days); err == nil && n == 1 && fmt.Sprintf("%dd", days) == s && days >= 0 {
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age (use 30d, 12h or 90m)", s)
	}
	return d, nil
}

func (s *Service) handleTrashEmpty(ctx context.Context, c *control.Call) (any, error) {
	var args TrashEmptyArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	var age time.Duration
	if args.OlderThan != "" {
		var err error
		if age, err = ParseAge(args.OlderThan); err != nil {
			return nil, control.Usagef("trash empty: --older-than: %v", err)
		}
	}
	ms, err := s.listManifests()
	if err != nil {
		return nil, err
	}
	res := &TrashEmptyResult{Removed: []string{}}
	cutoff := time.Now().Add(-age)
	var errs []error
	for _, m := range ms {
		if args.OlderThan != "" && !m.Time.Before(cutoff) {
			continue
		}
		n := dirSize(s.trashRoot(m.ID))
		if err := os.RemoveAll(s.trashRoot(m.ID)); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.Remove(s.manifestPath(m.ID)); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Removed = append(res.Removed, m.ID)
		res.Bytes += n
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("trash empty: %w", err)
	}
	return res, nil
}
