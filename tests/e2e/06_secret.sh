#!/usr/bin/env bash
# e2e 6: who may publish and play (flv_relay --publish-secret, --play-secret).
#
# With --publish-secret: publishes without ?secret=, with a wrong one, with
# an empty one, and over raw TCP without the secret in the KEY line all get
# 403 (TCP: closed) — while a player waits for the stream (--wait-ms) and
# must receive nothing, and the stream's bytes_in stays 0. Then ffmpeg
# publishes with the right secret: the waiting player gets the stream,
# ffmpeg players (no secret: players are open) decode it cleanly, and the
# TCP ingest with "KEY app/stream?secret=S" gets on the air.
# With --play-secret too: players without or with a wrong secret get 403
# (GET and HEAD), with the right one 200 and a clean decode.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init secret
PUB_SECRET=pub-S3cret_1
PLAY_SECRET=play.S3cret~2

code_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }

start_relay "$RELAY_BIN" --threads 2 --wait-ms 20000 --tcp-ingest 127.0.0.1:0 --publish-secret "$PUB_SECRET"
URL=$BASE/live/sec.flv

# A player waiting for live/sec: it must get nothing from refused publishers.
spawn_child curl -s -o "$E2E_OUT/waiting.flv" --max-time 25 "$URL"
WAITER=$LAST_PID
wait_until 10 players_are live/sec 1 || e2e_fail "the waiting player did not attach"

for q in "" "?secret=" "?secret=wrong" "?secret=${PUB_SECRET}x" "?secret=${PUB_SECRET%?}" "?x=1&secret=nope"; do
  code=$(code_of -X POST --data-binary @"$SAMPLE" "$URL$q")
  [ "$code" = 403 ] || e2e_fail "a publish with query '$q' got $code, want 403"
done
code=$(code_of -X POST -H 'Transfer-Encoding: chunked' --data-binary @"$SAMPLE" "$URL?secret=bad")
[ "$code" = 403 ] || e2e_fail "a chunked publish with a wrong secret got $code, want 403"
# ffmpeg without the secret: refused too (it reports the 403 and exits).
timeout 30 ffmpeg -nostdin -v error -re -i "$SAMPLE" -c copy -t 3 -f flv "$URL" 2>"$E2E_OUT/refused_ffmpeg.err" &&
  e2e_fail "ffmpeg published without the secret"
# Raw TCP: no KEY line, and a KEY line without or with a wrong secret.
for first in "" "KEY live/sec\n" "KEY live/sec?secret=nope\n"; do
  { printf "$first"; cat "$SAMPLE"; } | timeout 10 bash -c "cat >/dev/tcp/127.0.0.1/$TCP_PORT" 2>/dev/null
done
sleep 1
[ "$(stream_field live/sec bytes_in)" = 0 ] || e2e_fail "refused publishers pushed $(stream_field live/sec bytes_in) bytes into live/sec"
[ "$(stream_field live/tcp bytes_in)" = "" ] || e2e_fail "a TCP publisher without a KEY line created live/tcp"
[ ! -s "$E2E_OUT/waiting.flv" ] || e2e_fail "the waiting player received bytes from a refused publisher"
grep -q 'refused: wrong or missing secret' "$E2E_OUT/relay.out" || e2e_fail "the relay did not log the refusals"
e2e_log "403 for 7 HTTP publishes without the right secret and ffmpeg; 3 TCP ingests closed; the waiting player got 0 bytes"

# The right secret: ffmpeg gets on the air and the waiting player plays.
spawn ffmpeg -nostdin -v error -re \
  -f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine=frequency=440 -t 60 \
  -c:v libx264 -preset ultrafast -tune zerolatency -g 50 -c:a aac -f flv "$URL?secret=$PUB_SECRET" 2>"$E2E_OUT/publisher.err"
wait_until 30 stream_is live/sec publishing || e2e_fail "ffmpeg with the right secret did not get on the air"
wait_until 15 test -s "$E2E_OUT/waiting.flv" || e2e_fail "the waiting player got nothing from the real publisher"
timeout 60 ffmpeg -nostdin -v error -i "$URL" -t 3 -f null - 2>"$E2E_OUT/player.err" ||
  e2e_fail "an ffmpeg player failed: $(head -c 300 "$E2E_OUT/player.err")"
[ ! -s "$E2E_OUT/player.err" ] || e2e_fail "the ffmpeg player reported: $(head -c 300 "$E2E_OUT/player.err")"
spawn bash -c 'printf "KEY live/tcpsec?secret=%s\n" "$2"; exec ffmpeg -nostdin -v error -re -stream_loop -1 -i "$1" -c copy -t 30 -f flv -' \
  keyed "$SAMPLE" "$PUB_SECRET" >"/dev/tcp/127.0.0.1/$TCP_PORT" 2>"$E2E_OUT/tcp_publisher.err"
wait_until 30 stream_is live/tcpsec publishing || e2e_fail "the TCP ingest with the secret in its KEY line did not get on the air"
e2e_log "the right secret: ffmpeg on the air, the waiting player got the stream, a clean decode; TCP KEY line with the secret on the air"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the relay wrote to stderr"

# --play-secret as well.
start_relay "$RELAY_BIN" --publish-secret "$PUB_SECRET" --play-secret "$PLAY_SECRET"
URL=$BASE/live/sec.flv
spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 60 -f flv "$URL?secret=$PUB_SECRET" 2>"$E2E_OUT/publisher2.err"
wait_until 30 stream_is live/sec publishing || e2e_fail "the publisher did not get on the air with --play-secret"
for q in "" "?secret=" "?secret=$PUB_SECRET" "?secret=${PLAY_SECRET}0"; do
  code=$(code_of "$URL$q")
  [ "$code" = 403 ] || e2e_fail "a player with query '$q' got $code, want 403"
  code=$(code_of -I "$URL$q")
  [ "$code" = 403 ] || e2e_fail "a HEAD with query '$q' got $code, want 403"
done
code=$(code_of -I "$URL?secret=$PLAY_SECRET")
[ "$code" = 200 ] || e2e_fail "a HEAD with the play secret got $code, want 200"
timeout 60 ffmpeg -nostdin -v error -i "$URL?secret=$PLAY_SECRET" -t 3 -f null - 2>"$E2E_OUT/player2.err" ||
  e2e_fail "an ffmpeg player with the play secret failed: $(head -c 300 "$E2E_OUT/player2.err")"
[ ! -s "$E2E_OUT/player2.err" ] || e2e_fail "the ffmpeg player reported: $(head -c 300 "$E2E_OUT/player2.err")"
e2e_log "--play-secret: 403 for GET and HEAD without the right secret, 200 and a clean decode with it"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "the relay wrote to stderr"
e2e_pass "publishes without the right secret get 403 (HTTP) or are closed (TCP) and reach no player; the right secret publishes; --play-secret gates players"
