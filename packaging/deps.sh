#!/usr/bin/env bash
# packaging/deps.sh — install what Holdfast needs to build and test, and only what is missing.
#
# Source it to get the functions:            . packaging/deps.sh; deps_gui; ensure_go
# or run it:                                 packaging/deps.sh [gui] [desktop-test] [go] [all]   (default: all)
#
#   deps_gui            C toolchain, X11/GL/Wayland headers and libzstd for the cgo (Fyne) build
#   deps_desktop_test   Xvfb, D-Bus, a tray host and a notification daemon for .ci/desktop-test.sh
#   ensure_go           puts a Go >= max(1.26, go.mod's go line) first on PATH; if none is installed, downloads
#                       the toolchain from the Go module proxy into $HOME/.local/share/holdfast/go-toolchain
#   ensure_packages P…  installs the Debian packages among P… that are not installed (apt-get update at most once)
#   holdfast_build      deps_gui + ensure_go + `go build -o holdfast .` in the repo root
#
# Knobs: HOLDFAST_GO_VERSION (toolchain to download, default 1.26.8), HOLDFAST_GO_FORCE_DOWNLOAD=1 (ignore any
# installed Go and use the downloaded toolchain).
# Every function returns non-zero on failure, whether or not the caller uses `set -e`.

HOLDFAST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HOLDFAST_GO_VERSION=${HOLDFAST_GO_VERSION:-1.26.8}
HOLDFAST_GO_MIN=1.26
HOLDFAST_GO_TOOLCHAIN_DIR="$HOME/.local/share/holdfast/go-toolchain"

# libzstd-dev: the cgo build links libzstd statically for blob compression (core/backup/repo).
HOLDFAST_GUI_PKGS=(gcc libc6-dev pkg-config libgl-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev
  libxi-dev libxxf86vm-dev libwayland-dev libxkbcommon-dev libzstd-dev)
HOLDFAST_DESKTOP_TEST_PKGS=(xvfb x11-apps x11-utils imagemagick dbus-x11 dunst libgl1-mesa-dri
  haskell-status-notifier-item-utils haskell-gtk-sni-tray-utils)
HOLDFAST_GO_DOWNLOAD_PKGS=(curl unzip ca-certificates)
# Real programs the tests run against: Prometheus scrapes /metrics; rsync is the oracle of compare.
HOLDFAST_TEST_PKGS=(prometheus rsync)

deps_log() { printf 'holdfast: %s\n' "$*" >&2; }

# Runs a command as root: directly when we are root, through sudo when it exists.
deps_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    deps_log "need root for: $* (not root, and no sudo)"
    return 1
  fi
}

deps_installed() {
  case "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" in
    *"install ok installed"*) return 0 ;;
    *) return 1 ;;
  esac
}

ensure_packages() {
  local p missing=()
  for p in "$@"; do
    deps_installed "$p" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    deps_log "missing packages: ${missing[*]} — this is not a Debian-like system (no apt-get); install them by hand"
    return 1
  fi
  deps_log "installing ${missing[*]} …"
  # At most one `apt-get update` per run; exported so child scripts (test.sh → desktop-test.sh) skip it too.
  if [ "${HOLDFAST_APT_UPDATED:-0}" != 1 ]; then
    deps_as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300 update \
      || { deps_log "apt-get update failed"; return 1; }
    export HOLDFAST_APT_UPDATED=1
  fi
  deps_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
    "${missing[@]}" >/dev/null \
    || { deps_log "apt-get install ${missing[*]} failed"; return 1; }
}

deps_gui() { ensure_packages "${HOLDFAST_GUI_PKGS[@]}"; }
deps_desktop_test() { ensure_packages "${HOLDFAST_DESKTOP_TEST_PKGS[@]}"; }
deps_test() { ensure_packages "${HOLDFAST_TEST_PKGS[@]}"; }

# "go1.26.8" / "1.26rc1" / "1.26" → "1.26.8" / "1.26" / "1.26"
_deps_plain_version() { printf '%s\n' "$1" | sed -e 's/^go//' -e 's/[^0-9.].*$//' -e 's/\.$//'; }

# _deps_version_ge A B: true when version A >= version B.
_deps_version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | sed -n 1p)" = "$2" ]; }

# The version of the Go binary $1 itself (GOTOOLCHAIN=local and cd / so it never switches toolchains).
_deps_go_version() {
  local v
  v=$(cd / && GOTOOLCHAIN=local "$1" version 2>/dev/null | awk '{print $3}') || return 1
  [ -n "$v" ] || return 1
  _deps_plain_version "$v"
}

# The oldest Go that can build the module: max(HOLDFAST_GO_MIN, go.mod's `go` line).
_deps_go_required() {
  local req=""
  [ -f "$HOLDFAST_ROOT/go.mod" ] && req=$(awk '$1 == "go" { print $2; exit }' "$HOLDFAST_ROOT/go.mod")
  req=$(_deps_plain_version "$req")
  if [ -n "$req" ] && _deps_version_ge "$req" "$HOLDFAST_GO_MIN"; then
    printf '%s\n' "$req"
  else
    printf '%s\n' "$HOLDFAST_GO_MIN"
  fi
}

_deps_use_go() { # $1 = path of a go binary: put its directory first on PATH
  local bindir goroot
  bindir=$(cd "$(dirname "$1")" && pwd)
  goroot=$(dirname "$bindir")
  # A GOROOT left in the environment for another Go would make this one use the wrong standard library.
  if [ -n "${GOROOT:-}" ] && [ "$GOROOT" != "$goroot" ]; then unset GOROOT; fi
  case ":$PATH:" in
    ":$bindir:"*) ;;
    *) PATH="$bindir:$PATH" ;;
  esac
  export PATH
  hash -r 2>/dev/null || true
}

_deps_go_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) deps_log "no Go toolchain download for this CPU: $(uname -m)"; return 1 ;;
  esac
}

# Downloads go$1 from the Go module proxy (module golang.org/toolchain) unless already there;
# prints the path of its go binary.
_deps_download_go() {
  local want=$1 arch name goroot url tmp
  arch=$(_deps_go_arch) || return 1
  name="v0.0.1-go${want}.linux-${arch}"
  goroot="$HOLDFAST_GO_TOOLCHAIN_DIR/golang.org/toolchain@${name}"
  if [ -x "$goroot/bin/go" ] && _deps_go_version "$goroot/bin/go" >/dev/null; then
    printf '%s\n' "$goroot/bin/go"
    return 0
  fi
  ensure_packages "${HOLDFAST_GO_DOWNLOAD_PKGS[@]}" || return 1
  url="https://proxy.golang.org/golang.org/toolchain/@v/${name}.zip"
  deps_log "installing Go $want from the Go module proxy into $HOLDFAST_GO_TOOLCHAIN_DIR …"
  mkdir -p "$HOLDFAST_GO_TOOLCHAIN_DIR/golang.org" || return 1
  tmp=$(mktemp -d "$HOLDFAST_GO_TOOLCHAIN_DIR/.download.XXXXXX") || return 1
  if ! curl -fsSL --retry 3 -o "$tmp/go.zip" "$url"; then
    deps_log "download failed: $url"; rm -rf "$tmp"; return 1
  fi
  if ! unzip -Z1 "$tmp/go.zip" | grep -x "golang.org/toolchain@${name}/bin/go" >/dev/null; then
    deps_log "unexpected layout in $url (no golang.org/toolchain@${name}/bin/go)"; rm -rf "$tmp"; return 1
  fi
  if ! unzip -q "$tmp/go.zip" -d "$tmp/x"; then
    deps_log "unzip failed: $url"; rm -rf "$tmp"; return 1
  fi
  chmod -R u+w "$tmp/x"
  chmod +x "$tmp/x/golang.org/toolchain@${name}"/bin/* "$tmp/x/golang.org/toolchain@${name}"/pkg/tool/*/* 2>/dev/null
  # Another run may have finished first; then its copy is as good as ours.
  if ! _deps_go_version "$goroot/bin/go" >/dev/null; then
    rm -rf "$goroot" # a broken earlier attempt
    mv -T "$tmp/x/golang.org/toolchain@${name}" "$goroot" \
      || { deps_log "could not move the toolchain into $goroot"; rm -rf "$tmp"; return 1; }
  fi
  rm -rf "$tmp"
  _deps_go_version "$goroot/bin/go" >/dev/null || { deps_log "downloaded Go does not run: $goroot/bin/go"; return 1; }
  printf '%s\n' "$goroot/bin/go"
}

ensure_go() {
  local req want cand v gobin="" seen=" "
  req=$(_deps_go_required)
  if [ "${HOLDFAST_GO_FORCE_DOWNLOAD:-0}" != 1 ]; then
    for cand in "$(command -v go 2>/dev/null)" /usr/local/go/bin/go \
      "$HOLDFAST_GO_TOOLCHAIN_DIR"/golang.org/toolchain@*/bin/go; do
      if [ -z "$cand" ] || [ ! -x "$cand" ]; then continue; fi
      case "$seen" in *" $cand "*) continue ;; esac
      seen="$seen$cand "
      v=$(_deps_go_version "$cand") || continue
      if _deps_version_ge "$v" "$req"; then gobin=$cand; break; fi
    done
  fi
  if [ -z "$gobin" ]; then
    want=$HOLDFAST_GO_VERSION
    if ! _deps_version_ge "$want" "$req"; then
      want=$req
      case "$want" in *.*.*) ;; *) want="$want.0" ;; esac
    fi
    gobin=$(_deps_download_go "$want") || return 1
  fi
  _deps_use_go "$gobin"
  deps_log "using Go $(_deps_go_version "$gobin") ($gobin)"
}

# Builds the desktop app as ./holdfast in the repo root (installs what the build needs first).
holdfast_build() {
  deps_gui || return 1
  ensure_go || return 1
  deps_log "building holdfast (the first build compiles the OpenGL driver and takes a few minutes) …"
  (cd "$HOLDFAST_ROOT" && CGO_ENABLED=1 go build -o holdfast .) || { deps_log "build failed"; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ $# -gt 0 ] || set -- all
  for what in "$@"; do
    case "$what" in
      gui) deps_gui ;;
      desktop-test) deps_desktop_test ;;
      go) ensure_go ;;
      all) deps_gui; deps_desktop_test; ensure_go ;;
      *) echo "usage: $0 [gui] [desktop-test] [go] [all]" >&2; exit 2 ;;
    esac
  done
  case " $* " in
    *" go "* | *" all "*) deps_log "Go is at $(command -v go); to use it in your shell: export PATH=\"$(dirname "$(command -v go)"):\$PATH\"" ;;
  esac
fi
