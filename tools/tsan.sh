#!/usr/bin/env bash
# ThreadSanitizer run: the milter server (milterd_tests), the resolver and its cache (dns_tests)
# and the core (core_tests) built with -fsanitize=thread in their own tree (AM_TSAN_BUILD_DIR,
# default build-tsan) and run with ctest. Any data race, lock-order inversion or thread leak
# fails the run (halt_on_error). Not part of tools/test.sh (time); see docs/fuzzing.md.
#   tools/tsan.sh [GTEST_FILTER]    default: every test of the three executables
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AM_TSAN_BUILD_DIR:-build-tsan}
filter=${1:-*}
start=$(date +%s)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAM_BUILD_BENCH=OFF \
  -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build "$build" -j"$(nproc)" --target milterd_tests dns_tests core_tests
built=$(date +%s)
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
status=0
for t in milterd/milterd_tests dns/dns_tests core/core_tests; do
  t0=$(date +%s)
  if "$build/tests/$t" --gtest_filter="$filter" >"$build/tsan-$(basename "$t").log" 2>&1; then r=ok; else r=FAILED; status=1; fi
  echo "tsan $(basename "$t"): $r, $(grep -Eo '[0-9]+ tests? from [0-9]+ test suites? ran' "$build/tsan-$(basename "$t").log" | head -1)," \
    "$(( $(date +%s) - t0 )) s; log $build/tsan-$(basename "$t").log"
  grep -E 'WARNING: ThreadSanitizer|SUMMARY: ThreadSanitizer' "$build/tsan-$(basename "$t").log" | sort | uniq -c | head -10 || true
done
end=$(date +%s)
echo "tsan: build $((built - start)) s, tests $((end - built)) s"
exit $status
