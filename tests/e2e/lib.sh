# Helpers shared by the end-to-end tests of flv_relay (sourced, bash).
#
# Every test: e2e_init NAME; start_relay BINARY ARGS...; ...; e2e_pass TEXT.
# Only 127.0.0.1 is used. The relay binds port 0 and prints the ports the
# kernel chose, so no port is guessed. Every process a test starts is
# recorded and ended at exit by its pid; every wait is a bounded poll.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_BUILD=${E2E_BUILD:-$E2E_ROOT/c_examples/build}
RELAY_BIN=${RELAY_BIN:-$E2E_BUILD/flv_relay}
RELAY_ASAN_BIN=${RELAY_ASAN_BIN:-$E2E_BUILD/asan/flv_relay}
LOAD_BIN=${LOAD_BIN:-$E2E_BUILD/flv_load}
MIN_BIN=${MIN_BIN:-$E2E_BUILD/flv_server_min}
MIN_ASAN_BIN=${MIN_ASAN_BIN:-$E2E_BUILD/asan/flv_server_min}
SAMPLE=$E2E_ROOT/tests/data/av.flv
E2E_PIDS=()

e2e_init() {
  E2E_NAME=$1
  E2E_OUT=$E2E_BUILD/e2e/$E2E_NAME
  rm -rf "$E2E_OUT"
  mkdir -p "$E2E_OUT"
  E2E_T0=$(date +%s)
  trap e2e_cleanup EXIT
  trap 'e2e_fail "interrupted"' INT TERM
  for bin in "$RELAY_BIN" "$LOAD_BIN"; do
    [ -x "$bin" ] || e2e_fail "$bin is missing: run make test-e2e (it builds it)"
  done
}

e2e_log() { printf '  [%s %3ss] %s\n' "$E2E_NAME" "$(($(date +%s) - E2E_T0))" "$*"; }

e2e_pass() {
  echo "PASS $E2E_NAME: $* ($(($(date +%s) - E2E_T0)) s)"
  exit 0
}

e2e_fail() {
  trap - INT TERM
  echo "FAIL $E2E_NAME: $*"
  if [ -n "${E2E_OUT:-}" ] && [ -f "$E2E_OUT/relay.out" ]; then
    echo "  --- last lines of the relay's stdout ($E2E_OUT/relay.out):"
    tail -n 15 "$E2E_OUT/relay.out" | sed 's/^/  | /'
    echo "  --- the relay's stderr:"
    head -c 4000 "$E2E_OUT/relay.err" 2>/dev/null | sed 's/^/  | /'
  fi
  exit 1
}

# Runs a command in the background and records its pid in $LAST_PID. It is
# disowned: tests kill such processes on purpose, and bash would report each
# one ("Killed"); it is still reaped, and wait_gone still sees it go.
spawn() {
  "$@" &
  LAST_PID=$!
  E2E_PIDS+=("$LAST_PID")
  disown "$LAST_PID"
}

# The same, for a process whose exit status the test reads with `wait`.
spawn_child() {
  "$@" &
  LAST_PID=$!
  E2E_PIDS+=("$LAST_PID")
}

# Whether pid is alive (a zombie, exited but not yet waited for, is not).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# wait_gone PID SECONDS: polls until PID exited; 1 if it did not in time.
wait_gone() {
  local pid=$1 deadline=$(($(date +%s) + $2))
  while alive "$pid"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# Ends every process this test started: TERM (a `timeout` wrapper passes it
# on), then KILL whatever is still there after a few seconds.
e2e_cleanup() {
  local pid
  for pid in "${E2E_PIDS[@]}"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null; done
  for pid in "${E2E_PIDS[@]}"; do wait_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  return 0
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s; 1 on timeout.
wait_until() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# start_relay BINARY ARGS...: starts the relay on 127.0.0.1 port 0 and sets
# RELAY_PID, HTTP_PORT, TCP_PORT (when --tcp-ingest 127.0.0.1:0 was given),
# RTMP_PORT and RTMP_BASE (rtmp://127.0.0.1:PORT, when --rtmp 127.0.0.1:0 was
# given) and BASE (http://127.0.0.1:PORT). The server's lines start with its
# program name (flv_relay, flv_server_min), taken from BINARY.
start_relay() {
  local bin=$1
  shift
  SERVER_NAME=$(basename "$bin")
  spawn_child "$bin" --http 127.0.0.1:0 "$@" >"$E2E_OUT/relay.out" 2>"$E2E_OUT/relay.err"
  RELAY_PID=$LAST_PID
  wait_until 60 grep -q "^$SERVER_NAME: ready" "$E2E_OUT/relay.out" || e2e_fail "the relay did not start"
  HTTP_PORT=$(sed -n "s/^$SERVER_NAME: listening http 127\.0\.0\.1:\([0-9]*\)\$/\1/p" "$E2E_OUT/relay.out")
  TCP_PORT=$(sed -n "s/^$SERVER_NAME: listening tcp-ingest 127\.0\.0\.1:\([0-9]*\)\$/\1/p" "$E2E_OUT/relay.out")
  RTMP_PORT=$(sed -n "s/^$SERVER_NAME: listening rtmp 127\.0\.0\.1:\([0-9]*\)\$/\1/p" "$E2E_OUT/relay.out")
  RTMP_BASE=rtmp://127.0.0.1:$RTMP_PORT
  BASE=http://127.0.0.1:$HTTP_PORT
  [ -n "$HTTP_PORT" ] || e2e_fail "no http port in the relay's output"
  e2e_log "relay pid $RELAY_PID on $BASE${TCP_PORT:+, tcp ingest on 127.0.0.1:$TCP_PORT}${RTMP_PORT:+, rtmp on 127.0.0.1:$RTMP_PORT}"
}

# stop_relay: SIGTERM, then the exit status must be 0 within 30 s.
stop_relay() {
  kill -TERM "$RELAY_PID" 2>/dev/null || e2e_fail "the relay is not running"
  wait_gone "$RELAY_PID" 30 || e2e_fail "the relay did not exit within 30 s of SIGTERM"
  local rc=0
  wait "$RELAY_PID" || rc=$?
  [ "$rc" -eq 0 ] || e2e_fail "the relay exited with status $rc after SIGTERM"
  grep -q "^$SERVER_NAME: stopped" "$E2E_OUT/relay.out" || e2e_fail "the relay did not say it stopped"
}

# stream_field KEY FIELD: a field of one stream in /api/streams (the JSON
# is compact: the first FIELD after the key belongs to that stream).
stream_field() {
  curl -s --max-time 5 "$BASE/api/streams" |
    sed -n "s|.*\"key\":\"$1\"||p" | grep -o "\"$2\":[^,}]*" | head -n 1 | cut -d: -f2 | tr -d '"'
}

stream_is() { [ "$(stream_field "$1" publisher)" = "$2" ]; }
players_are() { [ "$(stream_field "$1" players)" = "$2" ]; }
