package consistency

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/holdfast/holdfast/core/control"
	"github.com/holdfast/holdfast/core/store"
)

// OpChecks lists the last check of every folder that was verified or
// compared: what the desktop app shows next to a watched folder.
const OpChecks = "consistency.checks"

// ChecksBucket holds the last check of each folder: absolute path → JSON
// CheckRecord.
var ChecksBucket = []byte("consistency.checks")

// Results of a check, worst last.
const (
	ResultClean   = "clean"   // nothing found
	ResultDrifted = "drifted" // differences, none of them corruption
	ResultCorrupt = "corrupt" // verify found silent corruption
)

// CheckRecord is the last verify or compare of a folder.
type CheckRecord struct {
	Folder string    `json:"folder"`
	Time   time.Time `json:"time"`
	// Kind is "verify" or "compare".
	Kind string `json:"kind"`
	// Against names the other side: a verify's repository, a compare's
	// other operand.
	Against string `json:"against"`
	// Snapshot is the snapshot a verify compared with.
	Snapshot string  `json:"snapshot,omitempty"`
	Deep     bool    `json:"deep,omitempty"`
	Result   string  `json:"result"`
	Score    float64 `json:"score"`
	// Counts are the numbers of differences by class (verify's corrupt,
	// missing, changed, new, metadata, errors; compare's missing, extra,
	// modified, metadata, errors), zeros left out.
	Counts map[string]int `json:"counts,omitempty"`
}

// Differences adds up the counts.
func (r *CheckRecord) Differences() int {
	n := 0
	for _, c := range r.Counts {
		n += c
	}
	return n
}

// checkLog keeps the last check of each folder in bbolt.
type checkLog struct{ db *bolt.DB }

func openCheckLog(db *bolt.DB) (*checkLog, error) {
	if err := store.EnsureBuckets(db, ChecksBucket); err != nil {
		return nil, fmt.Errorf("consistency: check log: %w", err)
	}
	return &checkLog{db: db}, nil
}

func (l *checkLog) put(r CheckRecord) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return l.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(ChecksBucket).Put([]byte(r.Folder), raw)
	})
}

// Checks returns the last check of every folder, by path.
func (s *Service) Checks() ([]CheckRecord, error) {
	out := []CheckRecord{}
	if s.checks == nil {
		return out, nil
	}
	err := s.checks.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(ChecksBucket).ForEach(func(k, v []byte) error {
			var r CheckRecord
			if err := json.Unmarshal(v, &r); err != nil {
				s.log.Warn("consistency: unreadable check record", "folder", string(k), "err", err)
				return nil
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("consistency: checks: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Folder < out[j].Folder })
	return out, nil
}

func (s *Service) handleChecks(ctx context.Context, c *control.Call) (any, error) {
	return s.Checks()
}

// record keeps r as its folder's last check; a failure is logged, since
// the check itself succeeded.
func (s *Service) record(r CheckRecord) {
	if s.checks == nil {
		return
	}
	r.Time = time.Now().UTC()
	for k, n := range r.Counts {
		if n == 0 {
			delete(r.Counts, k)
		}
	}
	if err := s.checks.put(r); err != nil {
		s.log.Warn("consistency: record the check", "folder", r.Folder, "err", err)
	}
}

// recordVerify keeps a verify as its folder's last check.
func (s *Service) recordVerify(args VerifyArgs, v *VerifyResult) {
	c := v.Counts
	res := ResultClean
	switch {
	case c.Corrupt > 0:
		res = ResultCorrupt
	case c.Missing+c.Changed+c.New+c.Metadata+c.Errors > 0:
		res = ResultDrifted
	}
	s.record(CheckRecord{Folder: filepath.Clean(args.Folder), Kind: "verify", Against: args.Repo, Snapshot: v.Snapshot,
		Deep: args.Deep, Result: res, Score: v.Score, Counts: map[string]int{
			"corrupt": c.Corrupt, "missing": c.Missing, "changed": c.Changed, "new": c.New, "metadata": c.Metadata, "errors": c.Errors}})
}

// recordCompare keeps a compare as the last check of each side that is a
// folder.
func (s *Service) recordCompare(rep *Report) {
	c := rep.Counts
	res := ResultClean
	if !rep.Identical() {
		res = ResultDrifted
	}
	// Seen from B, what A has and B lacks is extra.
	if filepath.IsAbs(rep.A) {
		s.record(CheckRecord{Folder: filepath.Clean(rep.A), Kind: "compare", Against: rep.B, Result: res, Score: rep.Score, Counts: map[string]int{
			"missing": c.Missing, "extra": c.Extra, "modified": c.Modified, "metadata": c.Metadata, "errors": c.Errors}})
	}
	if filepath.IsAbs(rep.B) {
		s.record(CheckRecord{Folder: filepath.Clean(rep.B), Kind: "compare", Against: rep.A, Result: res, Score: rep.Score, Counts: map[string]int{
			"missing": c.Extra, "extra": c.Missing, "modified": c.Modified, "metadata": c.Metadata, "errors": c.Errors}})
	}
}
