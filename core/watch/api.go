package watch

import (
	"context"
	"path/filepath"
	"time"

	"github.com/holdfast/holdfast/core/control"
)

// Operation names on the control socket.
const (
	OpAdd    = "watch.add"
	OpRemove = "watch.remove"
	OpList   = "watch.list"
)

// Args name one folder.
type Args struct {
	Path string `json:"path"` // absolute
}

// FolderInfo is one watched folder as `holdfast watch list --json` shows it.
type FolderInfo struct {
	Path  string    `json:"path"`
	Added time.Time `json:"added"`
	// Watching is set while a running engine keeps the folder's tree;
	// Ready once its first scan is done.
	Watching bool       `json:"watching"`
	Ready    bool       `json:"ready"`
	Files    int        `json:"files"`
	Dirs     int        `json:"dirs"`
	Bytes    int64      `json:"bytes"`
	Updated  *time.Time `json:"updated,omitempty"`
	Problems int        `json:"problems"`
	Error    string     `json:"error,omitempty"`
}

// Router is where the service registers its operations.
type Router interface {
	Handle(op string, h control.Handler)
}

// Register adds the watch operations to r.
func (s *Service) Register(r Router) {
	r.Handle(OpAdd, s.handleAdd)
	r.Handle(OpRemove, s.handleRemove)
	r.Handle(OpList, s.handleList)
}

func decodePath(c *control.Call) (string, error) {
	var args Args
	if err := c.Decode(&args); err != nil {
		return "", err
	}
	if args.Path == "" || !filepath.IsAbs(args.Path) {
		return "", control.Usagef("%s: name a DIR (absolute path)", c.Op)
	}
	return filepath.Clean(args.Path), nil
}

func (s *Service) handleAdd(ctx context.Context, c *control.Call) (any, error) {
	p, err := decodePath(c)
	if err != nil {
		return nil, err
	}
	if err := s.Add(p); err != nil {
		return nil, err
	}
	return s.info(p)
}

func (s *Service) handleRemove(ctx context.Context, c *control.Call) (any, error) {
	p, err := decodePath(c)
	if err != nil {
		return nil, err
	}
	found, err := s.Remove(p)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, control.Usagef("%s is not watched", p)
	}
	return map[string]string{"removed": p}, nil
}

func (s *Service) handleList(ctx context.Context, c *control.Call) (any, error) {
	recs, err := s.List()
	if err != nil {
		return nil, err
	}
	out := make([]FolderInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, s.infoOf(r))
	}
	return out, nil
}

func (s *Service) info(p string) (FolderInfo, error) {
	recs, err := s.List()
	if err != nil {
		return FolderInfo{}, err
	}
	for _, r := range recs {
		if r.Path == p {
			return s.infoOf(r), nil
		}
	}
	return FolderInfo{Path: p}, nil
}

func (s *Service) infoOf(r Record) FolderInfo {
	fi := FolderInfo{Path: r.Path, Added: r.Added}
	if st, ok := s.State(r.Path); ok {
		fi.Watching = true
		fi.Ready, fi.Files, fi.Dirs, fi.Problems, fi.Error = st.Ready, st.Files, st.Dirs, len(st.Problems), st.Err
		fi.Bytes = st.Bytes
		if !st.Updated.IsZero() {
			t := st.Updated.UTC()
			fi.Updated = &t
		}
	}
	return fi
}
