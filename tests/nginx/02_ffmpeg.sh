#!/usr/bin/env bash
# nginx 2: real ffmpeg clients on the stock nginx with the module.
#
# ffmpeg publishes a live H.264/AAC test stream with a chunked HTTP POST;
# three ffmpeg players decode 5 s of it each with nothing on stderr; ffprobe
# sees h264 and aac. The HTTP surface as flv_relay answers it: 409 for a
# second publisher, 404 for an unknown stream (GET and HEAD), HEAD of a live
# stream (200, video/x-flv, CORS, Connection: close, no body), a
# Content-Length PUT publish (200 "published N bytes" at its end), 400 for
# a body that is not FLV or whose tag exceeds livehub_max_tag_size, and
# /api/streams as valid JSON. All this with livehub_write_merge 0 (a write
# as soon as a tag is there). Then `nginx -s reload` while players play,
# into a configuration with merged writes (350ms): the old worker closes
# its players and exits, nothing is logged at [alert], and new players play
# from the new worker.
set -u
. "$(dirname "$0")/lib.sh"
nginx_init ffmpeg
start_nginx "$NGINX_SO" "livehub_write_merge 0; livehub_max_tag_size 1m;"
URL=$BASE/live/e2e.flv

spawn ffmpeg -nostdin -v error -re \
  -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 60 \
  -c:v libx264 -preset ultrafast -tune zerolatency -g 50 -c:a aac -f flv "$URL" 2>"$E2E_OUT/publisher.err"
wait_until 30 stream_is live/e2e publishing || nginx_fail "the ffmpeg publisher did not get on the air"
e2e_log "ffmpeg publishes $URL (chunked POST)"

PLAYERS=()
for i in 1 2 3; do
  spawn_child timeout 60 ffmpeg -nostdin -v error -i "$URL" -t 5 -f null - \
    -progress "$E2E_OUT/player$i.progress" 2>"$E2E_OUT/player$i.err"
  PLAYERS+=("$LAST_PID")
done
for i in 1 2 3; do
  rc=0
  wait "${PLAYERS[$((i - 1))]}" || rc=$?
  frames=$(grep '^frame=' "$E2E_OUT/player$i.progress" 2>/dev/null | tail -n 1 | cut -d= -f2)
  [ "$rc" -eq 0 ] || nginx_fail "ffmpeg player $i exited with $rc: $(head -c 500 "$E2E_OUT/player$i.err")"
  [ ! -s "$E2E_OUT/player$i.err" ] || nginx_fail "ffmpeg player $i reported: $(head -c 500 "$E2E_OUT/player$i.err")"
  [ "${frames:-0}" -ge 100 ] || nginx_fail "ffmpeg player $i decoded only ${frames:-0} frames in 5 s"
  e2e_log "ffmpeg player $i: $frames frames decoded, stderr empty"
done

codecs=$(timeout 30 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$URL" 2>"$E2E_OUT/ffprobe.err" | sort | tr '\n' ' ')
[ "$codecs" = "aac h264 " ] || nginx_fail "ffprobe saw '$codecs', want aac and h264 ($(head -c 300 "$E2E_OUT/ffprobe.err"))"
e2e_log "ffprobe: $codecs"

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary @"$SAMPLE" "$URL")
[ "$code" = 409 ] || nginx_fail "a second publisher got $code, want 409"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/live/nobody.flv")
[ "$code" = 404 ] || nginx_fail "an unknown stream got $code, want 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -I --max-time 10 "$BASE/live/nobody.flv")
[ "$code" = 404 ] || nginx_fail "HEAD of an unknown stream got $code, want 404"
# HEAD by hand, to see everything the server sends before it closes.
timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; printf "HEAD /live/e2e.flv HTTP/1.1\r\nHost: x\r\n\r\n" >&3; cat <&3' \
  head "$HTTP_PORT" >"$E2E_OUT/head.raw" || nginx_fail "HEAD $URL: the connection was not closed"
head=$(tr -d '\r' <"$E2E_OUT/head.raw")
sed -n '/^\r$/,$p' "$E2E_OUT/head.raw" | tail -n +2 >"$E2E_OUT/head.body"
for want in "HTTP/1.1 200 OK" "Content-Type: video/x-flv" "Access-Control-Allow-Origin: *" "Connection: close"; do
  grep -qxF "$want" <<<"$head" || nginx_fail "HEAD $URL lacks '$want': $head"
done
grep -qi '^transfer-encoding' <<<"$head" && nginx_fail "HEAD $URL announces a transfer encoding"
[ ! -s "$E2E_OUT/head.body" ] || nginx_fail "HEAD $URL sent a body"
# GET: the same head, then FLV bytes with no chunked framing.
curl -s -D "$E2E_OUT/get.txt" --max-time 10 "$URL" 2>/dev/null | head -c 3 >"$E2E_OUT/get.body"
get=$(tr -d '\r' <"$E2E_OUT/get.txt")
for want in "HTTP/1.1 200 OK" "Content-Type: video/x-flv" "Access-Control-Allow-Origin: *" "Connection: close"; do
  grep -qxF "$want" <<<"$get" || nginx_fail "GET $URL lacks '$want': $get"
done
grep -qi '^transfer-encoding' <<<"$get" && nginx_fail "GET $URL is chunked"
[ "$(cat "$E2E_OUT/get.body")" = FLV ] || nginx_fail "GET $URL does not start with FLV"
# A body that is not FLV: 400, and no publisher is left behind.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary 'hello, not an FLV stream' "$BASE/live/bad.flv")
[ "$code" = 400 ] || nginx_fail "a non-FLV body got $code, want 400"
# A tag header announcing 2 MiB (livehub_max_tag_size is 1m): livehub
# rejects the byte stream at once, 400.
printf 'FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00\x09\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x17\x00' >"$E2E_OUT/big_tag.flv"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary @"$E2E_OUT/big_tag.flv" "$BASE/live/big.flv")
[ "$code" = 400 ] || nginx_fail "a tag over livehub_max_tag_size got $code, want 400"
grep -q 'livehub publisher of "live/big": FLV byte stream rejected' "$NGINX_PREFIX/error.log" ||
  nginx_fail "the oversized tag was not rejected by livehub"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H 'Transfer-Encoding: chunked' --data-binary @/dev/null "$BASE/live/e2e")
[ "$code" = 404 ] || nginx_fail "a path without .flv got $code, want 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X DELETE "$URL")
[ "$code" = 405 ] || nginx_fail "DELETE got $code, want 405"
wait_until 10 bash -c '! curl -s --max-time 5 "$1/api/streams" | grep -q "\"key\":\"live/bad\",\"publisher\":\"publishing\""' _ "$BASE" ||
  nginx_fail "the refused non-FLV publisher is still publishing"
e2e_log "409 busy, 404 unknown (GET, HEAD), HEAD and GET heads, 400 non-FLV body, 400 oversized tag, 405 DELETE: ok"

# A Content-Length body (PUT): published, then 200 at its end.
body=$(curl -s --max-time 30 -T "$SAMPLE" "$BASE/live/put.flv")
size=$(stat -c %s "$SAMPLE")
[ "$body" = "published $size bytes" ] || nginx_fail "PUT of $size bytes answered '$body'"
json_type=$(curl -s -o "$E2E_OUT/streams.json" -w '%{content_type}' --max-time 10 "$BASE/api/streams")
[ "$json_type" = application/json ] || nginx_fail "/api/streams has Content-Type '$json_type'"
node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!Array.isArray(j.streams)) process.exit(1)' \
  "$E2E_OUT/streams.json" || nginx_fail "/api/streams is not valid JSON with a streams array: $(head -c 300 "$E2E_OUT/streams.json")"
grep -q '"key":"live/e2e","publisher":"publishing"' "$E2E_OUT/streams.json" || nginx_fail "/api/streams does not list live/e2e"
grep -q '"video":{"codec":"h264"' "$E2E_OUT/streams.json" || nginx_fail "/api/streams has no h264 video"
grep -q '"key":"live/put"' "$E2E_OUT/streams.json" || nginx_fail "/api/streams does not list live/put"
e2e_log "PUT with Content-Length: '$body'; /api/streams: valid JSON"
error_log_clean "before the reload"

# nginx -s reload while 3 players play.
OLD_WORKER=$WORKER_PID
RELOAD_PLAYERS=()
for i in 1 2 3; do
  spawn_child curl -s -o "$E2E_OUT/reload$i.flv" --max-time 60 "$URL"
  RELOAD_PLAYERS+=("$LAST_PID")
done
wait_until 20 players_are live/e2e 3 || nginx_fail "3 players did not attach before the reload"
nginx_conf "$NGINX_PREFIX/nginx.conf" "$HTTP_PORT" "$NGINX_SO" 1 "livehub_write_merge 350ms;"
"$NGINX_BIN" -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -s reload 2>"$E2E_OUT/reload.err" ||
  nginx_fail "nginx -s reload failed: $(cat "$E2E_OUT/reload.err")"
wait_gone "$OLD_WORKER" 20 || nginx_fail "the old worker $OLD_WORKER did not exit within 20 s of the reload"
for pid in "${RELOAD_PLAYERS[@]}"; do
  wait_gone "$pid" 20 || nginx_fail "a player of the old worker was not closed"
done
grep -q "worker process $OLD_WORKER exited with code 0" "$NGINX_PREFIX/error.log" ||
  nginx_fail "the old worker did not exit with code 0"
WORKER_PID=$(worker_pids | tr -d ' ')
[ -n "$WORKER_PID" ] && [ "$WORKER_PID" != "$OLD_WORKER" ] || nginx_fail "no new worker after the reload"
grep -q "$WORKER_PID#$WORKER_PID: livehub .*: hub ready, write merge 350ms, players in one group" "$NGINX_PREFIX/error.log" ||
  nginx_fail "the new worker did not take the new configuration"
for i in 1 2 3; do
  [ "$(head -c 3 "$E2E_OUT/reload$i.flv")" = FLV ] || nginx_fail "player $i got no FLV before the reload"
done
# The publisher was closed with the old worker too: publish again, play.
spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 30 -f flv "$URL" 2>"$E2E_OUT/publisher2.err"
wait_until 30 stream_is live/e2e publishing || nginx_fail "no publisher on the new worker"
rc=0
timeout 30 ffmpeg -nostdin -v error -i "$URL" -t 3 -f null - 2>"$E2E_OUT/after_reload.err" || rc=$?
[ "$rc" -eq 0 ] && [ ! -s "$E2E_OUT/after_reload.err" ] || nginx_fail "a player after the reload failed: $(head -c 300 "$E2E_OUT/after_reload.err")"
e2e_log "reload with 3 players: old worker $OLD_WORKER closed them and exited 0; new worker $WORKER_PID (merged writes) plays"
error_log_clean "after the reload"

stop_nginx
error_log_clean "after the stop"
e2e_pass "ffmpeg publish (chunked POST, Content-Length PUT), 3 clean ffmpeg decodes, ffprobe h264+aac, 404/409/HEAD, JSON stats, reload while playing"
