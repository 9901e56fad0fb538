package alerts_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/holdfast/holdfast/core/alerts"
	"github.com/holdfast/holdfast/core/monitor/collect"
)

// TestKnownMetricsCoverTheCollector keeps the list of metrics rules may use
// in step with what this machine's collector publishes.
func TestKnownMetricsCoverTheCollector(t *testing.T) {
	names := alerts.KnownMetrics()
	if !slices.IsSorted(names) {
		t.Fatal("KnownMetrics is not sorted")
	}
	for _, r := range alerts.DefaultRules(2) {
		for _, m := range []string{r.Metric, r.Ratio} {
			if m != "" && !alerts.KnownMetric(m) {
				t.Errorf("default rule %s uses %q, not a known metric", r.Name, m)
			}
		}
	}
	if runtime.GOOS != "linux" {
		t.Skip("the collector's full set is read on Linux")
	}
	c := collect.New(collect.Options{})
	ctx := context.Background()
	now := time.Now()
	for i := range 2 { // CPU ratios need two ticks
		samples, err := c.Collect(ctx, now.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range samples {
			if !alerts.KnownMetric(s.Name) {
				t.Errorf("the collector publishes %q, which rules cannot use", s.Name)
			}
		}
	}
	if alerts.KnownMetric("filesytem_used") {
		t.Error("a misspelt metric is known")
	}
}
