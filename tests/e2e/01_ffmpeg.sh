#!/usr/bin/env bash
# e2e 1: real ffmpeg clients on flv_relay.
#
# ffmpeg publishes a live H.264/AAC test stream with a chunked HTTP POST;
# three ffmpeg players decode 5 s of it each with no error on stderr; ffprobe
# sees h264 and aac. Then the HTTP surface: 409 for a second publisher, 404
# for an unknown stream, HEAD, /api/streams, the page and mpegts.js; and the
# raw TCP ingest, with the default key and with a KEY line. The relay runs
# with two loop threads, so publishers and players sit on different threads.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init ffmpeg

start_relay "$RELAY_BIN" --threads 2 --tcp-ingest 127.0.0.1:0
URL=$BASE/live/e2e.flv

# The live publisher: 60 s at most (-t), killed at the end anyway.
spawn ffmpeg -nostdin -v error -re \
  -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 60 \
  -c:v libx264 -preset ultrafast -tune zerolatency -g 50 -c:a aac -f flv "$URL" 2>"$E2E_OUT/publisher.err"
PUB=$LAST_PID
wait_until 30 stream_is live/e2e publishing || e2e_fail "the ffmpeg publisher did not get on the air"
e2e_log "ffmpeg publishes $URL (chunked POST)"

# Three players at once, 5 s each, decoding everything.
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
  [ "$rc" -eq 0 ] || e2e_fail "ffmpeg player $i exited with $rc: $(head -c 500 "$E2E_OUT/player$i.err")"
  [ ! -s "$E2E_OUT/player$i.err" ] || e2e_fail "ffmpeg player $i reported: $(head -c 500 "$E2E_OUT/player$i.err")"
  [ "${frames:-0}" -ge 100 ] || e2e_fail "ffmpeg player $i decoded only ${frames:-0} frames in 5 s"
  e2e_log "ffmpeg player $i: $frames frames decoded, stderr empty"
done

codecs=$(timeout 30 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$URL" 2>"$E2E_OUT/ffprobe.err" | sort | tr '\n' ' ')
[ "$codecs" = "aac h264 " ] || e2e_fail "ffprobe saw '$codecs', want aac and h264 ($(head -c 300 "$E2E_OUT/ffprobe.err"))"
e2e_log "ffprobe: $codecs"

# The HTTP surface.
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary @"$SAMPLE" "$URL")
[ "$code" = 409 ] || e2e_fail "a second publisher got $code, want 409"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/live/nobody.flv")
[ "$code" = 404 ] || e2e_fail "an unknown stream got $code, want 404"
head=$(curl -s -I --max-time 10 "$URL" | tr -d '\r')
for want in "HTTP/1.1 200 OK" "Content-Type: video/x-flv" "Access-Control-Allow-Origin: *" "Connection: close"; do
  grep -qxF "$want" <<<"$head" || e2e_fail "HEAD $URL lacks '$want': $head"
done
grep -qi '^transfer-encoding' <<<"$head" && e2e_fail "HEAD $URL announces a transfer encoding"
json_type=$(curl -s -o "$E2E_OUT/streams.json" -w '%{content_type}' --max-time 10 "$BASE/api/streams")
[ "$json_type" = application/json ] || e2e_fail "/api/streams has Content-Type '$json_type'"
grep -q '"key":"live/e2e","publisher":"publishing"' "$E2E_OUT/streams.json" || e2e_fail "/api/streams does not list live/e2e"
grep -q '"video":{"codec":"h264"' "$E2E_OUT/streams.json" || e2e_fail "/api/streams has no h264 video"
code=$(curl -s -o "$E2E_OUT/index.html" -w '%{http_code}' --max-time 10 "$BASE/")
[ "$code" = 200 ] && grep -q mpegts.js "$E2E_OUT/index.html" || e2e_fail "GET / gave $code, not the demo page"
if [ -f "$E2E_ROOT/web/node_modules/mpegts.js/dist/mpegts.js" ]; then
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/mpegts.js")
  [ "$code" = 200 ] || e2e_fail "GET /mpegts.js gave $code"
fi
e2e_log "409 busy, 404 unknown, HEAD headers, /api/streams JSON, / and /mpegts.js: ok"

# Raw TCP ingest: ffmpeg to tcp:// (default key live/tcp) ...
spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 30 -f flv \
  "tcp://127.0.0.1:$TCP_PORT" 2>"$E2E_OUT/tcp_publisher.err"
wait_until 30 stream_is live/tcp publishing || e2e_fail "the tcp:// publisher did not get on the air as live/tcp"
codecs=$(timeout 30 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$BASE/live/tcp.flv" 2>>"$E2E_OUT/ffprobe.err" | sort | tr '\n' ' ')
[ "$codecs" = "aac h264 " ] || e2e_fail "ffprobe of live/tcp saw '$codecs'"
# ... and a "KEY app/stream" line naming the stream, then ffmpeg's FLV on
# the same connection (bash opens the socket; ffmpeg writes to stdout).
spawn bash -c 'printf "KEY live/keyed\n"; exec ffmpeg -nostdin -v error -re -stream_loop -1 -i "$1" -c copy -t 30 -f flv -' \
  keyed "$SAMPLE" >"/dev/tcp/127.0.0.1/$TCP_PORT" 2>"$E2E_OUT/keyed_publisher.err"
wait_until 30 stream_is live/keyed publishing || e2e_fail "the KEY line did not name the stream live/keyed"
codecs=$(timeout 30 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$BASE/live/keyed.flv" 2>>"$E2E_OUT/ffprobe.err" | sort | tr '\n' ' ')
[ "$codecs" = "aac h264 " ] || e2e_fail "ffprobe of live/keyed saw '$codecs'"
e2e_log "tcp ingest: live/tcp (default key) and live/keyed (KEY line) play as h264 + aac"

# Stopping the relay with publishers and players attached releases them all.
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the relay wrote to stderr"
e2e_pass "ffmpeg publish (HTTP and TCP), 3 ffmpeg players with clean decodes, ffprobe h264+aac, HTTP semantics"
