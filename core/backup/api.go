// Package backup backs folders up into encrypted, deduplicated
// repositories (core/backup/repo), restores them bit for bit, applies
// retention and proves a repository intact. Its operations are served to
// the CLI, the GUI and peers through the engine's control router.
package backup

import "time"

// Operation names on the control socket.
const (
	OpInit       = "backup.init"
	OpRepos      = "backup.repos"
	OpForgetRepo = "backup.repos.remove"
	OpBackup     = "backup.run"
	OpSnapshots  = "backup.snapshots"
	OpLs         = "backup.ls"
	OpDiff       = "backup.diff"
	OpRestore    = "backup.restore"
	OpForget     = "backup.forget"
	OpCheck      = "backup.check"
	OpKeyAdd     = "backup.key.add"
	OpKeyList    = "backup.key.list"
	OpKeyRemove  = "backup.key.remove"
	OpStats      = "backup.stats"
)

// Secret names carried in control requests.
const (
	SecretPassword    = "password"
	SecretNewPassword = "new_password"
)

// RepoArgs names the repository an operation works on: a directory or the
// name of a repository the home knows.
type RepoArgs struct {
	Repo string `json:"repo"`
	// RepoAbs is Repo made absolute in the caller's working directory,
	// used when Repo is not the name of a known repository.
	RepoAbs string `json:"repo_abs,omitempty"`
}

// InitArgs are the arguments of `holdfast init`.
type InitArgs struct {
	RepoArgs
	Name     string `json:"name,omitempty"`
	Remember bool   `json:"remember,omitempty"`
}

// InitResult says what was created.
type InitResult struct {
	ID       string `json:"id"`
	Path     string `json:"path"`
	Name     string `json:"name,omitempty"`
	Cipher   string `json:"cipher"`
	Password string `json:"password_stored_in,omitempty"` // "keyring", "file" or ""
}

// RepoStats is a repository's health, as the Backups page shows it.
type RepoStats struct {
	Path         string     `json:"path"`
	SizeBytes    int64      `json:"size_bytes"` // on disk
	Packs        int        `json:"packs"`
	Snapshots    int        `json:"snapshots"`
	LogicalBytes int64      `json:"logical_bytes"` // the snapshots' sizes added up
	DedupRatio   float64    `json:"dedup_ratio"`   // logical_bytes / size_bytes
	LastBackup   *time.Time `json:"last_backup,omitempty"`
	LastCheck    *time.Time `json:"last_check,omitempty"`
	CheckSound   bool       `json:"last_check_sound,omitempty"`
	CheckRead    bool       `json:"last_check_read_data,omitempty"`
}

// RepoInfo is one known repository, as `holdfast repos --json` lists it.
type RepoInfo struct {
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	ID       string    `json:"id"`
	Added    time.Time `json:"added"`
	Password string    `json:"password_stored_in,omitempty"`
	// LastCheck is when check last ran on it from this home.
	LastCheck  *time.Time `json:"last_check,omitempty"`
	CheckSound bool       `json:"last_check_sound,omitempty"`
}

// BackupArgs are the arguments of `holdfast backup`.
type BackupArgs struct {
	RepoArgs
	Paths    []string `json:"paths"`
	Tags     []string `json:"tags,omitempty"`
	Excludes []string `json:"excludes,omitempty"`
}

// BackupSummary is the result of a backup; with --json it is printed as
// one line.
type BackupSummary struct {
	SnapshotID      string   `json:"snapshot_id"`
	Parent          string   `json:"parent,omitempty"`
	FilesNew        int64    `json:"files_new"`
	FilesChanged    int64    `json:"files_changed"`
	FilesUnmodified int64    `json:"files_unmodified"`
	DirsNew         int64    `json:"dirs_new"`
	DirsChanged     int64    `json:"dirs_changed"`
	DirsUnmodified  int64    `json:"dirs_unmodified"`
	TotalFiles      int64    `json:"total_files"`
	TotalBytes      int64    `json:"total_bytes"`
	BytesRead       int64    `json:"bytes_read"`
	DataAdded       int64    `json:"data_added"`        // plain bytes of new chunks and trees
	DataAddedStored int64    `json:"data_added_stored"` // after compression and encryption
	DurationSeconds float64  `json:"duration_seconds"`
	Errors          []string `json:"errors,omitempty"`  // unreadable files: the snapshot was saved without them
	Changed         []string `json:"changed,omitempty"` // files that changed while being read
}

// SnapshotsArgs are the arguments of `holdfast snapshots`.
type SnapshotsArgs struct {
	RepoArgs
}

// SnapshotInfo is one snapshot as `holdfast snapshots --json` lists it.
type SnapshotInfo struct {
	ID              string    `json:"id"`
	ShortID         string    `json:"short_id"`
	Time            time.Time `json:"time"`
	Hostname        string    `json:"hostname"`
	Username        string    `json:"username,omitempty"`
	Paths           []string  `json:"paths"`
	Tags            []string  `json:"tags"`
	Parent          string    `json:"parent,omitempty"`
	Files           int64     `json:"files"`
	Bytes           int64     `json:"bytes"`
	DataAdded       int64     `json:"data_added"`
	DurationSeconds float64   `json:"duration_seconds"`
}

// LsArgs are the arguments of `holdfast ls`.
type LsArgs struct {
	RepoArgs
	Snapshot  string `json:"snapshot"`
	Path      string `json:"path,omitempty"`
	Recursive bool   `json:"recursive,omitempty"`
}

// Entry is one file, directory or symlink in a listing or a diff.
type Entry struct {
	Path    string    `json:"path"`
	PathB64 string    `json:"path_b64,omitempty"`
	Type    string    `json:"type"`
	Mode    string    `json:"mode"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
	Target  string    `json:"target,omitempty"`
}

// LsResult is a listing of a snapshot.
type LsResult struct {
	Snapshot string  `json:"snapshot"`
	Entries  []Entry `json:"entries"`
}

// DiffArgs are the arguments of `holdfast diff`.
type DiffArgs struct {
	RepoArgs
	A string `json:"a"`
	B string `json:"b"`
}

// DiffResult lists what differs between two snapshots.
type DiffResult struct {
	A        string  `json:"a"`
	B        string  `json:"b"`
	Added    []Entry `json:"added"`
	Removed  []Entry `json:"removed"`
	Modified []Entry `json:"modified"`
	Metadata []Entry `json:"metadata"`
}

// RestoreArgs are the arguments of `holdfast restore`.
type RestoreArgs struct {
	RepoArgs
	Snapshot string   `json:"snapshot"`
	Target   string   `json:"target"`
	Includes []string `json:"includes,omitempty"`
	Verify   bool     `json:"verify,omitempty"`
}

// RestoreSummary says what a restore did.
type RestoreSummary struct {
	Snapshot        string   `json:"snapshot"`
	Target          string   `json:"target"`
	Files           int64    `json:"files"`
	Dirs            int64    `json:"dirs"`
	Symlinks        int64    `json:"symlinks"`
	Bytes           int64    `json:"bytes"`
	Skipped         int64    `json:"skipped_identical"`
	Verified        int64    `json:"verified,omitempty"`
	DurationSeconds float64  `json:"duration_seconds"`
	Conflicts       []string `json:"conflicts,omitempty"` // existing different files left alone
	Errors          []string `json:"errors,omitempty"`
}

// ForgetArgs are the arguments of `holdfast forget`.
type ForgetArgs struct {
	RepoArgs
	KeepLast    int    `json:"keep_last,omitempty"`
	KeepHourly  int    `json:"keep_hourly,omitempty"`
	KeepDaily   int    `json:"keep_daily,omitempty"`
	KeepWeekly  int    `json:"keep_weekly,omitempty"`
	KeepMonthly int    `json:"keep_monthly,omitempty"`
	KeepYearly  int    `json:"keep_yearly,omitempty"`
	KeepWithin  string `json:"keep_within,omitempty"`
	Prune       bool   `json:"prune,omitempty"`
	DryRun      bool   `json:"dry_run,omitempty"`
}

// ForgetDecision is one snapshot's fate.
type ForgetDecision struct {
	ID      string    `json:"id"`
	Time    time.Time `json:"time"`
	Paths   []string  `json:"paths"`
	Keep    bool      `json:"keep"`
	Reasons []string  `json:"reasons"`
}

// PruneStats says what prune removed and rewrote.
type PruneStats struct {
	PacksRemoved      int   `json:"packs_removed"`
	PacksRepacked     int   `json:"packs_repacked"`
	PacksWritten      int   `json:"packs_written"`
	BlobsRemoved      int   `json:"blobs_removed"`
	BytesFreed        int64 `json:"bytes_freed"`
	UnreferencedPacks int   `json:"unreferenced_packs_removed"`
}

// ForgetResult is the result of forget.
type ForgetResult struct {
	Policy    string           `json:"policy"`
	DryRun    bool             `json:"dry_run"`
	Decisions []ForgetDecision `json:"snapshots"`
	Removed   int              `json:"removed"`
	Prune     *PruneStats      `json:"prune,omitempty"`
}

// CheckArgs are the arguments of `holdfast check`.
type CheckArgs struct {
	RepoArgs
	ReadData       bool    `json:"read_data,omitempty"`
	ReadDataSubset float64 `json:"read_data_subset,omitempty"` // percent, 0 < x <= 100
}

// CheckResult is what check found. Sound means nothing referenced is
// missing or damaged; unreferenced packs do not make it unsound.
type CheckResult struct {
	Sound             bool     `json:"sound"`
	Snapshots         int      `json:"snapshots"`
	Packs             int      `json:"packs"`
	PacksRead         int      `json:"packs_read"`
	BytesRead         int64    `json:"bytes_read"`
	Blobs             int      `json:"blobs"`
	UnreferencedPacks []string `json:"unreferenced_packs"`
	DamagedPacks      []string `json:"damaged_packs"`
	MissingBlobs      int      `json:"missing_blobs"`
	AffectedSnapshots []string `json:"affected_snapshots"`
	AffectedFiles     []string `json:"affected_files"`
	Errors            []string `json:"errors"`
	DurationSeconds   float64  `json:"duration_seconds"`
}

// KeyArgs are the arguments of `holdfast key ...`.
type KeyArgs struct {
	RepoArgs
	KeyID string `json:"key_id,omitempty"`
}

// KeyInfo is one password slot of a repository.
type KeyInfo struct {
	ID       string    `json:"id"`
	Current  bool      `json:"current"`
	Hostname string    `json:"hostname"`
	Username string    `json:"username"`
	Created  time.Time `json:"created"`
}
