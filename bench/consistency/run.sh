#!/usr/bin/env bash
# bench/consistency/run.sh — Holdfast's consistency engine side by side with rsync in one run, on generated trees of
# 20,000 and 100,000 files (A, and B = `cp -a` of A with 10 known changes), page cache warm, each timing the best of
# N runs under /usr/bin/time (wall, CPU, peak RSS):
#   rsync -rn A/ B/                metadata compare (the reference of both compares)
#   rsync -rlptcn A/ B/            checksum compare (the reference of the first index)
#   compare, unwatched             `holdfast compare A B` without an engine; the home's index already holds A and B,
#                                  so every entry is re-stat'ed and nothing read
#   compare, watched               `holdfast compare A B` through a running `holdfast serve` that watches A and B,
#                                  after a new file written in B has been taken in (the tree's `updated` moved)
#   first index                    `holdfast compare A EMPTY` on a fresh home: every file of A read, hashed and
#                                  recorded in the index (EMPTY is an empty directory)
# then, in the serve watching A and B: the latency from a write in B to the engine's updated tree (--writes writes,
# one a second; the engine's own `updated` stamp minus the time of the write), the RSS of that serve against an
# idle serve (memory per million indexed entries), and the file index's bytes per file in holdfast.db.
#
# Usage: bench/consistency/run.sh [--quick] [--runs N] [--sizes "20000 100000"] [--writes N] [--head|--rev REV] [--keep-data]
#   --quick      20,000 files only, 10 writes (about 2 minutes)
#   --runs N     best of N (default 3)
#   --sizes S    tree sizes in files (default "20000 100000")
#   --writes N   writes timed for the latency (default 20)
#   --head       build Holdfast from the committed HEAD (git archive) instead of the working tree
#   --rev REV    build Holdfast from commit REV (e.g. to measure before a change); the helper comes from this checkout
#   --keep-data  keep the generated trees in /tmp/hf-consbench-data for the next run (they are reused when present)
#
# Writes bench/out/consistency-results.md, bench/out/consistency-records.jsonl and logs in bench/out/consistency-logs/.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/bench/out
logs=$out/consistency-logs
records=$out/consistency-records.jsonl

quick=0 runs=3 sizes="" writes="" head=0 keep=0 rev=HEAD
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --runs) runs=${2:?--runs needs N}; shift ;;
    --sizes) sizes=${2:?--sizes needs a list}; shift ;;
    --writes) writes=${2:?--writes needs N}; shift ;;
    --head) head=1 ;;
    --rev) head=1 rev=${2:?--rev needs a commit}; shift ;;
    --keep-data) keep=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  sizes=${sizes:-20000} writes=${writes:-10}
fi
sizes=${sizes:-20000 100000} writes=${writes:-20}
for v in $runs $sizes $writes; do
  case $v in '' | *[!0-9]* | 0) echo "run.sh: --runs, --sizes and --writes take positive whole numbers" >&2; exit 2 ;; esac
done

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }
now() { printf '%s' "$EPOCHREALTIME"; }

for t in rsync /usr/bin/time; do command -v "$t" >/dev/null || die "$t is missing (apt-get install rsync time)"; done

work=$(mktemp -d /tmp/hf-consbench.XXXXXX)
data=/tmp/hf-consbench-data
pids=() # the serves this script started, stopped on exit
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
  [ "$keep" = 1 ] || rm -rf "$data"
}
trap cleanup EXIT

mkdir -p "$out"
rm -rf "$logs"
mkdir -p "$logs"
: >"$records"

# --- build --------------------------------------------------------------------------------------------------------
log "building the static headless binary and bench/consistency/consbench"
srctree=$root
if [ "$head" = 1 ]; then
  srctree=$work/src
  mkdir -p "$srctree"
  (cd "$root" && git archive "$rev") | tar -x -C "$srctree" || die "cannot export $rev"
fi
(cd "$srctree" && CGO_ENABLED=0 go build -o "$work/holdfast" .) || die "cannot build Holdfast (cd $srctree && CGO_ENABLED=0 go build .)"
(cd "$root" && go build -o "$work/consbench" ./bench/consistency/consbench) || die "cannot build bench/consistency/consbench"
hf=$work/holdfast cb=$work/consbench
rev=$(cd "$root" && git rev-parse --short "$rev" 2>/dev/null || echo '?')
if [ "$head" = 0 ] && ! (cd "$root" && git diff --quiet HEAD -- core cli 2>/dev/null); then rev="$rev + working tree"; fi
{
  echo "holdfast: $("$hf" version | head -n 1) ($rev)"
  echo "rsync: $(rsync --version | head -n 1)"
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
} | tee "$logs/versions.txt" >&2

# timed OP N RUN CMD...: CMD under /usr/bin/time; exit 0 and 3 (differences found) are fine. Appends a record and
# prints a line. CPU of the rest of the machine meanwhile is recorded too (the machine may be shared).
cpu_busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
tck=$(getconf CLK_TCK)
timed() {
  local op=$1 n=$2 run=$3
  shift 3
  local tag="$n.$op.$run" rc=0 c0 c1 t0 t1
  sync
  c0=$(cpu_busy_ticks)
  t0=$(now)
  /usr/bin/time -f '%e %M %U %S' -o "$logs/$tag.time" "$@" >"$logs/$tag.out" 2>"$logs/$tag.err" || rc=$?
  t1=$(now)
  c1=$(cpu_busy_ticks)
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    tail -n 20 "$logs/$tag.err" >&2
    die "$tag: $* exited $rc"
  fi
  local wall rss u s cpu other
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  read -r _ rss u s < <(tail -n 1 "$logs/$tag.time")
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
  other=$(awk -v c0="$c0" -v c1="$c1" -v hz="$tck" -v own="$cpu" -v w="$wall" \
    'BEGIN { o = ((c1 - c0) / hz - own) / w; if (o < 0 || w < 0.2) o = 0; printf "%.2f", o }')
  printf '{"type":"op","files":%d,"op":"%s","run":%d,"wall_s":%s,"rss_kb":%d,"cpu_s":%s,"other_cores":%s}\n' \
    "$n" "$op" "$run" "$wall" "$rss" "$cpu" "$other" >>"$records"
  printf '  %-22s run %d: %7.3f s  cpu %5.2f s  %6.0f MiB  (rest of machine %.2f cores)\n' "$op" "$run" "$wall" "$cpu" \
    "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$other" >&2
}

warm() { find "$@" -type f -print0 | xargs -0 cat >/dev/null; }

# serve HOME LOG: starts `holdfast serve` on HOME, waits for its socket; sets SERVE_PID.
serve() {
  "$hf" serve --home "$1" >"$2" 2>&1 &
  SERVE_PID=$!
  pids+=("$SERVE_PID")
  for _ in $(seq 200); do
    [ -S "$1/engine.sock" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || die "holdfast serve on $1 exited; see $2"
    sleep 0.05
  done
  die "holdfast serve on $1 did not open its socket"
}
stop() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
rss_kb() { awk -v f="${2:-VmRSS}:" '$1 == f { print $2 }' "/proc/$1/status"; }

# An idle serve: the baseline of the memory figure.
log "an idle holdfast serve (no watched folder), for the memory baseline"
serve "$work/home-idle" "$logs/serve-idle.log"
sleep 5
idle_rss=$(rss_kb "$SERVE_PID") idle_anon=$(rss_kb "$SERVE_PID" RssAnon)
stop "$SERVE_PID"
echo "  idle serve RSS: $((idle_rss / 1024)) MiB, of which anonymous $((idle_anon / 1024)) MiB" >&2

mkdir -p "$work/empty"
for n in $sizes; do
  d=$data/$n
  if [ ! -f "$d/A.done" ]; then
    log "$n files: generating $d/A"
    rm -rf "$d"
    mkdir -p "$d"
    "$cb" gen -files "$n" -seed 1 "$d/A"
    touch "$d/A.done"
  fi
  log "$n files: B = cp -a A, then 10 changes"
  rm -rf "$d/B"
  cp -a "$d/A" "$d/B"
  "$cb" mutate -seed 7 "$d/B" | tee "$logs/$n.mutate.txt" | sed 's/^/  /' >&2
  echo "  $(du -sh "$d/A" | cut -f1) in A, $(find "$d/A" -type d | wc -l) directories" >&2
  warm "$d/A" "$d/B"

  # The unwatched compare's home: A and B indexed once, untimed.
  hu=$work/home-unwatched-$n
  "$hf" --home "$hu" compare "$d/A" "$d/B" >"$logs/$n.index-once.out" 2>&1 || [ $? = 3 ] || die "holdfast compare failed; see $logs/$n.index-once.out"

  log "$n files: rsync and holdfast, best of $runs"
  for run in $(seq "$runs"); do
    warm "$d/A" "$d/B"
    timed rsync_rn "$n" "$run" rsync -rn "$d/A/" "$d/B/"
    timed rsync_rlptcn "$n" "$run" rsync -rlptcn "$d/A/" "$d/B/"
    timed hf_compare_unwatched "$n" "$run" "$hf" --home "$hu" compare "$d/A" "$d/B"
    rm -rf "$work/home-first"
    timed hf_first_index "$n" "$run" "$hf" --home "$work/home-first" compare "$d/A" "$work/empty"
  done
  grep -q '3 modified' "$logs/$n.hf_compare_unwatched.1.out" ||
    die "the unwatched compare did not find the 3 modified files: $(tail -n 1 "$logs/$n.hf_compare_unwatched.1.out")"
  echo "  holdfast: $(tail -n 1 "$logs/$n.hf_compare_unwatched.1.out")" >&2

  log "$n files: holdfast serve watching A and B"
  hw=$work/home-watched-$n
  serve "$hw" "$logs/serve-$n.log"
  wpid=$SERVE_PID
  "$hf" --home "$hw" watch add "$d/A" >/dev/null
  "$hf" --home "$hw" watch add "$d/B" >/dev/null
  echo "  both ready after $("$cb" ready -hf "$hf" -home "$hw" "$d/A" "$d/B") s" >&2
  for run in $(seq "$runs"); do
    # A change, settled: wait until the engine's tree of B has moved past it.
    "$cb" latency -hf "$hf" -home "$hw" -n 1 "$d/B" >/dev/null
    timed hf_compare_watched "$n" "$run" "$hf" --home "$hw" compare "$d/A" "$d/B"
  done
  log "$n files: write → updated tree, $writes writes in B"
  lat=$("$cb" latency -hf "$hf" -home "$hw" -n "$writes" "$d/B")
  printf '{"type":"latency","files":%d,%s\n' "$n" "${lat:1}" >>"$records"
  echo "  $lat" >&2
  sleep 3
  srss=$(rss_kb "$wpid") sanon=$(rss_kb "$wpid" RssAnon)
  entries=$(($(find "$d/A" "$d/B" -mindepth 1 | wc -l)))
  printf '{"type":"memory","files":%d,"indexed_entries":%d,"serve_rss_kb":%d,"idle_rss_kb":%d,"serve_anon_kb":%d,"idle_anon_kb":%d}\n' \
    "$n" "$entries" "$srss" "$idle_rss" "$sanon" "$idle_anon" >>"$records"
  echo "  serve RSS watching $entries entries: $((srss / 1024)) MiB, of which anonymous $((sanon / 1024)) MiB" >&2
  stop "$wpid"
  db=$("$cb" dbstats -db "$hw/holdfast.db" -bucket content.index)
  printf '{"type":"db","files":%d,%s\n' "$n" "${db:1}" >>"$records"
  echo "  file index: $db" >&2
  rm -rf "$hu" "$hw" "$work/home-first" "$d/B"
done

log "results"
note="Run of $(date -u +%F) at $rev; $(nproc) cores; page cache warm (every file read right before each run). Wall times are the best of $runs; cpu is user+sys of that run."
printf '{"type":"meta","note":"%s"}\n' "$note" >>"$records"
"$cb" report -records "$records" -md "$out/consistency-results.md"
printf '\nWritten: %s (records: %s, logs: %s)\n' "$out/consistency-results.md" "$records" "$logs" >&2
