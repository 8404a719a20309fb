#!/usr/bin/env bash
# nginx 6: a player that stops reading costs nginx nothing more, and is
# skipped forward by livehub's lag policy when it reads again.
#
# ffmpeg publishes tests/data/av.flv looped at 100 times real time (about
# 5 Mbit/s of FLV) to live/fast, on nginx with livehub_max_lag 2s. A player
# (node, on a raw socket) sends its GET, stops reading for STALL seconds
# (default 20: about 12 MB of stream, several times what the loopback
# socket buffers take), then reads for 3 s. Meanwhile the worker's VmRSS must stay within
# 4 MiB of what it was (nginx holds at most one batch of a player), the
# player must have been skipped forward (tags_dropped > 0 in
# /api/streams), and it must receive the stream again after the stall.
set -u
. "$(dirname "$0")/lib.sh"
nginx_init slow_client
STALL=${STALL:-20}

start_nginx "$NGINX_SO" "livehub_max_lag 2s; livehub_write_merge 350ms;"
spawn ffmpeg -nostdin -v error -readrate 100 -stream_loop -1 -i "$SAMPLE" -c copy -t 3000 -f flv \
  "$BASE/live/fast.flv" 2>"$E2E_OUT/publisher.err"
wait_until 30 stream_is live/fast publishing || nginx_fail "the publisher did not get on the air"
sleep 1
rss() { awk '/^VmRSS/ {print $2}' "/proc/$WORKER_PID/status"; }
rss0=$(rss)

spawn_child timeout $((STALL + 30)) node -e '
const net = require("net");
const [port, stall] = [Number(process.argv[1]), Number(process.argv[2])];
const s = net.connect(port, "127.0.0.1", () => {
  s.write("GET /live/fast.flv HTTP/1.1\r\nHost: x\r\n\r\n");
  s.pause();
  setTimeout(() => {
    let after = 0;
    s.on("data", (d) => { after += d.length; });
    s.resume();
    setTimeout(() => { console.log("AFTER " + after); s.destroy(); }, 3000);
  }, stall * 1000);
});
s.on("error", (e) => { console.log("ERROR " + e.message); process.exit(1); });
' "$HTTP_PORT" "$STALL" >"$E2E_OUT/player.log" 2>&1
PLAYER=$LAST_PID
wait_until 10 players_are live/fast 1 || nginx_fail "the player did not attach"

max=$rss0
for i in $(seq 1 $((STALL * 2))); do
  r=$(rss)
  [ "$r" -gt "$max" ] && max=$r
  sleep 0.5
done
# Reading again, the player is skipped to the newest keyframe: its
# tags_dropped counter (in /api/streams while it is attached) goes up.
dropped_seen=0
for i in $(seq 1 25); do
  if curl -s --max-time 2 "$BASE/api/streams" | grep -q '"tags_dropped":[1-9]'; then dropped_seen=1; break; fi
  sleep 0.1
done
rc=0
wait "$PLAYER" || rc=$?
[ "$rc" -eq 0 ] || nginx_fail "the player failed (exit $rc): $(cat "$E2E_OUT/player.log")"
after=$(sed -n 's/^AFTER //p' "$E2E_OUT/player.log")
growth=$(((max - rss0) / 1024))
e2e_log "worker VmRSS $((rss0 / 1024)) MiB before, at most $((max / 1024)) MiB during the ${STALL} s stall; $after bytes read in 3 s after it"
[ "$growth" -le 4 ] || nginx_fail "the worker grew by $growth MiB while a player stalled: nginx buffered it"
[ "${after:-0}" -gt 100000 ] || nginx_fail "the player got only ${after:-0} bytes after its stall"
players_are live/fast 0 || wait_until 10 players_are live/fast 0 || nginx_fail "the player is still attached after it left"
[ "$dropped_seen" = 1 ] || nginx_fail "the stalled player was not skipped forward (tags_dropped stayed 0)"
stop_nginx
error_log_clean "after the run"
e2e_pass "a player stalled ${STALL} s on a ~5 Mbit/s stream: worker VmRSS +${growth} MiB at most, skipped forward by livehub, $after bytes in 3 s after the stall"
