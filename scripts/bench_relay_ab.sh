#!/usr/bin/env bash
# make bench-relay-ab: the relay of this tree against the relay of an
# earlier revision, side by side in one run.
#
# Builds BASE (a git revision of this repository; default: the previous
# release, v0.1.0's commit e15eb48) in a scratch clone, then for each
# player count and mode runs scripts/bench_relay.sh once per build, in
# turn (base, this tree, base, this tree, ... REPEAT times), so both see
# the same machine at nearly the same moment. Prints one table row per run
# and, per row, the median of each build's CPU and RSS: compare those, not
# single runs (these machines are shared and noisy).
#
# Environment: BASE (e15eb48), PLAYERS ("1000 2000"), MODES ("350 0"),
# REPEAT (2), WARMUP / WINDOW (as bench_relay.sh), OUT
# (c_examples/build/bench_relay_ab). Performance is printed, never asserted;
# exits non-zero if a build fails or bench_relay.sh fails (a relay died,
# a player got bad FLV).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${BASE:-e15eb48}
PLAYERS=${PLAYERS:-"1000 2000"}
MODES=${MODES:-"350 0"}
REPEAT=${REPEAT:-2}
OUT=${OUT:-$ROOT/c_examples/build/bench_relay_ab}
NEW_BIN=$ROOT/c_examples/build/flv_relay
BASE_DIR=$OUT/base-src

fail() { echo "bench-relay-ab: FAIL: $*" >&2; exit 1; }
log() { echo "bench-relay-ab: $*"; }

mkdir -p "$OUT"
rev=$(git -C "$ROOT" rev-parse --verify --quiet "$BASE^{commit}") || fail "no revision $BASE here"
if [ "$(git -C "$BASE_DIR" rev-parse HEAD 2>/dev/null)" != "$rev" ]; then
  rm -rf "$BASE_DIR"
  git clone -q "$ROOT" "$BASE_DIR" && git -C "$BASE_DIR" checkout -q "$rev" || fail "cannot check out $BASE"
fi
log "building the base relay ($BASE = ${rev:0:12}) in $BASE_DIR"
make -C "$BASE_DIR" --no-print-directory servers >"$OUT/base-build.log" 2>&1 || fail "base build (see $OUT/base-build.log)"
log "building this tree's relay"
make -C "$ROOT" --no-print-directory servers >"$OUT/new-build.log" 2>&1 || fail "build (see $OUT/new-build.log)"
BASE_BIN=$BASE_DIR/c_examples/build/flv_relay

results=$OUT/results.tsv
: >"$results"
for n in $PLAYERS; do
  for m in $MODES; do
    for ((r = 1; r <= REPEAT; r++)); do
      for build in base new; do
        bin=$NEW_BIN
        [ "$build" = base ] && bin=$BASE_BIN
        RELAY_BIN=$bin PLAYERS=$n MODES=$m SERVERS=flv_relay OUT="$OUT/$build" \
          bash "$ROOT/scripts/bench_relay.sh" >"$OUT/$build-run.log" 2>&1 ||
          { cat "$OUT/$build-run.log" >&2; fail "bench_relay.sh ($build, $n players, merge $m)"; }
        row=$(grep '^| flv_relay' "$OUT/$build/table.md") || fail "no row in $OUT/$build/table.md"
        # | server | merge | players | user | sys | cpu | rss | ... | min/stream | ...
        awk -F'|' -v b="$build" -v r="$r" '{
          gsub(/[ *]/, "", $5); gsub(/[ *]/, "", $6); gsub(/[ *]/, "", $7); gsub(/[ *]/, "", $8); gsub(/[ *]/, "", $12)
          printf "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", b, $3+0, $4+0, r, $5, $6, $7, $8, $12
        }' <<<"$row" >>"$results"
        tail -n 1 "$results" | awk -F'\t' '{ printf "bench-relay-ab: %-4s %5d players, merge %3d ms, run %d: CPU %s%% (user %s, sys %s), RSS %s MB, slowest %s\n", $1, $3, $2, $4, $7, $5, $6, $8, $9 }'
      done
    done
  done
done

echo
echo "base = $BASE (${rev:0:12}), new = this tree ($(git -C "$ROOT" describe --always --dirty)); median of $REPEAT runs each, taken in turn"
echo
echo "| players | merge ms | base CPU % | new CPU % | new / base | base RSS MB | new RSS MB |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for n in $PLAYERS; do
  for m in $MODES; do
    sel() { awk -F'\t' -v b="$1" -v n="$n" -v m="$m" -v c="$2" '$1 == b && $3 == n && $2 == m { print $c }' "$results"; }
    bc=$(sel base 7 | median); nc=$(sel new 7 | median)
    br=$(sel base 8 | median); nr=$(sel new 8 | median)
    ratio=$(awk -v a="$nc" -v b="$bc" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    echo "| $n | $m | $bc | $nc | $ratio | $br | $nr |"
  done
done
