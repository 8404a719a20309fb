#!/usr/bin/env bash
# e2e 5: c_examples/flv_server_min.c, the one-file server, with real ffmpeg
# clients, built with AddressSanitizer + UBSan (LeakSanitizer at exit).
#
# ffmpeg publishes a live H.264/AAC test stream with a chunked HTTP POST;
# two ffmpeg players decode 5 s of it each at once, with nothing on stderr
# at -v error; ffprobe sees h264 and aac. A second publisher gets 409, an
# unknown stream 404, a Content-Length POST of a file 200, a body that is
# not FLV 400 (LIVEHUB_ERR_FLV_REJECTED). SIGTERM with the
# publisher and a player attached: exit 0, no sanitizer report.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init server_min
[ -x "$MIN_ASAN_BIN" ] || e2e_fail "$MIN_ASAN_BIN is missing: run make test-e2e (it builds it)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

start_relay "$MIN_ASAN_BIN"
URL=$BASE/live/min.flv

# A GET answers 200 (then streams) once the publisher is on the air.
on_air() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" 2>/dev/null)" = 200 ]
}

spawn ffmpeg -nostdin -v error -re \
  -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 60 \
  -c:v libx264 -preset ultrafast -tune zerolatency -g 50 -c:a aac -f flv "$URL" 2>"$E2E_OUT/publisher.err"
wait_until 30 on_air "$URL" || e2e_fail "the ffmpeg publisher did not get on the air"
e2e_log "ffmpeg publishes $URL (chunked POST)"

PLAYERS=()
for i in 1 2; do
  spawn_child timeout 60 ffmpeg -nostdin -v error -i "$URL" -t 5 -f null - \
    -progress "$E2E_OUT/player$i.progress" 2>"$E2E_OUT/player$i.err"
  PLAYERS+=("$LAST_PID")
done
for i in 1 2; do
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

code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary @"$SAMPLE" "$URL")
[ "$code" = 409 ] || e2e_fail "a second publisher got $code, want 409"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/live/nobody.flv")
[ "$code" = 404 ] || e2e_fail "an unknown stream got $code, want 404"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST --data-binary @"$SAMPLE" "$BASE/live/file.flv")
[ "$code" = 200 ] || e2e_fail "a Content-Length publish got $code, want 200"
code=$(printf 'not an flv stream at all' | curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
  -H 'Transfer-Encoding: chunked' --data-binary @- "$BASE/live/junk.flv")
[ "$code" = 400 ] || e2e_fail "a body that is not FLV got $code, want 400 (LIVEHUB_ERR_FLV_REJECTED)"
e2e_log "ffprobe: $codecs; 409 busy, 404 unknown, 200 for a Content-Length body, 400 for one that is not FLV"

# A player still attached when the server stops.
spawn timeout 30 curl -s -o /dev/null "$URL"
sleep 1
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the server wrote to stderr: $(head -c 2000 "$E2E_OUT/relay.err")"
e2e_pass "flv_server_min (ASan): ffmpeg chunked publish, 2 ffmpeg players with clean decodes, ffprobe h264+aac, 409/404/200/400"
