package tsdb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// QueryRequest selects series and a time range.
type QueryRequest struct {
	// Match selects the series.
	Match Matcher
	// Start and End bound the range, both inclusive, at whole seconds. A
	// zero End is now; a zero Start is one hour before End.
	Start, End time.Time
	// Step is the spacing of the returned points; 0 chooses one (see
	// DB.Query). It is rounded up to whole seconds.
	Step time.Duration
	// Agg combines the values that fall into one step.
	Agg Agg
}

// Point is one value of a result series at T (unix seconds). For a step
// query T is the start of the step.
type Point struct {
	T int64   `json:"t"`
	V float64 `json:"v"`
}

// Series is one result series. Counters come back as per-second rates.
type Series struct {
	Name   string  `json:"name"`
	Labels Labels  `json:"labels,omitempty"`
	Kind   Kind    `json:"kind"`
	Points []Point `json:"points"`
}

// QueryStats says how a query was answered.
type QueryStats struct {
	// Tier is the tier the points came from.
	Tier Tier `json:"tier"`
	// Step is the spacing of the points; 0 means raw resolution, one
	// point per sample.
	Step time.Duration `json:"step"`
	// Series and Points count what was returned.
	Series int `json:"series"`
	Points int `json:"points"`
	// BlocksRead counts stored blocks decoded; HeadSamples counts
	// not-yet-flushed samples in the range that were included.
	BlocksRead  int `json:"blocks_read"`
	HeadSamples int `json:"head_samples"`
	// SkippedBlocks counts corrupt blocks that were left out; Errors holds
	// a *BlockError for each (at most maxReportedErrors).
	SkippedBlocks int     `json:"skipped_blocks"`
	Errors        []error `json:"-"`
}

const maxReportedErrors = 100

// BlockError reports a stored block that could not be read.
type BlockError struct {
	Tier   Tier
	Series string
	Start  time.Time
	Err    error
}

func (e *BlockError) Error() string {
	return fmt.Sprintf("tsdb: %s block of %s at %s skipped: %v", e.Tier, e.Series, e.Start.UTC().Format(time.RFC3339), e.Err)
}

func (e *BlockError) Unwrap() error { return e.Err }

// snap is a query's copy of one series' in-memory state.
type snap struct {
	canon   string
	name    string
	labels  Labels
	kind    Kind
	id      uint32
	batches []batch
	base    rater
}

// Query returns the matching series over [Start, End], sorted by canonical
// key; series without points in the range are left out.
//
// Choosing the resolution: with Step 0, a range of at most an hour that
// the raw tier still holds returns every sample. Longer ranges take the
// smallest step from 1s 2s 5s 10s 15s 30s 1m 2m 5m 10m 15m 30m 1h 2h 3h
// 6h 12h 1d (then whole days) that gives at most 1000 points. For the
// step, chosen or given, the coarsest tier whose resolution divides it is
// read (raw 1 s, 1m, 1h); when the range starts before that tier's
// retention, the step is rounded up to the next tier's resolution and that
// tier is read. Steps are aligned to multiples of the step since the epoch.
//
// Unflushed samples are included. Corrupt blocks are skipped and reported
// in the stats (and the log); the error is only for failures of the query
// itself.
func (d *DB) Query(ctx context.Context, req QueryRequest) ([]Series, QueryStats, error) {
	var st QueryStats
	if err := ctx.Err(); err != nil {
		return nil, st, err
	}
	if req.Agg > Max {
		return nil, st, fmt.Errorf("tsdb: unknown aggregation %d", req.Agg)
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, st, ErrClosed
	}
	now := d.now()
	end := req.End
	if end.IsZero() {
		end = now
	}
	start := req.Start
	if start.IsZero() {
		start = end.Add(-time.Hour)
	}
	s, e := start.Unix(), end.Unix()
	if s > e {
		d.mu.Unlock()
		return nil, st, ErrBadRange
	}
	s = max(s, 0)
	tier, step := d.plan(s, e, req.Step, now.Unix())
	st.Tier, st.Step = tier, time.Duration(step)*time.Second
	var snaps []snap
	for _, x := range d.series {
		if !req.Match.Matches(x.name, x.labels) {
			continue
		}
		sn := snap{canon: x.canon, name: x.name, labels: x.labels, kind: x.kind, id: x.id, base: x.base}
		sn.batches = append(slices.Clip(x.pending), batch{d.nextSeq, x.head})
		snaps = append(snaps, sn)
	}
	d.mu.Unlock()
	slices.SortFunc(snaps, func(a, b snap) int { return strings.Compare(a.canon, b.canon) })
	if e < 0 {
		return nil, st, nil
	}

	tx, err := d.bolt.Begin(false)
	if err != nil {
		return nil, st, fmt.Errorf("tsdb: query: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var committed uint64
	var sb, tb *bolt.Bucket
	if m := tx.Bucket(bucketMeta); m != nil {
		if v := m.Get(keyFlushSeq); len(v) == 8 {
			committed = binary.BigEndian.Uint64(v)
		}
		sb = tx.Bucket(bucketSeries)
		tb = tx.Bucket(tierBuckets[tier])
	}
	q := querier{d: d, st: &st, tier: tier, step: step, agg: req.Agg, from: s, to: e}
	var out []Series
	for _, sn := range snaps {
		if err := ctx.Err(); err != nil {
			return nil, st, err
		}
		id := sn.id
		if id == 0 && sb != nil {
			if v := sb.Get([]byte(sn.canon)); len(v) == 5 {
				id = binary.BigEndian.Uint32(v)
			}
		}
		// Batches up to the committed flush are on disk in this
		// transaction's view; the rest are only in memory.
		r := sn.base
		var head []sample
		for _, b := range sn.batches {
			if b.seq <= committed {
				for _, x := range b.s {
					r.next(x.t, x.v)
				}
				continue
			}
			head = append(head, b.s...)
		}
		var c *bolt.Cursor
		if id != 0 && tb != nil {
			c = tb.Cursor()
		}
		pts := q.series(c, id, sn, head, r)
		if len(pts) == 0 {
			continue
		}
		st.Points += len(pts)
		out = append(out, Series{Name: sn.name, Labels: slices.Clone(sn.labels), Kind: sn.kind, Points: pts})
	}
	st.Series = len(out)
	return out, st, nil
}

var niceSteps = []int64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// maxAutoPoints bounds the points per series of an automatic step.
const maxAutoPoints = 1000

// plan picks the tier and step (seconds; 0 = raw resolution) for [s, e].
func (d *DB) plan(s, e int64, step time.Duration, now int64) (Tier, int64) {
	covers := func(t Tier) bool { return s >= now-d.keep[t] }
	var st int64
	if step <= 0 {
		if e-s <= 3600 && covers(TierRaw) {
			return TierRaw, 0
		}
		want := max((e-s+maxAutoPoints-1)/maxAutoPoints, 1)
		st = (want + 86399) / 86400 * 86400
		for _, n := range niceSteps {
			if n >= want {
				st = n
				break
			}
		}
	} else {
		st = int64((step + time.Second - 1) / time.Second)
	}
	tier := TierRaw
	for t := TierHour; t > TierRaw; t-- {
		if res := t.resolution(); st >= res && st%res == 0 {
			tier = t
			break
		}
	}
	for tier < TierHour && !covers(tier) {
		tier++
		res := tier.resolution()
		st = (st + res - 1) / res * res
	}
	return tier, st
}

// querier holds one query's parameters and scratch space.
type querier struct {
	d        *DB
	st       *QueryStats
	tier     Tier
	step     int64
	agg      Agg
	from, to int64
	blk      block
	samples  []sample
}

func (q *querier) corrupt(canon string, start int64, err error) {
	q.st.SkippedBlocks++
	if len(q.st.Errors) < maxReportedErrors {
		q.st.Errors = append(q.st.Errors, &BlockError{Tier: q.tier, Series: canon, Start: time.Unix(start, 0), Err: err})
	}
	q.d.reportCorrupt(q.tier, canon, start, err)
}

// blocks calls fn for each block of series id that can hold points in
// [from, to]: the last one starting at or before from, then every one
// starting up to to.
func blocks(c *bolt.Cursor, id uint32, from, to int64, fn func(start int64, v []byte)) {
	k, v := seekLE(c, blockKey(id, from))
	if kid, _, ok := parseBlockKey(k); !ok || kid != id {
		k, v = c.Seek(blockKey(id, from))
	}
	for ; k != nil; k, v = c.Next() {
		kid, start, ok := parseBlockKey(k)
		if !ok || kid != id || start > to {
			return
		}
		fn(start, v)
	}
}

func (q *querier) series(c *bolt.Cursor, id uint32, sn snap, head []sample, r rater) []Point {
	if q.tier == TierRaw {
		return q.raw(c, id, sn, head)
	}
	return q.rollup(c, id, sn, head, r)
}

func (q *querier) raw(c *bolt.Cursor, id uint32, sn snap, head []sample) []Point {
	ss := q.samples[:0]
	last := int64(-1)
	if c != nil {
		blocks(c, id, q.from, q.to, func(start int64, v []byte) {
			q.st.BlocksRead++
			err := decodeBlock(v, allCols, &q.blk)
			if err == nil && q.blk.kind != kindRaw {
				err = fmt.Errorf("%w: rollup block in the raw tier", ErrCorruptBlock)
			}
			if err != nil {
				q.corrupt(sn.canon, start, err)
				return
			}
			for i, t := range q.blk.ts {
				if t > last && t <= q.to {
					ss = append(ss, sample{t, q.blk.cols[0][i]})
					last = t
				}
			}
		})
	}
	for _, x := range head {
		if x.t > last && x.t <= q.to {
			ss = append(ss, x)
			last = x.t
			if x.t >= q.from {
				q.st.HeadSamples++
			}
		}
	}
	q.samples = ss
	var r rater
	a := stepAgg{step: q.step, agg: q.agg}
	var out []Point
	for _, x := range ss {
		v, ok := value(sn.kind, &r, x.t, x.v)
		if !ok || x.t < q.from {
			continue
		}
		if q.step == 0 {
			out = append(out, Point{x.t, v})
		} else {
			a.add(aggPoint{x.t, v, v, v, 1})
		}
	}
	if q.step == 0 {
		return out
	}
	return a.finish()
}

func (q *querier) rollup(c *bolt.Cursor, id uint32, sn snap, head []sample, r rater) []Point {
	res, w := q.tier.resolution(), q.tier.window()
	from := q.from - q.from%res
	mask := colMask(1<<colSum | 1<<colCount)
	switch q.agg {
	case Min:
		mask = 1 << colMin
	case Max:
		mask = 1 << colMax
	}
	// Stored points come first in time, then the head's: the head holds
	// only samples after the last flush, so its first bucket can only
	// continue the last stored one, which stepAgg combines.
	a := stepAgg{step: q.step, agg: q.agg}
	if c != nil {
		blocks(c, id, from, q.to, func(start int64, v []byte) {
			if start-start%w+w <= from {
				return // ends before the range
			}
			q.st.BlocksRead++
			err := decodeBlock(v, mask, &q.blk)
			if err == nil && q.blk.kind != kindRollup {
				err = fmt.Errorf("%w: raw block in a rollup tier", ErrCorruptBlock)
			}
			if err != nil {
				q.corrupt(sn.canon, start, err)
				return
			}
			b := &q.blk
			var p aggPoint
			for i, t := range b.ts {
				if t < from || t > q.to {
					continue
				}
				p.t = t
				switch q.agg {
				case Min:
					p.min = b.cols[colMin][i]
				case Max:
					p.max = b.cols[colMax][i]
				default:
					p.sum, p.count = b.cols[colSum][i], b.cols[colCount][i]
				}
				a.add(p)
			}
		})
	}
	if len(head) > 0 {
		hr := rollup{res: res}
		for _, x := range head {
			if v, ok := value(sn.kind, &r, x.t, x.v); ok && x.t >= from && x.t <= q.to {
				hr.add(x.t, v)
				q.st.HeadSamples++
			}
		}
		for _, p := range hr.pts {
			a.add(p)
		}
	}
	return a.finish()
}

// stepAgg combines time-ordered points into steps.
type stepAgg struct {
	step int64
	agg  Agg
	have bool
	cur  aggPoint
	end  int64 // end of the current step
	out  []Point
}

func (a *stepAgg) add(p aggPoint) {
	if a.have && p.t < a.end && p.t >= a.cur.t {
		a.cur.min = min(a.cur.min, p.min)
		a.cur.max = max(a.cur.max, p.max)
		a.cur.sum += p.sum
		a.cur.count += p.count
		return
	}
	if a.have {
		a.emit()
	}
	a.have = true
	a.cur = p
	a.cur.t = p.t - p.t%a.step
	a.end = a.cur.t + a.step
}

func (a *stepAgg) emit() {
	var v float64
	switch a.agg {
	case Min:
		v = a.cur.min
	case Max:
		v = a.cur.max
	default:
		if a.cur.count == 0 {
			return
		}
		v = a.cur.sum / a.cur.count
	}
	a.out = append(a.out, Point{a.cur.t, v})
}

func (a *stepAgg) finish() []Point {
	if a.have {
		a.emit()
	}
	return a.out
}

// ParseAgg parses "avg", "min" or "max".
func ParseAgg(s string) (Agg, error) {
	switch strings.ToLower(s) {
	case "avg", "mean", "":
		return Avg, nil
	case "min":
		return Min, nil
	case "max":
		return Max, nil
	}
	return 0, errors.New("tsdb: aggregation must be avg, min or max")
}
