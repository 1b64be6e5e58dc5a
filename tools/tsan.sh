#!/usr/bin/env bash
# ThreadSanitizer run: the milter server (milterd_tests), the resolver and its cache (dns_tests)
# and the core (core_tests) built with -fsanitize=thread in their own tree (AM_TSAN_BUILD_DIR,
# default build-tsan) and run one executable at a time. Any data race, lock-order inversion or thread leak
# fails the run (halt_on_error). Not part of tools/test.sh (time); see docs/fuzzing.md.
# milterd_tests runs with tools/tsan_epoll_handoff.cpp preloaded: it tells TSan about the
# epoll re-arm hand-off (EPOLL_CTL_MOD → epoll_wait) that libtsan does not model (report T1).
# First, tools/tsan_epoll_handoff_check.cpp checks that library: the hand-off is reported
# without it and not with it, and an unsynchronized read is still reported with it.
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
handoff="$PWD/$build/tsan_epoll_handoff.so"
g++ -std=c++20 -O2 -fPIC -shared -Wall -Wextra -Werror -o "$handoff" tools/tsan_epoll_handoff.cpp -ldl
g++ -std=c++20 -O1 -g -fsanitize=thread -Wall -Wextra -Werror -o "$build/tsan_epoll_handoff_check" \
  tools/tsan_epoll_handoff_check.cpp
built=$(date +%s)
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
status=0
check() {  # check PRELOAD MODE WANT: WANT is "clean" (exit 0) or "race" (TSan's exit code 66)
  local rc=0
  LD_PRELOAD=$1 "$build/tsan_epoll_handoff_check" "$2" >"$build/tsan-handoff-check.log" 2>&1 || rc=$?
  local got=other
  [ "$rc" = 0 ] && got=clean
  [ "$rc" = 66 ] && got=race
  local lib=without
  [ -n "$1" ] && lib=with
  echo "tsan handoff check: $2, $lib the library: $got (want $3)"
  if [ "$got" != "$3" ]; then status=1; fi
}
check "" handoff race
check "$handoff" handoff clean
check "$handoff" race race
for t in milterd/milterd_tests dns/dns_tests core/core_tests; do
  t0=$(date +%s)
  preload=
  [ "$t" = milterd/milterd_tests ] && preload=$handoff
  if LD_PRELOAD=$preload "$build/tests/$t" --gtest_filter="$filter" >"$build/tsan-$(basename "$t").log" 2>&1; then
    r=ok
  else
    r=FAILED
    status=1
  fi
  echo "tsan $(basename "$t"): $r, $(grep -Eo '[0-9]+ tests? from [0-9]+ test suites? ran' "$build/tsan-$(basename "$t").log" | head -1)," \
    "$(( $(date +%s) - t0 )) s; log $build/tsan-$(basename "$t").log"
  grep -E 'WARNING: ThreadSanitizer|SUMMARY: ThreadSanitizer' "$build/tsan-$(basename "$t").log" | sort | uniq -c | head -10 || true
done
end=$(date +%s)
echo "tsan: build $((built - start)) s, tests $((end - built)) s"
exit $status
