package collect

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func addFixtures(f *testing.F, paths ...string) {
	for _, p := range paths {
		if b, err := os.ReadFile(filepath.Join("testdata", p)); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParseStat: the /proc/PID/stat parser must never panic, and what it
// returns must come from its input.
func FuzzParseStat(f *testing.F) {
	addFixtures(f, "real/pid_stat", "edge/pid_stat_parens", "edge/pid_stat_kthread",
		"edge/pid_stat_short", "edge/pid_stat_noparen", "edge/pid_stat_garbage")
	f.Add([]byte("1 () R 0 0 0 0 0 0 0 0 0 0 1 2 0 0 0 0 1 0 3 0 4"))
	f.Add([]byte("1 ()) R 0 0 0 0 0 0 0 0 0 0 1 2 0 0 0 0 1 0 3 0 -4"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseStat(b)
		if err != nil {
			return
		}
		if s.pid < 0 || len(s.comm) > len(b) || !bytes.Contains(b, s.comm) {
			t.Fatalf("parsed %q as %+v", b, s)
		}
	})
}

// FuzzStatCommRoundTrip: whatever the command name (spaces, parentheses,
// newlines), the fields after it are found.
func FuzzStatCommRoundTrip(f *testing.F) {
	f.Add([]byte("a) (b"), uint64(7), uint64(9))
	f.Add([]byte(")"), uint64(0), uint64(1<<63))
	f.Add([]byte("x y\nz ) S 1"), uint64(5), uint64(6))
	f.Fuzz(func(t *testing.T, comm []byte, utime, rss uint64) {
		rss &= 1<<63 - 1
		line := "42 (" + string(comm) + ") S 1 1 1 0 -1 0 0 0 0 0 " + strconv.FormatUint(utime, 10) +
			" 3 0 0 20 0 1 0 99 0 " + strconv.FormatUint(rss, 10) + " 0 0\n"
		s, err := parseStat([]byte(line))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if s.pid != 42 || !bytes.Equal(s.comm, comm) || s.utime != utime || s.stime != 3 || s.start != 99 || s.rssPages != rss {
			t.Fatalf("%q parsed as %+v", line, s)
		}
	})
}

// FuzzParseMeminfo: never panics; a success has a usable total.
func FuzzParseMeminfo(f *testing.F) {
	addFixtures(f, "real/proc/meminfo", "edge/meminfo_old", "edge/meminfo_garbage",
		"edge/meminfo_nototal", "edge/meminfo_noswap")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMeminfo(b)
		if err != nil {
			return
		}
		if m.total == 0 || m.available > m.total || m.swapFree > m.swapTotal {
			t.Fatalf("parsed %q as %+v", b, m)
		}
	})
}

func FuzzParseSysStat(f *testing.F) {
	addFixtures(f, "real/proc/stat", "edge/stat_old", "edge/stat_garbage", "edge/stat_wrap_1")
	f.Fuzz(func(t *testing.T, b []byte) {
		_, per, err := parseSysStat(b, nil)
		if err == nil {
			for _, p := range per {
				if p.idx < 0 || p.idx >= maxCPUIndex {
					t.Fatalf("cpu index %d", p.idx)
				}
			}
		}
	})
}

func FuzzParseOthers(f *testing.F) {
	addFixtures(f, "real/proc/diskstats", "real/proc/net/dev", "real/proc/self/mountinfo",
		"real/proc/loadavg", "real/proc/uptime", "edge/mountinfo", "edge/netdev_tight", "real/pid_io")
	f.Fuzz(func(t *testing.T, b []byte) {
		parseDiskstats(b, nil)
		parseNetDev(b, nil)
		if es, err := parseMountinfo(b); err == nil {
			selectMounts(es)
		}
		parseLoadavg(b)
		parseUptime(b)
		parsePIDIO(b)
		unescapeOctal(b)
		wholePhysicalDiskName(string(b))
	})
}
