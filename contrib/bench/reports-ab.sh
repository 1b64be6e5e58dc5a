#!/bin/bash
# contrib/bench/reports-ab.sh — what DMARC report recording costs: alternating rounds of am-bench
# (unix socket, concurrency 16, no chain, no TCP) with the report store off, SQLite and PostgreSQL,
# a fresh authmilter each run, then the median and range of each side.
#   bash contrib/bench/reports-ab.sh [ROUNDS (7)] [MESSAGES (20000)] [RAW_OUTPUT_FILE]
#   AM_BENCH_BEFORE=/path/to/older/authmilter bash contrib/bench/reports-ab.sh ...  adds the sides
#   sqlite-before and pg-before (that binary with the same stores), for a before/after in one run.
# Each round runs the sides in a rotated order (round 1: off, sqlite, pg; round 2: sqlite, pg,
# off; ...), so that none is always first after the others. After each run with a store, the
# recorder's drop lines are printed ("no records dropped" when it kept up). PostgreSQL 15 (Debian postgresql-15)
# is started here for the duration: initdb in a private temp directory, listening only on a unix
# socket there, default settings (fsync on), as `nobody` when run as root; it is stopped by its PID
# and the directory removed at exit. The SQLite database is a file in another temp directory. Both
# stores keep their rows across rounds, as a running site's would. Needs what run.sh needs (root,
# nsd). The Release tree is BUILD_DIR (default build-bench under the source tree, or $AM_BENCH_BUILD).
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${AM_BENCH_BUILD:-$SRC/build-bench}"
ROUNDS="${1:-7}"
MESSAGES="${2:-20000}"
RAW="${3:-/dev/null}"
PGBIN=/usr/lib/postgresql/15/bin

cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DAM_SANITIZE=OFF -DAM_BUILD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j2 --target am-bench authmilter >/dev/null

WORK="$(mktemp -d /tmp/am-reports-ab-XXXXXX)"
PGPID=""
cleanup() {
  if [ -n "$PGPID" ]; then kill -TERM "$PGPID" 2>/dev/null || true; wait "$PGPID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

asServer=()
if [ "$(id -u)" = 0 ]; then
  chown 65534:65534 "$WORK"
  asServer=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
fi
"${asServer[@]}" "$PGBIN/initdb" -D "$WORK/pg" -U am -A trust -E UTF8 --locale=C >"$WORK/initdb.log" 2>&1
"${asServer[@]}" "$PGBIN/postgres" -D "$WORK/pg" -k "$WORK" -c listen_addresses= >"$WORK/pg.log" 2>&1 &
PGPID=$!
for _ in $(seq 600); do
  "$PGBIN/pg_isready" -q -h "$WORK" -U am && break
  kill -0 "$PGPID" 2>/dev/null || { cat "$WORK/pg.log"; exit 2; }
  sleep 0.1
done
"$PGBIN/pg_isready" -q -h "$WORK" -U am || { echo "PostgreSQL did not start" >&2; exit 2; }

mkdir -p "$WORK/sq" && chmod 777 "$WORK/sq"
: >"$WORK/off.conf"
echo "ReportStore sqlite:$WORK/sq/reports.db" >"$WORK/sqlite.conf"
echo "ReportStore postgresql://am@/postgres?host=$WORK" >"$WORK/pg.conf"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$SRC" rev-parse --short HEAD)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command: bash contrib/bench/reports-ab.sh $ROUNDS $MESSAGES"
  echo "each run: am-bench --no-chain --no-tcp --levels 16 --messages $MESSAGES --config-extra {off,sqlite,pg}.conf"
  if [ -n "${AM_BENCH_BEFORE:-}" ]; then echo "sides *-before: $AM_BENCH_BEFORE"; fi
} | tee "$RAW"

sides=(off sqlite pg)
if [ -n "${AM_BENCH_BEFORE:-}" ]; then sides+=(sqlite-before pg-before); fi
n=${#sides[@]}
for r in $(seq "$ROUNDS"); do
  for i in $(seq 0 $((n - 1))); do
    s=${sides[$(( (r - 1 + i) % n ))]}
    bin="$BUILD/filter/authmilter"
    case "$s" in *-before) bin="$AM_BENCH_BEFORE" ;; esac
    out="$("$BUILD/contrib/bench/am-bench" --authmilter "$bin" --no-chain --no-tcp \
             --levels 16 --messages "$MESSAGES" --config-extra "$WORK/${s%-before}.conf" 2>&1)" || {
      echo "$out" >>"$RAW"; echo "am-bench failed ($s, round $r)" >&2; exit 1; }
    { echo "=== round $r $s (load $(cut -d' ' -f1-3 /proc/loadavg))"; echo "$out"; } >>"$RAW"
    line="$(echo "$out" | grep -m1 '^authmilter-unix  *c=16 ')"
    grep -q 'all authmilter verdicts match' <<<"$out" || { echo "verdict mismatch ($s, round $r)" >&2; exit 1; }
    echo "$s round $r: $line" | tee -a "$WORK/summary"
    echo "$out" | grep -m1 '^authmilter-unix whole run:' | sed "s/^/$s round $r: /" | tee -a "$WORK/whole"
    if [ "$s" != off ]; then echo "$out" | grep '^report recorder:' | sed "s/^/  $s round $r: /" | tee -a "$RAW"; fi
  done
done
if [ -n "$PGPID" ]; then
  echo "pg rows: $(psql -h "$WORK" -U am -d postgres -Atc 'SELECT count(*), sum(count) FROM aggregate_rows')"
fi
echo "sqlite rows: $(sqlite3 "$WORK/sq/reports.db" 'SELECT count(*), sum(count) FROM aggregate_rows' 2>/dev/null || echo '?')"

# Median and range of CPU s / 1000 msgs and msgs/s per side.
echo
awk '
  { side = $1; for (i = 1; i <= NF; i++) { if ($i == "CPU") cpu[side] = cpu[side] " " $(i + 1);
                                           if ($i == "msgs/s") rate[side] = rate[side] " " $(i - 1) } }
  function med(s,   a, n, i, j, t) { n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    lo = a[1]; hi = a[n]; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { base = med(cpu["off"]); split("off sqlite pg sqlite-before pg-before", names, " ");
    for (k = 1; k <= 5; k++) { s = names[k]; if (!(s in cpu)) continue;
      m = med(cpu[s]); clo = lo; chi = hi; rm = med(rate[s]);
      printf "%-13s CPU s/1000 median %.4f (range %s-%s, %+.1f%% vs off)  msgs/s median %.0f  runs:%s\n",
             s, m, clo, chi, (base > 0 ? 100 * (m - base) / base : 0), rm, cpu[s] } }' "$WORK/summary" | tee -a "$RAW"

# The same for the whole run's CPU seconds (warm-up, c=16 and the RSS runs: more messages, less noise).
awk '
  { side = $1; for (i = 1; i <= NF; i++) { if ($i == "CPU") cpu[side] = cpu[side] " " $(i + 1);
                                           if ($i == "msgs/s") rate[side] = rate[side] " " $(i - 1) } }
  function med(s,   a, n, i, j, t) { n = split(s, a, " ");
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    lo = a[1]; hi = a[n]; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  END { base = med(cpu["off"]); split("off sqlite pg sqlite-before pg-before", names, " ");
    for (k = 1; k <= 5; k++) { s = names[k]; if (!(s in cpu)) continue;
      m = med(cpu[s]); clo = lo; chi = hi; rm = med(rate[s]);
      printf "%-13s whole-run CPU s median %.2f (range %s-%s, %+.1f%% vs off)  runs:%s\n",
             s, m, clo, chi, (base > 0 ? 100 * (m - base) / base : 0), cpu[s] } }' "$WORK/whole" | tee -a "$RAW"
