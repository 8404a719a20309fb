# Helpers shared by the tests of the nginx module (sourced, bash), on top of
# tests/e2e/lib.sh (spawn, wait_until, alive, stream_field, ...).
#
# Every test: nginx_init NAME; start_nginx [MODULE_SO] [HTTP_EXTRA]; ...;
# e2e_pass TEXT. nginx is the system's /usr/sbin/nginx, run in the
# foreground (daemon off) with a private prefix (config, pid, error log,
# temp dirs) under c_examples/build/e2e/nginx_NAME/, on 127.0.0.1 only.
. "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"

NGINX_BIN=${NGINX_BIN:-/usr/sbin/nginx}
NGINX_SO=${NGINX_SO:-$E2E_ROOT/integrations/nginx/build/ngx_http_livehub_module.so}
NGINX_ASAN_SO=${NGINX_ASAN_SO:-$E2E_ROOT/integrations/nginx/build/asan/ngx_http_livehub_module.so}
NGINX_CONF_SH=$E2E_ROOT/integrations/nginx/conf.sh

nginx_init() {
  e2e_init "nginx_$1"
  [ -x "$NGINX_BIN" ] || e2e_fail "$NGINX_BIN is missing (apt-get install nginx; .ci/run installs it)"
  [ -f "$NGINX_SO" ] || e2e_fail "$NGINX_SO is missing: run make test-nginx (it builds it)"
  NGINX_PREFIX=$E2E_OUT/prefix
  mkdir -p "$NGINX_PREFIX"
  trap nginx_cleanup EXIT
}

# On failure, show the error log instead of flv_relay's output.
nginx_fail() {
  echo "FAIL $E2E_NAME: $*"
  if [ -f "${NGINX_PREFIX:-/nonexistent}/error.log" ]; then
    echo "  --- last lines of nginx's error log ($NGINX_PREFIX/error.log):"
    grep -v '\[info\].*\(closed keepalive\|client closed\|prematurely\)' "$NGINX_PREFIX/error.log" | tail -n 20 | sed 's/^/  | /'
  fi
  exit 1
}

nginx_cleanup() {
  [ -n "${NGINX_PID:-}" ] && alive "$NGINX_PID" && kill -TERM "$NGINX_PID" 2>/dev/null
  e2e_cleanup
}

# A free port on 127.0.0.1: below the kernel's ephemeral range (which the
# clients' own ports come from), and nothing accepts a connection there.
free_port() {
  local port i low
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
  [ "${low:-0}" -gt 12000 ] || low=32768
  for i in $(seq 1 50); do
    port=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# nginx_conf FILE PORT MODULE_SO [WORKERS] [HTTP_EXTRA]: writes a config.
nginx_conf() {
  bash "$NGINX_CONF_SH" "$NGINX_PREFIX" "127.0.0.1:$2" "$3" "$E2E_ROOT/web" "${4:-1}" "${5:-}" >"$1"
}

# worker_pids: the worker processes of the running nginx master.
worker_pids() { ps -o pid= --ppid "$NGINX_PID" 2>/dev/null | tr -d ' ' | sort -n | tr '\n' ' '; }

# start_nginx [MODULE_SO] [HTTP_EXTRA]: starts nginx in the foreground with
# the module; sets NGINX_PID, HTTP_PORT, BASE, WORKER_PID. With NGINX_ENV
# set (e.g. "LD_PRELOAD=..."), nginx runs under env with it.
start_nginx() {
  local so=${1:-$NGINX_SO} extra=${2:-} attempt
  for attempt in 1 2 3; do
    HTTP_PORT=$(free_port) || nginx_fail "no free port"
    nginx_conf "$NGINX_PREFIX/nginx.conf" "$HTTP_PORT" "$so" 1 "$extra"
    : >"$NGINX_PREFIX/error.log"
    # shellcheck disable=SC2086
    spawn_child env ${NGINX_ENV:-} "$NGINX_BIN" -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -g 'daemon off;' \
      >"$E2E_OUT/nginx.out" 2>"$E2E_OUT/nginx.err"
    NGINX_PID=$LAST_PID
    BASE=http://127.0.0.1:$HTTP_PORT
    if wait_until 60 grep -q 'livehub .*: hub ready' "$NGINX_PREFIX/error.log"; then
      wait_until 30 curl -s -o /dev/null --max-time 2 "$BASE/api/streams" || nginx_fail "nginx does not answer on $BASE"
      WORKER_PID=$(worker_pids | tr -d ' ')
      e2e_log "nginx master $NGINX_PID, worker $WORKER_PID on $BASE (module $(basename "$(dirname "$so")")/$(basename "$so"))"
      return 0
    fi
    alive "$NGINX_PID" && kill -TERM "$NGINX_PID"
    wait_gone "$NGINX_PID" 10
    grep -q 'Address already in use' "$NGINX_PREFIX/error.log" "$E2E_OUT/nginx.err" 2>/dev/null || break
  done
  cat "$E2E_OUT/nginx.err" >&2
  nginx_fail "nginx did not start"
}

# stop_nginx [SIGNAL]: SIGQUIT (graceful: the module closes its live
# requests; the default) or SIGTERM (fast: the worker exits at once and the
# module releases the handles of the requests nginx leaves behind), then
# the master must exit with status 0 within 30 s.
stop_nginx() {
  local sig=${1:-QUIT}
  kill -"$sig" "$NGINX_PID" 2>/dev/null || nginx_fail "nginx is not running"
  wait_gone "$NGINX_PID" 30 || nginx_fail "nginx did not exit within 30 s of SIG$sig"
  local rc=0
  wait "$NGINX_PID" || rc=$?
  [ "$rc" -eq 0 ] || nginx_fail "nginx exited with status $rc after SIG$sig"
  NGINX_PID=
}

# error_log_clean WHAT: no [alert], [emerg], [crit] or crashed worker in
# the error log, no sanitizer report.
error_log_clean() {
  local bad
  bad=$(grep -E '\[(alert|emerg|crit)\]|exited on signal|AddressSanitizer|LeakSanitizer|runtime error:' \
        "$NGINX_PREFIX/error.log" "$E2E_OUT/nginx.err" 2>/dev/null | head -n 5)
  [ -z "$bad" ] || nginx_fail "$1: the error log says: $bad"
}
