// Command monbench is the measuring side of the monitoring benchmark
// (bench/monitor/run.sh).
//
//	monbench measure -phase NAME -duration D -out FILE NAME=PID...
//	        sample the CPU time and RSS of each process and its descendants
//	        every second for D; write every sample (CSV) and a summary (JSON)
//	monbench scrape -url URL [-interval 1s]
//	        GET URL every interval until SIGTERM (the node_exporter scraper)
//	monbench spawn -n N -pids FILE [-wake 2s] [-spin 200us]
//	        start N mostly idle processes (this binary) that wake every 2 s
//	        to spin 200 µs, until SIGTERM; their PIDs go to FILE
//	monbench storage -home DIR [-json FILE]
//	        open DIR/holdfast.db read-only (the engine must be stopped) and
//	        report the encoded bytes per sample, overall and per kind of series
//	monbench report -versions FILE PHASE.json... [-storage FILE]
//	        print the Markdown tables of BENCHMARKS.md's Monitoring section
//
// Linux only at run time: it reads /proc.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "measure":
		err = measureCmd(ctx, args)
	case "scrape":
		err = scrapeCmd(ctx, args)
	case "spawn":
		err = spawnCmd(ctx, args)
	case "idle":
		err = idleCmd(ctx, args) // one of spawn's processes
	case "storage":
		err = storageCmd(ctx, args)
	case "report":
		err = reportCmd(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "monbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: monbench measure|scrape|spawn|storage|report ... (see the package doc)")
	os.Exit(2)
}
