#!/usr/bin/env bash
# e2e 10: RTMP in and out of the relay (built with ASan + UBSan), with real
# clients, on the same hub as HTTP-FLV:
#   ffmpeg publishes tests/data/av.flv over RTMP to live/rtmp;
#   an RTMP player (ffmpeg), an HTTP-FLV player (ffmpeg) and rtmpdump
#   decode it with nothing on stderr; ffprobe sees h264 + aac on both
#   protocols; a stream published over HTTP plays over RTMP;
#   a busy key refuses a second RTMP publisher; a client that is not RTMP
#   is refused and the stream carries on; SIGTERM: exit 0, no sanitizer
#   report. Then, on a relay with --publish-secret and --play-secret, RTMP
#   publishers and players need ?secret=S on the stream name.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init rtmp_clients
[ -x "$RELAY_ASAN_BIN" ] || e2e_fail "$RELAY_ASAN_BIN is missing: run make test-e2e (it builds it)"
command -v rtmpdump >/dev/null || e2e_fail "rtmpdump is missing (.ci/run installs it)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
start_relay "$RELAY_ASAN_BIN" --rtmp 127.0.0.1:0
[ -n "$RTMP_PORT" ] || e2e_fail "no rtmp port in the relay's output"

spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 40 -f flv "$RTMP_BASE/live/rtmp" \
  2>"$E2E_OUT/publisher.err"
PUB=$LAST_PID
wait_until 20 stream_is live/rtmp publishing || e2e_fail "the RTMP publisher did not get on the air"

# Players of both protocols, 3 s each, at once.
spawn_child timeout 30 ffmpeg -nostdin -v error -i "$RTMP_BASE/live/rtmp" -t 3 -f null - 2>"$E2E_OUT/rtmp_player.err"
P1=$LAST_PID
spawn_child timeout 30 ffmpeg -nostdin -v error -i "$BASE/live/rtmp.flv" -t 3 -f null - 2>"$E2E_OUT/http_player.err"
P2=$LAST_PID
# rtmpdump records until stopped (a live stream has no end); SIGINT makes
# it close its file cleanly.
spawn_child timeout -s INT 5 rtmpdump -q -v -r "$RTMP_BASE/live/rtmp" -o "$E2E_OUT/rtmpdump.flv" 2>"$E2E_OUT/rtmpdump.err"
P3=$LAST_PID
wait "$P1" || e2e_fail "the ffmpeg RTMP player failed: $(head -c 500 "$E2E_OUT/rtmp_player.err")"
wait "$P2" || e2e_fail "the ffmpeg HTTP-FLV player failed: $(head -c 500 "$E2E_OUT/http_player.err")"
wait "$P3"
for f in rtmp_player http_player rtmpdump; do
  [ ! -s "$E2E_OUT/$f.err" ] || e2e_fail "$f wrote to stderr: $(head -c 500 "$E2E_OUT/$f.err")"
done
size=$(wc -c <"$E2E_OUT/rtmpdump.flv")
[ "$size" -gt 20000 ] || e2e_fail "rtmpdump recorded only $size bytes"
ffmpeg -nostdin -v error -i "$E2E_OUT/rtmpdump.flv" -f null - 2>"$E2E_OUT/rtmpdump_decode.err" ||
  e2e_fail "rtmpdump's recording does not decode"
[ ! -s "$E2E_OUT/rtmpdump_decode.err" ] || e2e_fail "rtmpdump's recording decodes with errors: $(head -c 500 "$E2E_OUT/rtmpdump_decode.err")"
e2e_log "ffmpeg (RTMP), ffmpeg (HTTP-FLV) and rtmpdump ($size bytes) decoded the RTMP-published stream cleanly"

for url in "$RTMP_BASE/live/rtmp" "$BASE/live/rtmp.flv"; do
  codecs=$(timeout 20 ffprobe -v error -show_entries stream=codec_name -of csv=p=0 "$url" | sort | tr '\n' ' ')
  [ "$codecs" = "aac h264 " ] || e2e_fail "ffprobe of $url: '$codecs', want aac + h264"
done
e2e_log "ffprobe: h264 + aac over RTMP and over HTTP-FLV"

# Published over HTTP, played over RTMP.
spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 30 -f flv "$BASE/live/http.flv" \
  2>"$E2E_OUT/http_publisher.err"
wait_until 20 stream_is live/http publishing || e2e_fail "the HTTP publisher did not get on the air"
timeout 30 ffmpeg -nostdin -v error -i "$RTMP_BASE/live/http" -t 2 -f null - 2>"$E2E_OUT/cross.err" ||
  e2e_fail "RTMP play of an HTTP-published stream failed: $(head -c 500 "$E2E_OUT/cross.err")"
[ ! -s "$E2E_OUT/cross.err" ] || e2e_fail "RTMP play of an HTTP-published stream: $(head -c 500 "$E2E_OUT/cross.err")"

# A second RTMP publisher of a busy key is refused (BadName); the first
# carries on.
timeout 20 ffmpeg -nostdin -v error -re -i "$SAMPLE" -c copy -t 3 -f flv "$RTMP_BASE/live/rtmp" \
  2>"$E2E_OUT/second_publisher.err" && e2e_fail "a second publisher of a busy stream was accepted"
grep -q "refused" "$E2E_OUT/relay.out" || e2e_fail "the relay did not log the refusal"
stream_is live/rtmp publishing || e2e_fail "the first publisher lost the stream"

# Not RTMP at all: refused, that connection only.
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 curl -s --max-time 3 "telnet://127.0.0.1:$RTMP_PORT" >/dev/null 2>&1
wait_until 10 grep -q "unsupported handshake version" "$E2E_OUT/relay.out" || e2e_fail "the relay did not refuse a non-RTMP client"
timeout 20 ffmpeg -nostdin -v error -i "$RTMP_BASE/live/rtmp" -t 1 -f null - 2>"$E2E_OUT/after.err" ||
  e2e_fail "playing after the bad client failed"
alive "$PUB" || e2e_fail "the publisher died"

stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "sanitizer report or error output: $(head -c 2000 "$E2E_OUT/relay.err")"

# The publish and play secrets apply to RTMP too, on the stream name's query.
start_relay "$RELAY_ASAN_BIN" --rtmp 127.0.0.1:0 --publish-secret pub-S3 --play-secret play-S4
timeout 20 ffmpeg -nostdin -v error -re -i "$SAMPLE" -c copy -t 2 -f flv "$RTMP_BASE/live/sec" \
  2>"$E2E_OUT/nosecret.err" && e2e_fail "an RTMP publisher without the secret was accepted"
grep -q "rtmp publisher .* refused: wrong or missing secret" "$E2E_OUT/relay.out" || e2e_fail "the relay did not refuse the RTMP publisher"
spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 30 -f flv "$RTMP_BASE/live/sec?secret=pub-S3" \
  2>"$E2E_OUT/secret_publisher.err"
wait_until 20 stream_is live/sec publishing || e2e_fail "the RTMP publisher with the secret did not get on the air"
timeout 20 ffmpeg -nostdin -v error -i "$RTMP_BASE/live/sec" -t 1 -f null - 2>/dev/null &&
  e2e_fail "an RTMP player without the secret was accepted"
timeout 20 ffmpeg -nostdin -v error -i "$RTMP_BASE/live/sec?secret=play-S4" -t 1 -f null - 2>"$E2E_OUT/secret_player.err" ||
  e2e_fail "an RTMP player with the secret failed: $(head -c 300 "$E2E_OUT/secret_player.err")"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "sanitizer report or error output: $(head -c 2000 "$E2E_OUT/relay.err")"
e2e_pass "RTMP publish; ffmpeg/rtmpdump RTMP and ffmpeg HTTP-FLV players clean; ffprobe h264+aac on both; HTTP->RTMP; BadName; bad client refused; secrets; ASan/UBSan/LSan clean"
