package repo

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// indexSnapshot renders the whole in-memory index canonically.
func indexSnapshot(r *Repository) []string {
	var out []string
	r.EachBlob(func(pack ID, b BlobInfo) bool {
		out = append(out, fmt.Sprintf("%s %s %s %d %d %d", b.ID, b.Type, pack, b.Offset, b.Length, b.RawLength))
		return true
	})
	slices.Sort(out)
	return out
}

func TestIndexSaveLoadRebuild(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.SetPackSize(128 << 10)
	storeBlobs(t, r, mixedBlobs(1, 80))
	storeBlobs(t, r, mixedBlobs(2, 80)) // second index file
	want := indexSnapshot(r)
	if len(want) < 150 {
		t.Fatalf("only %d blobs indexed", len(want))
	}
	files, _ := r.IndexFiles(ctx)
	if len(files) != 2 {
		t.Fatalf("%d index files", len(files))
	}
	if s := r.IndexStats(); s.Blobs != len(want) || s.UnsavedPacks != 0 {
		t.Fatalf("IndexStats %+v", s)
	}

	r2 := reopen(t, r)
	if len(indexSnapshot(r2)) != 0 {
		t.Fatal("index populated before LoadIndex")
	}
	if err := r2.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got := indexSnapshot(r2); !slices.Equal(got, want) {
		t.Fatalf("loaded index differs: %d vs %d entries", len(got), len(want))
	}

	if err := r2.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got := indexSnapshot(r2); !slices.Equal(got, want) {
		t.Fatal("rebuilt in-memory index differs")
	}
	newFiles, _ := r2.IndexFiles(ctx)
	for _, f := range files {
		if slices.Contains(newFiles, f) {
			t.Fatal("old index file not removed by rebuild")
		}
	}
	r3 := reopen(t, r)
	if err := r3.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got := indexSnapshot(r3); !slices.Equal(got, want) {
		t.Fatal("index loaded after rebuild differs")
	}
	for _, b := range mixedBlobs(2, 80) {
		if _, err := r3.LoadBlob(ctx, b.t, h(b.data)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestUnreferencedPacks(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	storeBlobs(t, r, mixedBlobs(1, 10))
	// An interrupted backup: pack written, index never saved.
	p := r.NewPacker()
	lost := mixedBlobs(2, 10)
	for _, b := range lost {
		p.Add(b.t, h(b.data), b.data)
	}
	orphan, err := p.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(r.Dir(), "data", "00", ".tmp-999"), []byte("partial"), 0o600)

	all, err := r.ListPacks(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("ListPacks: %d packs, %v", len(all), err)
	}
	r2 := reopen(t, r)
	if err := r2.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	un, err := r2.UnreferencedPacks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(un) != 1 || un[0].ID != orphan.ID || un[0].Size != orphan.Size {
		t.Fatalf("unreferenced = %+v, want %s", un, orphan.ID.Short())
	}
	if r2.Has(lost[0].t, h(lost[0].data)) {
		t.Fatal("orphaned blob visible in a fresh process")
	}
	// In the writing process the finished pack is not unreferenced.
	if un, _ := r.UnreferencedPacks(ctx); len(un) != 0 {
		t.Fatalf("writer sees %d unreferenced packs", len(un))
	}
	if err := r2.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if un, _ := r2.UnreferencedPacks(ctx); len(un) != 0 {
		t.Fatalf("after rebuild: %d unreferenced", len(un))
	}
	if !r2.Has(lost[0].t, h(lost[0].data)) {
		t.Fatal("rebuild did not index the orphaned pack")
	}
}

func TestRemovePack(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	blobs := mixedBlobs(1, 5)
	packs := storeBlobs(t, r, blobs)
	b := blobs[1]
	if err := r.RemovePack(ctx, packs[0].ID); err != nil {
		t.Fatal(err)
	}
	if r.Has(b.t, h(b.data)) {
		t.Fatal("blob of removed pack still indexed")
	}
	if _, err := r.LoadBlob(ctx, b.t, h(b.data)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LoadBlob: %v", err)
	}
	if ps, _ := r.ListPacks(ctx); len(ps) != 0 {
		t.Fatal("pack file still listed")
	}
	// A repacked copy in a new pack makes the blob visible again.
	rp := r.NewRepacker()
	rp.Add(b.t, h(b.data), b.data)
	pi, err := rp.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.SaveIndex(ctx, []PackInfo{pi})
	if got, err := r.LoadBlob(ctx, b.t, h(b.data)); err != nil || string(got) != string(b.data) {
		t.Fatalf("after repack: %v", err)
	}
	ids, _ := r.IndexFiles(ctx)
	for _, id := range ids {
		if err := r.RemoveIndex(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if ids, _ := r.IndexFiles(ctx); len(ids) != 0 {
		t.Fatal("index files remain")
	}
}

func TestLoadIndexCorrupt(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	blobs := mixedBlobs(1, 10)
	storeBlobs(t, r, blobs)
	ids, _ := r.IndexFiles(ctx)
	path := filepath.Join(r.Dir(), "index", ids[0].String())
	makeWritable(t, path)
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 1
	os.WriteFile(path, b, 0o600)
	r2 := reopen(t, r)
	err := r2.LoadIndex(ctx)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "index/"+ids[0].String()) {
		t.Fatalf("corrupt index: %v", err)
	}
	// A copy under the right name (hash matches) but forged content
	// still fails to authenticate.
	forged := append([]byte(nil), b...)
	fid := fileID(forged)
	os.Remove(path)
	os.WriteFile(filepath.Join(r.Dir(), "index", fid.String()), forged, 0o600)
	if err := r2.LoadIndex(ctx); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "decryption failed") {
		t.Fatalf("forged index: %v", err)
	}
	if err := r2.RebuildIndex(ctx); err != nil {
		t.Fatal(err)
	}
	for _, bl := range blobs {
		if _, err := r2.LoadBlob(ctx, bl.t, h(bl.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := reopen(t, r).LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeIndexHostile(t *testing.T) {
	p := PackInfo{ID: ID{9}, Blobs: []BlobInfo{
		{Type: DataBlob, ID: ID{1}, Offset: 0, Length: 100, RawLength: 59},
		{Type: TreeBlob, ID: ID{2}, Offset: 100, Length: 50, RawLength: 500},
	}}
	p.Size = 150 + packHeaderLen(2) + packTrailerSize
	good := encodeIndex([]PackInfo{p})
	if got, err := decodeIndex(good); err != nil || fmt.Sprint(got) != fmt.Sprint([]PackInfo{p}) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	mod := func(f func(b []byte)) []byte { b := append([]byte(nil), good...); f(b); return b }
	cases := map[string][]byte{
		"empty":          nil,
		"version":        mod(func(b []byte) { b[0] = 2 }),
		"pack count":     mod(func(b []byte) { b[1] = 2 }),
		"huge count":     mod(func(b []byte) { copy(b[1:], le32(0xFFFFFFFF)) }),
		"size mismatch":  mod(func(b []byte) { b[5+32]++ }),
		"blob count":     mod(func(b []byte) { b[5+36] = 3 }),
		"zero blobs":     mod(func(b []byte) { b[5+36] = 0 }),
		"bad type":       mod(func(b []byte) { b[5+40] = 7 }),
		"offset gap":     mod(func(b []byte) { b[5+40+blobEntrySize+33] = 99 }),
		"trailing":       append(append([]byte(nil), good...), 0),
		"truncated":      good[:len(good)-1],
		"duplicate pack": encodeIndex([]PackInfo{p, p}),
	}
	for name, b := range cases {
		if _, err := decodeIndex(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestIndexStructure exercises the in-memory index directly: merges,
// duplicates across packs, removed packs, lookups by type, and memory.
func TestIndexStructure(t *testing.T) {
	const n = 200_000
	rng := mrand.New(mrand.NewPCG(1, 2))
	mkPacks := func(count, per int) []PackInfo {
		var ps []PackInfo
		for i := 0; i < count; i++ {
			var p PackInfo
			for j := range 32 {
				p.ID[j] = byte(rng.Uint32())
			}
			for k := 0; k < per; k++ {
				var id ID
				for j := range 32 {
					id[j] = byte(rng.Uint32())
				}
				typ := DataBlob
				if k%7 == 0 {
					typ = TreeBlob
				}
				p.Blobs = append(p.Blobs, BlobInfo{Type: typ, ID: id, Offset: uint32(k * 1000), Length: 1000, RawLength: uint32(k)})
			}
			ps = append(ps, p)
		}
		return ps
	}

	// Two GCs: sync.Pool buffers of earlier tests survive one.
	runtime.GC()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	var x index
	x.init()
	bulk := mkPacks(n/1000, 1000)
	x.build(bulk, n)
	lookups := []PackInfo{bulk[0], bulk[len(bulk)-1]}
	bulk = nil
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m1)
	perBlob := float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)-int64(2*1000*48)) / n
	t.Logf("in-memory index: %.1f bytes per blob (%.0f MB per million)", perBlob, perBlob)
	if perBlob > 64 || perBlob < 40 {
		t.Errorf("index uses %.1f bytes per blob", perBlob)
	}

	// Incremental additions trigger merges.
	added := mkPacks(60, 1000)
	x.mu.Lock()
	for _, p := range added {
		x.addLocked(p)
	}
	x.mu.Unlock()
	if len(x.pending) >= len(x.sorted)/8+1000 {
		t.Fatalf("pending map never merged: %d pending, %d sorted", len(x.pending), len(x.sorted))
	}
	check := func(ps []PackInfo, want bool) {
		t.Helper()
		for _, p := range ps {
			for _, b := range p.Blobs {
				pk, got, ok := x.lookup(b.Type, b.ID)
				if ok != want {
					t.Fatalf("lookup %s: ok=%v want %v", b.ID.Short(), ok, want)
				}
				if ok && (pk != p.ID || got != b) {
					t.Fatalf("lookup %s: wrong location", b.ID.Short())
				}
				other := DataBlob
				if b.Type == DataBlob {
					other = TreeBlob
				}
				if _, _, ok := x.lookup(other, b.ID); ok {
					t.Fatal("lookup matched the wrong type")
				}
			}
		}
	}
	check(lookups, true)
	check(added, true)
	var absent ID
	absent[0] = 0xFF
	if _, _, ok := x.lookup(DataBlob, absent); ok {
		t.Fatal("found absent ID")
	}

	// Same blob in two packs: removing one pack keeps the other copy.
	dup := PackInfo{ID: ID{0xEE}, Blobs: []BlobInfo{lookups[0].Blobs[3]}}
	dup.Blobs[0].Offset = 0
	x.mu.Lock()
	x.addLocked(dup)
	x.mergeLocked()
	x.removed[x.packNum[lookups[0].ID]] = true
	x.mu.Unlock()
	pk, _, ok := x.lookup(dup.Blobs[0].Type, dup.Blobs[0].ID)
	if !ok || pk != dup.ID {
		t.Fatal("duplicate copy not found after removing the first pack")
	}
	if _, _, ok := x.lookup(lookups[0].Blobs[4].Type, lookups[0].Blobs[4].ID); ok {
		t.Fatal("blob of removed pack found")
	}
}

// TestSaveIndexFromEachBlob is prune's pattern: regroup EachBlob output
// (in no particular order) into PackInfos and save them as a new index.
func TestSaveIndexFromEachBlob(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	r.SetPackSize(64 << 10)
	blobs := mixedBlobs(1, 60)
	storeBlobs(t, r, blobs)
	// A repacked copy of a blob in the same session: both copies must
	// stay listed, or its pack would look incomplete.
	rp := r.NewRepacker()
	rp.Add(blobs[1].t, h(blobs[1].data), blobs[1].data)
	pi, err := rp.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.SaveIndex(ctx, []PackInfo{pi})
	want := indexSnapshot(r)

	sizes := map[ID]int64{}
	onDisk, _ := r.ListPacks(ctx)
	for _, p := range onDisk {
		sizes[p.ID] = p.Size
	}
	byPack := map[ID]*PackInfo{}
	r.EachBlob(func(pack ID, b BlobInfo) bool {
		if byPack[pack] == nil {
			byPack[pack] = &PackInfo{ID: pack, Size: sizes[pack]}
		}
		byPack[pack].Blobs = append(byPack[pack].Blobs, b)
		return true
	})
	if len(byPack) != len(onDisk) {
		t.Fatalf("EachBlob covers %d packs, %d on disk", len(byPack), len(onDisk))
	}
	var all []PackInfo
	for _, p := range byPack {
		all = append(all, *p)
	}
	old, _ := r.IndexFiles(ctx)
	if _, err := r.SaveIndex(ctx, all); err != nil {
		t.Fatal(err)
	}
	for _, id := range old {
		r.RemoveIndex(ctx, id)
	}
	r2 := reopen(t, r)
	if err := r2.LoadIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if got := indexSnapshot(r2); !slices.Equal(got, want) {
		t.Fatalf("index differs after regrouping: %d vs %d", len(got), len(want))
	}

	// Incomplete or inconsistent PackInfos are refused before writing.
	p := all[0]
	if len(p.Blobs) > 1 {
		bad := p
		bad.Blobs = bad.Blobs[:len(bad.Blobs)-1]
		if _, err := r.SaveIndex(ctx, []PackInfo{bad}); err == nil || !strings.Contains(err.Error(), "every blob") {
			t.Fatalf("SaveIndex with a missing blob: %v", err)
		}
	}
	bad := p
	bad.Size++
	if _, err := r.SaveIndex(ctx, []PackInfo{bad}); err == nil {
		t.Fatal("SaveIndex with a wrong size accepted")
	}
	if _, err := r.SaveIndex(ctx, []PackInfo{p, p}); err == nil {
		t.Fatal("SaveIndex with a duplicate pack accepted")
	}
	if ids, _ := r.IndexFiles(ctx); len(ids) != 1 {
		t.Fatalf("refused SaveIndex calls wrote files: %d index files", len(ids))
	}
}
