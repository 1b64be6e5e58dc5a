#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted data (tests/fuzz; docs/fuzzing.md).
#   tools/fuzz.sh                  build, then per target: replay its seed corpus and fuzz for
#                                  AM_FUZZ_SECONDS (default 10) seconds; what is found is thrown
#                                  away. A target with an open defect (tests/fuzz/known-defects.txt)
#                                  only replays its seeds. This is the step tools/test.sh runs.
#   tools/fuzz.sh T...             the same for the named targets only.
#   tools/fuzz.sh MINUTES [T...]   longer runs (all targets, or the named ones); new inputs are
#                                  kept in BUILD/corpus-work/<target> and grow from run to run.
# One line per target: executions, exec/s, libFuzzer's cov (edges) and ft (features), new inputs.
# Exit status 1 if any target crashed, leaked, hit UB or timed out; the reproducer is named in the
# output. Targets run AM_FUZZ_JOBS (default nproc) at a time. Build tree: AM_FUZZ_BUILD_DIR
# (default build-fuzz), clang with ASan + UBSan + libFuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AM_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${AM_FUZZ_JOBS:-$(nproc)}
minutes=
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then minutes=$1; shift; fi
if [ -n "$minutes" ]; then
  [ "$minutes" -gt 0 ] || { echo "usage: $0 [MINUTES] [TARGET...]" >&2; exit 2; }
  seconds=$((minutes * 60))
else
  seconds=${AM_FUZZ_SECONDS:-10}
fi

CC=clang CXX=clang++ cmake -S . -B "$build" -DAM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_all

targets=("$@")
skipped=()
if [ ${#targets[@]} -eq 0 ]; then
  for t in $(ls tests/fuzz/corpus); do
    open=$(awk -v t="$t" '$1 == t {$1 = ""; print substr($0, 2); exit}' tests/fuzz/known-defects.txt)
    if [ -z "$minutes" ] && [ -n "$open" ]; then
      skipped+=("$t")
      continue
    fi
    targets+=("$t")
  done
fi

export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
out="$build/fuzz-out"
rm -rf "$out"
mkdir -p "$out"

# run_one TARGET: fuzz one target; log and status in $out/TARGET.{log,rc}.
run_one() {
  local t=$1 work
  if [ -n "$minutes" ]; then work="$build/corpus-work/$t"; else work="$out/$t.new"; fi
  mkdir -p "$work" "$out/$t.artifacts"
  # -close_fd_mask=2: the target's own stderr (the milter connection's log lines) is dropped;
  # libFuzzer and the sanitizers still report on a kept copy of it.
  set +e
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -close_fd_mask=2 -artifact_prefix="$out/$t.artifacts/" "$work" "tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1
  echo $? >"$out/$t.rc"
}

running=0
for t in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/fuzz_$t" ] || { echo "fuzz: no target fuzz_$t" >&2; exit 2; }
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

failed=0
for t in "${targets[@]}"; do
  log="$out/$t.log"
  rc=$(cat "$out/$t.rc")
  seeds=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  newu=$(sed -n 's/^stat::new_units_added: *//p' "$log")
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  if [ "$rc" = 0 ]; then
    printf 'fuzz %-18s ok      seeds %3s  execs %9s  (%6s/s)  cov %5s  ft %6s  new %s\n' \
      "$t" "$seeds" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${newu:-?}"
  else
    failed=1
    printf 'fuzz %-18s FAILED  exit %s after %s executions; log %s\n' "$t" "$rc" "${execs:-?}" "$log"
    grep -E 'ERROR|SUMMARY|runtime error|^    #[0-9]+ .* in am::' "$log" | head -20 | sed 's/^/    /'
    ls "$out/$t.artifacts"/* 2>/dev/null | sed 's/^/    reproducer: /'
  fi
done
# A target with an open defect: its seeds are replayed (they must pass), it is not fuzzed.
for t in "${skipped[@]}"; do
  open=$(awk -v t="$t" '$1 == t {$1 = ""; print substr($0, 2); exit}' tests/fuzz/known-defects.txt)
  if "$build/tests/fuzz/fuzz_$t" -runs=0 -close_fd_mask=2 "tests/fuzz/corpus/$t" >"$out/$t.log" 2>&1; then
    printf 'fuzz %-18s replay  seeds %3s  not fuzzed: open defect %s\n' "$t" \
      "$(find "tests/fuzz/corpus/$t" -type f | wc -l)" "$open"
  else
    failed=1
    printf 'fuzz %-18s FAILED  seed replay; log %s\n' "$t" "$out/$t.log"
  fi
done
exit $failed
