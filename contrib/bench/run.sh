#!/bin/bash
# contrib/bench/run.sh — one command for the whole benchmark (issue #7): builds a Release tree in
# BUILD_DIR (default build-bench under the source tree, or $AM_BENCH_BUILD), then runs am-bench, which starts nsd
# on 127.0.0.1:53, authmilter (unix and TCP sockets), OpenDKIM and OpenDMARC in the foreground
# with private configs in a temp dir, runs the corpus at each concurrency level, stops everything
# it started by PID and prints the tables. Extra arguments go to am-bench, e.g.
#   bash contrib/bench/run.sh --messages 500 --levels 1,16
# Needs root (port 53, a private mount namespace for OpenDMARC's resolv.conf) and the Debian
# packages nsd, opendkim, opendmarc (see tools/packages.txt).
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${AM_BENCH_BUILD:-$SRC/build-bench}"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DAM_SANITIZE=OFF -DAM_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j2 --target am-bench authmilter >/dev/null
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "command: bash contrib/bench/run.sh $*"
exec "$BUILD/contrib/bench/am-bench" --authmilter "$BUILD/filter/authmilter" "$@"
