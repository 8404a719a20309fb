#!/usr/bin/env bash
# nginx 5: 1,000 concurrent loopback players on nginx with the module.
#
# ffmpeg makes a 10 s, ~1 Mbit/s H.264/AAC sample (640x360, 25 fps) and
# publishes it in a loop at real-time pace (chunked POST to live/demo).
# flv_load opens 1,000 HTTP-FLV connections, checks every FLV byte stream,
# and measures from 5 s to the end (LOAD_SECONDS, default 20): every player
# must receive at least 95% of the tag-body bytes the publisher pushed in
# that window (bytes_in of /api/streams at both ends). Writes are merged
# (livehub_write_merge 350ms): the client's reads that return data must be
# at most 5 per second per connection (median). The nginx worker's CPU time
# (utime + stime of /proc/PID/stat) and memory (VmRSS, VmHWM) are printed.
set -u
. "$(dirname "$0")/lib.sh"
nginx_init load_1000
PLAYERS=${PLAYERS:-1000}
SECONDS_=${LOAD_SECONDS:-20}
[ "$SECONDS_" -ge 15 ] || SECONDS_=15   # one 350 ms step well under the 5% allowed
ulimit -n 8192 2>/dev/null || ulimit -n 4096 2>/dev/null ||
  nginx_fail "cannot raise the open-file limit to 4096 (ulimit -n: $(ulimit -n), hard $(ulimit -Hn))"

SAMPLE_1M=$E2E_OUT/load_1mbps.flv
timeout 120 nice ffmpeg -nostdin -v error -y -f lavfi -i testsrc=size=640x360:rate=25 \
  -f lavfi -i sine=frequency=440 -t 10 -c:v libx264 -preset ultrafast -tune zerolatency \
  -b:v 900k -maxrate 900k -bufsize 900k -g 50 -c:a aac -b:a 96k -f flv "$SAMPLE_1M" 2>"$E2E_OUT/ffmpeg.err" ||
  nginx_fail "ffmpeg could not make the sample: $(head -c 300 "$E2E_OUT/ffmpeg.err")"

start_nginx "$NGINX_SO" "livehub_write_merge 350ms;"
spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE_1M" -c copy -t $((SECONDS_ + 150)) -f flv \
  "$BASE/live/demo.flv" 2>"$E2E_OUT/publisher.err"
wait_until 30 stream_is live/demo publishing || nginx_fail "the stream is not on the air"
sleep 2   # a first GOP in the cache

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$WORKER_PID/stat"; }
cpu0=$(cpu_ticks)
t0=$(date +%s.%N)
rc=0
timeout $((SECONDS_ + 120)) "$LOAD_BIN" -n "$PLAYERS" -d "$SECONDS_" -w 5 --stats-key live/demo --min-ratio 0.95 \
  "$BASE/live/demo.flv" >"$E2E_OUT/flv_load.log" 2>&1 || rc=$?
t1=$(date +%s.%N)
cpu1=$(cpu_ticks)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$WORKER_PID/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$WORKER_PID/status")
sed 's/^/  /' "$E2E_OUT/flv_load.log"
cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')
wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
cpu_pct=$(awk -v c="$cpu_s" -v w="$wall_s" 'BEGIN { printf "%.0f", 100 * c / w }')
SUMMARY="nginx worker CPU ${cpu_s} s in ${wall_s} s (${cpu_pct}% of one core), VmRSS $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB)"
e2e_log "$SUMMARY"
[ "$rc" -eq 0 ] || nginx_fail "flv_load failed (exit $rc): a player got an error, an invalid stream, or under 95% of the stream"
[ "$(worker_pids | tr -d ' ')" = "$WORKER_PID" ] || nginx_fail "the worker changed during the run"

RESULT=$(grep '^RESULT' "$E2E_OUT/flv_load.log")
field() { sed -n "s/.* $1=\([-0-9.]*\).*/\1/p" <<<"$RESULT"; }
min=$(field min_kbps); median=$(field median_kbps); stream=$(field stream_kbps); ratio=$(field min_ratio)
reads=$(field reads_per_s_median)
awk -v r="$reads" 'BEGIN { exit !(r > 0 && r <= 5) }' ||
  nginx_fail "$reads reads per second per player (median), want at most 5: writes are not merged"

stop_nginx
error_log_clean "after the run"
e2e_pass "$PLAYERS players for ${SECONDS_} s: per-player min $min / median $median kbit/s (stream $stream kbit/s of tag bodies, slowest got $(awk -v r="$ratio" 'BEGIN { printf "%.1f", r * 100 }')%), $reads reads/s; $SUMMARY"
