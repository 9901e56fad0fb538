#!/usr/bin/env bash
# .ci/desktop-test.sh — run the real Holdfast desktop app in a real (virtual) desktop and check it end to end.
#
#   .ci/desktop-test.sh [SCREENSHOT.png]      (default: desktop-test.png in the repo root)
#
# Uses ../shared/tools/desktop-session (Xvfb + D-Bus session + StatusNotifierItem tray host + notification
# daemon). Inside it: starts `./holdfast --home TMP`, waits for a window named "Holdfast" (60 s), for the tray
# icon's RegisterStatusNotifierItem call on D-Bus (20 s), takes a screenshot, checks `holdfast status --json`
# says "running": true, then sends SIGTERM and expects exit code 0 within 10 s.
# Builds ./holdfast first (go build is quick when cached) unless HOLDFAST_NO_BUILD=1 (test.sh just built it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${1:-}" != --inner ]; then
  # ---- outer: prepare, then re-run this file inside the desktop session ----
  shot=${1:-$root/desktop-test.png}
  case "$shot" in /*) ;; *) shot="$PWD/$shot" ;; esac
  session="$root/../shared/tools/desktop-session"
  if [ ! -f "$session" ]; then
    echo "desktop-test: $session not found (the shared/ folder must sit next to this clone)" >&2
    exit 1
  fi
  # shellcheck source=SCRIPTDIR/../packaging/deps.sh
  . "$root/packaging/deps.sh"
  deps_desktop_test || { echo "desktop-test: could not install the desktop-test dependencies" >&2; exit 1; }
  if [ "${HOLDFAST_NO_BUILD:-0}" != 1 ]; then
    holdfast_build || exit 1
  fi
  [ -x "$root/holdfast" ] || { echo "desktop-test: $root/holdfast not built (go build -o holdfast .)" >&2; exit 1; }

  work=$(mktemp -d "${TMPDIR:-/tmp}/holdfast-desktop-test.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # A log of our own, so parallel runs don't write into each other's.
  export DESKTOP_LOG="$work/dbus.log"
  echo "desktop-test: starting a desktop session (D-Bus log: $DESKTOP_LOG)"
  rc=0
  timeout -k 10 300 bash "$session" -- bash "$root/.ci/desktop-test.sh" --inner "$shot" || rc=$?
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 124 ] && echo "desktop-test: the desktop session timed out" >&2
    if [ -s "$DESKTOP_LOG.stderr" ]; then
      echo "--- desktop session stderr (last 30 lines) ---" >&2
      tail -n 30 "$DESKTOP_LOG.stderr" >&2
    fi
    echo "desktop-test: FAILED" >&2
    exit 1
  fi
  echo "desktop-test: passed (screenshot: $shot)"
  exit 0
fi

# ---- inner: runs inside desktop-session with DISPLAY and DESKTOP_LOG set ----
shot=$2
cd "$root"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/holdfast-home.XXXXXX")
applog="$tmp.app.log"
# Keep the app's own config/cache (Fyne's preferences etc.) out of the real home.
export XDG_CONFIG_HOME="$tmp/.xdg/config" XDG_DATA_HOME="$tmp/.xdg/data" XDG_CACHE_HOME="$tmp/.xdg/cache"
pid="" status_out=""

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp" "$applog"
}
trap cleanup EXIT

fail() {
  echo "desktop-test: FAIL: $*" >&2
  echo "--- holdfast log ($applog) ---" >&2
  cat "$applog" >&2 2>/dev/null || true
  echo "--- D-Bus log, last 40 lines ($DESKTOP_LOG) ---" >&2
  tail -n 40 "$DESKTOP_LOG" >&2 2>/dev/null || true
  echo "--- windows ---" >&2
  xwininfo -root -tree 2>&1 | grep -E '^ +0x[0-9a-f]+ "' | head -n 20 >&2 || true
  [ -z "$status_out" ] || printf -- '--- last holdfast status output ---\n%s\n' "$status_out" >&2
  exit 1
}

alive() { kill -0 "$pid" 2>/dev/null; }

# wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.5 s; fail if the app dies or time runs out.
wait_for() {
  local secs=$1 what=$2 i
  shift 2
  for ((i = 0; i < secs * 2; i++)); do
    if "$@"; then
      echo "desktop-test: $what after $((i / 2)) s"
      return 0
    fi
    if ! alive; then
      local code=0
      wait "$pid" || code=$?
      pid=""
      fail "holdfast exited (code $code) before: $what"
    fi
    sleep 0.5
  done
  fail "no $what within $secs s"
}

has_window() { xwininfo -root -tree 2>/dev/null | grep '"Holdfast"' >/dev/null; }
has_tray() { grep -q 'RegisterStatusNotifierItem' "$DESKTOP_LOG" 2>/dev/null; }
status_running() {
  status_out=$(./holdfast status --home "$tmp" --json 2>&1) || return 1
  printf '%s\n' "$status_out" | grep -E '"running"[[:space:]]*:[[:space:]]*true' >/dev/null
}

echo "desktop-test: starting ./holdfast --home $tmp on $DISPLAY"
./holdfast --home "$tmp" >"$applog" 2>&1 &
pid=$!

wait_for 60 'window "Holdfast"' has_window
wait_for 20 "tray icon (RegisterStatusNotifierItem)" has_tray

sleep 1 # let the window finish drawing
xwd -root -silent | convert xwd:- "$shot" || fail "screenshot failed"
[ -s "$shot" ] || fail "screenshot $shot is empty"
echo "desktop-test: screenshot $shot"

wait_for 10 'status --json with "running": true' status_running
echo "desktop-test: status: $status_out"

# Opening Holdfast again on the same home brings the running window forward
# instead of starting a second engine.
second=$(timeout 20 ./holdfast --home "$tmp" 2>&1) || fail "a second launch failed: $second"
case "$second" in
  *"already open"*) echo "desktop-test: a second launch handed over to the running app" ;;
  *) fail "a second launch said: $second" ;;
esac
alive || fail "the running app died after a second launch"

echo "desktop-test: sending SIGTERM"
kill -TERM "$pid"
for ((i = 0; i < 20; i++)); do
  alive || break
  sleep 0.5
done
if alive; then
  fail "holdfast still running 10 s after SIGTERM"
fi
code=0
wait "$pid" || code=$?
pid=""
[ "$code" -eq 0 ] || fail "holdfast exited with code $code after SIGTERM (want 0)"
echo "desktop-test: holdfast quit cleanly (exit 0)"
