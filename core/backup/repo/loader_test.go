package repo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
)

// TestBlobLoaderAcrossManyPacks reads blobs that alternate between more
// packs than a loader keeps open, in an order that hits open and evicted
// packs alike: every blob comes back intact, at most loaderOpenPacks files
// are open at a time, and a pack that disappears is reported as missing.
func TestBlobLoaderAcrossManyPacks(t *testing.T) {
	ctx := context.Background()
	r := newTestRepo(t)
	const packs = loaderOpenPacks + 4
	var blobs [packs][]testBlob
	var infos []PackInfo
	for i := range packs {
		p := r.NewPacker()
		for j := range 3 {
			data := textBytes(uint64(i*10+j), 1000+i*100+j)
			b := testBlob{DataBlob, data}
			if _, err := p.Add(b.t, h(b.data), b.data); err != nil {
				t.Fatal(err)
			}
			blobs[i] = append(blobs[i], b)
		}
		pi, err := p.Finish(ctx)
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, pi)
	}
	if _, err := r.SaveIndex(ctx, infos); err != nil {
		t.Fatal(err)
	}

	l := r.NewBlobLoader()
	defer l.Close()
	// Round robin over the packs, three times: the loader must evict.
	for j := range 3 {
		for i := range packs {
			b := blobs[i][j]
			got, err := l.Load(ctx, b.t, h(b.data))
			if err != nil {
				t.Fatalf("pack %d blob %d: %v", i, j, err)
			}
			if !bytes.Equal(got, b.data) {
				t.Fatalf("pack %d blob %d: wrong content", i, j)
			}
			if len(l.open) > loaderOpenPacks {
				t.Fatalf("%d packs open, at most %d expected", len(l.open), loaderOpenPacks)
			}
		}
	}
	// The most recently used pack is still open; a pack not open any more
	// that has gone away is reported as not found.
	gone := infos[0].ID
	if err := os.Remove(r.packPath(gone)); err != nil {
		t.Fatal(err)
	}
	b := blobs[0][1]
	if _, err := l.Load(ctx, b.t, h(b.data)); !errors.Is(err, ErrNotFound) {
		t.Errorf("blob of a removed pack: %v, want ErrNotFound", err)
	}
	l.Close()
	if len(l.open) != 0 {
		t.Errorf("%d packs still open after Close", len(l.open))
	}
}
