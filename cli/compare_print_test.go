package cli

import (
	"strings"
	"testing"

	"github.com/holdfast/holdfast/core/consistency"
)

func TestPrintReport(t *testing.T) {
	tests := []struct {
		name string
		rep  consistency.Report
		want string
	}{
		{"identical", consistency.Report{A: "/a", B: "/b", Counts: consistency.Counts{Entries: 4}},
			"Identical: 4 entries (/a and /b).\n"},
		{"differences", consistency.Report{A: "/a", B: "/b",
			Missing:  []consistency.Entry{{Path: "gone.txt"}, {Path: "Readme", CaseOf: "README"}},
			Extra:    []consistency.Entry{{Path: "README", CaseOf: "Readme"}},
			Modified: []consistency.Entry{{Path: "d/f", Changes: []string{"content", "size"}}},
			Metadata: []consistency.Entry{{Path: "m", Changes: []string{"mode"}}},
			Errors:   []consistency.PathProblem{{Side: "b", Path: "x", Error: "permission denied"}},
			Counts:   consistency.Counts{Entries: 9, Identical: 3, Missing: 2, Extra: 1, Modified: 1, Metadata: 1, Errors: 1},
			Score:    0.333,
		}, "missing   gone.txt\n" +
			"missing   Readme (case-only rename of README)\n" +
			"extra     README (case-only rename of Readme)\n" +
			"modified  d/f (content, size)\n" +
			"metadata  m (mode)\n" +
			"error     x (side b): permission denied\n" +
			"2 missing, 1 extra, 1 modified, 1 metadata, 1 errors; 3 of 9 entries identical (score 0.33).\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := printReport(&b, &tt.rep); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

// BenchmarkPrintReport prints a first index's report: 20,000 lines.
func BenchmarkPrintReport(b *testing.B) {
	rep := consistency.Report{A: "/data/A", B: "/data/EMPTY"}
	for i := range 20000 {
		rep.Missing = append(rep.Missing, consistency.Entry{Path: strings.Repeat("d/", i%6) + "file-000000.log"})
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := printReport(discard{}, &rep); err != nil {
			b.Fatal(err)
		}
	}
}

// discard is io.Discard without its io.StringWriter shortcut.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
