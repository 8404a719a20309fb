#!/usr/bin/env bash
# e2e 7: hostile clients against flv_relay while 50 normal players watch.
#
# The relay (two loop threads) publishes tests/data/av.flv as live/demo in a
# loop at real-time pace. flv_hostile (c_examples/flv_hostile.c) keeps up,
# for 42 s: 1,000 slowloris connections sending a request head one byte per
# second (each must be closed by the relay's head deadline, within 20 s),
# 20 connections in turn with a 10 KiB URL, a 16 KiB header or 100 header
# lines (each must get 431), 20 chunked POSTs in turn with absurd chunk
# sizes, a negative size, a missing CRLF or a 5,000-byte extension (400), or
# a 2^60-byte chunk cut short, 4 publishers sending a valid FLV header and
# then 256 KiB of garbage, and 100 players that never read. Meanwhile
# flv_load runs 50 normal players of live/demo: from 8 s to 38 s each must
# receive at least 95% of the tag-body bytes the publisher pushed. The
# relay's VmRSS is sampled every 5 s and printed; its peak (VmHWM) must stay
# under 256 MiB. The relay must still be up, stop cleanly and write nothing
# to stderr. Then the same attack, smaller and for 10 s, on the relay built
# with ASan + UBSan: no report, a clean exit (LeakSanitizer).
set -u
. "$(dirname "$0")/lib.sh"
e2e_init hostile
HOSTILE_BIN=${HOSTILE_BIN:-$E2E_BUILD/flv_hostile}
[ -x "$HOSTILE_BIN" ] || e2e_fail "$HOSTILE_BIN is missing: run make test-e2e (it builds it)"
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null ||
  e2e_fail "cannot raise the open-file limit to 4096 (ulimit -n: $(ulimit -n), hard $(ulimit -Hn))"
RSS_LIMIT_KB=$((256 * 1024))

start_relay "$RELAY_BIN" --threads 2 --demo "$SAMPLE"
wait_until 30 stream_is live/demo publishing || e2e_fail "the demo stream is not on the air"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$RELAY_PID/status"; }
rss0=$(rss_kb)

spawn_child timeout 120 "$HOSTILE_BIN" --slowloris 1000 --oversized 20 --chunked 20 --garbage 4 --stalled 100 \
  -d 42 "$BASE" >"$E2E_OUT/hostile.log" 2>&1
HOSTILE=$LAST_PID
sleep 2
spawn_child timeout 120 "$LOAD_BIN" -n 50 -d 38 -w 8 --stats-key live/demo --min-ratio 0.95 \
  "$BASE/live/demo.flv" >"$E2E_OUT/flv_load.log" 2>&1
LOAD=$LAST_PID

# VmRSS every 5 s while the attack lasts (at most 14 samples).
series="$((rss0 / 1024))"
for _ in $(seq 1 14); do
  alive "$HOSTILE" || break
  sleep 5
  alive "$RELAY_PID" || e2e_fail "the relay died under the hostile clients"
  series="$series $(($(rss_kb) / 1024))"
done
rc=0
wait "$LOAD" || rc=$?
sed 's/^/  /' "$E2E_OUT/flv_load.log"
[ "$rc" -eq 0 ] || e2e_fail "the 50 normal players did not all get 95% of the stream (flv_load exit $rc)"
rc=0
wait "$HOSTILE" || rc=$?
sed 's/^/  /' "$E2E_OUT/hostile.log"
[ "$rc" -eq 0 ] || e2e_fail "the relay did not answer the hostile clients as expected (flv_hostile exit $rc)"
alive "$RELAY_PID" || e2e_fail "the relay died"
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$RELAY_PID/status")
e2e_log "relay VmRSS MiB every 5 s: $series; peak (VmHWM) $((hwm / 1024)) MiB"
[ "$hwm" -lt "$RSS_LIMIT_KB" ] || e2e_fail "the relay's peak RSS $((hwm / 1024)) MiB is over $((RSS_LIMIT_KB / 1024)) MiB"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/api/streams")
[ "$code" = 200 ] || e2e_fail "/api/streams answered $code after the attack"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the relay wrote to stderr"

# The same kinds of attack on the ASan + UBSan build, with a player.
[ -x "$RELAY_ASAN_BIN" ] || e2e_fail "$RELAY_ASAN_BIN is missing: run make test-e2e (it builds it)"
cp "$E2E_OUT/relay.out" "$E2E_OUT/relay_release.out"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  start_relay "$RELAY_ASAN_BIN" --threads 2 --demo "$SAMPLE"
wait_until 30 stream_is live/demo publishing || e2e_fail "the demo stream is not on the air (ASan build)"
spawn_child timeout 60 curl -s -o "$E2E_OUT/asan_player.flv" --max-time 11 "$BASE/live/demo.flv"
PLAYER=$LAST_PID
rc=0
timeout 60 "$HOSTILE_BIN" --slowloris 200 --oversized 10 --chunked 10 --garbage 2 --stalled 20 -d 10 "$BASE" \
  >"$E2E_OUT/hostile_asan.log" 2>&1 || rc=$?
sed 's/^/  asan: /' "$E2E_OUT/hostile_asan.log"
[ "$rc" -eq 0 ] || e2e_fail "the ASan build did not answer the hostile clients as expected (flv_hostile exit $rc)"
wait "$PLAYER" 2>/dev/null
[ "$(stat -c %s "$E2E_OUT/asan_player.flv")" -gt 10000 ] || e2e_fail "the player of the ASan build got almost nothing"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the ASan build reported: $(head -c 3000 "$E2E_OUT/relay.err")"

load=$(grep '^RESULT' "$E2E_OUT/flv_load.log")
ratio=$(sed -n 's/.* min_ratio=\([0-9.]*\).*/\1/p' <<<"$load")
slow=$(sed -n 's/.* slow_closed=\([0-9]*\) slow_max_s=\([0-9.]*\).*/\1 closed, the last after \2 s/p' "$E2E_OUT/hostile.log")
e2e_pass "50 players, slowest at $(awk -v r="$ratio" 'BEGIN { printf "%.1f", r * 100 }')% of the stream, under 1,000 slowloris ($slow), oversized heads (431), bad chunked bodies (400), garbage publishers and 100 players that never read; relay RSS $series MiB, peak $((hwm / 1024)) MiB; ASan build clean"
