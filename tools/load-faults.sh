#!/usr/bin/env bash
# Faults under load through the real Postfix, full size: every PostfixLoad test (no fault, DNS
# faults, reload storm, SIGKILL, SIGTERM) with AM_LOAD_MESSAGES messages each (default 5000) at
# concurrency AM_LOAD_CONCURRENCY (default 32), against a Release build of authmilter in its own
# tree (AM_LOAD_BUILD_DIR, default build-release). Prints each test's counts; any lost message,
# message delivered without exactly one AR of ours, duplicate, or refused-but-kept message fails
# the run. Needs root and the packages of tools/packages.txt (postfix, nsd). The ctest run of
# tools/test.sh runs the same tests at 1000 messages under ASan. See docs/load-faults.md.
#   tools/load-faults.sh [GTEST_FILTER]    default: PostfixLoad.*
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AM_LOAD_BUILD_DIR:-build-release}
filter=${1:-PostfixLoad.*}
export AM_LOAD_MESSAGES=${AM_LOAD_MESSAGES:-5000}
export AM_LOAD_CONCURRENCY=${AM_LOAD_CONCURRENCY:-32}
start=$(date +%s)
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DAM_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target postfix_load_tests authmilter
built=$(date +%s)
log="$build/load-faults.log"
status=0
"$build/tests/postfix/postfix_load_tests" --gtest_filter="$filter" >"$log" 2>&1 || status=$?
grep -E '^(==|  |\[ +(OK|FAILED) +\])' "$log" | grep -v '^  example' || true
end=$(date +%s)
echo "load-faults: $AM_LOAD_MESSAGES messages per test at concurrency $AM_LOAD_CONCURRENCY;" \
  "build $((built - start)) s, tests $((end - built)) s; log $log; $([ $status -eq 0 ] && echo ok || echo FAILED)"
exit $status
