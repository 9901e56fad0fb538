#!/usr/bin/env bash
# bench/monitor/run.sh — the cost of watching this machine: `holdfast serve` (default settings: 1 s sampling, history
# stored, alerts evaluated) side by side in one run with Glances and prometheus-node-exporter (scraped every second),
# each at a 1 s interval; then with 300 extra processes running; then the stored bytes per sample of Holdfast's
# history, and the monitoring Go benchmarks.
#
# Usage: bench/monitor/run.sh [--quick] [--duration S] [--warmup S] [--procs N] [--hour] [--head] [--storage HOME]
#   --duration S  seconds measured per phase (default 600)
#   --quick       --duration 120 --warmup 30 (smoke test, ~6 min)
#   --warmup S    seconds every program runs before a phase is measured (default 60; 30 with --quick)
#   --procs N     extra processes in phase 2 (default 300): this script's monbench, each waking every 2 s to spin 200 µs
#   --hour        also start a separate `holdfast serve` on its own home at the beginning, let it run one hour
#                 (waiting at the end if the phases took less), stop it with SIGTERM and report its storage
#   --head        build Holdfast from the committed HEAD (git archive) instead of the working tree
#   --storage H   only report the storage of the home H (its engine must be stopped) and exit
#
# Writes bench/out/monitor-*.{json,csv,md,txt}; bench/out/monitor-results.md holds every table. Needs root (or sudo)
# only to install glances and prometheus-node-exporter when they are missing.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/bench/out

duration="" warmup="" procs=300 quick=0 hour=0 head=0 storage_only=""
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --duration) duration=${2:?--duration needs seconds}; shift ;;
    --warmup) warmup=${2:?--warmup needs seconds}; shift ;;
    --procs) procs=${2:?--procs needs a number}; shift ;;
    --hour) hour=1 ;;
    --head) head=1 ;;
    --storage) storage_only=${2:?--storage needs a home directory}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  duration=${duration:-120} warmup=${warmup:-30}
fi
duration=${duration:-600} warmup=${warmup:-60}
for v in "$duration" "$warmup" "$procs"; do
  case $v in '' | *[!0-9]*) echo "run.sh: --duration, --warmup and --procs take whole numbers" >&2; exit 2 ;; esac
done

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

mkdir -p "$out"
work=$(mktemp -d /tmp/hf-monbench.XXXXXX)
pids=() # everything this script started, stopped on exit
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- build --------------------------------------------------------------------------------------------------------
# shellcheck source=/dev/null # packaging/deps.sh: ensure_go, ensure_packages
. "$root/packaging/deps.sh"
ensure_go || die "no Go toolchain"
log "building the static headless binary and the measuring tool"
srctree=$root
if [ "$head" = 1 ]; then
  srctree=$work/src
  mkdir -p "$srctree"
  (cd "$root" && git archive HEAD) | tar -x -C "$srctree"
fi
(cd "$srctree" && CGO_ENABLED=0 go build -o "$work/holdfast" .) || die "cannot build Holdfast (cd $srctree && CGO_ENABLED=0 go build .)"
(cd "$root" && CGO_ENABLED=0 go build -o "$work/monbench" ./bench/monitor/monbench) || die "cannot build bench/monitor/monbench"
mb=$work/monbench

if [ -n "$storage_only" ]; then
  "$mb" storage -home "$storage_only" -json "$out/monitor-storage.json" | tee "$out/monitor-storage.md"
  exit 0
fi

ensure_packages glances prometheus-node-exporter || die "cannot install glances and prometheus-node-exporter"

# Stops a process this script started and waits for it; SIGTERM lets holdfast flush its history.
stop() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

hour_pid="" hour_home=$work/hour-home hour_start=0
if [ "$hour" = 1 ]; then
  log "starting the one-hour holdfast serve on $hour_home"
  "$work/holdfast" serve --home "$hour_home" >"$work/hour-serve.log" 2>&1 &
  hour_pid=$!
  pids+=("$hour_pid")
  hour_start=$(date +%s)
fi

# --- versions -----------------------------------------------------------------------------------------------------
{
  rev=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')
  if [ "$head" = 0 ] && ! (cd "$root" && git diff --quiet HEAD -- 2>/dev/null); then rev="$rev + working tree"; fi
  echo "holdfast: $("$work/holdfast" version 2>&1 | head -1) ($rev, CGO_ENABLED=0)"
  echo "Glances: $(glances -V 2>&1 | head -1)"
  echo "node_exporter: $(prometheus-node-exporter --version 2>&1 | head -1)"
  echo "Go: $(go version | awk '{print $3}')"
  echo "kernel: $(uname -r)"
} >"$out/monitor-versions.txt"
cat "$out/monitor-versions.txt" >&2

# --- the side-by-side run ---------------------------------------------------------------------------------------
port=$(( 19100 + RANDOM % 500 ))
log "starting holdfast serve, Glances (-q -t 1) and node_exporter on 127.0.0.1:$port with a 1 s scraper"
"$work/holdfast" serve --home "$work/home" >"$work/serve.log" 2>&1 &
hf_pid=$!
pids+=("$hf_pid")
# Quiet mode: no curses interface, every plugin still updated each second (standalone.py's __serve_once).
(cd "$work" && exec glances -q -t 1 </dev/null >"$work/glances.log" 2>&1) &
gl_pid=$!
pids+=("$gl_pid")
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" >"$work/node_exporter.log" 2>&1 &
ne_pid=$!
pids+=("$ne_pid")
sleep 2
"$mb" scrape -url "http://127.0.0.1:$port/metrics" -interval 1s >"$work/scrape.log" 2>&1 &
sc_pid=$!
pids+=("$sc_pid")

tck=$(getconf CLK_TCK)
measure() { # phase
  for p in "$hf_pid" "$gl_pid" "$ne_pid"; do
    kill -0 "$p" 2>/dev/null || die "a measured program exited early; see $work/*.log"
  done
  "$mb" measure -phase "$1" -duration "${duration}s" -clk-tck "$tck" -out "$out/monitor-$1.json" \
    holdfast="$hf_pid" glances="$gl_pid" node_exporter="$ne_pid"
}

log "warm-up ${warmup} s, then phase 1 (the machine as it is) for ${duration} s"
sleep "$warmup"
measure idle

log "starting $procs extra processes; warm-up ${warmup} s, then phase 2 for ${duration} s"
"$mb" spawn -n "$procs" -pids "$work/spawned.pids" >"$work/spawn.log" 2>&1 &
sp_pid=$!
pids+=("$sp_pid")
sleep "$warmup"
measure "procs$procs"
stop "$sp_pid"

stop "$sc_pid"
cat "$work/scrape.log" >&2
stop "$gl_pid"
stop "$ne_pid"
stop "$hf_pid"

"$mb" report -versions "$out/monitor-versions.txt" "$out/monitor-idle.json" "$out/monitor-procs$procs.json" >"$out/monitor-table.md"

# --- storage ------------------------------------------------------------------------------------------------------
log "storage of the serve run's history"
"$mb" storage -home "$work/home" -json "$out/monitor-storage-serve.json" >"$out/monitor-storage-serve.md"
cat "$out/monitor-storage-serve.md"

if [ -n "$hour_pid" ]; then
  left=$(( hour_start + 3600 + 5 - $(date +%s) ))
  if [ "$left" -gt 0 ]; then
    log "waiting ${left} s for the one-hour run"
    sleep "$left"
  fi
  stop "$hour_pid"
  log "storage of the one-hour run's history"
  "$mb" storage -home "$hour_home" -json "$out/monitor-storage-hour.json" >"$out/monitor-storage-hour.md"
  cat "$out/monitor-storage-hour.md"
fi

# --- Go benchmarks ------------------------------------------------------------------------------------------------
log "Go benchmarks"
(cd "$srctree" && go test -run '^$' -bench 'Query7Days' -benchmem -count 3 ./core/monitor/tsdb/) | tee "$out/monitor-gobench.txt"
if grep -rqs 'func BenchmarkRefresh3600' "$srctree/ui/chart"; then
  (cd "$srctree" && CGO_ENABLED=0 go test -run '^$' -bench 'Refresh3600' -benchmem -count 3 ./ui/chart/) | tee -a "$out/monitor-gobench.txt"
else
  echo "ui/chart has no BenchmarkRefresh3600" | tee -a "$out/monitor-gobench.txt"
fi

{
  echo "### Side by side"
  echo
  cat "$out/monitor-table.md"
  echo
  echo "### Storage (serve run)"
  echo
  cat "$out/monitor-storage-serve.md"
  if [ -n "$hour_pid" ]; then
    echo
    echo "### Storage (one-hour run)"
    echo
    cat "$out/monitor-storage-hour.md"
  fi
  echo
  echo "### Go benchmarks"
  echo
  echo '```'
  grep -E '^(Benchmark|goos|cpu)' "$out/monitor-gobench.txt" || true
  echo '```'
} >"$out/monitor-results.md"
log "done: $out/monitor-results.md"
cat "$out/monitor-results.md"
