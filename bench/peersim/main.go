// Command peersim is the load of bench/peers: N simulated Holdfast
// devices in one process, each with its own identity, trust store
// (bbolt in its own directory) and a real peers.Service, speaking the real
// protocol over real TLS WebSockets to one `holdfast serve` hub. Each
// device pairs with the hub through a real invite code (`holdfast peer
// invite --json` against the hub's home) and a real join, answers calls
// (`status` with a canned answer: the hub's own status) and streams this
// machine's real metrics once a second while the hub watches it.
//
// With the load running it measures the hub's CPU and memory, the round
// trip of remote commands, reconnects after a device restarts or loses
// its link, and the bytes on the wire per device; see
// bench/peers/README.md for the definitions.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/holdfast/holdfast/core/control"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "peersim:", err)
		os.Exit(1)
	}
}

type config struct {
	bin, hubHome, work, out string
	hubPID                  int
	n, calls, restarts      int
	warmup, duration, down  time.Duration
}

func run() error {
	var c config
	flag.StringVar(&c.bin, "holdfast", "holdfast", "the holdfast binary (for `peer invite`)")
	flag.StringVar(&c.hubHome, "hub-home", "", "the hub's home: its `holdfast serve` must be running, listening for peers, with [peers] watch_all = true")
	flag.IntVar(&c.hubPID, "hub-pid", 0, "the hub's process ID (its CPU and memory are measured)")
	flag.StringVar(&c.work, "work", "", "directory for the devices' homes (default: a temporary one, removed at the end)")
	flag.StringVar(&c.out, "out", "", "write the results as JSON to this file")
	flag.IntVar(&c.n, "n", 100, "simulated devices")
	flag.DurationVar(&c.warmup, "warmup", 15*time.Second, "streaming before the measured window")
	flag.DurationVar(&c.duration, "duration", 120*time.Second, "the measured window of streaming")
	flag.IntVar(&c.calls, "calls", 2000, "remote commands timed in each direction")
	flag.IntVar(&c.restarts, "restarts", 10, "device restarts (and as many link cuts) timed")
	flag.DurationVar(&c.down, "down", time.Second, "how long a restarting device stays down")
	flag.Parse()
	if c.hubHome == "" || c.hubPID <= 0 || c.n < 1 || c.calls < 1 || c.restarts < 0 {
		flag.Usage()
		return errors.New("give -hub-home and -hub-pid, and positive -n and -calls")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.work == "" {
		dir, err := os.MkdirTemp("", "hf-peersim-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		c.work = dir
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b := &bench{cfg: c, hub: newHub(c.bin, c.hubHome, c.hubPID), log: log}
	defer b.close()
	res, err := b.run(ctx)
	if err != nil {
		return err
	}
	js, _ := json.MarshalIndent(res, "", "  ")
	if c.out != "" {
		if err := os.WriteFile(c.out, append(js, '\n'), 0o644); err != nil {
			return err
		}
	}
	fmt.Print(res.markdown())
	return nil
}

type bench struct {
	cfg     config
	hub     *hub
	log     *slog.Logger
	devs    []*device
	sampler *sampler
}

func (b *bench) close() {
	ctx := context.Background()
	for _, d := range b.devs {
		if d.svc != nil {
			_ = d.stop(ctx)
		}
		d.close()
	}
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "peersim: "+format+"\n", args...)
}

func (b *bench) run(ctx context.Context) (*Results, error) {
	res := &Results{Started: time.Now().UTC(), Peers: b.cfg.n}
	// The hub may still be starting.
	var status json.RawMessage
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; {
		if status, err = b.hub.status(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("is the hub running? %w", err)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return nil, err
		}
	}
	res.StatusBytes = len(status)
	if b.sampler, err = newSampler(ctx); err != nil {
		return nil, err
	}
	go b.sampler.run(ctx)
	res.Series = len(b.sampler.tick(time.Now()).Samples)

	progress("pairing %d devices with the hub", b.cfg.n)
	t0 := time.Now()
	for i := range b.cfg.n {
		name := fmt.Sprintf("sim-%03d", i+1)
		dir := filepath.Join(b.cfg.work, name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		d, err := newDevice(dir, name, func() json.RawMessage { return status }, b.log)
		if err != nil {
			return nil, err
		}
		b.devs = append(b.devs, d)
		if err := d.start(ctx); err != nil {
			return nil, err
		}
		code, err := b.hub.invite(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := d.svc.Join(ctx, code, "hub"); err != nil {
			return nil, fmt.Errorf("%s joins the hub: %w", name, err)
		}
	}
	if err := b.waitOnline(ctx, nil, time.Time{}, time.Minute); err != nil {
		return nil, err
	}
	res.PairSeconds = time.Since(t0).Seconds()
	progress("%d devices paired and online in %.1f s; streaming", b.cfg.n, res.PairSeconds)

	// Each device publishes a tick a second at its own phase, as
	// independent machines do.
	var wg sync.WaitGroup
	streamCtx, stopStreams := context.WithCancel(ctx)
	defer func() { stopStreams(); wg.Wait() }()
	for _, d := range b.devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-streamCtx.Done():
				return
			case <-time.After(rand.N(time.Second)):
			}
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				d.publish(b.sampler.tick(time.Now()))
				select {
				case <-streamCtx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	if err := sleep(ctx, b.cfg.warmup); err != nil {
		return nil, err
	}
	progress("measuring the hub for %s", b.cfg.duration)
	if res.Window, err = b.measure(ctx); err != nil {
		return nil, err
	}
	progress("timing %d remote commands each way", b.cfg.calls)
	if res.HubToPeer, err = b.timeCalls(ctx, func(ctx context.Context, d *device) error {
		_, err := b.hub.call(ctx, d.name, control.Request{Op: statusOp})
		return err
	}); err != nil {
		return nil, err
	}
	if res.HubLocal, err = b.timeCalls(ctx, func(ctx context.Context, d *device) error {
		_, err := b.hub.do(ctx, control.Request{Op: statusOp})
		return err
	}); err != nil {
		return nil, err
	}
	if res.PeerToHub, err = b.timeCalls(ctx, func(ctx context.Context, d *device) error {
		r, err := d.svc.Call(ctx, "hub", control.Request{Op: statusOp}, nil)
		if err == nil {
			err = r.Err()
		}
		return err
	}); err != nil {
		return nil, err
	}
	if b.cfg.restarts > 0 {
		progress("timing %d restarts and %d link cuts", b.cfg.restarts, b.cfg.restarts)
		if res.Restart, err = b.timeReconnects(ctx, true); err != nil {
			return nil, err
		}
		if res.Cut, err = b.timeReconnects(ctx, false); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// waitOnline waits until the hub lists the devices (all when nil) online
// on a connection made after since.
func (b *bench) waitOnline(ctx context.Context, devs []*device, since time.Time, limit time.Duration) error {
	if devs == nil {
		devs = b.devs
	}
	deadline := time.Now().Add(limit)
	for {
		l, err := b.hub.list(ctx)
		if err != nil {
			return err
		}
		missing := 0
		for _, d := range devs {
			p, ok := l[d.name]
			if !ok || !p.Online || p.ConnectedSince == nil || p.ConnectedSince.Before(since) {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d devices still not online at the hub after %s", missing, len(devs), limit)
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
}

// measure samples the hub's CPU time and memory, and every device's
// bytes on the wire, over the window.
func (b *bench) measure(ctx context.Context) (Window, error) {
	var w Window
	selfPID := os.Getpid()
	first, err := readProc("/proc", b.hub.pid)
	if err != nil {
		return w, fmt.Errorf("read the hub's /proc: %w", err)
	}
	self0, _ := readProc("/proc", selfPID)
	busy0, total0, _ := machineTicks("/proc")
	rx0, tx0 := b.wireBytes()
	start := time.Now()
	var rss []int64
	var last procSample
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for time.Since(start) < b.cfg.duration {
		select {
		case <-ctx.Done():
			return w, ctx.Err()
		case <-tick.C:
		}
		if last, err = readProc("/proc", b.hub.pid); err != nil {
			return w, fmt.Errorf("the hub stopped: %w", err)
		}
		rss = append(rss, last.rssKB)
	}
	secs := time.Since(start).Seconds()
	self1, _ := readProc("/proc", selfPID)
	busy1, total1, _ := machineTicks("/proc")
	rx1, tx1 := b.wireBytes()

	w.Seconds = secs
	w.HubCPUSeconds = float64(last.cpuTicks-first.cpuTicks) / clkTck
	w.HubCPUPercent = 100 * w.HubCPUSeconds / secs
	var sum, peak int64
	for _, r := range rss {
		sum += r
		peak = max(peak, r)
	}
	w.HubRSSAvgMiB = float64(sum) / float64(len(rss)) / 1024
	w.HubRSSPeakMiB = float64(peak) / 1024
	w.HubHWMMiB = float64(last.hwmKB) / 1024
	w.HubThreads = last.threads
	w.PeersimCPUPercent = 100 * float64(self1.cpuTicks-self0.cpuTicks) / clkTck / secs
	if total1 > total0 {
		w.MachineBusyCores = float64(busy1-busy0) / float64(total1-total0) * float64(ncpu())
	}
	var up, down []float64
	for i := range b.devs {
		up = append(up, float64(tx1[i]-tx0[i])/secs)
		down = append(down, float64(rx1[i]-rx0[i])/secs)
	}
	w.UpBytesPerSec, w.DownBytesPerSec = summarize(up), summarize(down)
	for i := range up {
		if up[i] > 200 {
			w.Streaming++
		}
	}
	return w, nil
}

func (b *bench) wireBytes() (rx, tx []int64) {
	for _, d := range b.devs {
		rx = append(rx, d.rx.Load())
		tx = append(tx, d.tx.Load())
	}
	return rx, tx
}

// timeCalls times cfg.calls remote commands one after another, cycling
// through the devices.
func (b *bench) timeCalls(ctx context.Context, call func(context.Context, *device) error) (Latency, error) {
	ds := make([]float64, 0, b.cfg.calls)
	for i := range b.cfg.calls {
		d := b.devs[i%len(b.devs)]
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		t0 := time.Now()
		err := call(cctx, d)
		el := time.Since(t0)
		cancel()
		if err != nil {
			return Latency{}, fmt.Errorf("remote status on %s: %w", d.name, err)
		}
		ds = append(ds, el.Seconds()*1000)
	}
	return latency(ds), nil
}

// timeReconnects restarts (or cuts the link of) cfg.restarts devices
// spread over the fleet, one at a time, and times until the hub lists
// each online again on a new connection.
func (b *bench) timeReconnects(ctx context.Context, restart bool) (Reconnects, error) {
	var r Reconnects
	for i := range b.cfg.restarts {
		d := b.devs[(i*len(b.devs)/b.cfg.restarts+i)%len(b.devs)]
		var t0 time.Time
		if restart {
			if err := d.stop(ctx); err != nil {
				return r, fmt.Errorf("stop %s: %w", d.name, err)
			}
			if err := sleep(ctx, b.cfg.down); err != nil {
				return r, err
			}
			t0 = time.Now()
			if err := d.start(ctx); err != nil {
				return r, err
			}
		} else {
			t0 = time.Now()
			if d.cut() == 0 {
				return r, fmt.Errorf("%s had no connection to cut", d.name)
			}
		}
		if err := b.waitOnline(ctx, []*device{d}, t0, 30*time.Second); err != nil {
			return r, err
		}
		r.Seconds = append(r.Seconds, time.Since(t0).Seconds())
		// Let the hub's watch of it start again before the next one.
		if err := sleep(ctx, 500*time.Millisecond); err != nil {
			return r, err
		}
	}
	for _, s := range r.Seconds {
		r.Max = max(r.Max, s)
	}
	if len(r.Seconds) > 0 {
		r.Median = percentile(slicesSorted(r.Seconds), 50)
	}
	return r, nil
}

func slicesSorted(x []float64) []float64 {
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	return y
}
