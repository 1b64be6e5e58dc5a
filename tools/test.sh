#!/usr/bin/env bash
# The whole test suite: install what is missing, build with ASan+UBSan, run every test with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/deps.sh
build=${AM_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -DAM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAM_BUILD_BENCH=OFF
cmake --build "$build" -j"$(nproc)"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 600
# Fuzz targets (clang build tree build-fuzz): replay each seed corpus, fuzz each target briefly.
./tools/fuzz.sh
