package prom

import (
	"fmt"

	"github.com/holdfast/holdfast/core/monitor/tsdb"
)

// help describes the series docs/json.md lists, by their sampled names.
var help = map[string]string{
	"cpu_usage_ratio": `Share of the time the CPU was busy over the last sampling interval, 0-1: per core (cpu="0", …), and for the whole machine as cpu="total".`,
	"cpu_mode_ratio":  "Share of the CPU time over the last sampling interval spent in a mode (user, system, iowait, steal), 0-1.",

	"load1":  "Load average (run-queue length) over 1 minute.",
	"load5":  "Load average (run-queue length) over 5 minutes.",
	"load15": "Load average (run-queue length) over 15 minutes.",

	"memory_total_bytes":     "Physical memory of the machine, in bytes.",
	"memory_available_bytes": "Memory available to start new programs without swapping, in bytes.",
	"memory_used_bytes":      "Memory in use (total less available), in bytes.",
	"memory_cached_bytes":    "Memory used for the page cache, buffers and reclaimable kernel caches, in bytes.",
	"memory_used_ratio":      "Share of the physical memory in use, 0-1.",
	"swap_total_bytes":       "Swap space of the machine, in bytes.",
	"swap_used_bytes":        "Swap space in use, in bytes.",

	"filesystem_size_bytes":      "Size of a mounted filesystem, in bytes (as df -B1).",
	"filesystem_used_bytes":      "Space used on a mounted filesystem, in bytes (as df -B1).",
	"filesystem_available_bytes": "Space available to unprivileged users on a mounted filesystem, in bytes (as df -B1).",
	"filesystem_inodes_total":    "Inodes of a mounted filesystem in all (as df -i).",
	"filesystem_inodes_used":     "Inodes in use on a mounted filesystem (as df -i).",

	"disk_read_bytes_total":      "Bytes read from a whole disk.",
	"disk_written_bytes_total":   "Bytes written to a whole disk.",
	"disk_reads_total":           "Read operations completed on a whole disk.",
	"disk_writes_total":          "Write operations completed on a whole disk.",
	"disk_io_time_seconds_total": "Seconds a whole disk spent doing I/O; its rate is the disk's busy share, 0-1.",

	"network_receive_bytes_total":    "Bytes received on a network interface.",
	"network_transmit_bytes_total":   "Bytes sent on a network interface.",
	"network_receive_packets_total":  "Packets received on a network interface.",
	"network_transmit_packets_total": "Packets sent on a network interface.",
	"network_receive_errors_total":   "Receive errors on a network interface.",
	"network_transmit_errors_total":  "Transmit errors on a network interface.",
	"network_receive_drops_total":    "Received packets dropped on a network interface.",
	"network_transmit_drops_total":   "Packets to send dropped on a network interface.",

	"processes":         "Processes on the machine.",
	"processes_running": "Processes running or ready to run.",
	"processes_blocked": "Processes blocked waiting for I/O.",
	"threads":           "Threads (kernel scheduling entities) on the machine.",
	"uptime_seconds":    "Time since the machine booted, in seconds.",

	"temperature_celsius": "Temperature of a hardware sensor, in degrees Celsius.",
}

// Help is the HELP text of a series, by its sampled name: the known
// series' own, a generic one for the others.
func Help(name string, kind tsdb.Kind) string {
	if h, ok := help[name]; ok {
		return h
	}
	if kind == tsdb.Counter {
		return fmt.Sprintf("Holdfast's %s, a counter sampled every second.", name)
	}
	return fmt.Sprintf("Holdfast's %s, a gauge sampled every second.", name)
}
