#!/usr/bin/env bash
# e2e 11: the SRS #4143 scenario with an RTMP publisher (OBS publishes RTMP)
# and players of both protocols, on a relay built with ASan + UBSan
# (LeakSanitizer at exit). REPS repetitions (default 20) of:
#   ffmpeg publishes over RTMP; 2 players attach (one HTTP-FLV, one RTMP),
#   then 20 more (10 of each);
#   the publisher is SIGKILLed mid-GOP and the first player leaves at once,
#   half of the others leave while the stream waits for a republish;
#   a new RTMP publisher comes; a new HTTP-FLV player and a new RTMP player
#   must both get the republished stream; everybody is killed.
# With ACCEPT_DELAY_MS=N (12_rtmp_srs4143_delayed.sh: 2000) every publish
# and play request is answered N ms late, as by a slow auth hook, and each
# repetition also kills a publisher and a player while their requests
# wait. After each repetition the relay must still run and have written
# nothing to stderr; at the end, with handles still attached, SIGTERM:
# exit status 0 and no sanitizer report.
# LANES=K (default 1; 12_rtmp_srs4143_delayed.sh: 4) runs the repetitions
# in K concurrent lanes, each on its own stream key (REPS/K repetitions
# each): the same scenario, with K streams dying and republishing at once.
set -u
. "$(dirname "$0")/lib.sh"
DELAY=${ACCEPT_DELAY_MS:-0}
if [ "$DELAY" -gt 0 ]; then e2e_init rtmp_srs4143_delayed; else e2e_init rtmp_srs4143_asan; fi
REPS=${REPS:-20}
LANES=${LANES:-1}
[ $((REPS % LANES)) -eq 0 ] || e2e_fail "REPS ($REPS) must be a multiple of LANES ($LANES)"
[ -x "$RELAY_ASAN_BIN" ] || e2e_fail "$RELAY_ASAN_BIN is missing: run make test-e2e (it builds it)"
command -v rtmpdump >/dev/null || e2e_fail "rtmpdump is missing (.ci/run installs it)"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
start_relay "$RELAY_ASAN_BIN" --threads 3 --rtmp 127.0.0.1:0 --accept-delay-ms "$DELAY"
set_key() {
  KEY=live/rtmp4143${1:+-$1}
  URL=$BASE/$KEY.flv
  RURL=$RTMP_BASE/$KEY
}
set_key ""
# Polls allow for the answer delay.
W=$((20 + DELAY / 1000 * 2))

publish() {
  spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 60 -f flv "$RURL" \
    2>>"$E2E_OUT/publishers.err"
}
http_player() { spawn curl -s -o /dev/null --max-time 60 "$URL"; }
rtmp_player() { spawn rtmpdump -q -v -r "$RURL" -o /dev/null; }

relay_ok() {
  alive "$RELAY_PID" || e2e_fail "repetition $1: the relay died ($2)"
  [ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "repetition $1: the relay wrote to stderr ($2)"
}

# One lane: REPS/LANES repetitions on its own key. With several lanes each
# runs in a subshell that ends its own processes on exit (never the relay's).
run_lane() {
  local lane=$1 n=$2 rep
  [ "$LANES" -gt 1 ] && set_key "$lane"
for rep in $(seq 1 "$n"); do
  if [ "$DELAY" -gt 0 ]; then
    # A publisher and a player that die while their requests wait.
    publish
    EARLY_PUB=$LAST_PID
    rtmp_player
    EARLY_PL=$LAST_PID
    sleep 0.5
    kill -KILL "$EARLY_PUB" "$EARLY_PL"
    wait_gone "$EARLY_PUB" 10
    wait_gone "$EARLY_PL" 10
  fi
  publish
  PUB=$LAST_PID
  wait_until "$W" stream_is "$KEY" publishing || e2e_fail "repetition $rep: the publisher did not get on the air"

  PLAYERS=()
  http_player; PLAYERS+=("$LAST_PID")
  rtmp_player; PLAYERS+=("$LAST_PID")
  wait_until "$W" players_are "$KEY" 2 || e2e_fail "repetition $rep: 2 players did not attach"
  for i in $(seq 1 10); do
    http_player; PLAYERS+=("$LAST_PID")
    rtmp_player; PLAYERS+=("$LAST_PID")
  done
  wait_until "$W" players_are "$KEY" 22 || e2e_fail "repetition $rep: 22 players did not attach ($(stream_field "$KEY" players))"

  # Mid-GOP (the sample's GOP is 2 s): the publisher dies, the first
  # player leaves at once, then half of the others while the stream waits.
  sleep 0.$((RANDOM % 9 + 1))
  if [ "$DELAY" -gt 0 ]; then rtmp_player; LATE=$LAST_PID; http_player; LATE2=$LAST_PID; fi
  kill -KILL "$PUB"
  kill -KILL "${PLAYERS[0]}"
  wait_until 20 stream_is "$KEY" waiting || e2e_fail "repetition $rep: the stream did not notice the publisher's death"
  for i in $(seq 1 2 21); do kill -TERM "${PLAYERS[$i]}" 2>/dev/null; done
  relay_ok "$rep" "after the publisher was killed"

  # The republish: new players of both protocols get the new stream.
  publish
  PUB2=$LAST_PID
  wait_until "$W" stream_is "$KEY" publishing || e2e_fail "repetition $rep: the republisher did not get on the air"
  timeout $((W + 10)) curl -s --max-time $((W + 5)) "$URL" | head -c 4096 >"$E2E_OUT/new_player_$lane.flv"
  size=$(wc -c <"$E2E_OUT/new_player_$lane.flv")
  [ "$size" -eq 4096 ] && [ "$(head -c 3 "$E2E_OUT/new_player_$lane.flv")" = FLV ] ||
    e2e_fail "repetition $rep: a new HTTP-FLV player did not get the republished stream ($size bytes)"
  timeout $((W + 10)) rtmpdump -q -v -r "$RURL" -o - 2>/dev/null | head -c 8192 >"$E2E_OUT/new_player_rtmp_$lane.flv"
  size=$(wc -c <"$E2E_OUT/new_player_rtmp_$lane.flv")
  [ "$size" -eq 8192 ] && [ "$(head -c 3 "$E2E_OUT/new_player_rtmp_$lane.flv")" = FLV ] ||
    e2e_fail "repetition $rep: a new RTMP player did not get the republished stream ($size bytes)"

  for pid in "${PLAYERS[@]}" "$PUB2" ${LATE:-} ${LATE2:-}; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${PLAYERS[@]}" "$PUB" "$PUB2" ${LATE:-} ${LATE2:-}; do wait_gone "$pid" 10; done
  E2E_PIDS=("${LANE_BASE_PIDS[@]}")
  wait_until 20 players_are "$KEY" 0 || e2e_fail "repetition $rep: players still attached after they were killed"
  wait_until 20 stream_is "$KEY" waiting || e2e_fail "repetition $rep: the killed republisher is still publishing"
  relay_ok "$rep" "after everybody left"
  [ $((rep % 5)) -eq 0 ] && e2e_log "$KEY: repetition $rep/$n: 22 mixed players, RTMP publisher SIGKILLed, republished: relay fine"
done
}

if [ "$LANES" -eq 1 ]; then
  LANE_BASE_PIDS=("$RELAY_PID")
  run_lane 1 "$REPS"
else
  LANE_PIDS=()
  for lane in $(seq 1 "$LANES"); do
    ( LANE_BASE_PIDS=(); E2E_PIDS=(); trap e2e_cleanup EXIT; run_lane "$lane" $((REPS / LANES)) ) &
    LANE_PIDS+=("$!")
  done
  failed=0
  for pid in "${LANE_PIDS[@]}"; do wait "$pid" || failed=$((failed + 1)); done
  [ "$failed" -eq 0 ] || e2e_fail "$failed of $LANES lanes failed (see above)"
  set_key ""
  relay_ok all "after $LANES concurrent lanes"
fi

# Shut down with live handles: an RTMP publisher and players of both kinds.
publish
wait_until "$W" stream_is "$KEY" publishing || e2e_fail "the last publisher did not get on the air"
for i in 1 2; do http_player; rtmp_player; done
wait_until "$W" players_are "$KEY" 4 || e2e_fail "the last 4 players did not attach"
stop_relay
[ ! -s "$E2E_OUT/relay.err" ] || e2e_fail "sanitizer report or error output: $(head -c 2000 "$E2E_OUT/relay.err")"
e2e_pass "$REPS repetitions ($LANES concurrent lane(s)) of 2+20 HTTP-FLV/RTMP players, RTMP publisher SIGKILLed mid-GOP and republished, accepts delayed ${DELAY} ms; ASan/UBSan/LSan clean, exit 0"
