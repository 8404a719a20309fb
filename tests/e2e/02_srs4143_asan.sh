#!/usr/bin/env bash
# e2e 2: the SRS #4143 scenario with real processes, on a relay built with
# AddressSanitizer + UBSan (LeakSanitizer at exit).
#
# SRS freed a stream's shared object when its publisher stopped and the
# first player left, while a second player still used it. Here, REPS times
# (default 20) on one stream key:
#   an ffmpeg publisher starts; 2 HTTP-FLV players attach, then 20 more;
#   the publisher is SIGKILLed mid-stream and the first player leaves at once,
#   half of the others leave while the stream waits for a republish;
#   a new publisher comes; a new player must get the republished stream;
#   everybody is killed.
# After each repetition the relay must still run and have written nothing to
# stderr. At the end, with a publisher and players still attached, SIGTERM:
# exit status 0 and no sanitizer report.
set -u
. "$(dirname "$0")/lib.sh"
e2e_init srs4143_asan
REPS=${REPS:-20}
[ -x "$RELAY_ASAN_BIN" ] || e2e_fail "$RELAY_ASAN_BIN is missing: run make test-e2e (it builds it)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
start_relay "$RELAY_ASAN_BIN" --threads 3
KEY=live/srs4143
URL=$BASE/$KEY.flv

# A publisher at real-time pace, bounded to 60 s of output.
publish() {
  spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 60 -f flv "$URL" \
    2>>"$E2E_OUT/publishers.err"
}

relay_ok() {
  alive "$RELAY_PID" || e2e_fail "repetition $1: the relay died ($2)"
  [ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "repetition $1: the relay wrote to stderr ($2)"
}

for rep in $(seq 1 "$REPS"); do
  publish
  PUB=$LAST_PID
  wait_until 30 stream_is "$KEY" publishing || e2e_fail "repetition $rep: the publisher did not get on the air"

  PLAYERS=()
  for i in 1 2; do
    spawn curl -s -o /dev/null --max-time 60 "$URL"
    PLAYERS+=("$LAST_PID")
  done
  wait_until 20 players_are "$KEY" 2 || e2e_fail "repetition $rep: 2 players did not attach"
  for i in $(seq 1 20); do
    spawn curl -s -o /dev/null --max-time 60 "$URL"
    PLAYERS+=("$LAST_PID")
  done
  wait_until 20 players_are "$KEY" 22 || e2e_fail "repetition $rep: 22 players did not attach"

  # The publisher dies mid-stream; the first player leaves right away (the
  # SRS crash), then half of the others while the stream waits.
  kill -KILL "$PUB"
  kill -KILL "${PLAYERS[0]}"
  wait_until 20 stream_is "$KEY" waiting || e2e_fail "repetition $rep: the stream did not notice the publisher's death"
  for i in $(seq 1 2 21); do kill -TERM "${PLAYERS[$i]}" 2>/dev/null; done
  relay_ok "$rep" "after the publisher was killed"

  # The republish: a new player must get the new publisher's stream.
  publish
  PUB2=$LAST_PID
  wait_until 30 stream_is "$KEY" publishing || e2e_fail "repetition $rep: the republisher did not get on the air"
  timeout 30 curl -s --max-time 20 "$URL" | head -c 4096 >"$E2E_OUT/new_player.flv"
  size=$(wc -c <"$E2E_OUT/new_player.flv")
  [ "$size" -eq 4096 ] && [ "$(head -c 3 "$E2E_OUT/new_player.flv")" = FLV ] ||
    e2e_fail "repetition $rep: a new player did not get the republished stream ($size bytes)"

  for pid in "${PLAYERS[@]}" "$PUB2"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${PLAYERS[@]}" "$PUB" "$PUB2"; do wait_gone "$pid" 10; done
  E2E_PIDS=("$RELAY_PID")
  # The relay saw them all go: no player left, the stream waits for a publisher.
  wait_until 20 players_are "$KEY" 0 || e2e_fail "repetition $rep: players still attached after they were killed"
  wait_until 20 stream_is "$KEY" waiting || e2e_fail "repetition $rep: the killed republisher is still publishing"
  relay_ok "$rep" "after everybody left"
  [ $((rep % 5)) -eq 0 ] && e2e_log "repetition $rep/$REPS: 22 players, publisher SIGKILLed, republished: relay fine"
done

# Shut down with live handles: a publisher and 5 players attached.
publish
wait_until 30 stream_is "$KEY" publishing || e2e_fail "the last publisher did not get on the air"
for i in $(seq 1 5); do spawn curl -s -o /dev/null --max-time 60 "$URL"; done
wait_until 20 players_are "$KEY" 5 || e2e_fail "the last 5 players did not attach"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "sanitizer report or error output: $(head -c 2000 "$E2E_OUT/relay.err")"
e2e_pass "$REPS repetitions of 2+20 players with the publisher SIGKILLed and republished; ASan/UBSan/LSan clean, exit 0"
