package consistency

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/content"
)

// benchReport is a first index's report: 20,000 entries missing on B.
func benchReport() *Report {
	rep := &Report{A: "/data/A", B: "/data/EMPTY"}
	for i := range 20000 {
		e := content.Entry{Name: fmt.Sprintf("dir-%03d/sub-%02d/file-%06d.log", i/500, i%7, i), Type: content.TypeFile,
			Mode: 0o644, Size: int64(i * 37), ModTime: time.Date(2025, 7, 20, 21, 7, 53, i, time.UTC).UnixNano()}
		rep.Missing = append(rep.Missing, entryOf(e.Name, &e, true))
	}
	rep.Counts = Counts{Entries: 20000, Missing: 20000}
	return rep
}

func BenchmarkReportMarshal(b *testing.B) {
	rep := benchReport()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(rep); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReportUnmarshal(b *testing.B) {
	raw, err := json.Marshal(benchReport())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var rep Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareAllMissing compares a scanned tree with an empty one, as
// a first index (`holdfast compare A EMPTY`) does: every entry reported.
func BenchmarkCompareAllMissing(b *testing.B) {
	ctx := context.Background()
	ta, _, err := content.Scan(ctx, benchTree(b), content.ScanOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tb, _, err := content.Scan(ctx, b.TempDir(), content.ScanOptions{})
	if err != nil {
		b.Fatal(err)
	}
	la, lb := NewLive(ta, nil), NewLive(tb, nil)
	b.ReportAllocs()
	for b.Loop() {
		rep, err := Compare(ctx, la, lb, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Missing) == 0 {
			b.Fatal("nothing missing")
		}
	}
}
