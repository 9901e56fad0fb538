#!/usr/bin/env bash
# packaging/test.sh — the whole Holdfast test suite, as CI runs it (.ci/run execs this).
# Installs what is missing (GUI build deps, desktop-test deps, Go >= 1.26), then: gofmt, go vet, go test -race,
# the builds (cgo desktop app, cgo server build without GUI code, static headless binary), the dependency rules (core/peers never import Fyne,
# ui builds without cgo) and the real-desktop test (.ci/desktop-test.sh). Stops at the first failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=SCRIPTDIR/deps.sh
. "$root/packaging/deps.sh"

step_no=0
step() {
  step_no=$((step_no + 1))
  printf '\n==> [%d] %s\n' "$step_no" "$*"
}
fail() {
  printf '\nFAIL: %s\n' "$*" >&2
  exit 1
}
on_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] || printf '\ntest.sh: FAILED in step [%d] (exit %d)\n' "$step_no" "$rc" >&2
}
trap on_exit EXIT

# Packages with at least one .go file under ./DIR, or nothing when DIR has none (yet).
has_go_files() { [ -d "$1" ] && [ -n "$(find "$1" -name '*.go' -print -quit)" ]; }

step "dependencies (apt packages for the GUI build and the desktop test; Go)"
deps_gui || fail "could not install the GUI build dependencies"
deps_desktop_test || fail "could not install the desktop-test dependencies"
deps_test || fail "could not install the programs the tests run against (prometheus)"
# The Prometheus integration test must run here, not skip.
export HOLDFAST_REQUIRE_PROMETHEUS=1
ensure_go || fail "could not provide Go >= $HOLDFAST_GO_MIN"
go version

step "gofmt -l (must list nothing)"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  printf '%s\n' "$unformatted" >&2
  fail "these files need gofmt -w"
fi
echo "ok"

step "go vet ./..."
CGO_ENABLED=1 go vet ./...

step "go test -race ./..."
CGO_ENABLED=1 go test -race ./...

step "go build -o holdfast . (cgo desktop app; the first build compiles the OpenGL driver: a few minutes)"
CGO_ENABLED=1 go build -o holdfast .
ls -l holdfast

step "CGO_ENABLED=0 go build -o holdfast-headless . (static headless binary)"
CGO_ENABLED=0 go build -o holdfast-headless .
ls -l holdfast-headless

step "go build -tags nogui (server build: cgo for libzstd, no GUI code)"
CGO_ENABLED=1 go build -tags nogui -o holdfast-server .
./holdfast-server version | grep -q 'headless, compression: libzstd' || fail "holdfast-server: $(./holdfast-server version)"
./holdfast-server version
rm -f holdfast-server

step "the headless build cross-compiles for Windows and macOS"
GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -o /dev/null .
GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 go build -o /dev/null .
echo "ok"

step "holdfast-headless is statically linked"
ldd_out=$(ldd ./holdfast-headless 2>&1 || true)
printf '%s\n' "$ldd_out"
case "$ldd_out" in
  *"not a dynamic executable"* | *"statically linked"*) echo "ok" ;;
  *) fail "holdfast-headless is dynamically linked (see ldd above)" ;;
esac

step "core and peers do not depend on fyne.io"
has_go_files core || fail "./core has no Go files"
patterns=(./core/...)
if has_go_files peers; then patterns+=(./peers/...); else echo "(no ./peers packages yet; checking ./core only)"; fi
deps_list=$(go list -deps -f '{{.ImportPath}}' "${patterns[@]}")
fyne_deps=$(printf '%s\n' "$deps_list" | grep '^fyne\.io/' || true)
if [ -n "$fyne_deps" ]; then
  echo "fyne.io packages reached from ${patterns[*]}:" >&2
  printf '%s\n' "$fyne_deps" | sed 's/^/  /' >&2
  echo "imported directly by:" >&2
  go list -deps -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' "${patterns[@]}" \
    | awk '$1 !~ /^fyne\.io\// { for (i = 2; i <= NF; i++) if ($i ~ /^fyne\.io\//) { print "  " $1 " -> " $i } }' >&2
  fail "${patterns[*]} must not depend on fyne.io"
fi
echo "ok ($(printf '%s\n' "$deps_list" | wc -l) packages, none from fyne.io)"

step "ui builds and tests without cgo (CGO_ENABLED=0 go test ./ui/...)"
has_go_files ui || fail "./ui has no Go files"
CGO_ENABLED=0 go build ./ui/...
CGO_ENABLED=0 go test ./ui/...

step "desktop test: the real app in Xvfb with a tray host (.ci/desktop-test.sh)"
HOLDFAST_NO_BUILD=1 bash "$root/.ci/desktop-test.sh"

printf '\ntest.sh: all %d steps passed\n' "$step_no"
