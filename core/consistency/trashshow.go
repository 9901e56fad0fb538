package consistency

import (
	"context"
	"os"
	"path/filepath"

	"github.com/holdfast/holdfast/core/control"
)

// OpTrashShow returns one repair of the trash with its files.
const OpTrashShow = "consistency.trash.show"

// TrashItem is one thing a repair did, and whether what it replaced or
// moved aside is still in the trash.
type TrashItem struct {
	Path    string `json:"path"`
	PathB64 string `json:"path_b64,omitempty"`
	Type    string `json:"type"`
	// Action is the repair's: replaced, moved, created, chmod.
	Action  string `json:"action"`
	InTrash bool   `json:"in_trash"`
	Size    int64  `json:"size,omitempty"` // of the trashed file
}

// TrashDetail is a repair of the trash with every item.
type TrashDetail struct {
	TrashEntry
	List []TrashItem `json:"list"`
}

func (s *Service) handleTrashShow(ctx context.Context, c *control.Call) (any, error) {
	var args UndoArgs
	if err := c.Decode(&args); err != nil {
		return nil, err
	}
	m, err := s.loadManifest(args.ID)
	if err != nil {
		return nil, err
	}
	d := TrashDetail{TrashEntry: TrashEntry{ID: m.ID, Time: m.Time, Folder: m.Folder, Snapshot: m.Snapshot, Items: len(m.Items), Undone: m.Undone},
		List: make([]TrashItem, 0, len(m.Items))}
	for _, it := range m.Items {
		ti := TrashItem{Path: it.Path, PathB64: it.PathB64, Type: it.Type, Action: it.Action}
		if it.Action == "replaced" || it.Action == "moved" {
			p := filepath.Join(s.trashRoot(m.ID), filepath.FromSlash(it.rel()))
			if fi, err := os.Lstat(p); err == nil {
				ti.InTrash = true
				d.Files++
				if fi.IsDir() {
					ti.Size = dirSize(p)
				} else if fi.Mode().IsRegular() {
					ti.Size = fi.Size()
				}
			}
		}
		d.List = append(d.List, ti)
	}
	d.Bytes = dirSize(s.trashRoot(m.ID))
	return d, nil
}
