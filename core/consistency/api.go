package consistency

import (
	"time"

	"github.com/holdfast/holdfast/core/backup"
)

// Operation names on the control socket. Compare, verify and repair are
// long: they run as tasks where the engine declares them so.
const (
	OpCompare      = "consistency.compare"
	OpVerify       = "consistency.verify"
	OpRepair       = "consistency.repair"
	OpRepairUndo   = "consistency.repair.undo"
	OpTrashList    = "consistency.trash.list"
	OpTrashRestore = "consistency.trash.restore"
	OpTrashEmpty   = "consistency.trash.empty"
)

// SnapshotPrefix marks a compare operand that names a snapshot:
// snapshot:ID[:PATH], ID being an ID, a unique prefix or "latest".
const SnapshotPrefix = "snapshot:"

// CompareArgs are the arguments of `holdfast compare`.
type CompareArgs struct {
	backup.RepoArgs
	// A and B are absolute folder paths or snapshot:ID[:PATH].
	A string `json:"a"`
	B string `json:"b"`
	// ContentOnly leaves mtimes out: subtrees whose content hashes match
	// are not looked into at all.
	ContentOnly bool `json:"content_only,omitempty"`
}

// Attrs are one side's view of an entry.
type Attrs struct {
	Type    string    `json:"type"`
	Mode    string    `json:"mode"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	Target  string    `json:"target,omitempty"`
}

// Entry is one difference. Path is relative to the compared roots, with
// "/" separators; a name that is not valid UTF-8 is shown with U+FFFD in
// Path and exactly, base64-encoded, in PathB64.
type Entry struct {
	Path    string `json:"path"`
	PathB64 string `json:"path_b64,omitempty"`
	Type    string `json:"type"`
	// Changes says what differs for modified and metadata entries:
	// "type", "content", "target", "size", "mode", "mtime".
	Changes []string `json:"changes,omitempty"`
	A       *Attrs   `json:"a,omitempty"`
	B       *Attrs   `json:"b,omitempty"`
	// CaseOf, on a missing or extra entry, names the entry on the other
	// side whose name differs only in letter case (a case-only rename).
	CaseOf string `json:"case_of,omitempty"`
}

// PathProblem is an entry that could not be compared: unreadable, or
// changing while it was read.
type PathProblem struct {
	Side    string `json:"side"` // "a" or "b"
	Path    string `json:"path"`
	PathB64 string `json:"path_b64,omitempty"`
	Error   string `json:"error"`
}

// Counts summarise a comparison. Entries is every path in A or B (the
// roots excepted); Identical those in both with nothing reported.
type Counts struct {
	Entries   int `json:"entries"`
	Identical int `json:"identical"`
	Missing   int `json:"missing"`
	Extra     int `json:"extra"`
	Modified  int `json:"modified"`
	Metadata  int `json:"metadata"`
	Errors    int `json:"errors"`
}

// Report is the result of a comparison. Missing is in A and not in B,
// Extra in B and not in A, Modified differs in content (or type),
// Metadata in mode or mtime only (files and symlinks; a directory's mode
// but never its own mtime). Score is the percentage of entries that are
// identical, rounded down to two decimals, so 100 means identical.
type Report struct {
	A        string        `json:"a"`
	B        string        `json:"b"`
	Missing  []Entry       `json:"missing"`
	Extra    []Entry       `json:"extra"`
	Modified []Entry       `json:"modified"`
	Metadata []Entry       `json:"metadata"`
	Errors   []PathProblem `json:"errors"`
	Counts   Counts        `json:"counts"`
	Score    float64       `json:"score"`
	// ContentOnly is set when mtimes were not compared.
	ContentOnly bool `json:"content_only,omitempty"`
	// HashedFiles and HashedBytes count what had to be read to bring the
	// live sides' indexes up to date.
	HashedFiles     int     `json:"hashed_files"`
	HashedBytes     int64   `json:"hashed_bytes"`
	DurationSeconds float64 `json:"duration_seconds"`
}

// Identical reports whether the comparison found nothing at all.
func (r *Report) Identical() bool {
	return len(r.Missing)+len(r.Extra)+len(r.Modified)+len(r.Metadata)+len(r.Errors) == 0
}
