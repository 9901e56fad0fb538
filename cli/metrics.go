package cli

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/holdfast/holdfast/core/monitor"
)

func (a *app) metricsCommand() *cobra.Command {
	var args monitor.QueryArgs
	var asJSON bool
	var peer string
	cmd := &cobra.Command{
		Use:   "metrics [--last 1h] [--step 1m] [--json] [SERIES...]",
		Short: "Show this machine's metrics history (every series, or those named)",
		Long: `Show the history the engine keeps of this machine. SERIES selects series by
name and labels, Prometheus style: cpu_usage_ratio, cpu_usage_ratio{cpu="0"},
filesystem_used_bytes{mountpoint="/"}. Counters come back as per-second rates.
Without --step, ranges up to an hour have one point per sample.`,
		RunE: func(cmd *cobra.Command, names []string) error {
			args.Names = names
			var series []monitor.SeriesJSON
			if _, err := a.opVia(cmd.Context(), peer, monitor.OpQuery, args, &series); err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, series)
			}
			if len(series) == 0 {
				fmt.Fprintln(a.stdout, "No history in that range yet. The engine records it while it runs ('holdfast serve' or the desktop app).")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SERIES\tLAST\tMIN\tAVG\tMAX\tPOINTS\t")
			for _, s := range series {
				last, lo, avg, hi := summarize(s.Points)
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t\n", seriesName(s), num(last), num(lo), num(avg), num(hi), len(s.Points))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&args.Last, "last", "1h", "how far back, as a duration (15m, 24h, 168h)")
	cmd.Flags().StringVar(&args.Step, "step", "", "spacing of the points (1m, 1h); default: raw up to 1h")
	cmd.Flags().StringVar(&args.Agg, "agg", "", "combine values in a step by avg (default), min or max")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document (see docs/json.md)")
	peerFlag(cmd.Flags(), &peer)
	return cmd
}

func seriesName(s monitor.SeriesJSON) string {
	if len(s.Labels) == 0 {
		return s.Name
	}
	keys := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, s.Labels[k])
	}
	return s.Name + "{" + strings.Join(parts, ",") + "}"
}

func summarize(ps []monitor.PointJSON) (last, lo, avg, hi float64) {
	if len(ps) == 0 {
		return math.NaN(), math.NaN(), math.NaN(), math.NaN()
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	var sum float64
	for _, p := range ps {
		lo, hi, sum = math.Min(lo, p[1]), math.Max(hi, p[1]), sum+p[1]
	}
	return ps[len(ps)-1][1], lo, sum / float64(len(ps)), hi
}

// num prints a value compactly: integers as integers, small ratios with
// four digits.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) < 10:
		return fmt.Sprintf("%.4f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}
