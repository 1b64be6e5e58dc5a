#!/usr/bin/env bash
# Replays inputs through the fuzz targets once, without fuzzing (build-fuzz from tools/fuzz.sh).
#   tools/fuzz-replay.sh                 every seed corpus (tests/fuzz/corpus/<target>/) and every
#                                        defect reproducer (tests/fuzz/defects/<target>/): a
#                                        reproducer that no longer fails is reported as fixed.
#   tools/fuzz-replay.sh TARGET FILE...  the given files through fuzz_TARGET, with the full report.
# Exit status 1 if a corpus input fails or a listed defect's reproducer now passes (so that
# tests/fuzz/known-defects.txt gets updated).
set -uo pipefail
cd "$(dirname "$0")/.."
build=${AM_FUZZ_BUILD_DIR:-build-fuzz}
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if [ $# -gt 0 ]; then
  t=$1; shift
  exec "$build/tests/fuzz/fuzz_$t" "$@"
fi
status=0
for dir in tests/fuzz/corpus/*/; do
  t=$(basename "$dir")
  if "$build/tests/fuzz/fuzz_$t" -runs=0 -close_fd_mask=2 "$dir" >"$build/replay-$t.log" 2>&1; then
    printf 'replay %-18s ok      %3d inputs\n' "$t" "$(find "$dir" -type f | wc -l)"
  else
    printf 'replay %-18s FAILED  log %s\n' "$t" "$build/replay-$t.log"; status=1
  fi
done
for f in tests/fuzz/defects/*/*; do
  [ -f "$f" ] || continue
  t=$(basename "$(dirname "$f")"); id=$(basename "$f"); id=${id%%-*}
  listed=$(awk -v t="$t" -v id="$id" '$1 == t && $2 == id' tests/fuzz/known-defects.txt)
  if "$build/tests/fuzz/fuzz_$t" -close_fd_mask=2 "$f" >/dev/null 2>&1; then
    if [ -n "$listed" ]; then
      printf 'defect %-18s %s passes now: delete its line from tests/fuzz/known-defects.txt\n' "$t" "$f"; status=1
    else
      printf 'defect %-18s %s fixed\n' "$t" "$f"
    fi
  else
    printf 'defect %-18s %s still fails%s\n' "$t" "$f" "${listed:+ (listed)}"
    [ -n "$listed" ] || status=1
  fi
done
exit $status
