#!/usr/bin/env bash
# bench/peers/run.sh — a `holdfast serve` hub watching 100 paired peers on loopback: the hub's CPU and memory while
# every peer streams its metrics once a second, the round trip of remote commands under that load, how fast a peer
# is online again after it restarts or its link drops, and the bytes on the wire per peer. The peers are
# bench/peersim: simulated devices in one process, each with its own identity and trust store, speaking the real
# protocol over real TLS WebSockets, paired through real invite codes from `holdfast peer invite`.
#
# Usage: bench/peers/run.sh [--quick] [--peers N] [--duration S] [--warmup S] [--calls N] [--restarts N] [--head]
#   --peers N     simulated peers (default 100)
#   --duration S  seconds of streaming measured (default 120)
#   --warmup S    seconds of streaming before the window (default 20)
#   --calls N     remote commands timed in each direction (default 2000)
#   --restarts N  peer restarts timed, and as many cut links (default 10)
#   --quick       --duration 30 --warmup 10 --calls 1000 --restarts 5 (~2 min)
#   --head        build Holdfast from the committed HEAD (git archive) instead of the working tree
#
# Writes bench/out/peers-results.{md,json} and bench/out/peers-hub.log (the hub's log).
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$root/bench/out

peers=100 duration="" warmup="" calls="" restarts="" quick=0 head=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --peers) peers=${2:?--peers needs a number}; shift ;;
    --duration) duration=${2:?--duration needs seconds}; shift ;;
    --warmup) warmup=${2:?--warmup needs seconds}; shift ;;
    --calls) calls=${2:?--calls needs a number}; shift ;;
    --restarts) restarts=${2:?--restarts needs a number}; shift ;;
    --head) head=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  duration=${duration:-30} warmup=${warmup:-10} calls=${calls:-1000} restarts=${restarts:-5}
fi
duration=${duration:-120} warmup=${warmup:-20} calls=${calls:-2000} restarts=${restarts:-10}
for v in "$peers" "$duration" "$warmup" "$calls" "$restarts"; do
  case $v in '' | *[!0-9]*) echo "run.sh: --peers, --duration, --warmup, --calls and --restarts take whole numbers" >&2; exit 2 ;; esac
done

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

mkdir -p "$out"
# A short path: the hub's engine.sock must fit a Unix socket address.
work=$(mktemp -d /tmp/hf-peers.XXXXXX)
hub_pid=""
cleanup() {
  if [ -n "$hub_pid" ]; then
    kill -TERM "$hub_pid" 2>/dev/null || true
    wait "$hub_pid" 2>/dev/null || true
  fi
  [ -f "$work/hub.log" ] && cp "$work/hub.log" "$out/peers-hub.log"
  rm -rf "$work"
}
trap cleanup EXIT

# --- build --------------------------------------------------------------------------------------------------------
# shellcheck source=/dev/null # packaging/deps.sh: ensure_go
. "$root/packaging/deps.sh"
ensure_go || die "no Go toolchain"
log "building the static headless binary and peersim"
srctree=$root
if [ "$head" = 1 ]; then
  srctree=$work/src
  mkdir -p "$srctree"
  (cd "$root" && git archive HEAD) | tar -x -C "$srctree"
fi
(cd "$srctree" && CGO_ENABLED=0 go build -o "$work/holdfast" .) || die "cannot build Holdfast (cd $srctree && CGO_ENABLED=0 go build .)"
(cd "$srctree" && CGO_ENABLED=0 go build -o "$work/peersim" ./bench/peersim) || die "cannot build bench/peersim"
rev=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo '?')
if [ "$head" = 0 ] && ! (cd "$root" && git diff --quiet HEAD -- peers core bench/peersim 2>/dev/null); then rev="$rev + working tree"; fi
version="$("$work/holdfast" version 2>&1 | head -1) ($rev, CGO_ENABLED=0)"

# --- the hub ------------------------------------------------------------------------------------------------------
# A fresh home: default settings (1 s sampling of its own machine, history, alerts), plus watching every peer's
# live metrics, as a desktop showing its fleet does.
hub_home=$work/hub
mkdir -p "$hub_home"
cat >"$hub_home/config.toml" <<TOML
[general]
device_name = "hub"

[peers]
watch_all = true
TOML
log "starting the hub: holdfast serve --listen 127.0.0.1:0 (any free port)"
"$work/holdfast" serve --home "$hub_home" --listen 127.0.0.1:0 >"$work/hub.log" 2>&1 &
hub_pid=$!

# --- the load and the measurements -------------------------------------------------------------------------------
log "$peers simulated peers: pair, warm up ${warmup} s, measure ${duration} s, $calls calls each way, $restarts restarts and cuts"
"$work/peersim" -holdfast "$work/holdfast" -hub-home "$hub_home" -hub-pid "$hub_pid" -work "$work/sims" \
  -n "$peers" -warmup "${warmup}s" -duration "${duration}s" -calls "$calls" -restarts "$restarts" \
  -out "$out/peers-results.json" >"$work/table.md" || die "peersim failed; the hub's log is in $out/peers-hub.log"
kill -0 "$hub_pid" 2>/dev/null || die "the hub exited during the run; see $out/peers-hub.log"

{
  cat "$work/table.md"
  echo
  echo "Hub: $version; Go $(go version | awk '{print $3}'); kernel $(uname -r)."
} | tee "$out/peers-results.md"
