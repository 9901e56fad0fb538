#!/usr/bin/env bash
# packaging/install.sh — build Holdfast from this checkout and install it system-wide (does not launch it).
#
#   ./packaging/install.sh [--prefix DIR] [--service]
#
# Installs DIR/bin/holdfast, DIR/share/applications/holdfast.desktop and, when assets/icon.png exists,
# DIR/share/icons/hicolor/256x256/apps/holdfast.png (DIR defaults to /usr/local).
# --service also creates the system user "holdfast" and installs /etc/systemd/system/holdfast.service
# (not enabled: run `systemctl enable --now holdfast`). Uses sudo for the install steps when not root.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/deps.sh
. "$root/packaging/deps.sh"

prefix=/usr/local service=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --service) service=1; shift ;;
    -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

holdfast_build

deps_log "installing into $prefix …"
deps_as_root install -D -m 0755 "$root/holdfast" "$prefix/bin/holdfast"
deps_as_root install -D -m 0644 "$root/packaging/holdfast.desktop" "$prefix/share/applications/holdfast.desktop"
if [ -f "$root/assets/icon.png" ]; then
  deps_as_root install -D -m 0644 "$root/assets/icon.png" "$prefix/share/icons/hicolor/256x256/apps/holdfast.png"
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    deps_as_root gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" 2>/dev/null || true
  fi
else
  deps_log "no assets/icon.png; installed without an icon"
fi
if command -v update-desktop-database >/dev/null 2>&1; then
  deps_as_root update-desktop-database -q "$prefix/share/applications" 2>/dev/null || true
fi

if [ "$service" = 1 ]; then
  if [ "$prefix" != /usr/local ]; then
    deps_log "note: holdfast.service runs /usr/local/bin/holdfast, not $prefix/bin/holdfast"
  fi
  if ! id holdfast >/dev/null 2>&1; then
    deps_log "creating system user holdfast …"
    deps_as_root useradd --system --home-dir /var/lib/holdfast --no-create-home \
      --shell /usr/sbin/nologin --user-group holdfast
  fi
  deps_as_root install -D -m 0644 "$root/packaging/holdfast.service" /etc/systemd/system/holdfast.service
  if [ -d /run/systemd/system ]; then
    deps_as_root systemctl daemon-reload
  fi
  deps_log "service installed; start it with: systemctl enable --now holdfast"
fi
deps_log "installed $prefix/bin/holdfast: $("$prefix/bin/holdfast" version 2>/dev/null | head -n1)"
