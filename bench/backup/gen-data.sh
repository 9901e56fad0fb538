#!/usr/bin/env bash
# bench/backup/gen-data.sh — the backup benchmark's data, deterministically (fixed seeds; see gendata/main.go).
#   bench/backup/gen-data.sh DIR [SIZE]   generate ~SIZE (default 2G; e.g. 300M) into DIR, plus DIR.manifest.json;
#                                         does nothing when DIR already holds that data set
#   bench/backup/gen-data.sh --mutate DIR change 1% of the files of DIR in place (part of the content and the mtime):
#                                         run it on a copy
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
if [ "${1:-}" = --mutate ]; then
  [ $# -eq 2 ] || { echo "usage: $0 --mutate DIR" >&2; exit 2; }
  dir=$(abs "$2")
  cd "$here/../.." && exec go run ./bench/backup/gendata mutate -seed 7 -percent 1 "$dir"
fi
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 DIR [SIZE] | --mutate DIR" >&2; exit 2; fi
dir=$(abs "$1")
cd "$here/../.." && exec go run ./bench/backup/gendata gen -size "${2:-2G}" -seed 1 "$dir"
