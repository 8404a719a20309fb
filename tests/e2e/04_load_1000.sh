#!/usr/bin/env bash
# e2e 4: 1,000 concurrent loopback players, with merged writes and without.
#
# ffmpeg makes a 10 s, ~1 Mbit/s H.264/AAC sample (640x360, 25 fps); the relay
# publishes it in a loop at real-time pace (--demo, live/demo) with two loop
# threads. flv_load opens 1,000 HTTP-FLV connections, checks every FLV byte
# stream, and measures from 5 s to the end. Every player must receive at
# least 95% of the tag-body bytes the publisher pushed in that window
# (bytes_in of /api/streams at both ends).
#
# Phase 1, the default --merge-ms 350, for 20 s: each player's socket is
# written about every 350 ms, so the client's reads that return data must be
# at most 5 per second per connection (median; about 2.9 expected). Phase 2,
# --merge-ms 0, for 12 s: written as tags come (25 video + ~23 audio frames
# a second), so more than 10 reads per second. The relay's CPU time (utime +
# stime from /proc/PID/stat) and memory (VmRSS, VmHWM) are printed.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init load_1000
PLAYERS=${PLAYERS:-1000}
SECONDS_=${LOAD_SECONDS:-20}
# Two descriptors per player on this machine (the relay's and flv_load's
# sockets, in two processes), plus a margin.
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null ||
  e2e_fail "cannot raise the open-file limit to 4096 (ulimit -n: $(ulimit -n), hard $(ulimit -Hn))"

SAMPLE_1M=$E2E_OUT/load_1mbps.flv
timeout 120 nice ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=640x360:rate=25 \
  -f lavfi -i sine=frequency=440 -t 10 -c:v libx264 -preset ultrafast -tune zerolatency \
  -b:v 900k -maxrate 900k -bufsize 900k -g 50 -c:a aac -b:a 96k -f flv "$SAMPLE_1M" 2>"$E2E_OUT/ffmpeg.err" ||
  e2e_fail "ffmpeg could not make the sample: $(head -c 300 "$E2E_OUT/ffmpeg.err")"

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$RELAY_PID/stat"; }

# load_phase NAME MERGE_MS SECONDS: a fresh relay, PLAYERS players; sets
# RESULT (flv_load's RESULT line) and SUMMARY; fails the test on any error.
load_phase() {
  local name=$1 merge=$2 secs=$3 rc=0
  start_relay "$RELAY_BIN" --threads 2 --merge-ms "$merge" --demo "$SAMPLE_1M"
  grep '^flv_relay: demo:' "$E2E_OUT/relay.out" | sed 's/^/  /'
  wait_until 30 stream_is live/demo publishing || e2e_fail "the demo stream is not on the air"
  local cpu0 cpu1 t0 t1 rss hwm cpu_s wall_s cpu_pct
  cpu0=$(cpu_ticks)
  t0=$(date +%s.%N)
  timeout $((secs + 120)) "$LOAD_BIN" -n "$PLAYERS" -d "$secs" -w 5 --stats-key live/demo --min-ratio 0.95 \
    "$BASE/live/demo.flv" >"$E2E_OUT/flv_load_$name.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  cpu1=$(cpu_ticks)
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$RELAY_PID/status")
  hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$RELAY_PID/status")
  sed 's/^/  /' "$E2E_OUT/flv_load_$name.log"
  cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')
  wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  cpu_pct=$(awk -v c="$cpu_s" -v w="$wall_s" 'BEGIN { printf "%.0f", 100 * c / w }')
  SUMMARY="relay CPU ${cpu_s} s in ${wall_s} s (${cpu_pct}% of one core), VmRSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
  e2e_log "--merge-ms $merge: $SUMMARY"
  [ "$rc" -eq 0 ] || e2e_fail "flv_load failed with --merge-ms $merge (exit $rc)"
  alive "$RELAY_PID" || e2e_fail "the relay died"
  stop_relay
  [ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the relay wrote to stderr"
  RESULT=$(grep '^RESULT' "$E2E_OUT/flv_load_$name.log")
}
field() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p" <<<"$RESULT"; }

# A merged player gets its bytes in 350 ms steps: the window (from 5 s on)
# must be long enough for one step to be well under the 5% allowed.
if [ "$SECONDS_" -lt 15 ]; then
  e2e_log "LOAD_SECONDS=$SECONDS_ is too short for the 95% check with 350 ms merging: using 15"
  SECONDS_=15
fi
load_phase merged 350 "$SECONDS_"
min=$(field min_kbps); median=$(field median_kbps); stream=$(field stream_kbps); ratio=$(field min_ratio)
reads=$(field reads_per_s_median)
awk -v r="$reads" 'BEGIN { exit !(r > 0 && r <= 5) }' ||
  e2e_fail "--merge-ms 350: $reads reads per second per player (median), want at most 5: writes are not merged"
merged="--merge-ms 350: per-player min $min / median $median kbit/s (stream $stream kbit/s of tag bodies, slowest got $(awk -v r="$ratio" 'BEGIN { printf "%.1f", r * 100 }')%), $reads reads/s; $SUMMARY"

unmerged_s=$(((SECONDS_ * 3 + 4) / 5))
[ "$unmerged_s" -ge 8 ] || unmerged_s=8   # -w 5 and a window of 3 s at least
load_phase unmerged 0 "$unmerged_s"
ratio0=$(field min_ratio)
reads0=$(field reads_per_s_median)
awk -v r="$reads0" 'BEGIN { exit !(r > 10) }' ||
  e2e_fail "--merge-ms 0: $reads0 reads per second per player (median), want more than 10: writes are merged anyway"
e2e_pass "$PLAYERS players; $merged; --merge-ms 0: slowest got $(awk -v r="$ratio0" 'BEGIN { printf "%.1f", r * 100 }')%, $reads0 reads/s, $SUMMARY"
