// Package collect samples the machine Holdfast runs on: CPU, load, memory,
// filesystems, disk and network I/O, process counts, uptime and
// temperatures, plus the host's fixed facts and an on-demand top-process
// table.
//
// A [Collector] is built once with [New] and its [Collector.Collect] is
// called once per tick (every second in `holdfast serve`). Each call returns
// the samples for that tick; the slice it returns and the label slices in it
// are reused by the next call, so a caller that keeps them must copy them.
// The whole tick is meant to cost well under a millisecond of CPU and to
// allocate nothing in the steady state: on Linux every value is read straight
// from /proc and /sys with reused buffers; on other systems gopsutil is the
// portable (and slower) fallback.
//
// # Series
//
// Names follow Prometheus conventions: a unit suffix (_bytes, _seconds,
// _ratio, _celsius) and _total on counters. Gauges are instantaneous values;
// counters are the kernel's raw cumulative counters, which can drop back
// (reboot, device re-plug, 32-bit wrap), so a consumer turning them into
// rates must treat a decrease as a reset.
//
//	cpu_usage_ratio                         gauge  busy share of all CPUs, 0..1
//	cpu_usage_ratio{cpu="N"}                gauge  busy share of logical CPU N
//	cpu_mode_ratio{mode="user"}             gauge  user+nice share of all CPUs
//	cpu_mode_ratio{mode="system"}           gauge  system+irq+softirq share
//	cpu_mode_ratio{mode="iowait"}           gauge  idle waiting for I/O
//	cpu_mode_ratio{mode="steal"}            gauge  time taken by the hypervisor
//	load1, load5, load15                    gauge  load averages
//	memory_total_bytes                      gauge  MemTotal
//	memory_available_bytes                  gauge  MemAvailable (before Linux 3.14: MemFree+Buffers+Cached)
//	memory_used_bytes                       gauge  total - available
//	memory_cached_bytes                     gauge  Cached + Buffers + SReclaimable
//	memory_used_ratio                       gauge  used / total
//	swap_total_bytes, swap_used_bytes       gauge  SwapTotal, SwapTotal - SwapFree (0 without swap)
//	filesystem_size_bytes{mountpoint,device,fstype}       gauge  as df's size
//	filesystem_used_bytes{...}              gauge  (blocks - bfree) * frsize, as df
//	filesystem_available_bytes{...}         gauge  bavail * frsize, as df
//	filesystem_inodes_total{...}            gauge  absent where the filesystem has no
//	filesystem_inodes_used{...}             gauge  fixed inode table (btrfs, vfat)
//	disk_read_bytes_total{device}           counter
//	disk_written_bytes_total{device}        counter
//	disk_reads_total{device}                counter  completed reads
//	disk_writes_total{device}               counter  completed writes
//	disk_io_time_seconds_total{device}      counter  time with I/O in flight (rate = busy ratio)
//	network_receive_bytes_total{interface}  counter  (and _transmit_)
//	network_receive_packets_total{interface} counter (and _transmit_)
//	network_receive_errors_total{interface} counter  (and _transmit_)
//	network_receive_drops_total{interface}  counter  (and _transmit_)
//	processes                               gauge  processes (not threads), re-counted every 5 s
//	processes_running                       gauge  runnable tasks
//	processes_blocked                       gauge  tasks in uninterruptible sleep
//	threads                                 gauge  all tasks (threads)
//	uptime_seconds                          gauge
//	temperature_celsius{sensor}             gauge  only where sensors exist
//
// CPU ratios are computed here from the difference between two ticks of the
// kernel's cumulative counters, never from lifetime averages, so the first
// tick has no CPU samples; a tick whose counters went backwards (reset, CPU
// hot-plug, the known per-CPU iowait quirk) is skipped for the CPU affected.
// Busy means user+nice+system+irq+softirq+steal; iowait counts as idle.
// Guest time is already included in user and nice and is not added again.
//
// # What is collected, and what is left out
//
// Filesystems are the real ones from /proc/self/mountinfo (re-read every
// 30 s): pseudo and virtual types (proc, sysfs, tmpfs, devtmpfs, cgroup,
// overlay except a container's "/", squashfs, nsfs, autofs, …) are left out,
// and a device mounted several times (bind mounts, btrfs subvolumes) appears
// once, under its shortest mount point that shows the filesystem's root.
// Each statfs runs in its own goroutine with a timeout, so a dead network
// mount never stalls a tick: it is skipped (and reported once) until its
// stuck statfs returns, and no second statfs is started on it meanwhile.
//
// Disks are whole physical block devices: a name that has a "device" link
// under /sys/block. Partitions (counted already in their disk), loop, ram,
// zram, device-mapper (LVM, LUKS) and md RAID devices are left out, so that
// summing devices never counts the same I/O twice. Without /sys/block the
// same choice is made from the device name.
//
// Network interfaces are all of /proc/net/dev except "lo".
//
// Temperatures are /sys/class/hwmon/hwmon*/temp*_input, named
// "<chip>/<label>" (label from temp*_label, else "tempN"); readings outside
// -40..127 °C, which drivers use for "no sensor", are dropped. A machine
// without sensors has no temperature series at all rather than zeros.
//
// # Failures
//
// Each part (cpu, memory, one filesystem, …) that cannot be read or parsed is
// skipped for that tick and logged once, with what failed; it never yields a
// made-up zero. [Collector.Problems] lists what is being skipped right now;
// an entry disappears when the part works again.
//
// # Processes
//
// [Collector.Processes] is the expensive, on-demand view (for a "top" page):
// it walks the process table, reading one /proc/PID/stat per process on
// Linux, and returns the union of the top n by CPU and the top n by resident
// memory, with /proc/PID/io read for those only. CPU ratios come from the
// difference between two calls, so the first call reports 0.
package collect
