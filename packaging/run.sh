#!/usr/bin/env bash
# packaging/run.sh — build and launch the Holdfast desktop app from this checkout.
# Installs what is missing (C toolchain + X11/GL headers via apt-get, Go >= 1.26), builds ./holdfast in the
# repo root and runs it with the given arguments:   ./packaging/run.sh [ARGS...]   e.g. --home ~/holdfast-test
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=SCRIPTDIR/deps.sh
. "$root/packaging/deps.sh"

holdfast_build
cd "$root"
exec ./holdfast "$@"
