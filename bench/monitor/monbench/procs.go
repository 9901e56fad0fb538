package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// scrapeCmd GETs a URL every interval, as a Prometheus server scraping
// node_exporter would, until SIGTERM; it reports what it got on exit.
func scrapeCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("scrape", flag.ExitOnError)
	url := fs.String("url", "", "URL to GET")
	interval := fs.Duration("interval", time.Second, "time between scrapes")
	_ = fs.Parse(args)
	if *url == "" {
		return errors.New("scrape: need -url")
	}
	client := &http.Client{Timeout: *interval}
	var n, failed int
	var bytes int64
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		resp, err := client.Get(*url)
		if err == nil {
			var m int64
			m, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			bytes += m
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("status %s", resp.Status)
			}
		}
		n++
		if err != nil {
			failed++
			if failed <= 3 {
				fmt.Fprintln(os.Stderr, "scrape:", err)
			}
		}
		select {
		case <-ctx.Done():
			fmt.Printf("scrape: %d scrapes of %s, %d failed, %.0f bytes each\n", n, *url, failed, float64(bytes)/float64(max(n-failed, 1)))
			return nil
		case <-tick.C:
		}
	}
}

// spawnCmd starts n processes of this binary's idle command and waits
// until SIGTERM, then stops them. Each wakes every -wake (with its own
// phase) and spins for -spin: a machine with many mostly-sleeping
// processes whose CPU counters still move now and then.
func spawnCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("spawn", flag.ExitOnError)
	n := fs.Int("n", 300, "number of processes")
	pidFile := fs.String("pids", "", "write their PIDs here, one per line")
	wake := fs.Duration("wake", 2*time.Second, "how often each process wakes")
	spin := fs.Duration("spin", 200*time.Microsecond, "how long it runs when awake")
	_ = fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("spawn: %w", err)
	}
	var cmds []*exec.Cmd
	defer func() {
		for _, c := range cmds {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range cmds {
			_ = c.Wait()
		}
	}()
	var pids []string
	for i := range *n {
		phase := time.Duration(int64(*wake) * int64(i) / int64(*n))
		c := exec.Command(self, "idle", "-wake", wake.String(), "-spin", spin.String(), "-phase", phase.String())
		c.Env = append(os.Environ(), "GOMAXPROCS=1")
		if err := c.Start(); err != nil {
			return fmt.Errorf("spawn: process %d: %w", i, err)
		}
		cmds = append(cmds, c)
		pids = append(pids, fmt.Sprint(c.Process.Pid))
	}
	if *pidFile != "" {
		if err := os.WriteFile(*pidFile, []byte(strings.Join(pids, "\n")+"\n"), 0o644); err != nil {
			return fmt.Errorf("spawn: %w", err)
		}
	}
	fmt.Printf("spawn: %d processes running\n", len(cmds))
	<-ctx.Done()
	return nil
}

// idleCmd sleeps, waking every -wake to spin for -spin, until SIGTERM.
func idleCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("idle", flag.ExitOnError)
	wake := fs.Duration("wake", 2*time.Second, "")
	spin := fs.Duration("spin", 200*time.Microsecond, "")
	phase := fs.Duration("phase", 0, "")
	_ = fs.Parse(args)
	select {
	case <-ctx.Done():
		return nil
	case <-time.After(*phase):
	}
	tick := time.NewTicker(*wake)
	defer tick.Stop()
	x := 1
	for {
		for end := time.Now().Add(*spin); time.Now().Before(end); {
			x = x*31 + 7
		}
		select {
		case <-ctx.Done():
			_ = x
			return nil
		case <-tick.C:
		}
	}
}
