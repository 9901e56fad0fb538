package repo

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"
)

const (
	indexVersion = 1
	// per pack: packID(32) size(4) blobCount(4)
	indexPackSize = 32 + 4 + 4
	// SaveIndex starts a new index file after this many blobs (~23 MiB).
	maxIndexFileBlobs = 1 << 19
)

// ---- index file encoding ----

// encodeIndex returns the plaintext of an index file listing packs.
func encodeIndex(packs []PackInfo) []byte {
	n := 5
	for _, p := range packs {
		n += indexPackSize + len(p.Blobs)*blobEntrySize
	}
	b := make([]byte, 0, n)
	b = append(b, indexVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(packs)))
	for _, p := range packs {
		b = append(b, p.ID[:]...)
		b = binary.LittleEndian.AppendUint32(b, uint32(p.Size))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p.Blobs)))
		for i := range p.Blobs {
			b = appendBlobEntry(b, &p.Blobs[i])
		}
	}
	return b
}

// decodeIndex decodes and validates an index file plaintext.
func decodeIndex(b []byte) ([]PackInfo, error) {
	if len(b) < 5 {
		return nil, fmt.Errorf("index of %d bytes too short", len(b))
	}
	if b[0] != indexVersion {
		return nil, fmt.Errorf("unsupported index version %d", b[0])
	}
	np := binary.LittleEndian.Uint32(b[1:])
	b = b[5:]
	if uint64(np) > uint64(len(b))/(indexPackSize+blobEntrySize) {
		return nil, fmt.Errorf("pack count %d impossible for %d remaining bytes", np, len(b))
	}
	packs := make([]PackInfo, 0, np)
	seen := make(map[ID]bool, np)
	for i := uint32(0); i < np; i++ {
		if len(b) < indexPackSize {
			return nil, fmt.Errorf("pack record %d truncated", i)
		}
		var p PackInfo
		copy(p.ID[:], b)
		p.Size = int64(binary.LittleEndian.Uint32(b[32:]))
		nb := binary.LittleEndian.Uint32(b[36:])
		b = b[indexPackSize:]
		if seen[p.ID] {
			return nil, fmt.Errorf("pack %s listed twice", p.ID.Short())
		}
		seen[p.ID] = true
		if nb == 0 || nb > maxPackBlobs {
			return nil, fmt.Errorf("pack %s: blob count %d out of range [1,%d]", p.ID.Short(), nb, maxPackBlobs)
		}
		if uint64(nb)*blobEntrySize > uint64(len(b)) {
			return nil, fmt.Errorf("pack %s: %d blobs truncated", p.ID.Short(), nb)
		}
		p.Blobs = make([]BlobInfo, nb)
		var next int64
		for j := range p.Blobs {
			e, err := decodeBlobEntry(b[j*blobEntrySize:])
			if err != nil {
				return nil, fmt.Errorf("pack %s: entry %d: %w", p.ID.Short(), j, err)
			}
			if int64(e.Offset) != next {
				return nil, fmt.Errorf("pack %s: entry %d: offset %d, expected %d", p.ID.Short(), j, e.Offset, next)
			}
			next += int64(e.Length)
			p.Blobs[j] = e
		}
		// The pack size is fully determined by the blobs and the
		// header, which has a fixed size per blob.
		if want := next + packHeaderLen(int(nb)) + packTrailerSize; want != p.Size {
			return nil, fmt.Errorf("pack %s: size %d, but its %d blobs imply %d", p.ID.Short(), p.Size, nb, want)
		}
		b = b[int(nb)*blobEntrySize:]
		packs = append(packs, p)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(b))
	}
	return packs, nil
}

// openIndexFile authenticates and decodes the bytes of index/<id>.
func (r *Repository) openIndexFile(id ID, b []byte) ([]PackInfo, error) {
	rel := indexDir + "/" + id.String()
	pt, err := r.aead.Open(nil, b, []byte(adIndex))
	if err != nil {
		return nil, fmt.Errorf("index %s: %w: %v", rel, ErrCorrupt, err)
	}
	packs, err := decodeIndex(pt)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w: %v", rel, ErrCorrupt, err)
	}
	return packs, nil
}

// ---- in-memory index ----

// ientry is one blob location: 48 bytes. The type is folded into the top
// bit of the pack number.
type ientry struct {
	id     ID
	pack   uint32 // index into index.packs; bit 31 set for tree blobs
	off    uint32
	length uint32
	raw    uint32
}

const treeBit = 1 << 31

func (e *ientry) typ() BlobType {
	if e.pack&treeBit != 0 {
		return TreeBlob
	}
	return DataBlob
}

func (e *ientry) packNo() uint32 { return e.pack &^ treeBit }

func cmpEntry(a, b ientry) int {
	if c := bytes.Compare(a.id[:], b.id[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(a.pack, b.pack); c != 0 {
		return c
	}
	return cmp.Compare(a.off, b.off)
}

type ikey struct {
	id ID
	t  BlobType
}

// index maps stored IDs to locations. Bulk entries live in a slice sorted
// by ID (48 bytes per blob) with a 65536-bucket table on the first two ID
// bytes, so a lookup is a bucket jump plus a binary search over ~n/65536
// entries. Entries added during the session go to a small map and are
// merged in when it grows past 1/8 of the slice.
type index struct {
	mu       sync.RWMutex
	packs    []ID
	packNum  map[ID]uint32
	removed  map[uint32]bool
	sorted   []ientry
	buckets  []uint32 // len 1<<16+1: sorted[buckets[p]:buckets[p+1]] have prefix p
	pending  map[ikey]ientry
	inflight map[ikey]struct{}
	unsaved  map[ID]PackInfo // finished packs not yet in an index file
}

func (x *index) init() {
	x.packs = nil
	x.packNum = make(map[ID]uint32)
	x.removed = make(map[uint32]bool)
	x.sorted = nil
	x.buckets = make([]uint32, 1<<16+1)
	x.pending = make(map[ikey]ientry)
	if x.inflight == nil {
		x.inflight = make(map[ikey]struct{})
	}
	if x.unsaved == nil {
		x.unsaved = make(map[ID]PackInfo)
	}
}

func (x *index) packNoLocked(id ID) uint32 {
	if n, ok := x.packNum[id]; ok {
		delete(x.removed, n)
		return n
	}
	n := uint32(len(x.packs))
	x.packs = append(x.packs, id)
	x.packNum[id] = n
	return n
}

func makeEntry(pn uint32, b *BlobInfo) ientry {
	if b.Type == TreeBlob {
		pn |= treeBit
	}
	return ientry{id: b.ID, pack: pn, off: b.Offset, length: b.Length, raw: b.RawLength}
}

func (x *index) rebuildBuckets() {
	b := x.buckets
	clear(b)
	for i := range x.sorted {
		b[int(x.sorted[i].id[0])<<8|int(x.sorted[i].id[1])+1]++
	}
	for i := 1; i < len(b); i++ {
		b[i] += b[i-1]
	}
}

// lookupLocked finds a live entry; the caller holds x.mu.
func (x *index) lookupLocked(t BlobType, id ID) (ientry, bool) {
	if e, ok := x.pending[ikey{id, t}]; ok && !x.removed[e.packNo()] {
		return e, true
	}
	p := int(id[0])<<8 | int(id[1])
	lo, hi := int(x.buckets[p]), int(x.buckets[p+1])
	s := x.sorted[lo:hi]
	i := sort.Search(len(s), func(i int) bool { return bytes.Compare(s[i].id[:], id[:]) >= 0 })
	for ; i < len(s) && s[i].id == id; i++ {
		if s[i].typ() == t && !x.removed[s[i].packNo()] {
			return s[i], true
		}
	}
	return ientry{}, false
}

func (x *index) lookup(t BlobType, id ID) (ID, BlobInfo, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	e, ok := x.lookupLocked(t, id)
	if !ok {
		return ID{}, BlobInfo{}, false
	}
	return x.packs[e.packNo()], BlobInfo{Type: t, ID: id, Offset: e.off, Length: e.length, RawLength: e.raw}, true
}

// reserve marks (t,id) in flight. It returns false if it is already in
// flight, or (with checkIndex) already indexed.
func (x *index) reserve(t BlobType, id ID, checkIndex bool) bool {
	k := ikey{id, t}
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.inflight[k]; ok {
		return false
	}
	if checkIndex {
		if _, ok := x.lookupLocked(t, id); ok {
			return false
		}
	}
	x.inflight[k] = struct{}{}
	return true
}

func (x *index) release(t BlobType, id ID) {
	x.mu.Lock()
	delete(x.inflight, ikey{id, t})
	x.mu.Unlock()
}

func (x *index) releaseAll(blobs []BlobInfo) {
	x.mu.Lock()
	for _, b := range blobs {
		delete(x.inflight, ikey{b.ID, b.Type})
	}
	x.mu.Unlock()
}

// commitPack records a freshly written pack: its blobs become visible and
// leave the in-flight set atomically.
func (x *index) commitPack(p PackInfo) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.addLocked(p)
	for _, b := range p.Blobs {
		delete(x.inflight, ikey{b.ID, b.Type})
	}
	x.unsaved[p.ID] = p
}

// addLocked adds a pack's entries to the pending map.
func (x *index) addLocked(p PackInfo) {
	pn := x.packNoLocked(p.ID)
	for i := range p.Blobs {
		b := &p.Blobs[i]
		k := ikey{b.ID, b.Type}
		e := makeEntry(pn, b)
		if old, ok := x.pending[k]; ok {
			if old == e {
				continue
			}
			// A second copy (e.g. repacked): keep both, so EachBlob
			// still lists every blob of every pack.
			x.mergeLocked()
		}
		x.pending[k] = e
	}
	if len(x.pending) > max(1<<14, len(x.sorted)/8) {
		x.mergeLocked()
	}
}

// mergeLocked merges pending entries into the sorted slice in place
// (backwards merge), so peak memory is the slice's growth, not a copy.
func (x *index) mergeLocked() {
	if len(x.pending) == 0 {
		return
	}
	add := make([]ientry, 0, len(x.pending))
	for _, e := range x.pending {
		add = append(add, e)
	}
	slices.SortFunc(add, cmpEntry)
	n := len(x.sorted)
	x.sorted = slices.Grow(x.sorted, len(add))[:n+len(add)]
	i, j, k := n-1, len(add)-1, n+len(add)-1
	for j >= 0 {
		if i >= 0 && cmpEntry(x.sorted[i], add[j]) > 0 {
			x.sorted[k] = x.sorted[i]
			i--
		} else {
			x.sorted[k] = add[j]
			j--
		}
		k--
	}
	clear(x.pending)
	x.rebuildBuckets()
}

func (x *index) each(fn func(pack ID, b BlobInfo) bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	emit := func(e *ientry) bool {
		if x.removed[e.packNo()] {
			return true
		}
		return fn(x.packs[e.packNo()], BlobInfo{Type: e.typ(), ID: e.id, Offset: e.off, Length: e.length, RawLength: e.raw})
	}
	for i := range x.sorted {
		if !emit(&x.sorted[i]) {
			return
		}
	}
	for _, e := range x.pending {
		if !emit(&e) {
			return
		}
	}
}

// build replaces the bulk of the index with the given packs (from index
// files), keeping in-flight reservations and re-adding unsaved packs.
func (x *index) build(packs []PackInfo, nblobs int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.init()
	x.sorted = make([]ientry, 0, nblobs)
	for _, p := range packs {
		pn := x.packNoLocked(p.ID)
		for i := range p.Blobs {
			x.sorted = append(x.sorted, makeEntry(pn, &p.Blobs[i]))
		}
	}
	slices.SortFunc(x.sorted, cmpEntry)
	x.sorted = slices.CompactFunc(x.sorted, func(a, b ientry) bool { return cmpEntry(a, b) == 0 })
	x.rebuildBuckets()
	for _, p := range x.unsaved {
		x.addLocked(p)
	}
}

// ---- Repository API ----

// Has reports whether a blob of type t with plain hash plain is in the
// in-memory index (loaded index files plus packs finished this session).
// Call LoadIndex first.
func (r *Repository) Has(t BlobType, plain [32]byte) bool {
	id := r.StoredID(plain)
	r.idx.mu.RLock()
	defer r.idx.mu.RUnlock()
	_, ok := r.idx.lookupLocked(t, id)
	return ok
}

// Lookup returns the pack and location of a blob.
func (r *Repository) Lookup(t BlobType, plain [32]byte) (pack ID, blob BlobInfo, ok bool) {
	return r.idx.lookup(t, r.StoredID(plain))
}

// EachBlob calls fn for every indexed blob (in no particular order) until
// fn returns false. fn must not call other index methods.
func (r *Repository) EachBlob(fn func(pack ID, b BlobInfo) bool) { r.idx.each(fn) }

// IndexStats counts what the in-memory index holds.
type IndexStats struct {
	Packs, Blobs, UnsavedPacks int
}

// IndexStats returns counts of indexed packs and blobs.
func (r *Repository) IndexStats() IndexStats {
	x := &r.idx
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := IndexStats{UnsavedPacks: len(x.unsaved)}
	seen := make(map[uint32]bool)
	count := func(e *ientry) {
		if x.removed[e.packNo()] {
			return
		}
		s.Blobs++
		seen[e.packNo()] = true
	}
	for i := range x.sorted {
		count(&x.sorted[i])
	}
	for _, e := range x.pending {
		count(&e)
	}
	s.Packs = len(seen)
	return s
}

// UnsavedPacks returns packs finished by this Repository's Packers that
// have not yet been passed to SaveIndex.
func (r *Repository) UnsavedPacks() []PackInfo {
	r.idx.mu.RLock()
	defer r.idx.mu.RUnlock()
	out := make([]PackInfo, 0, len(r.idx.unsaved))
	for _, p := range r.idx.unsaved {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b PackInfo) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out
}

// IndexFiles lists the IDs of the index files.
func (r *Repository) IndexFiles(ctx context.Context) ([]ID, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return listIDs(filepath.Join(r.dir, indexDir))
}

// LoadIndexFile reads, verifies and decodes one index file.
func (r *Repository) LoadIndexFile(ctx context.Context, id ID) ([]PackInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := r.readVerified(indexDir, id, maxIndexFile)
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	return r.openIndexFile(id, b)
}

// LoadIndex reads all index files (in parallel) and replaces the
// in-memory index with their contents, plus the packs finished this
// session that are not yet saved. If any index file fails to load the
// in-memory index is left unchanged and the error names the file
// (RebuildIndex repairs a damaged index).
func (r *Repository) LoadIndex(ctx context.Context) error {
	ids, err := r.IndexFiles(ctx)
	if err != nil {
		return err
	}
	results := make([][]PackInfo, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = r.LoadIndexFile(ctx, id)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	var packs []PackInfo
	n := 0
	for _, ps := range results {
		for _, p := range ps {
			n += len(p.Blobs)
		}
		packs = append(packs, ps...)
	}
	r.idx.build(packs, n)
	return nil
}

// writeIndexFiles writes index files for packs, splitting large sets.
func (r *Repository) writeIndexFiles(ctx context.Context, packs []PackInfo) ([]ID, error) {
	var ids []ID
	for len(packs) > 0 {
		if err := ctx.Err(); err != nil {
			return ids, err
		}
		n, blobs := 0, 0
		for n < len(packs) && (n == 0 || blobs+len(packs[n].Blobs) <= maxIndexFileBlobs) {
			blobs += len(packs[n].Blobs)
			n++
		}
		id, err := r.saveSealed(indexDir, encodeIndex(packs[:n]), adIndex)
		if err != nil {
			return ids, fmt.Errorf("write index: %w", err)
		}
		ids = append(ids, id)
		packs = packs[n:]
	}
	return ids, nil
}

// normalizePackInfos drops empty PackInfos, sorts each pack's blobs by
// offset (on a copy) and checks that they describe the whole pack, so
// that an index file is never written that LoadIndex would reject.
func normalizePackInfos(packs []PackInfo) ([]PackInfo, error) {
	out := make([]PackInfo, 0, len(packs))
	seen := make(map[ID]bool, len(packs))
	for _, p := range packs {
		if p.ID.IsZero() && len(p.Blobs) == 0 {
			continue // from an empty Packer
		}
		if seen[p.ID] {
			return nil, fmt.Errorf("pack %s: listed twice", p.ID.Short())
		}
		seen[p.ID] = true
		if len(p.Blobs) == 0 || len(p.Blobs) > maxPackBlobs {
			return nil, fmt.Errorf("pack %s: %d blobs, want 1..%d", p.ID.Short(), len(p.Blobs), maxPackBlobs)
		}
		p.Blobs = slices.Clone(p.Blobs)
		slices.SortFunc(p.Blobs, func(a, b BlobInfo) int { return cmp.Compare(a.Offset, b.Offset) })
		var next int64
		for i := range p.Blobs {
			b := &p.Blobs[i]
			if _, err := decodeBlobEntry(appendBlobEntry(nil, b)); err != nil {
				return nil, fmt.Errorf("pack %s: %w", p.ID.Short(), err)
			}
			if int64(b.Offset) != next {
				return nil, fmt.Errorf("pack %s: blob %s at offset %d, expected %d: PackInfo must list every blob of the pack",
					p.ID.Short(), b.ID.Short(), b.Offset, next)
			}
			next += int64(b.Length)
		}
		if want := next + packHeaderLen(len(p.Blobs)) + packTrailerSize; p.Size != want {
			return nil, fmt.Errorf("pack %s: size %d, but its %d blobs imply %d: PackInfo must list every blob of the pack",
				p.ID.Short(), p.Size, len(p.Blobs), want)
		}
		out = append(out, p)
	}
	return out, nil
}

// SaveIndex writes index file(s) listing packs (write them only after the
// packs themselves are written, and before any snapshot that needs them)
// and returns the IDs of the files written. Each PackInfo must describe
// its whole pack (every blob, in any order, and the file size), as
// Finish, ReadPackHeader and EachBlob grouped by pack provide; zero
// PackInfos from empty Packers are skipped. Packs are added to the
// in-memory index if not already there and stop counting as unsaved.
func (r *Repository) SaveIndex(ctx context.Context, packs []PackInfo) ([]ID, error) {
	packs, err := normalizePackInfos(packs)
	if err != nil {
		return nil, err
	}
	if len(packs) == 0 {
		return nil, nil
	}
	ids, err := r.writeIndexFiles(ctx, packs)
	if err != nil {
		return ids, err
	}
	x := &r.idx
	x.mu.Lock()
	for _, p := range packs {
		if _, ok := x.unsaved[p.ID]; ok {
			delete(x.unsaved, p.ID)
		} else if n, ok := x.packNum[p.ID]; !ok || x.removed[n] {
			x.addLocked(p)
		}
	}
	x.mu.Unlock()
	return ids, nil
}

// RemoveIndex deletes index file id (for prune, after writing its
// replacement). The in-memory index is not changed.
func (r *Repository) RemoveIndex(ctx context.Context, id ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return removeFile(filepath.Join(r.dir, indexDir), id.String())
}

// PackFile is a pack file found on disk.
type PackFile struct {
	ID      ID
	Size    int64
	ModTime time.Time
}

// ListPacks lists the pack files under data/, sorted by ID. Files whose
// names are not IDs, or are in the wrong subdirectory, are ignored.
func (r *Repository) ListPacks(ctx context.Context) ([]PackFile, error) {
	var out []PackFile
	for i := 0; i < 256; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sub := fmt.Sprintf("%02x", i)
		ents, err := os.ReadDir(filepath.Join(r.dir, dataDir, sub))
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, err
		}
		for _, e := range ents {
			id, err := ParseID(e.Name())
			if err != nil || e.Name()[:2] != sub || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			out = append(out, PackFile{ID: id, Size: fi.Size(), ModTime: fi.ModTime()})
		}
	}
	return out, nil
}

// UnreferencedPacks lists pack files not in the in-memory index. An
// interrupted backup leaves such packs; so does a backup still running in
// another process, so only delete them under an exclusive lease (or when
// older than any plausible backup).
func (r *Repository) UnreferencedPacks(ctx context.Context) ([]PackFile, error) {
	all, err := r.ListPacks(ctx)
	if err != nil {
		return nil, err
	}
	x := &r.idx
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []PackFile
	for _, p := range all {
		if n, ok := x.packNum[p.ID]; ok && !x.removed[n] {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// RemovePack deletes pack id and drops its blobs from the in-memory index.
// For prune, after the index files no longer reference it.
func (r *Repository) RemovePack(ctx context.Context, id ID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s := id.String()
	if err := removeFile(filepath.Join(r.dir, dataDir, s[:2]), s); err != nil {
		return err
	}
	x := &r.idx
	x.mu.Lock()
	if n, ok := x.packNum[id]; ok {
		x.removed[n] = true
	}
	delete(x.unsaved, id)
	x.mu.Unlock()
	return nil
}

// RebuildIndex reads the header of every pack on disk, writes fresh index
// files for them, replaces the in-memory index and then removes the index
// files that existed before. If any pack header cannot be read, the old
// index files are kept and the error lists the failing packs. Run it
// under an exclusive lease.
func (r *Repository) RebuildIndex(ctx context.Context) error {
	old, err := r.IndexFiles(ctx)
	if err != nil {
		return err
	}
	files, err := r.ListPacks(ctx)
	if err != nil {
		return err
	}
	packs := make([]PackInfo, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			packs[i], errs[i] = r.ReadPackHeader(ctx, f.ID)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	good := packs[:0]
	n := 0
	for i := range packs {
		if errs[i] == nil {
			good = append(good, packs[i])
			n += len(packs[i].Blobs)
		}
	}
	written, err := r.writeIndexFiles(ctx, good)
	if err != nil {
		return err
	}
	// The new files cover these packs: they are no longer unsaved.
	r.idx.mu.Lock()
	for _, p := range good {
		delete(r.idx.unsaved, p.ID)
	}
	r.idx.mu.Unlock()
	r.idx.build(good, n)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rebuild index: kept old index files: %w", err)
	}
	for _, id := range old {
		if slices.Contains(written, id) {
			continue
		}
		if err := r.RemoveIndex(ctx, id); err != nil {
			return fmt.Errorf("rebuild index: remove old index %s: %w", id.Short(), err)
		}
	}
	return nil
}
