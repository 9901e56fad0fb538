package alerts

import "slices"

// knownMetrics are the series the monitor publishes (see package
// monitor/collect), which rules may name. A machine may lack some of them
// (temperatures without sensors, swap without swap), so a rule on one of
// those is valid and simply finds no series.
var knownMetrics = []string{
	"cpu_mode_ratio",
	"cpu_usage_ratio",
	"disk_io_time_seconds_total",
	"disk_read_bytes_total",
	"disk_reads_total",
	"disk_writes_total",
	"disk_written_bytes_total",
	"filesystem_available_bytes",
	"filesystem_inodes_total",
	"filesystem_inodes_used",
	"filesystem_size_bytes",
	"filesystem_used_bytes",
	"load1",
	"load15",
	"load5",
	"memory_available_bytes",
	"memory_cached_bytes",
	"memory_total_bytes",
	"memory_used_bytes",
	"memory_used_ratio",
	"network_receive_bytes_total",
	"network_receive_drops_total",
	"network_receive_errors_total",
	"network_receive_packets_total",
	"network_transmit_bytes_total",
	"network_transmit_drops_total",
	"network_transmit_errors_total",
	"network_transmit_packets_total",
	"processes",
	"processes_blocked",
	"processes_running",
	"swap_total_bytes",
	"swap_used_bytes",
	"temperature_celsius",
	"threads",
	"uptime_seconds",
}

// KnownMetrics returns the names of the metrics rules may use, sorted.
func KnownMetrics() []string { return slices.Clone(knownMetrics) }

// KnownMetric reports whether name is one of KnownMetrics. It is the
// check config.toml's rules and the rule editor validate metrics with.
func KnownMetric(name string) bool {
	_, ok := slices.BinarySearch(knownMetrics, name)
	return ok
}
