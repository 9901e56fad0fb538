package tsdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Default option values.
const (
	DefaultFlushInterval   = 60 * time.Second
	DefaultRawRetention    = 24 * time.Hour
	DefaultMinuteRetention = 90 * 24 * time.Hour
	DefaultHourRetention   = 2 * 365 * 24 * time.Hour
)

// maxPending bounds the samples kept per series from failed flushes (an
// hour at 1 s); the newest interval is always kept whole.
const maxPending = 3600

// formatVersion is the on-disk layout version kept in tsdb.meta.
const formatVersion = 1

var (
	bucketMeta   = []byte("tsdb.meta")
	bucketSeries = []byte("tsdb.series")
	tierBuckets  = [numTiers][]byte{[]byte("tsdb.raw"), []byte("tsdb.1m"), []byte("tsdb.1h")}

	keyVersion  = []byte("version")
	keyNextID   = []byte("next_id")
	keyFlushSeq = []byte("flush_seq")
)

// Errors returned by Append, Query and Open.
var (
	ErrClosed       = errors.New("tsdb: closed")
	ErrReadOnly     = errors.New("tsdb: database is read-only")
	ErrOutOfOrder   = errors.New("tsdb: sample not after the previous one of its series; dropped")
	ErrKindMismatch = errors.New("tsdb: series already exists with another kind")
	ErrBadKind      = errors.New("tsdb: unknown kind")
	ErrBadTime      = errors.New("tsdb: time before 1970")
	ErrBadRange     = errors.New("tsdb: query start after end")
	ErrNewerFormat  = errors.New("tsdb: stored by a newer version")
)

// Options tune a DB. Zero fields take the defaults.
type Options struct {
	// FlushInterval is how often the head is written to bbolt; a kill -9
	// loses at most this much. Default 60 s; negative disables the
	// background flusher (the caller calls Flush).
	FlushInterval time.Duration
	// RawRetention, MinuteRetention and HourRetention bound how long each
	// tier is kept: by default 24 h, 90 days and 2 years.
	RawRetention, MinuteRetention, HourRetention time.Duration
	// Log receives corrupt-block and flush-failure reports; nil discards.
	Log *slog.Logger
	// Now is the clock, for tests; nil is time.Now.
	Now func() time.Time
}

// DB is the time-series store. All methods are safe for concurrent use.
type DB struct {
	bolt     *bolt.DB
	log      *slog.Logger
	now      func() time.Time
	interval time.Duration
	keep     [numTiers]int64 // retention per tier, seconds
	readOnly bool

	flushMu sync.Mutex // one flush at a time; guards enc
	enc     encoder

	mu     sync.Mutex
	series map[string]*series
	byID   map[uint32]*series
	// Flushes are numbered: nextSeq is the number the next flush takes
	// when it moves the heads aside; the transaction stores it as
	// flush_seq. A query keeps in-memory samples only from flushes whose
	// number is above the flush_seq its read transaction sees.
	nextSeq uint64
	closed  bool

	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

type series struct {
	canon  string
	name   string
	labels Labels
	kind   Kind
	id     uint32 // 0 until the first flush stores it

	lastT   int64 // last accepted sample time
	hasLast bool

	head    []sample
	pending []batch // taken by flushes that have not committed (or failed)
	base    rater   // counter state after the last committed sample
}

// batch is a run of samples handed to flush number seq. In a query
// snapshot the head is a batch numbered for the next flush, the one that
// will take it.
type batch struct {
	seq uint64
	s   []sample
}

// Open attaches the store to db, creating its buckets (all named "tsdb.*")
// unless db is read-only, and loads the series index. Open starts the
// background flusher; Close stops it and flushes. The caller owns db and
// closes it after Close.
func Open(db *bolt.DB, opts Options) (*DB, error) {
	if db == nil {
		return nil, errors.New("tsdb: nil bolt database")
	}
	d := &DB{
		bolt:     db,
		log:      opts.Log,
		now:      opts.Now,
		interval: opts.FlushInterval,
		readOnly: db.IsReadOnly(),
		series:   map[string]*series{},
		byID:     map[uint32]*series{},
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.interval == 0 {
		d.interval = DefaultFlushInterval
	}
	for t, ret := range [numTiers]time.Duration{opts.RawRetention, opts.MinuteRetention, opts.HourRetention} {
		def := [numTiers]time.Duration{DefaultRawRetention, DefaultMinuteRetention, DefaultHourRetention}[t]
		if ret <= 0 {
			ret = def
		}
		d.keep[t] = int64(max(ret/time.Second, 1))
	}
	if !d.readOnly && d.needsSetup() {
		err := db.Update(func(tx *bolt.Tx) error {
			for _, name := range append([][]byte{bucketMeta, bucketSeries}, tierBuckets[:]...) {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			m := tx.Bucket(bucketMeta)
			if m.Get(keyVersion) == nil {
				return m.Put(keyVersion, binary.BigEndian.AppendUint32(nil, formatVersion))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("tsdb: create buckets: %w", err)
		}
	}
	if err := db.View(d.load); err != nil {
		return nil, err
	}
	if d.interval > 0 && !d.readOnly {
		d.stop = make(chan struct{})
		d.done = make(chan struct{})
		go d.run()
	}
	return d, nil
}

// needsSetup reports whether a bucket or the format version is missing. It
// reads only: a write transaction costs a commit and its fsyncs even when
// it changes nothing, and every CLI command opens the store.
func (d *DB) needsSetup() bool {
	missing := false
	_ = d.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range append([][]byte{bucketMeta, bucketSeries}, tierBuckets[:]...) {
			if tx.Bucket(name) == nil {
				missing = true
				return nil
			}
		}
		missing = tx.Bucket(bucketMeta).Get(keyVersion) == nil
		return nil
	})
	return missing
}

// load reads the meta values and the series index, and the last stored
// sample of every series (for ordering and counter rates).
func (d *DB) load(tx *bolt.Tx) error {
	m := tx.Bucket(bucketMeta)
	if m == nil {
		return nil // read-only database without our buckets: empty
	}
	if v := m.Get(keyVersion); len(v) == 4 && binary.BigEndian.Uint32(v) > formatVersion {
		return fmt.Errorf("%w: format version %d, this build reads %d", ErrNewerFormat, binary.BigEndian.Uint32(v), formatVersion)
	}
	if v := m.Get(keyFlushSeq); len(v) == 8 {
		d.nextSeq = binary.BigEndian.Uint64(v)
	}
	d.nextSeq++
	sb := tx.Bucket(bucketSeries)
	raw := tx.Bucket(tierBuckets[TierRaw])
	if sb == nil || raw == nil {
		return nil
	}
	c := raw.Cursor()
	var blk block
	return sb.ForEach(func(k, v []byte) error {
		if len(v) != 5 {
			d.log.Warn("tsdb: skipping malformed series entry", "series", string(k))
			return nil
		}
		key, err := ParseKey(string(k))
		if err != nil {
			d.log.Warn("tsdb: skipping unparsable series entry", "series", string(k), "err", err)
			return nil
		}
		s := &series{
			canon: key.canon, name: key.name, labels: key.Labels(),
			id: binary.BigEndian.Uint32(v), kind: Kind(v[4]),
		}
		if !s.kind.valid() || s.id == 0 {
			d.log.Warn("tsdb: skipping malformed series entry", "series", string(k))
			return nil
		}
		// The newest decodable raw block gives the last sample.
		for bk, bv := seekLE(c, blockKey(s.id, math.MaxInt64)); bk != nil; bk, bv = c.Prev() {
			id, start, ok := parseBlockKey(bk)
			if !ok || id != s.id {
				break
			}
			if !s.hasLast {
				s.lastT, s.hasLast = start, true
			}
			err := decodeBlock(bv, allCols, &blk)
			if err == nil && blk.kind != kindRaw {
				err = fmt.Errorf("%w: rollup block in the raw tier", ErrCorruptBlock)
			}
			if err != nil {
				d.reportCorrupt(TierRaw, s.canon, start, err)
				continue
			}
			s.lastT = max(s.lastT, blk.ts[blk.len()-1])
			for i := blk.len() - 1; i >= 0; i-- {
				if !math.IsNaN(blk.cols[0][i]) {
					s.base = rater{t: blk.ts[i], v: blk.cols[0][i], ok: true}
					break
				}
			}
			break
		}
		d.series[s.canon] = s
		d.byID[s.id] = s
		return nil
	})
}

func (d *DB) reportCorrupt(t Tier, canon string, start int64, err error) {
	d.log.Warn("tsdb: skipping corrupt block", "tier", t.String(), "series", canon,
		"start", time.Unix(start, 0).UTC(), "err", err)
}

func (d *DB) run() {
	defer close(d.done)
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = d.Flush() // logged
		case <-d.stop:
			return
		}
	}
}

// Close stops the background flusher and flushes the head. It does not
// close the bolt database. Append and Query fail with ErrClosed after it.
func (d *DB) Close() error {
	var err error
	d.closeOnce.Do(func() {
		if d.stop != nil {
			close(d.stop)
			<-d.done
		}
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		err = d.Flush()
	})
	return err
}

// Append adds one sample to the series k. The time is truncated to whole
// seconds. A sample whose second is not after the series' previous sample
// (a duplicate or out of order) is dropped and ErrOutOfOrder returned; the
// caller may ignore that error. A series keeps the kind of its first
// sample; appending with another kind fails with ErrKindMismatch.
func (d *DB) Append(k Key, kind Kind, t time.Time, v float64) error {
	if k.canon == "" {
		return fmt.Errorf("%w: zero Key", ErrInvalidKey)
	}
	if !kind.valid() {
		return ErrBadKind
	}
	ts := t.Unix()
	if ts < 0 {
		return ErrBadTime
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if d.readOnly {
		return ErrReadOnly
	}
	s := d.series[k.canon]
	if s == nil {
		s = &series{canon: k.canon, name: k.name, labels: k.Labels(), kind: kind}
		d.series[k.canon] = s
	} else if s.kind != kind {
		return fmt.Errorf("%w: %s is a %s", ErrKindMismatch, k.canon, s.kind)
	}
	if s.hasLast && ts <= s.lastT {
		return ErrOutOfOrder
	}
	s.head = append(s.head, sample{ts, v})
	s.lastT, s.hasLast = ts, true
	return nil
}

// SeriesInfo describes one known series.
type SeriesInfo struct {
	Name   string `json:"name"`
	Labels Labels `json:"labels,omitempty"`
	Kind   Kind   `json:"kind"`
	// Last is the time of the newest sample, zero when unknown (its raw
	// data has expired).
	Last time.Time `json:"last,omitzero"`
}

// Series lists the known series, sorted by canonical key.
func (d *DB) Series(ctx context.Context) ([]SeriesInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	keys := make([]string, 0, len(d.series))
	for k := range d.series {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]SeriesInfo, 0, len(keys))
	for _, k := range keys {
		s := d.series[k]
		info := SeriesInfo{Name: s.name, Labels: slices.Clone(s.labels), Kind: s.kind}
		if s.hasLast {
			info.Last = time.Unix(s.lastT, 0)
		}
		out = append(out, info)
	}
	return out, nil
}

// flushItem is one series' share of a flush.
type flushItem struct {
	s       *series
	canon   string
	kind    Kind
	id      uint32
	samples []sample
	base    rater

	newID   uint32
	newBase rater
}

// Flush writes every series' head to bbolt in one transaction: the raw
// samples, their 1-minute and 1-hour rollups, and the retention deletes.
// On failure the samples stay in memory and the next flush retries them.
func (d *DB) Flush() error {
	if d.readOnly {
		return nil
	}
	d.flushMu.Lock()
	defer d.flushMu.Unlock()

	d.mu.Lock()
	seq := d.nextSeq
	d.nextSeq++
	var items []*flushItem
	ids := make(map[uint32]string, len(d.byID))
	for id, s := range d.byID {
		ids[id] = s.canon
	}
	for _, s := range d.series {
		if n := len(s.head); n > 0 {
			s.pending = append(s.pending, batch{seq, s.head})
			// Room for the next interval, so Append does not allocate.
			s.head = make([]sample, 0, n+n/8)
		}
		if len(s.pending) == 0 {
			continue
		}
		n := 0
		for _, b := range s.pending {
			n += len(b.s)
		}
		all := make([]sample, 0, n)
		for _, b := range s.pending {
			all = append(all, b.s...)
		}
		if keep := max(maxPending, len(s.pending[len(s.pending)-1].s)); len(all) > keep {
			// Earlier flushes failed: bound the memory by dropping the
			// oldest of their samples. The rest all belong to this flush.
			d.log.Warn("tsdb: flushes failing; dropping oldest unflushed samples", "series", s.canon, "dropped", len(all)-keep)
			all = all[len(all)-keep:]
			s.pending = []batch{{seq, all}}
		}
		items = append(items, &flushItem{s: s, canon: s.canon, kind: s.kind, id: s.id, samples: all, base: s.base})
	}
	d.mu.Unlock()
	slices.SortFunc(items, func(a, b *flushItem) int { return strings.Compare(a.canon, b.canon) })

	now := d.now().Unix()
	var pruned []uint32
	err := d.bolt.Update(func(tx *bolt.Tx) error {
		meta, sb := tx.Bucket(bucketMeta), tx.Bucket(bucketSeries)
		var tb [numTiers]*bolt.Bucket
		for t := range tb {
			tb[t] = tx.Bucket(tierBuckets[t])
		}
		if meta == nil || sb == nil || tb[0] == nil || tb[1] == nil || tb[2] == nil {
			return errors.New("tsdb: buckets missing")
		}
		nextID := uint32(1)
		if v := meta.Get(keyNextID); len(v) == 4 {
			nextID = binary.BigEndian.Uint32(v)
		}
		active := make(map[uint32]bool, len(items))
		for _, it := range items {
			id := it.id
			if id == 0 {
				if v := sb.Get([]byte(it.canon)); len(v) == 5 && Kind(v[4]) == it.kind && binary.BigEndian.Uint32(v) != 0 {
					id = binary.BigEndian.Uint32(v)
				} else {
					if nextID == 0 {
						return errors.New("tsdb: series ids exhausted")
					}
					id = nextID
					nextID++
					val := binary.BigEndian.AppendUint32(nil, id)
					if err := sb.Put([]byte(it.canon), append(val, byte(it.kind))); err != nil {
						return err
					}
				}
				it.newID = id
				ids[id] = it.canon
			}
			active[id] = true
			if err := d.writeSeries(tb, id, it); err != nil {
				return fmt.Errorf("series %s: %w", it.canon, err)
			}
		}
		var err error
		if pruned, err = d.enforceRetention(tb, sb, now, ids, active); err != nil {
			return err
		}
		if err := meta.Put(keyNextID, binary.BigEndian.AppendUint32(nil, nextID)); err != nil {
			return err
		}
		return meta.Put(keyFlushSeq, binary.BigEndian.AppendUint64(nil, seq))
	})

	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.log.Error("tsdb: flush failed; samples kept for the next flush", "err", err)
		return fmt.Errorf("tsdb: flush: %w", err)
	}
	for _, it := range items {
		s := it.s
		if it.newID != 0 {
			s.id = it.newID
			d.byID[s.id] = s
		}
		s.base = it.newBase
		s.pending = nil
	}
	for _, id := range pruned {
		s := d.byID[id]
		delete(d.byID, id)
		if s == nil {
			continue
		}
		s.id = 0
		if len(s.head) == 0 && len(s.pending) == 0 {
			delete(d.series, s.canon)
		}
	}
	return nil
}

// writeSeries stores one series' flushed samples and their rollups.
func (d *DB) writeSeries(tb [numTiers]*bolt.Bucket, id uint32, it *flushItem) error {
	if err := d.writeRaw(tb[TierRaw], id, it.canon, it.samples); err != nil {
		return err
	}
	r := it.base
	mr, hr := rollup{res: 60}, rollup{res: 3600}
	for _, x := range it.samples {
		if v, ok := value(it.kind, &r, x.t, x.v); ok {
			mr.add(x.t, v)
			hr.add(x.t, v)
		}
	}
	it.newBase = r
	if err := d.writeAgg(tb[TierMinute], TierMinute, id, it.canon, mr.pts); err != nil {
		return err
	}
	return d.writeAgg(tb[TierHour], TierHour, id, it.canon, hr.pts)
}

// lastBlockIn finds the newest block of series id that starts inside the
// window [ws, ws+w).
func lastBlockIn(c *bolt.Cursor, id uint32, ws, w int64) (int64, []byte, bool) {
	k, v := seekLE(c, blockKey(id, ws+w-1))
	kid, start, ok := parseBlockKey(k)
	if !ok || kid != id || start < ws {
		return 0, nil, false
	}
	return start, v, true
}

// writeRaw appends samples to the raw tier: into the series' open block
// when it is in the same window, else into new blocks.
func (d *DB) writeRaw(b *bolt.Bucket, id uint32, canon string, samples []sample) error {
	w := TierRaw.window()
	c := b.Cursor()
	var blk block
	for len(samples) > 0 {
		ws := samples[0].t - samples[0].t%w
		n := 1
		for n < len(samples) && samples[n].t < ws+w {
			n++
		}
		grp := samples[:n]
		samples = samples[n:]
		start := grp[0].t
		if old, v, ok := lastBlockIn(c, id, ws, w); ok {
			if err := decodeBlock(v, allCols, &blk); err != nil || blk.kind != kindRaw {
				if err == nil {
					err = fmt.Errorf("%w: rollup block in the raw tier", ErrCorruptBlock)
				}
				d.reportCorrupt(TierRaw, canon, old, err)
			} else {
				last := blk.ts[blk.len()-1]
				i := 0
				for i < len(grp) && grp[i].t <= last {
					i++
				}
				grp = grp[i:]
				if len(grp) == 0 {
					continue
				}
				merged := make([]sample, 0, blk.len()+len(grp))
				for j, t := range blk.ts {
					merged = append(merged, sample{t, blk.cols[0][j]})
				}
				grp = append(merged, grp...)
				start = old
			}
		}
		if err := b.Put(blockKey(id, start), d.enc.encodeRaw(nil, 1, grp)); err != nil {
			return err
		}
	}
	return nil
}

// writeAgg merges rollup points into a tier, combining a bucket that was
// partly written by an earlier flush.
func (d *DB) writeAgg(b *bolt.Bucket, t Tier, id uint32, canon string, pts []aggPoint) error {
	w := t.window()
	c := b.Cursor()
	var blk block
	for len(pts) > 0 {
		ws := pts[0].t - pts[0].t%w
		n := 1
		for n < len(pts) && pts[n].t < ws+w {
			n++
		}
		grp := pts[:n]
		pts = pts[n:]
		start := grp[0].t
		if old, v, ok := lastBlockIn(c, id, ws, w); ok {
			if err := decodeBlock(v, allCols, &blk); err != nil || blk.kind != kindRollup {
				if err == nil {
					err = fmt.Errorf("%w: raw block in a rollup tier", ErrCorruptBlock)
				}
				d.reportCorrupt(t, canon, old, err)
			} else {
				oldPts := make([]aggPoint, blk.len())
				for j := range oldPts {
					oldPts[j] = aggPoint{blk.ts[j], blk.cols[colMin][j], blk.cols[colMax][j], blk.cols[colSum][j], blk.cols[colCount][j]}
				}
				grp = mergePoints(oldPts, grp)
				start = grp[0].t
				if start != old {
					if err := b.Delete(blockKey(id, old)); err != nil {
						return err
					}
				}
			}
		}
		if err := b.Put(blockKey(id, start), d.enc.encodeRollup(nil, t.resolution(), grp)); err != nil {
			return err
		}
	}
	return nil
}

// enforceRetention deletes every block whose window ended before its
// tier's retention, and forgets series left with no blocks at all.
func (d *DB) enforceRetention(tb [numTiers]*bolt.Bucket, sb *bolt.Bucket, now int64, ids map[uint32]string, active map[uint32]bool) ([]uint32, error) {
	remaining := make(map[uint32]bool, len(ids))
	order := make([]uint32, 0, len(ids))
	for id := range ids {
		order = append(order, id)
	}
	slices.Sort(order)
	for t := range numTiers {
		cutoff := now - d.keep[t]
		w := t.window()
		c := tb[t].Cursor()
		var dead [][]byte
		for _, id := range order {
			for k, _ := c.Seek(blockKey(id, 0)); k != nil; k, _ = c.Next() {
				kid, start, ok := parseBlockKey(k)
				if !ok || kid != id {
					break
				}
				if start-start%w+w > cutoff {
					remaining[id] = true
					break
				}
				dead = append(dead, bytes.Clone(k))
			}
		}
		for _, k := range dead {
			if err := tb[t].Delete(k); err != nil {
				return nil, err
			}
		}
	}
	var pruned []uint32
	for _, id := range order {
		if remaining[id] || active[id] {
			continue
		}
		if err := sb.Delete([]byte(ids[id])); err != nil {
			return nil, err
		}
		pruned = append(pruned, id)
	}
	return pruned, nil
}

// blockKey is the bbolt key of a block: series id, then the time of its
// first point, both big-endian so a series' blocks sort by time.
func blockKey(id uint32, start int64) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint32(k, id)
	binary.BigEndian.PutUint64(k[4:], uint64(start))
	return k
}

func parseBlockKey(k []byte) (uint32, int64, bool) {
	if len(k) != 12 {
		return 0, 0, false
	}
	t := binary.BigEndian.Uint64(k[4:])
	if t > math.MaxInt64 {
		return 0, 0, false
	}
	return binary.BigEndian.Uint32(k), int64(t), true
}

// seekLE positions c on the last key ≤ key.
func seekLE(c *bolt.Cursor, key []byte) ([]byte, []byte) {
	k, v := c.Seek(key)
	if k != nil && bytes.Equal(k, key) {
		return k, v
	}
	if k == nil {
		return c.Last()
	}
	return c.Prev()
}
