#!/usr/bin/env bash
# The whole test suite: install what is missing, build with ASan+UBSan, run every test with ctest,
# then build, check and install the Debian package (tools/package.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/deps.sh
build=${AM_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -DAM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAM_BUILD_BENCH=OFF
cmake --build "$build" -j"$(nproc)"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Fuzz targets (clang build tree build-fuzz): replay each seed corpus, fuzz each target briefly.
./tools/fuzz.sh
# The run fails when ctest finds no test or runs fewer than tests/expected-count (a minimum: raise it
# when tests are added; a drop means tests were lost, e.g. a test binary that was not built).
log=$(mktemp)
pkglog=$(mktemp)
# The Debian package's Release build (tools/package.sh --build-only, its own process group) runs
# while ctest does; it is installed and run after the tests (below), or stopped if they fail.
setsid ./tools/package.sh --build-only >"$pkglog" 2>&1 &
pkgpid=$!
trap 'kill -- -"$pkgpid" 2>/dev/null || true; rm -f "$log" "$pkglog"' EXIT
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600 --no-tests=error 2>&1 | tee "$log"
expected=$(grep -v '^\s*#' tests/expected-count | tr -dc '0-9')
ran=$(sed -n 's/.*tests\{0,1\} failed out of \([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
if grep -q 'No tests were found' "$log" || [ -z "$ran" ]; then
  echo "test.sh: ctest ran no test" >&2
  exit 1
fi
if [ "$ran" -lt "$expected" ]; then
  echo "test.sh: ctest ran $ran tests, fewer than the $expected in tests/expected-count" >&2
  exit 1
fi
echo "test.sh: $ran tests ran (at least $expected expected)"
# The Debian package: a Release build of debian/, lintian (no error or warning), dpkg -i, then the
# installed binary on the installed configuration (tools/package.sh; needs root, as CI runs).
pkgrc=0
wait "$pkgpid" || pkgrc=$?
cat "$pkglog"
if [ "$pkgrc" -ne 0 ]; then
  echo "test.sh: building the Debian package failed" >&2
  exit 1
fi
./tools/package.sh --install-only
