#!/usr/bin/env bash
# The relay's heap with N players: what malloc holds in use, next to the
# RSS, at one moment of a steady stream (RSS alone moves by megabytes from
# run to run with where in the GOP the players joined and how far the load
# client lags; the heap in use is what the relay's own structures cost).
#
#   scripts/relay_heap.sh [RELAY_BIN] [PLAYERS] [MERGE_MS]
#
# Defaults: c_examples/build/flv_relay, 2000, 350. Publishes the bench-relay
# stream file (make bench-relay or make bench-relay-ab makes it; or set
# SAMPLE), opens PLAYERS HTTP-FLV players with flv_load, and 16 s later
# prints (AT seconds after the players start, default 16) /proc/PID/smaps_rollup's Rss and the totals of glibc's
# malloc_stats(), called in the relay through gdb (needs gdb and ptrace).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/c_examples/build/flv_relay}
N=${2:-2000}
MERGE=${3:-350}
SAMPLE=${SAMPLE:-$ROOT/c_examples/build/bench_relay/bench.flv}
LOAD=${LOAD_BIN:-$ROOT/c_examples/build/flv_load}
for f in "$BIN" "$LOAD"; do [ -x "$f" ] || { echo "relay-heap: $f is missing (make servers)" >&2; exit 1; }; done
[ -f "$SAMPLE" ] || { echo "relay-heap: no stream file $SAMPLE (run make bench-relay once, or set SAMPLE)" >&2; exit 1; }
command -v gdb >/dev/null || { echo "relay-heap: needs gdb" >&2; exit 1; }
D=$(mktemp -d)
trap 'kill $L $P $R 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
"$BIN" --http 127.0.0.1:0 --threads 1 --merge-ms "$MERGE" >"$D/out" 2>"$D/err" &
R=$!
for _ in $(seq 1 100); do grep -q '^flv_relay: ready' "$D/out" && break; sleep 0.05; done
port=$(sed -n 's/^flv_relay: listening http 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$D/out")
[ -n "$port" ] || { echo "relay-heap: the relay did not start" >&2; exit 1; }
ffmpeg -nostdin -v error -re -i "$SAMPLE" -c copy -f flv -method POST "http://127.0.0.1:$port/live/bench.flv" 2>/dev/null &
P=$!
sleep 3
"$LOAD" -n "$N" -w 8 --window $(( ${AT:-16} + 4 )) "http://127.0.0.1:$port/live/bench.flv" >"$D/load" 2>&1 &
L=$!
sleep "${AT:-16}"
rss=$(awk '/^Rss:/ { print $2 }' "/proc/$R/smaps_rollup")
gdb -p "$R" -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
sleep 0.5
inuse=$(awk '/in use bytes/ { v = $NF } END { print v }' "$D/err")
sys=$(awk '/system bytes/ { v = $NF } END { print v }' "$D/err")
[ -n "$inuse" ] || { echo "relay-heap: malloc_stats gave nothing (gdb could not attach?)" >&2; exit 1; }
awk -v b="$BIN" -v n="$N" -v m="$MERGE" -v rss="$rss" -v u="$inuse" -v s="$sys" 'BEGIN {
  printf "relay-heap: %s, %d players, merge %d ms: heap in use %.1f MB (%.0f B per player), malloc system %.1f MB, RSS %.1f MB\n",
    b, n, m, u / 1048576, u / n, s / 1048576, rss / 1024 }'
