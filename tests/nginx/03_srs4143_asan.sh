#!/usr/bin/env bash
# nginx 3: the SRS #4143 scenario against nginx, with the module built with
# AddressSanitizer + UBSan (against livehub's debug library) and the stock
# nginx started with the sanitizer runtimes preloaded (LD_PRELOAD of gcc's
# libasan and libubsan: the only way to sanitize a module of an
# uninstrumented nginx; reports go to files under the test directory).
#
# SRS freed a stream's shared object when its publisher stopped and the
# first player left, while a second player still used it. Here, REPS times
# (default 20) on one stream key:
#   an ffmpeg publisher (chunked POST) starts; 2 players attach, then 20;
#   the publisher is SIGKILLed mid-GOP and the first player leaves at once;
#   half of the others leave while the stream waits for a republish (they
#   leave first), the rest stay until after it (they leave last);
#   a new publisher comes; a new player must get the republished stream;
#   everybody is killed.
# After each repetition: the worker is the same process (no crash, no
# restart), no sanitizer report, nothing at [alert]/[emerg]/[crit] and no
# "exited on signal" in the error log. At the end, with a publisher and
# players attached, a fast stop (SIGTERM: the worker exits without freeing
# its requests, the module's exit_process releases their handles, then the
# hub) must exit cleanly.
set -u
. "$(dirname "$0")/lib.sh"
nginx_init srs4143_asan
REPS=${REPS:-20}
[ -f "$NGINX_ASAN_SO" ] || nginx_fail "$NGINX_ASAN_SO is missing: run make test-nginx (it builds it)"
libasan=$(gcc -print-file-name=libasan.so)
libubsan=$(gcc -print-file-name=libubsan.so)
[ -f "$libasan" ] && [ -f "$libubsan" ] || nginx_fail "gcc's libasan/libubsan are missing"

# LeakSanitizer stays off: nginx itself is not leak-free at exit (with
# DETECT_LEAKS=1 it reports a block of its own, from ngx_memalign). ASan
# (use-after-free, overflows, double frees) and UBSan report to
# $ASAN_LOG.PID and abort the process, which the checks below catch.
ASAN_LOG=$E2E_OUT/asan
NGINX_ENV="LD_PRELOAD=$libasan:$libubsan
ASAN_OPTIONS=detect_leaks=${DETECT_LEAKS:-0}:abort_on_error=1:halt_on_error=1:log_path=$ASAN_LOG
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$ASAN_LOG"
NGINX_ENV=$(tr '\n' ' ' <<<"$NGINX_ENV")
start_nginx "$NGINX_ASAN_SO"
grep -q "libasan" "/proc/$WORKER_PID/maps" || nginx_fail "the worker does not have the ASan runtime loaded"
FIRST_WORKER=$WORKER_PID
KEY=live/srs4143
URL=$BASE/$KEY.flv

publish() {
  spawn ffmpeg -nostdin -v error -re -stream_loop -1 -i "$SAMPLE" -c copy -t 60 -f flv "$URL" \
    2>>"$E2E_OUT/publishers.err"
}

nginx_ok() {
  local now
  alive "$NGINX_PID" || nginx_fail "repetition $1: nginx died ($2)"
  now=$(worker_pids | tr -d ' ')
  [ "$now" = "$FIRST_WORKER" ] || nginx_fail "repetition $1: the worker changed from $FIRST_WORKER to '$now' ($2)"
  ls "$ASAN_LOG".* >/dev/null 2>&1 && nginx_fail "repetition $1: sanitizer report ($2): $(head -c 3000 "$ASAN_LOG".*)"
  error_log_clean "repetition $1 ($2)"
}

for rep in $(seq 1 "$REPS"); do
  publish
  PUB=$LAST_PID
  wait_until 30 stream_is "$KEY" publishing || nginx_fail "repetition $rep: the publisher did not get on the air"

  PLAYERS=()
  for i in 1 2; do
    spawn curl -s -o /dev/null --max-time 60 "$URL"
    PLAYERS+=("$LAST_PID")
  done
  wait_until 20 players_are "$KEY" 2 || nginx_fail "repetition $rep: 2 players did not attach"
  for i in $(seq 1 20); do
    spawn curl -s -o /dev/null --max-time 60 "$URL"
    PLAYERS+=("$LAST_PID")
  done
  wait_until 20 players_are "$KEY" 22 || nginx_fail "repetition $rep: 22 players did not attach"

  # The publisher dies mid-GOP (the sample has a keyframe every 2 s; the
  # kill lands at a random point of one); the first player leaves at once.
  sleep "0.$((RANDOM % 10))"
  kill -KILL "$PUB"
  kill -KILL "${PLAYERS[0]}"
  wait_until 20 stream_is "$KEY" waiting || nginx_fail "repetition $rep: the stream did not notice the publisher's death"
  for i in $(seq 1 2 21); do kill -TERM "${PLAYERS[$i]}" 2>/dev/null; done
  nginx_ok "$rep" "after the publisher was killed"

  # The republish: a new player must get the new publisher's stream.
  publish
  PUB2=$LAST_PID
  wait_until 30 stream_is "$KEY" publishing || nginx_fail "repetition $rep: the republisher did not get on the air"
  timeout 30 curl -s --max-time 20 "$URL" | head -c 4096 >"$E2E_OUT/new_player.flv"
  size=$(wc -c <"$E2E_OUT/new_player.flv")
  [ "$size" -eq 4096 ] && [ "$(head -c 3 "$E2E_OUT/new_player.flv")" = FLV ] ||
    nginx_fail "repetition $rep: a new player did not get the republished stream ($size bytes)"

  # Who is left of the old players leaves last, then the republisher.
  for pid in "${PLAYERS[@]}" "$PUB2"; do kill -KILL "$pid" 2>/dev/null; done
  for pid in "${PLAYERS[@]}" "$PUB" "$PUB2"; do wait_gone "$pid" 10; done
  E2E_PIDS=("$NGINX_PID")
  wait_until 20 players_are "$KEY" 0 || nginx_fail "repetition $rep: players still attached after they were killed"
  wait_until 20 stream_is "$KEY" waiting || nginx_fail "repetition $rep: the killed republisher is still publishing"
  nginx_ok "$rep" "after everybody left"
  [ $((rep % 5)) -eq 0 ] && e2e_log "repetition $rep/$REPS: 22 players, publisher SIGKILLed, republished: worker $FIRST_WORKER fine"
done

# Stop with live handles: a publisher and 5 players attached.
publish
wait_until 30 stream_is "$KEY" publishing || nginx_fail "the last publisher did not get on the air"
for i in $(seq 1 5); do spawn curl -s -o /dev/null --max-time 60 "$URL"; done
wait_until 20 players_are "$KEY" 5 || nginx_fail "the last 5 players did not attach"
stop_nginx TERM
ls "$ASAN_LOG".* >/dev/null 2>&1 && nginx_fail "sanitizer report at exit: $(head -c 3000 "$ASAN_LOG".*)"
error_log_clean "after the stop"
grep -q "worker process $FIRST_WORKER exited with code 0" "$NGINX_PREFIX/error.log" || nginx_fail "the worker did not exit with code 0"
e2e_pass "$REPS repetitions of 2+20 players with the publisher SIGKILLed mid-GOP and republished; one worker pid throughout; ASan+UBSan (LD_PRELOAD) clean; fast stop with live handles"
