package tsdb

import (
	"math"
	"math/rand/v2"
)

// Synthetic series shaped like what Holdfast's collectors write, used by
// the size tests and the benchmarks.

type genFunc func(r *rand.Rand, n int) []float64

// CPU ratio variants.
const (
	cpuTicks   = iota // busy/total of 100 Hz tick counts, as core/monitor/collect computes it
	cpuRounded        // the same rounded to 4 places with Round
	cpuFloat          // an arbitrary full-precision float (e.g. from float seconds)
)

// genCPU is a CPU busy ratio that jitters around a wandering mean, with
// short bursts.
func genCPU(variant int) genFunc {
	return func(r *rand.Rand, n int) []float64 {
		out := make([]float64, n)
		mean := 0.05 + 0.3*r.Float64()
		burst := 0
		for i := range out {
			mean += r.NormFloat64() * 0.002
			mean = math.Min(math.Max(mean, 0.02), 0.9)
			if burst == 0 && r.IntN(300) == 0 {
				burst = 5 + r.IntN(30)
			}
			v := mean + r.NormFloat64()*0.03
			if burst > 0 {
				burst--
				v = 0.8 + 0.2*r.Float64()
			}
			v = math.Min(math.Max(v, 0), 1)
			if variant == cpuFloat {
				out[i] = v
				continue
			}
			// Ticks of all 4 CPUs over about a second.
			total := 400.0 + float64(r.IntN(5)-2)
			v = math.Round(v*total) / total
			if variant == cpuRounded {
				v = Round(v, 4)
			}
			out[i] = v
		}
		return out
	}
}

// genMemory is a byte gauge that moves by whole pages in about a third of
// the seconds.
func genMemory(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := float64(4<<30 + r.IntN(1<<20)*4096)
	for i := range out {
		if r.IntN(3) == 0 {
			v += float64((r.IntN(513) - 256) * 4096)
		}
		out[i] = v
	}
	return out
}

// genCounterBytes is a network byte counter: idle seconds with a little
// chatter, busy seconds with exponentially distributed transfers.
func genCounterBytes(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := float64(r.Int64N(1 << 40))
	for i := range out {
		if r.IntN(5) == 0 {
			v += float64(r.IntN(4000))
		} else if r.IntN(4) != 0 {
			v += math.Round(r.ExpFloat64() * 3000)
		}
		out[i] = v
	}
	return out
}

// genCounterSmall is a counter with small irregular increments (packets,
// disk operations, errors, page faults).
func genCounterSmall(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := float64(r.Int64N(1 << 30))
	for i := range out {
		if r.IntN(2) == 0 {
			v += float64(r.IntN(40))
		}
		out[i] = v
	}
	return out
}

// genCounterDisk counts bytes in 4 KiB units, idle most seconds.
func genCounterDisk(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := float64(r.Int64N(1<<28) * 4096)
	for i := range out {
		if r.IntN(5) == 0 {
			v += float64(r.IntN(64) * 4096)
		}
		out[i] = v
	}
	return out
}

// genConstant is a value that never changes (total memory, CPU count).
func genConstant(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := float64(16 << 30)
	for i := range out {
		out[i] = v
	}
	return out
}

// genLoad is a load average: two decimals, updated every 5 s.
func genLoad(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := 100 + r.IntN(200)
	for i := range out {
		if i%5 == 0 {
			v = max(0, v+r.IntN(21)-10)
		}
		out[i] = float64(v) / 100
	}
	return out
}

// genTemp is a temperature in whole degrees that drifts.
func genTemp(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := 40 + r.IntN(20)
	for i := range out {
		if r.IntN(10) == 0 {
			v += r.IntN(3) - 1
		}
		out[i] = float64(v)
	}
	return out
}

// genSmallGauge is a small integer that moves a little (process and thread
// counts).
func genSmallGauge(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	v := 300 + r.IntN(200)
	for i := range out {
		if r.IntN(4) == 0 {
			v = max(1, v+r.IntN(7)-3)
		}
		out[i] = float64(v)
	}
	return out
}

type genSpec struct {
	class string // the kind of series, for reporting
	name  string
	kind  Kind
	count int
	gen   genFunc
}

// dashboardSet is the full set of series the dashboard charts on a 4-core
// machine with two disks and two network interfaces: 40 series.
var dashboardSet = []genSpec{
	{"cpu ratio", "cpu_usage_ratio", Gauge, 5, genCPU(cpuTicks)}, // total + 4 cores
	{"gauge", "load_average", Gauge, 3, genLoad},
	{"memory bytes", "memory_bytes", Gauge, 5, genMemory}, // used, available, cached, buffers, swap used
	{"constant", "memory_total_bytes", Gauge, 2, genConstant},
	{"memory bytes", "disk_used_bytes", Gauge, 2, genMemory},
	{"constant", "disk_total_bytes", Gauge, 2, genConstant},
	{"counter", "disk_bytes_total", Counter, 4, genCounterDisk}, // read/write × 2 disks
	{"counter", "disk_ops_total", Counter, 4, genCounterSmall},
	{"counter", "net_bytes_total", Counter, 4, genCounterBytes}, // rx/tx × 2 interfaces
	{"counter", "net_packets_total", Counter, 4, genCounterSmall},
	{"gauge", "temperature_celsius", Gauge, 3, genTemp},
	{"gauge", "processes", Gauge, 2, genSmallGauge},
}
