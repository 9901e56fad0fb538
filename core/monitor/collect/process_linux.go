package collect

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"
	"unsafe"
)

// procState is what Processes keeps between calls.
type procState struct {
	ready    bool
	root     string
	pRoot    []byte
	pUptime  []byte
	clkTck   float64
	pageSize uint64

	buf, dirbuf, path []byte
	rows              []procRow
	order             []int32

	prev       map[int32]procPrev
	gen        uint32
	prevAt     time.Time
	prevUptime float64 // seconds since boot at the previous call; 0 before the first
	users      map[uint32]string
}

// procRow is one process of the current scan.
type procRow struct {
	pid     int32
	threads int32
	commLen uint8
	comm    [64]byte
	rss     uint64
	cpu     float64
	mark    bool
}

type procPrev struct {
	ticks, start    uint64
	gen             uint32
	ioRead, ioWrite uint64
	ioAt            time.Time
	haveIO          bool
}

func (ps *procState) init(root string) {
	ps.ready = true
	ps.root = root
	ps.pRoot = cpath(root)
	ps.pUptime = cpath(root + "/uptime")
	ps.clkTck = float64(clockTicks())
	ps.pageSize = uint64(os.Getpagesize())
	ps.buf = make([]byte, 4096)
	ps.dirbuf = make([]byte, 32<<10)
	ps.prev = make(map[int32]procPrev)
	ps.users = make(map[uint32]string)
}

// clockTicks returns USER_HZ, the unit of /proc/PID/stat times, from the
// auxiliary vector (AT_CLKTCK); 100 if that cannot be read.
func clockTicks() uint64 {
	const atClkTck = 17
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 100
	}
	w := int(unsafe.Sizeof(uintptr(0)))
	for i := 0; i+2*w <= len(b); i += 2 * w {
		var k, v uint64
		if w == 8 {
			k, v = binary.NativeEndian.Uint64(b[i:]), binary.NativeEndian.Uint64(b[i+w:])
		} else {
			k, v = uint64(binary.NativeEndian.Uint32(b[i:])), uint64(binary.NativeEndian.Uint32(b[i+w:]))
		}
		if k == atClkTck && v > 0 {
			return v
		}
		if k == 0 {
			break
		}
	}
	return 100
}

// Processes returns the union of the n processes using the most CPU and the
// n using the most resident memory (n <= 0: all processes), sorted by CPU
// then memory. CPU ratios and I/O rates are measured since the previous
// call, so call it at a steady pace (every few seconds, while a "top" view is
// open); the first call reports 0 CPU.
//
// On Linux it reads /proc/PID/stat once per process and /proc/PID/io,
// /proc/PID/cmdline (for names longer than 15 bytes) and the owner of
// /proc/PID only for the processes returned.
func (c *Collector) Processes(ctx context.Context, n int) ([]Process, error) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	ps := &c.procs
	if !ps.ready {
		ps.init(c.opts.ProcRoot)
	}
	now := time.Now()
	var elapsed float64
	if !ps.prevAt.IsZero() {
		elapsed = now.Sub(ps.prevAt).Seconds()
	}
	uptime := 0.0
	if b, err := readFileInto(&ps.buf, ps.pUptime); err == nil {
		uptime, _ = parseUptime(b)
	}
	ps.gen++
	ps.rows = ps.rows[:0]

	fd, err := openPath(ps.pRoot, syscall.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	scanned := 0
	for {
		nb, err := syscall.ReadDirent(fd, ps.dirbuf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			syscall.Close(fd)
			return nil, &os.PathError{Op: "getdents", Path: ps.root, Err: err}
		}
		if nb <= 0 {
			break
		}
		for b := ps.dirbuf[:nb]; len(b) > 0; {
			var name []byte
			var ok bool
			name, b, ok = nextDirent(b)
			if !ok {
				break
			}
			pid, isPID := parseUint(name)
			if !isPID || pid == 0 || pid > 1<<31-1 {
				continue
			}
			scanned++
			if scanned%256 == 0 {
				if err := ctx.Err(); err != nil {
					syscall.Close(fd)
					return nil, err
				}
			}
			ps.scanOne(int32(pid), elapsed, uptime)
		}
	}
	syscall.Close(fd)
	for pid, p := range ps.prev {
		if p.gen != ps.gen {
			delete(ps.prev, pid)
		}
	}
	firstCall := ps.prevAt.IsZero()
	ps.prevAt, ps.prevUptime = now, uptime

	sel := ps.selectTop(n)
	out := make([]Process, 0, len(sel))
	for _, i := range sel {
		r := &ps.rows[i]
		p := Process{
			PID:      int(r.pid),
			Name:     ps.name(r),
			User:     ps.user(r.pid),
			CPURatio: r.cpu,
			RSSBytes: r.rss,
			Threads:  int(r.threads),
		}
		if firstCall {
			p.CPURatio = 0
		}
		ps.readIO(&p, now)
		out = append(out, p)
	}
	return out, nil
}

// pidPath builds root/PID/file NUL-terminated in ps.path.
func (ps *procState) pidPath(pid int32, file string) []byte {
	p := append(ps.path[:0], ps.root...)
	p = append(p, '/')
	p = strconv.AppendInt(p, int64(pid), 10)
	p = append(p, '/')
	p = append(p, file...)
	p = append(p, 0)
	ps.path = p
	return p
}

// scanOne reads one /proc/PID/stat and records the process.
func (ps *procState) scanOne(pid int32, elapsed, uptime float64) {
	b, err := readFileInto(&ps.buf, ps.pidPath(pid, "stat"))
	if err != nil {
		return // exited meanwhile, or hidden (hidepid)
	}
	st, err := parseStat(b)
	if err != nil {
		return
	}
	ticks := st.utime + st.stime
	prev, had := ps.prev[pid]
	cpu := 0.0
	switch {
	case elapsed <= 0:
	case had && prev.start == st.start && ticks >= prev.ticks:
		cpu = float64(ticks-prev.ticks) / ps.clkTck / elapsed
	case ps.prevUptime > 0 && float64(st.start)/ps.clkTck >= ps.prevUptime:
		// Started since the previous call: all its CPU time is recent.
		cpu = float64(ticks) / ps.clkTck / elapsed
	}
	if !had || prev.start != st.start {
		prev = procPrev{start: st.start}
	}
	prev.ticks, prev.gen = ticks, ps.gen
	ps.prev[pid] = prev

	r := procRow{pid: pid, threads: int32(min(max(st.threads, 0), 1<<31-1)), rss: st.rssPages * ps.pageSize, cpu: cpu}
	r.commLen = uint8(copy(r.comm[:], st.comm))
	ps.rows = append(ps.rows, r)
}

// selectTop marks and returns the indexes of the top n rows by CPU and by
// RSS, ordered by CPU then RSS.
func (ps *procState) selectTop(n int) []int32 {
	rows := ps.rows
	ps.order = ps.order[:0]
	for i := range rows {
		ps.order = append(ps.order, int32(i))
	}
	byCPU := func(a, b int32) int {
		ra, rb := &rows[a], &rows[b]
		switch {
		case ra.cpu != rb.cpu:
			if ra.cpu > rb.cpu {
				return -1
			}
			return 1
		case ra.rss != rb.rss:
			if ra.rss > rb.rss {
				return -1
			}
			return 1
		}
		return int(ra.pid - rb.pid)
	}
	if n <= 0 || n >= len(rows) {
		slices.SortFunc(ps.order, byCPU)
		return ps.order
	}
	slices.SortFunc(ps.order, byCPU)
	for _, i := range ps.order[:n] {
		rows[i].mark = true
	}
	slices.SortFunc(ps.order, func(a, b int32) int {
		ra, rb := &rows[a], &rows[b]
		if ra.rss != rb.rss {
			if ra.rss > rb.rss {
				return -1
			}
			return 1
		}
		return int(ra.pid - rb.pid)
	})
	for _, i := range ps.order[:n] {
		rows[i].mark = true
	}
	sel := ps.order[:0]
	for i := range rows {
		if rows[i].mark {
			sel = append(sel, int32(i))
		}
	}
	slices.SortFunc(sel, byCPU)
	return sel
}

// name is the process's comm, extended from its command line when the
// kernel truncated it to 15 bytes.
func (ps *procState) name(r *procRow) string {
	comm := r.comm[:r.commLen]
	if len(comm) == 15 {
		if b, err := readFileInto(&ps.buf, ps.pidPath(r.pid, "cmdline")); err == nil {
			if i := bytes.IndexByte(b, 0); i >= 0 {
				b = b[:i]
			}
			if j := bytes.LastIndexByte(b, '/'); j >= 0 {
				b = b[j+1:]
			}
			if len(b) > len(comm) && bytes.HasPrefix(b, comm) {
				return string(b)
			}
		}
	}
	return string(comm)
}

// user returns the name of the effective owner of /proc/PID.
func (ps *procState) user(pid int32) string {
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(ps.root, strconv.Itoa(int(pid))), &st); err != nil {
		return ""
	}
	if u, ok := ps.users[st.Uid]; ok {
		return u
	}
	id := strconv.FormatUint(uint64(st.Uid), 10)
	name := id
	if u, err := user.LookupId(id); err == nil {
		name = u.Username
	}
	ps.users[st.Uid] = name
	return name
}

// readIO fills the I/O rates from /proc/PID/io (readable for one's own
// processes, or all of them as root).
func (ps *procState) readIO(p *Process, now time.Time) {
	b, err := readFileInto(&ps.buf, ps.pidPath(int32(p.PID), "io"))
	if err != nil {
		return
	}
	rd, wr, err := parsePIDIO(b)
	if err != nil {
		return
	}
	prev, ok := ps.prev[int32(p.PID)]
	if !ok {
		return
	}
	if prev.haveIO && rd >= prev.ioRead && wr >= prev.ioWrite {
		if dt := now.Sub(prev.ioAt).Seconds(); dt > 0 {
			p.ReadBytesPerSec = float64(rd-prev.ioRead) / dt
			p.WriteBytesPerSec = float64(wr-prev.ioWrite) / dt
			p.IOKnown = true
		}
	}
	prev.ioRead, prev.ioWrite, prev.ioAt, prev.haveIO = rd, wr, now, true
	ps.prev[int32(p.PID)] = prev
}
